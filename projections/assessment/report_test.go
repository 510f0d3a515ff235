package assessment_test

import (
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/assessment"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
)

func buildReport(t *testing.T, o report.Options) *report.Report {
	t.Helper()
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	o.Policy, o.Calendar = pol, calendar.Default()
	b, err := assessment.ReportKind.New(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range year().Entries {
		b.Apply(e)
	}
	r, err := b.Report(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReport: each measure is a column of the institution and county rows, written as
// numerator/denominator (percent) with the findings counted; the ratio is the cell's
// code; the measures section explains every measure with its articles.
func TestReport(t *testing.T) {
	r := buildReport(t, report.Options{AsOf: calendar.MustParse("2026-01-01"), Year: 2025})
	if !strings.Contains(r.Title.EN, "2025") || !strings.Contains(r.Title.ZH, "2025 年度") {
		t.Errorf("title %+v", r.Title)
	}
	rows, err := foldtest.Rows(r, report.EN)
	if err != nil {
		t.Fatal(err)
	}
	inst := map[string]map[string]string{}
	for _, row := range rows["institutions"] {
		inst[row["institution"]] = row
	}
	for _, c := range []struct{ inst, key, text, code string }{
		{"wc-gov", "sharing", "1/3 (33%), 2 findings", "0.3333"},
		{"wc-gov", "collection", "3/4 (75%), 1 finding", "0.7500"},
		{"wc-gov", "security_duties", "not done, 1 finding", "0.0000"},
		{"wc-water", "security_duties", "done", "1.0000"},
		{"wc-gov", "findings_rectification", "1/1 (100%), 4 findings", "1.0000"},
		{"wc-water", "sharing", "—", ""},
	} {
		if got := inst[c.inst][c.key]; got != c.text || inst[c.inst][c.key+"_code"] != c.code {
			t.Errorf("%s %s: %q (code %q), want %q (%q)", c.inst, c.key, got, inst[c.inst][c.key+"_code"], c.text, c.code)
		}
	}
	if inst["wc-gov"]["county"] != "wenchuan" || inst["bureau"]["county"] != assessment.Prefecture {
		t.Errorf("counties of institutions: %v", rows["institutions"])
	}
	county := map[string]map[string]string{}
	for _, row := range rows["counties"] {
		county[row["county"]] = row
	}
	if wc := county["wenchuan"]; wc["security_duties"] != "50% done, 1 finding" || wc["sharing"] != "1/3 (33%), 2 findings" {
		t.Errorf("wenchuan %v", wc)
	}
	if county[assessment.Prefecture]["name"] != "prefecture level" {
		t.Errorf("prefecture row %v", county[assessment.Prefecture])
	}
	if len(rows["measures"]) != len(assessment.Definitions) {
		t.Fatalf("%d measures explained", len(rows["measures"]))
	}
	for _, row := range rows["measures"] {
		if row["meaning"] == "" || !strings.HasPrefix(row["articles"], "Art. ") || row["scored"] == "" {
			t.Errorf("measure %v", row)
		}
	}
	zh, err := foldtest.Rows(r, report.ZH)
	if err != nil {
		t.Fatal(err)
	}
	if a := zh["measures"][0]["articles"]; a != "第十六条" {
		t.Errorf("zh articles %q", a)
	}
}

// TestReportYear: without a year the as-of day's year is scored (here 2026: nothing
// happened, so nothing is judged, and the year's duties wait for the year's end).
func TestReportYear(t *testing.T) {
	r := buildReport(t, report.Options{AsOf: calendar.MustParse("2026-01-01")})
	if !strings.Contains(r.Title.EN, "2026") {
		t.Errorf("title %q", r.Title.EN)
	}
	rows, err := foldtest.Rows(r, report.EN)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows["institutions"] {
		if row["sharing"] != "—" || row["security_duties"] != "year not ended" || row["security_duties_code"] != "" {
			t.Errorf("2026 of %s: sharing %q, duties %q", row["institution"], row["sharing"], row["security_duties"])
		}
	}
}
