package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/internal/browsertest"
)

// update rewrites the screenshots in docs/screenshots/reports from the browser test:
// go test ./cmd/ledgerctl -run TestReportsInBrowser -update
var update = flag.Bool("update", false, "rewrite docs/screenshots/reports/*.png from TestReportsInBrowser")

// screenshotDir is where the documentation's screenshots of the reports live.
var screenshotDir = filepath.Join("..", "..", "docs", "screenshots", "reports")

// screenshotHeight caps a screenshot at about three A4 pages: the summary, the charts
// and the start of the detail, without megabytes of register.
const screenshotHeight = 3400

// TestReportsInBrowser renders every report kind as HTML, in Chinese and English, from
// a realistic demo ledger (`ledgerctl demo --end 2025-12-31`, judged as of 2026-01-01,
// year 2025), and shows each in one headless Chromium as a reader would: at the width
// of an A4 page on screen (794 CSS px) and laid out for print on A4 (the text width
// under the page margins, print media). Nothing may be wider than the page, and no
// character may be drawn as a box for want of a font.
func TestReportsInBrowser(t *testing.T) {
	b := browsertest.Start(t) // skips, or fails in CI, before the demo is built
	dir := filepath.Join(t.TempDir(), "demo")
	if code, _, errOut := ledgerctl(t, "demo", "--data", dir, "--end", demoEnd); code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	pages := t.TempDir()
	cases := []struct {
		name string
		args []string
	}{
		{"findings", []string{"findings"}},
		{"obligations", []string{"obligations"}},
		{"assessment", []string{"assessment", "--year", "2025"}},
		{"emergencies", []string{"emergencies"}},
		{"accountability", []string{"accountability"}},
		// The variants with more to lay out: a custody timeline, every obligation listed.
		{"accountability-resource", []string{"accountability", "--resource", "emg-2025-quake-02.affected-persons"}},
		{"obligations-all", []string{"obligations", "--all"}},
	}
	for _, c := range cases {
		for _, lang := range []string{"zh", "en"} {
			t.Run(c.name+"/"+lang, func(t *testing.T) {
				html := runReport(t, append(c.args, "--data", dir, "--format", "html", "--lang", lang)...)
				for _, v := range []browsertest.Viewport{
					{Width: browsertest.A4, Height: 1123},
					{Width: browsertest.A4Text, Height: 1000, Print: true},
				} {
					p, err := b.Open(pages, []byte(html), v)
					if err != nil {
						t.Fatal(err)
					}
					media := "screen"
					if v.Print {
						media = "print"
					}
					over, err := p.Overflow()
					if err != nil {
						t.Fatal(err)
					}
					for _, o := range over {
						t.Errorf("%s at %dpx: %s", media, v.Width, o)
					}
					if !v.Print {
						missing, checked, err := p.Boxes()
						if err != nil {
							t.Fatal(err)
						}
						if checked < 50 {
							t.Errorf("only %d characters checked for boxes", checked)
						}
						for _, m := range missing {
							t.Errorf("drawn as a box: %s", m)
						}
						if *update && !strings.Contains(c.name, "-") {
							png, err := p.Screenshot(screenshotHeight)
							if err != nil {
								t.Fatal(err)
							}
							if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
								t.Fatal(err)
							}
							if err := os.WriteFile(filepath.Join(screenshotDir, c.name+"-"+lang+".png"), png, 0o644); err != nil {
								t.Fatal(err)
							}
						}
					}
					p.Close()
				}
			})
		}
	}

	// The negative test on a real report: where no CJK font is installed, the Chinese
	// report's text is drawn as boxes and the check sees it (so the passes above mean
	// something). The fonts' names alone would not tell: Chromium reports the Latin
	// font that drew the boxes.
	t.Run("no CJK font", func(t *testing.T) {
		latin := browsertest.Start(t, browsertest.Env("FONTCONFIG_FILE="+browsertest.LatinOnly(t)))
		html := runReport(t, "findings", "--data", dir, "--format", "html", "--lang", "zh")
		p, err := latin.Open(pages, []byte(html), browsertest.Viewport{Width: browsertest.A4, Height: 1123})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		missing, _, err := p.Boxes()
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(missing, "\n")
		for _, ch := range "违规发现截至" {
			if !strings.Contains(got, `"`+string(ch)+`"`) {
				t.Errorf("%c of the title not seen as a box; boxes seen: %d", ch, len(missing))
			}
		}
	})
}
