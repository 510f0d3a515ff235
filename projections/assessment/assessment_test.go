package assessment_test

import (
	"fmt"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/assessment"
	"github.com/aba-prefecture/dataledger/projections/internal/entrytest"
)

type m = map[string]any

// year builds a 2025 of two county governments of one county and a prefecture bureau.
func year() *entrytest.Log {
	l := &entrytest.Log{}
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "bureau", "name_zh": "州数据局", "level": "prefecture", "kind": "organ", "data_authority": true})
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "wc-gov", "name_zh": "汶川县政府", "level": "county", "kind": "organ", "county": "wenchuan"})
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "wc-water", "name_zh": "汶川县供水", "level": "county", "kind": "public_service_operator", "county": "wenchuan"})
	l.Add("catalog.entry_registered.v1", "wc-gov", "2025-01-03", m{"resource": "res", "responsible": "wc-gov", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
	// Sharing: one answered on time, one late, one never (D5).
	for i, answered := range []string{"2025-03-05", "2025-03-20", ""} {
		app := fmt.Sprintf("a%d", i)
		l.Add("share.application_submitted.v1", "wc-water", "2025-03-03", m{"application": app, "resource": "res", "provider": "wc-gov"})
		if answered != "" {
			l.Add("share.granted.v1", "wc-gov", answered, m{"application": app, "grant": "g" + app, "purposes": []string{"x"}})
		}
	}
	// Collection: three by the catalog, one outside it (F3).
	for range 3 {
		l.Add("data.collected.v1", "wc-gov", "2025-04-01", m{"resource": "res", "records": 1})
	}
	l.Add("data.collected.v1", "wc-gov", "2025-04-02", m{"resource": "phones", "records": 1})
	// Security duties: wc-water holds everything, wc-gov nothing.
	l.Add("security.training_held.v1", "wc-water", "2025-05-06", m{"held_on": "2025-05-06", "topic": "x", "participants": 9})
	l.Add("security.drill_held.v1", "wc-water", "2025-05-07", m{"plan": "p", "held_on": "2025-05-07", "scenario": "x", "participants": 9})
	l.Add("security.stress_tested.v1", "wc-water", "2025-05-08", m{"system": "s", "passed": true, "result": "x"})
	for d := calendar.MustParse("2025-01-10"); d.Year == 2025; d = d.AddDays(20) {
		l.Add("security.backup_completed.v1", "wc-water", d.String(), m{"system": "s", "location": "x", "verified": true})
	}
	// The F3 is ordered rectified and is.
	l.Add("rectification.ordered.v1", "bureau", "2025-04-10", m{"order": "o1", "institution": "wc-gov", "findings": []string{"F3"}, "items": []int{2}, "deadline": "2025-04-30"})
	l.Add("rectification.completed.v1", "wc-gov", "2025-04-25", m{"order": "o1", "measures": "x"})
	return l
}

func fold(t *testing.T) *assessment.Fold {
	t.Helper()
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := assessment.New(pol, calendar.Default())
	for _, e := range year().Entries {
		if err := a.Apply(e); err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
	}
	return a
}

func measure(t *testing.T, sc assessment.Scorecard, key string) assessment.Measure {
	t.Helper()
	for _, x := range sc.Measures {
		if x.Key == key {
			return x
		}
	}
	t.Fatalf("no measure %s in %+v", key, sc)
	return assessment.Measure{}
}

func TestScorecards(t *testing.T) {
	a := fold(t)
	asOf := calendar.MustParse("2026-01-01")
	by := map[string]assessment.Scorecard{}
	for _, sc := range a.Institutions(2025, asOf) {
		by[sc.ID] = sc
	}
	r := func(x *float64) string {
		if x == nil {
			return "nil"
		}
		return fmt.Sprintf("%.2f", *x)
	}
	cases := []struct {
		inst, key                          string
		total, onTime, late, missed, finds int
		ratio                              string
	}{
		{"wc-gov", "sharing", 3, 1, 1, 1, 2, "0.33"},    // two F9 (late, never)
		{"wc-gov", "collection", 4, 3, 0, 1, 1, "0.75"}, // the act with a finding counts as missed
		{"wc-gov", "security_duties", 0, 0, 0, 0, 1, "0.00"},
		{"wc-water", "security_duties", 21, 0, 0, 0, 0, "1.00"},     // 3 duties and 18 backups
		{"wc-gov", "findings_rectification", 4, 1, 0, 0, 4, "1.00"}, // F3 rectified; two F9 and F16 open
		{"wc-water", "sharing", 0, 0, 0, 0, 0, "nil"},
		{"bureau", "catalog", 0, 0, 0, 0, 0, "nil"},
	}
	for _, c := range cases {
		x := measure(t, by[c.inst], c.key)
		if x.Total != c.total || x.OnTime != c.onTime || x.Late != c.late || x.Missed != c.missed || x.Findings != c.finds || r(x.Ratio) != c.ratio {
			t.Errorf("%s %s: %+v ratio %s; want total %d on time %d late %d missed %d findings %d ratio %s",
				c.inst, c.key, x, r(x.Ratio), c.total, c.onTime, c.late, c.missed, c.finds, c.ratio)
		}
		if x.LabelZH == "" || x.LabelEN == "" {
			t.Errorf("%s unlabelled", c.key)
		}
	}

	cs := a.Counties(2025, asOf)
	if len(cs) != 2 || cs[0].ID != assessment.Prefecture || cs[1].ID != "wenchuan" {
		t.Fatalf("counties %+v", cs)
	}
	wc := cs[1]
	if x := measure(t, wc, "security_duties"); r(x.Ratio) != "0.50" {
		t.Errorf("county duties ratio %s, want 0.50 (one of two institutions)", r(x.Ratio))
	}
	if x := measure(t, wc, "sharing"); x.Total != 3 || r(x.Ratio) != "0.33" {
		t.Errorf("county sharing %+v", x)
	}
}

func TestDefinitionsAreBilingual(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range assessment.Definitions {
		if d.LabelZH == "" || d.LabelEN == "" || d.MeaningZH == "" || d.MeaningEN == "" || len(d.Articles) == 0 || seen[d.Key] {
			t.Errorf("definition %+v", d)
		}
		seen[d.Key] = true
		if d.Kind == assessment.ByDeadline && len(d.Deadlines) == 0 || d.Kind == assessment.ByActs && len(d.Acts) == 0 {
			t.Errorf("%s counts nothing", d.Key)
		}
	}
}

func ExampleFold_Counties() {
	pol, _ := policy.Default()
	a := assessment.New(pol, calendar.Default())
	for _, e := range year().Entries {
		_ = a.Apply(e)
	}
	for _, c := range a.Counties(2025, calendar.MustParse("2026-01-01")) {
		for _, x := range c.Measures {
			if x.Key == "sharing" && x.Ratio != nil {
				fmt.Printf("%s %s / %s: %d of %d on time (%.0f%%)\n", c.ID, x.LabelZH, x.LabelEN, x.OnTime, x.Total, *x.Ratio*100)
			}
		}
	}
	// Output: wenchuan 共享响应时效 / sharing response time: 1 of 3 on time (33%)
}
