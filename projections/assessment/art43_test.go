package assessment_test

import (
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/assessment"
)

// TestArt43AssessmentJudgesOnlyWhatWasOwed (第四十三条): an institution registered in
// November 2025 is judged for 2025 from its registration (its duties from that day);
// one registered in 2026 is "not judged" for 2025 (not "done"), and its county's sums
// leave it out.
func TestArt43AssessmentJudgesOnlyWhatWasOwed(t *testing.T) {
	l := year()
	l.Add("institution.registered.v1", "bureau", "2025-11-20", m{"institution": "mid", "name_zh": "州新设机构", "level": "prefecture", "kind": "organ"})
	l.Add("security.training_held.v1", "mid", "2025-11-25", m{"held_on": "2025-11-25", "topic": "x", "participants": 9})
	l.Add("security.drill_held.v1", "mid", "2025-11-26", m{"plan": "p", "held_on": "2025-11-26", "scenario": "x", "participants": 9})
	l.Add("security.stress_tested.v1", "mid", "2025-11-27", m{"system": "s", "passed": true, "result": "x"})
	l.Add("security.backup_completed.v1", "mid", "2025-12-10", m{"system": "s", "location": "x", "verified": true})
	l.Add("institution.registered.v1", "bureau", "2026-03-02", m{"institution": "later", "name_zh": "汶川县新设机构", "level": "county", "kind": "organ", "county": "wenchuan"})
	pol, _ := policy.Default()
	a := assessment.New(pol, calendar.Default())
	for _, e := range l.Entries {
		if err := a.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	asOf := calendar.MustParse("2026-03-31")
	byID := map[string]assessment.Scorecard{}
	for _, sc := range a.Institutions(2025, asOf) {
		byID[sc.ID] = sc
	}
	duty := func(sc assessment.Scorecard) *float64 {
		for _, m := range sc.Measures {
			if m.Key == "security_duties" {
				return m.Ratio
			}
		}
		return nil
	}
	if sc := byID["later"]; sc.Judged || duty(sc) != nil || sc.Registered.String() != "2026-03-02" {
		t.Errorf("registered in 2026, judged for 2025: %+v", sc)
	}
	if sc := byID["mid"]; !sc.Judged || duty(sc) == nil || *duty(sc) != 1 {
		t.Errorf("registered in November, its duties done from then: %+v", sc)
	}
	for _, c := range a.Counties(2025, asOf) {
		if c.ID == "wenchuan" {
			if r := duty(c); r == nil || *r != 0.5 {
				t.Errorf("wenchuan's security duties: %v, want 50%% of its two institutions judged (the later one left out)", r)
			}
		}
	}
	// For 2026 the later institution is judged.
	for _, sc := range a.Institutions(2026, asOf) {
		if sc.ID == "later" && !sc.Judged {
			t.Errorf("2026: %+v", sc)
		}
	}
}
