package findings_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// TestReport: a collection outside the catalog (F3) ordered rectified and never
// rectified is escalated once the order's time limit has passed, and the missed order is
// itself F17; a use outside the grant (F10) stays open. The rows carry the citation in
// both languages, the institution's name and first responsible person, the acting person
// and the evidence seqs; the summary counts per rule and state.
func TestReport(t *testing.T) {
	l := base()
	f3 := l.Add("data.collected.v1", "health", "2025-03-03", m{"resource": "phones", "records": 5, "purpose": "x", "legal_basis": "x"})
	order := l.Add("rectification.ordered.v1", "bureau", "2025-03-10", m{"order": "o1", "institution": "health", "findings": []string{"F3"}, "items": []int{2}, "deadline": "2025-03-20"})
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		asOf, f3State, f17 string
	}{
		{"2025-03-05", "open", ""},
		{"2025-03-12", "rectification_ordered", ""},
		{"2025-04-01", "escalated", "escalated"},
	} {
		t.Run(tc.asOf, func(t *testing.T) {
			opts := report.Options{AsOf: calendar.MustParse(tc.asOf), Policy: pol, Calendar: calendar.Default()}
			b, err := findings.Kind.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range l.Entries {
				b.Apply(e)
			}
			r, err := b.Report(opts)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := foldtest.Rows(r, report.EN)
			if err != nil {
				t.Fatal(err)
			}
			byRule := map[string]map[string]string{}
			for _, row := range rows["findings"] {
				byRule[row["rule"]] = row
			}
			x := byRule["F3"]
			if x["state_code"] != tc.f3State || x["citation"] != "Art. 41(2), Art. 17" || x["institution"] != "health" ||
				x["institution_name"] != "Health Commission" || x["responsible_person"] != "head-health" || x["acting_person"] != "p-health" ||
				x["subject"] != "phones" || x["arose"] != "2025-03-03" || x["evidence"] != seq(f3.Seq) || x["policy"] != "aba-2024-trial" {
				t.Errorf("F3 row %v", x)
			}
			if tc.f3State != "open" && !strings.Contains(x["rectification"], "o1 (seq "+seq(order.Seq)) {
				t.Errorf("F3 rectification %q", x["rectification"])
			}
			if got := byRule["F17"]["state_code"]; got != tc.f17 {
				t.Errorf("F17 state %q, want %q", got, tc.f17)
			}
			sum := map[string]map[string]string{}
			for _, row := range rows["summary"] {
				sum[row["rule"]] = row
			}
			if sum["F3"][tc.f3State] != "1" || sum["F3"]["total"] != "1" || sum["all"]["total"] != map[string]string{"": "1", "escalated": "2"}[tc.f17] {
				t.Errorf("summary %v", rows["summary"])
			}
			zh, err := foldtest.Rows(r, report.ZH)
			if err != nil {
				t.Fatal(err)
			}
			if c := zh["findings"][0]["citation"]; c != "第四十一条第(二)项、第十七条" {
				t.Errorf("zh citation %q", c)
			}
		})
	}
}

// TestReportNoFindings: a clean ledger gives an empty list, a zero summary and a note
// saying nothing was raised.
func TestReportNoFindings(t *testing.T) {
	pol, _ := policy.Default()
	opts := report.Options{AsOf: calendar.MustParse("2025-06-30"), Policy: pol, Calendar: calendar.Default()}
	b, err := findings.Kind.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range base().Entries {
		b.Apply(e)
	}
	r, err := b.Report(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sections[0].Rows) != 0 || len(r.Sections[0].Notes) < 2 || len(r.Sections[1].Rows) != 1 {
		t.Errorf("sections %+v", r.Sections)
	}
}

func seq(s uint64) string { return report.Seqs(s) }

// The findings kind as `ledgerctl report findings` builds it: folded entry by entry,
// then rendered in any format and language.
func ExampleKind() {
	pol, _ := policy.Default()
	opts := report.Options{AsOf: calendar.MustParse("2025-10-10"), Policy: pol, Calendar: calendar.Default()}
	b, _ := findings.Kind.New(opts)
	l := base()
	l.Add("data.exported.v1", "civil", "2025-10-09", m{"resource": "members", "records": 1320, "reason": "报送上级部门", "destination": "U盘", "format": "xlsx"})
	for _, e := range l.Entries {
		b.Apply(e)
	}
	r, _ := b.Report(opts)
	list := r.Sections[0]
	for i, c := range list.Columns {
		switch c.Key {
		case "rule", "citation", "institution_name", "state", "evidence":
			fmt.Printf("%s: %s\n", c.Label.In(report.EN), list.Rows[0][i].Text.In(report.EN))
		}
	}
	// Output:
	// rule: F12
	// articles: Art. 41(9), Art. 37(5)
	// institution name: Civil Affairs
	// state: open
	// evidence (seq): 11
}
