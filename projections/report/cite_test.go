package report_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/projections/report"
)

func TestCites(t *testing.T) {
	for _, c := range []struct {
		in     []string
		zh, en string
	}{
		{[]string{"第四十一条第(二)项", "第十七条"}, "第四十一条第(二)项、第十七条", "Art. 41(2), Art. 17"},
		{[]string{"第十四条第二款"}, "第十四条第二款", "Art. 14 para 2"},
		{[]string{"第一百零二条", "《数据安全法》"}, "第一百零二条、《数据安全法》", "Art. 102, 《数据安全法》"},
		{nil, "", ""},
	} {
		if got := report.Cites(c.in); got.ZH != c.zh || got.EN != c.en {
			t.Errorf("Cites(%v) = %+v, want %s / %s", c.in, got, c.zh, c.en)
		}
	}
}

func TestCellHelpers(t *testing.T) {
	if got := report.Seqs(3, 40, 41); got != "3, 40, 41" {
		t.Errorf("Seqs %q", got)
	}
	if report.Day(calendar.Date{}) != "—" || report.Day(calendar.MustParse("2025-10-09")) != "2025-10-09" {
		t.Error("Day")
	}
	if report.Dash("") != "—" || report.Dash("x") != "x" {
		t.Error("Dash")
	}
	if n := report.Name("", ""); n.EN != "(not registered)" || n.ZH == "" {
		t.Errorf("Name %+v", n)
	}
}

// Problems keeps the first problem and counts them all; nil is no problem.
func TestProblems(t *testing.T) {
	var p report.Problems
	p.Keep(nil)
	if p.Notes() != nil {
		t.Fatal("a note without a problem")
	}
	p.Keep(errors.New("D12 for s1 (seq 7): no policy version"))
	p.Keep(nil)
	p.Keep(errors.New("D5 for a1 (seq 9): no calendar data"))
	n := p.Notes()
	if len(n) != 1 || !strings.HasPrefix(n[0].EN, "2 item(s)") || !strings.Contains(n[0].EN, "seq 7") || strings.Contains(n[0].EN, "seq 9") || !strings.Contains(n[0].ZH, "seq 7") {
		t.Errorf("notes %+v", n)
	}
}

func ExampleCites() {
	c := report.Cites([]string{"第四十一条第(二)项", "第十七条"})
	fmt.Println(c.In(report.ZH))
	fmt.Println(c.In(report.EN))
	// Output:
	// 第四十一条第(二)项、第十七条
	// Art. 41(2), Art. 17
}
