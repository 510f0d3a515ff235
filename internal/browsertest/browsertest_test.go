package browsertest_test

import (
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/internal/browsertest"
)

const cjkPage = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<style>body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "SimSun", sans-serif; }</style>
</head><body><p id="zh">阿坝州公共数据管理办法 第四十一条 逾期未完成</p><p id="latin">Findings F1–F18</p>%s</body></html>`

func page(extra string) []byte { return []byte(strings.Replace(cjkPage, "%s", extra, 1)) }

// One browser for the package's checks, as the report tests use one for all pages.
func TestChecks(t *testing.T) {
	b := browsertest.Start(t)
	dir := t.TempDir()
	open := func(t *testing.T, html []byte, v browsertest.Viewport) *browsertest.Page {
		t.Helper()
		p, err := b.Open(dir, html, v)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	a4 := browsertest.Viewport{Width: browsertest.A4, Height: 1123}

	t.Run("cjk renders", func(t *testing.T) {
		p := open(t, page(""), a4)
		missing, checked, err := p.Boxes()
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 || checked < 20 {
			t.Errorf("%d characters checked, boxes: %v", checked, missing)
		}
		fonts, err := p.Fonts("#zh")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("fonts drawing #zh: %v", fonts)
		if len(fonts) == 0 {
			t.Error("no platform font reported for the Chinese paragraph")
		}
	})

	// The check sees a real box: characters no installed font has (an unassigned code
	// point, a private-use one) are reported, the others are not.
	t.Run("a box is seen", func(t *testing.T) {
		p := open(t, page(`<p id="tofu">x&#x0377;&#x0379;&#xE000;y</p>`), a4)
		missing, _, err := p.Boxes()
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(missing, "\n")
		if !strings.Contains(got, "U+0379") || !strings.Contains(got, "U+E000") || strings.Contains(got, "U+0377") || len(missing) != 2 {
			t.Errorf("boxes reported:\n%s", got)
		}
	})

	t.Run("overflow", func(t *testing.T) {
		p := open(t, page(`<table style="width:1200px"><tr><td>wide</td></tr></table><div style="width:200px"><span style="display:block;white-space:nowrap">`+strings.Repeat("long ", 80)+`</span></div>`), a4)
		got, err := p.Overflow()
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(got, "\n")
		if !strings.Contains(all, "the document is") || !strings.Contains(all, "table") || !strings.Contains(all, "holds content") {
			t.Errorf("overflow reported:\n%s", all)
		}
		p = open(t, page(`<svg viewBox="0 0 100 20" width="100"><text x="90" y="12">far too long a label</text></svg>`), a4)
		got, err = p.Overflow()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !strings.Contains(got[0], "cut off by its chart") {
			t.Errorf("svg overflow reported: %q", got)
		}
		p = open(t, page(""), a4)
		if got, err := p.Overflow(); err != nil || len(got) > 0 {
			t.Errorf("a plain page overflows: %q, %v", got, err)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		p := open(t, page(""), a4)
		png, err := p.Screenshot(300)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(png), "\x89PNG") {
			t.Errorf("not a PNG: % x", png[:min(8, len(png))])
		}
	})
}

// The negative test: a browser that can see no CJK font draws the Chinese text as
// boxes, and the check says so for every Chinese character and for no Latin one.
func TestBoxesWithoutCJKFonts(t *testing.T) {
	conf := browsertest.LatinOnly(t)
	b := browsertest.Start(t, browsertest.Env("FONTCONFIG_FILE="+conf))
	p, err := b.Open(t.TempDir(), page(""), browsertest.Viewport{Width: browsertest.A4, Height: 1123})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	missing, _, err := p.Boxes()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(missing, "\n")
	for _, ch := range "阿坝州逾期未完成" {
		if !strings.Contains(got, `"`+string(ch)+`"`) {
			t.Errorf("%c not reported as a box", ch)
		}
	}
	for _, ch := range "FindgsF1" {
		if strings.Contains(got, `"`+string(ch)+`" in`) {
			t.Errorf("Latin %c reported as a box", ch)
		}
	}
	fonts, err := p.Fonts("#zh")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fonts drawing #zh without CJK fonts: %v", fonts)
}
