package report

import (
	"slices"
	"strings"
	"testing"
)

// wrap breaks where Unicode allows (between words, between CJK characters, after a
// hyphen), never makes a line wider than asked, and loses nothing; fold cuts what is
// past its last line with an ellipsis, without spaces where a line broke inside a word.
func TestWrapAndFold(t *testing.T) {
	for _, c := range []struct {
		in string
		w  int
	}{
		{"阿坝州卫生健康委员会; aba-health-commission; 第一责任人 wjw-liu.yang", 12},
		{"catalog not updated or not reported in time; Art. 41(1), Art. 16", 10},
		{"emg-2026-quake-02.affected-persons", 7},
		{"逾期未整改，已移送", 5},
		{"x", 1},
		{"宽", 1},
	} {
		lines := wrap(c.in, c.w)
		for _, l := range lines {
			if width(l) > max(c.w, 2) {
				t.Errorf("wrap(%q, %d): line %q is %d wide", c.in, c.w, l, width(l))
			}
		}
		squeeze := func(s string) string { return strings.ReplaceAll(s, " ", "") }
		if got := squeeze(strings.Join(lines, "")); got != squeeze(c.in) {
			t.Errorf("wrap(%q, %d) lost text: %q", c.in, c.w, lines)
		}
	}
	got := fold("阿坝州民政局; aba-civil-affairs; 第一责任人 mzj-zhou.ping; 行为人 mzj-yang.ming", 20, 2)
	if len(got) != 2 || !strings.HasSuffix(got[1], ellipsis) || width(got[1]) > 20 || strings.Contains(got[1], "- ") {
		t.Errorf("fold: %q", got)
	}
	if got := truncate("逾期未整改，已移送", 7); got != "逾期未…" {
		t.Errorf("truncate: %q", got)
	}
}

func TestNatural(t *testing.T) {
	in := []string{"D10", "D2", "F17", "F9", "D1", "all", "D02"}
	slices.SortStableFunc(in, natural)
	if got := strings.Join(in, " "); got != "D1 D2 D02 D10 F9 F17 all" {
		t.Errorf("natural order: %s", got)
	}
}
