package obligations_test

import (
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/obligations"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// TestReport: share applications answered on time, late and never (D5), a correction
// whose deadline was extended (D3), and a data-subject request on a day no policy covers
// (D12): the report still builds, shows the undetermined one with its reason and no due
// day, keeps the problem as a note, and sums per deadline.
func TestReport(t *testing.T) {
	l := base()
	onTime := l.Add("share.application_submitted.v1", "police", "2025-03-03", m{"application": "a1", "resource": "vac", "provider": "health"})
	met := l.Add("share.granted.v1", "health", "2025-03-05", m{"application": "a1", "grant": "g1", "purposes": []string{"x"}})
	l.Add("share.application_submitted.v1", "police", "2025-03-03", m{"application": "a2", "resource": "vac", "provider": "health"})
	l.Add("share.granted.v1", "health", "2025-03-20", m{"application": "a2", "grant": "g2", "purposes": []string{"x"}})
	never := l.Add("share.application_submitted.v1", "police", "2025-03-03", m{"application": "a3", "resource": "vac", "provider": "health"})
	l.Add("correction.requested.v1", "health", "2026-02-13", m{"request": "r1", "resource": "vac", "party": "np-1", "party_kind": "natural_person"})
	l.Add("correction.extended.v1", "health", "2026-02-25", m{"request": "r1", "approved_by": "p-head", "reason": "x"})
	l.Add("subject_request.received.v1", "health", "2024-06-03", m{"request": "s1", "kind": "access", "party": "np-1", "party_kind": "natural_person"})

	opts := report.Options{AsOf: calendar.MustParse("2026-03-02"), Policy: must(policy.Default()), Calendar: calendar.Default()}
	b, err := obligations.Kind.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Entries {
		b.Apply(e) // the 2024 request's error must not stop the fold
	}
	r, err := b.Report(opts)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := foldtest.Rows(r, report.EN)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]map[string]string{}
	for _, row := range rows["obligations"] {
		by[row["subject"]] = row
	}
	for subject, want := range map[string]map[string]string{
		"a1": {"deadline": "D5", "state_code": "met_on_time", "trigger_seq": seq(onTime.Seq), "trigger_day": "2025-03-03", "due": "2025-03-12",
			"met_seq": seq(met.Seq), "met_day": "2025-03-05", "late_workdays": "", "articles": "Art. 25", "institution": "health", "institution_name": "州卫健委", "policy": "aba-2024-trial"},
		"a2": {"state_code": "met_late", "late_workdays": "6", "met_day": "2025-03-20"},
		"a3": {"state_code": "missed", "trigger_seq": seq(never.Seq), "met_seq": "—", "met_day": "—"},
		"r1": {"deadline": "D3", "state_code": "open", "due": "2026-03-05 (extended)"},
		"s1": {"deadline": "D12", "state_code": "undetermined", "due": "—", "policy": ""},
	} {
		row := by[subject]
		for k, v := range want {
			if row[k] != v {
				t.Errorf("%s: %s = %q, want %q (row %v)", subject, k, row[k], v, row)
			}
		}
	}
	if n := by["s1"]["note"]; !strings.Contains(n, "not guessed") || !strings.Contains(n, "policy") {
		t.Errorf("undetermined note %q", n)
	}
	if len(r.Notes) < 2 || !strings.Contains(r.Notes[0].EN, "could not be judged") {
		t.Errorf("report notes %v", r.Notes)
	}
	sum := map[string]map[string]string{}
	for _, row := range rows["summary"] {
		sum[row["deadline"]] = row
	}
	if d5 := sum["D5"]; d5["met_on_time"] != "1" || d5["met_late"] != "1" || d5["missed"] != "1" || d5["total"] != "3" {
		t.Errorf("D5 summary %v", d5)
	}
	if sum["D12"]["undetermined"] != "1" || rows["summary"][0]["deadline"] != "D3" {
		t.Errorf("summary %v", rows["summary"])
	}
}

func seq(s uint64) string { return report.Seqs(s) }
