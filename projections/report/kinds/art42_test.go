package kinds_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/internal/acttest"
	"github.com/aba-prefecture/dataledger/ledger"
)

// art42World: a county holds two open resources; on 2025-11-10 the authority suspends
// party org-7's access to one of them (narrowed: resources [jzg.tourist-flow]) and
// restores it on 2025-11-20.
func art42World(t *testing.T) *acttest.World {
	w := acttest.New(t, acttest.Bolt, acttest.Day("2025-11-03"))
	w.Enrol(acttest.Authority, true)
	w.Enrol("jzg", false)
	for _, r := range []string{"jzg.tourist-flow", "jzg.scenic-spots"} {
		w.Must(w.Act("jzg", "catalog.entry_registered.v1", w.Now(), m{"resource": r, "title_zh": r, "classification": "tourism",
			"responsible": "jzg", "formats": []string{"csv"}, "items": []m{{"name": "日期", "format": "date"}}, "update_period": "daily",
			"sharing": m{"attribute": "unconditional", "method": "api"}, "usage_requirements": "注明来源",
			"opening": m{"attribute": "unconditional"}, "system": "sys.tour"}))
	}
	w.At("2025-11-10")
	w.Must(w.Act(acttest.Authority, "access.suspended.v1", w.Now(), m{"suspension": "sus-2025-001", "party": "org-7", "party_kind": "legal_person",
		"ground": "no_security_measures", "resources": []string{"jzg.tourist-flow"}, "reason": "未采取安全保障措施", "correction": "完成整改"}))
	return w
}

func obtain(w *acttest.World, resource, day string) error {
	return w.Act("jzg", "opening.data_obtained.v1", acttest.Day(day), m{"resource": resource, "party": "org-7", "party_kind": "legal_person", "records": 100})
}

func refused(t *testing.T, err error) {
	t.Helper()
	var p *ledger.Problem
	if !errors.As(err, &p) || p.Code != "access_suspended" {
		t.Fatalf("want access_suspended, got %v", err)
	}
}

// TestArt42AttemptsBeforeDuringAndAfterASuspension (第四十二条), each recorded late:
//   - dated before the suspension (11-05), recorded during it (11-12): it counts on 11-11
//     (recorded day less the grace), inside the suspension: refused;
//   - dated during it (11-13), recorded after the restoration (11-25): its own day is
//     inside the suspension: refused, though the party is free when it is recorded;
//   - dated after the restoration (11-21), recorded 11-28: admitted (a late record, F19);
//   - on the resource the suspension does not name, during it: admitted.
//
// Each refusal is recorded with the day the attempt claims; F18 is held against the
// party, not the institution that refused it, and stays out of that institution's
// assessment; the institution's late recording is F19; the narrowing is in the note.
func TestArt42AttemptsBeforeDuringAndAfterASuspension(t *testing.T) {
	w := art42World(t)
	w.At("2025-11-12")
	refused(t, obtain(w, "jzg.tourist-flow", "2025-11-05"))
	w.Must(obtain(w, "jzg.scenic-spots", "2025-11-12")) // not a resource the suspension names
	w.At("2025-11-20")
	w.Must(w.Act(acttest.Authority, "access.restored.v1", w.Now(), m{"suspension": "sus-2025-001", "party": "org-7", "reason": "已改正"}))
	w.At("2025-11-25")
	refused(t, obtain(w, "jzg.tourist-flow", "2025-11-13"))
	w.At("2025-11-28")
	w.Must(obtain(w, "jzg.tourist-flow", "2025-11-21"))

	r := build(t, w.Store, "findings", "2025-12-31")
	var f18, f19 []map[string][2]string
	for _, f := range rows(t, r, "findings") {
		switch f["rule"][0] {
		case "F18":
			f18 = append(f18, f)
		case "F19":
			f19 = append(f19, f)
		default:
			t.Errorf("unexpected %v", f)
		}
	}
	if len(f18) != 2 {
		t.Fatalf("F18: %v", f18)
	}
	for _, f := range f18 {
		if f["institution"][0] != "org-7" || f["responsible_person"][0] != "—" || !strings.Contains(f["note"][0], "only the resources jzg.tourist-flow") ||
			!strings.Contains(f["note"][0], "refused and recorded by jzg") {
			t.Errorf("F18 %v", f)
		}
	}
	// The refusals carry the days the attempts claim, bounded as late records.
	if !strings.Contains(f18[0]["record_days"][0], "claimed 2025-11-05, recorded 2025-11-12") || f18[0]["arose"][0] != "2025-11-11" ||
		!strings.Contains(f18[1]["record_days"][0], "claimed 2025-11-13, recorded 2025-11-25") {
		t.Errorf("F18 days: %v / %v", f18[0]["record_days"], f18[1]["record_days"])
	}
	if len(f19) != 3 {
		t.Errorf("F19 (three late records by jzg): %v", f19)
	}
	for _, f := range f19 {
		if f["institution"][0] != "jzg" {
			t.Errorf("F19 %v", f)
		}
	}
	for _, row := range rows(t, r, "by_institution") {
		if row["institution"][0] == "jzg" && row["total"][0] != "3" {
			t.Errorf("jzg is held to %s findings; only its own three late records are its", row["total"][0])
		}
	}
	// The assessment: F18 is not in jzg's scorecard.
	for _, row := range rows(t, build(t, w.Store, "assessment", "2025-12-31"), "institutions") {
		if row["institution"][0] == "jzg" && !strings.Contains(row["findings_rectification"][0], "3 findings") {
			t.Errorf("jzg's findings and rectification: %v", row["findings_rectification"])
		}
	}
}
