package kinds_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/internal/acttest"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
)

type m = map[string]any

// rows returns a section's rows as maps from column key to (English text, code).
func rows(t *testing.T, r *report.Report, section string) []map[string][2]string {
	t.Helper()
	for _, s := range r.Sections {
		if s.Key != section {
			continue
		}
		var out []map[string][2]string
		for _, row := range s.Rows {
			x := map[string][2]string{}
			for i, c := range row {
				x[s.Columns[i].Key] = [2]string{c.Text.EN, c.Code}
			}
			out = append(out, x)
		}
		return out
	}
	t.Fatalf("no section %s", section)
	return nil
}

func build(t *testing.T, st ledger.Store, kind, asOf string) *report.Report {
	t.Helper()
	k, err := kinds.Default().Lookup(kind)
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := policy.Default()
	r, err := report.Build(context.Background(), st, k, report.Options{AsOf: calendar.MustParse(asOf), Policy: pol, Calendar: calendar.Default(), Year: calendar.MustParse(asOf).Year})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// shareWorld is a provider holding a conditionally shared resource and an applicant
// whose application the provider received on 2025-11-18 (D5: 7 working days, due
// 2025-11-27).
func shareWorld(t *testing.T, b acttest.Backend) *acttest.World {
	w := acttest.New(t, b, acttest.Day("2025-11-17"))
	w.Enrol(acttest.Authority, true)
	w.Enrol("provider", false)
	w.Enrol("applicant", false)
	w.Must(w.Act("provider", "catalog.entry_registered.v1", w.Now(), m{"resource": "tax.records", "title_zh": "纳税记录", "classification": "tax",
		"responsible": "provider", "formats": []string{"json"}, "items": []m{{"name": "税号", "format": "string"}}, "update_period": "daily",
		"sharing":            m{"attribute": "conditional", "method": "api", "reason": "含商业信息", "conditions": "仅用于核验"},
		"usage_requirements": "仅限授权用途", "opening": m{"attribute": "none", "reason": "含商业秘密"}, "system": "sys.tax"}))
	w.At("2025-11-18")
	w.Must(w.Act("applicant", "share.application_submitted.v1", w.Now(), m{"application": "shr-1", "resource": "tax.records", "provider": "provider",
		"purposes": []string{"低保核验"}, "duty": "社会救助"}))
	return w
}

// TestBackDatedCompletionIsALateRecord: the provider answers on 2025-12-08, eleven
// days after the deadline, and signs the grant as if on 2025-11-20. Judged on its claim
// the deadline was met and no finding arose; judged as a late record (recorded day less
// one working day: 2025-12-05) D5 was met late, F9 is raised, and the late record is
// reported itself (F19, 第三十七条第(六)项), on the embedded store and on PostgreSQL.
func TestBackDatedCompletionIsALateRecord(t *testing.T) {
	for _, b := range acttest.Backends {
		t.Run(string(b), func(t *testing.T) {
			w := shareWorld(t, b)
			w.At("2025-12-08")
			w.Must(w.Act("provider", "share.granted.v1", acttest.Day("2025-11-20"), m{"application": "shr-1", "grant": "g-1",
				"purposes": []string{"低保核验"}, "conditions": "仅接口核验", "valid_until": "2026-12-31"}))

			obs := rows(t, build(t, w.Store, "obligations", "2025-12-31"), "obligations")
			if len(obs) != 1 || obs[0]["state"][1] != "met_late" || obs[0]["met_day"][0] != "2025-12-05" ||
				!strings.Contains(obs[0]["record_days"][0], "claimed 2025-11-20, recorded 2025-12-08 (late record") {
				t.Fatalf("D5: %v", obs)
			}
			got := map[string]map[string][2]string{}
			for _, f := range rows(t, build(t, w.Store, "findings", "2025-12-31"), "findings") {
				got[f["rule"][0]] = f
			}
			if f, ok := got["F9"]; !ok || f["institution"][0] != "provider" || !strings.Contains(f["record_days"][0], "late record") {
				t.Errorf("F9: %v", got)
			}
			if f, ok := got["F19"]; !ok || f["institution"][0] != "provider" || !strings.Contains(f["citation"][0], "Art. 37(6)") ||
				!strings.Contains(f["note"][0], "claims 2025-11-20 but was recorded on 2025-12-08") {
				t.Errorf("F19: %v", got)
			}
			if len(got) != 2 {
				t.Errorf("findings %v, want F9 and F19", got)
			}
			// The same grant recorded within the grace (the next working day) is on time.
			w2 := shareWorld(t, b)
			w2.At("2025-11-21")
			w2.Must(w2.Act("provider", "share.granted.v1", acttest.Day("2025-11-20"), m{"application": "shr-1", "grant": "g-1",
				"purposes": []string{"低保核验"}, "conditions": "仅接口核验", "valid_until": "2026-12-31"}))
			if obs := rows(t, build(t, w2.Store, "obligations", "2025-12-31"), "obligations"); obs[0]["state"][1] != "met_on_time" || obs[0]["record_days"][0] != "—" {
				t.Errorf("within the grace: %v", obs)
			}
			if fs := rows(t, build(t, w2.Store, "findings", "2025-12-31"), "findings"); len(fs) != 0 {
				t.Errorf("within the grace: findings %v", fs)
			}
		})
	}
}

// TestImpossibleClaimsRefused: a claim before the sanity floor (year 0001) is refused
// whatever is declared, and one before the policy's claims_from without a migration
// declaration; each with a 400-class problem naming occurred_at, and nothing written.
func TestImpossibleClaimsRefused(t *testing.T) {
	w := shareWorld(t, acttest.Bolt)
	h, _ := w.Store.Head(context.Background())
	for _, c := range []struct {
		day, code string
	}{{"0001-01-01", "occurred_before_floor"}, {"1999-12-31", "occurred_before_floor"}, {"2024-06-01", "occurred_too_early"}} {
		err := w.Act("provider", "data.quality_checked.v1", acttest.Day(c.day), m{"resource": "tax.records", "errors_found": 1, "corrected": 1})
		var p *ledger.Problem
		if !errors.As(err, &p) || p.Code != c.code || p.Field != "submission.occurred_at" || !errors.Is(err, ledger.ErrInvalid) || p.MessageZH == "" {
			t.Errorf("claiming %s: %v, want %s", c.day, err, c.code)
		}
	}
	if h2, _ := w.Store.Head(context.Background()); h2.Size != h.Size {
		t.Errorf("refused claims wrote %d entries", h2.Size-h.Size)
	}
}

// TestMigrationDeclaredVersusUndeclared: the authority declares that the provider's
// records of 2024-06-01..2025-12-05 are migrated between 2025-12-08 and 2025-12-18. The
// provider's grant signed as of 2025-11-20 and recorded in the window counts on its
// claimed day, shown migrated (no F9, no F19); a record claiming 2024 (before
// claims_from) is admitted for the provider and refused for the applicant, which the
// declaration does not name; after the window closes the provider's records are late again.
func TestMigrationDeclaredVersusUndeclared(t *testing.T) {
	for _, b := range acttest.Backends {
		t.Run(string(b), func(t *testing.T) {
			w := shareWorld(t, b)
			w.At("2025-12-08")
			decl := m{"migration": "mig-2025-01", "institutions": []string{"provider"}, "claimed_from": "2024-06-01", "claimed_until": "2025-12-05",
				"window_from": w.Now().Format("2006-01-02T15:04:05Z07:00"), "window_until": acttest.Day("2025-12-18").Format("2006-01-02T15:04:05Z07:00"),
				"source": "原共享交换系统", "reason": "原系统停用，补录历史办理记录"}
			if err := w.Act("provider", "migration.declared.v1", w.Now(), decl); err == nil {
				t.Fatal("an institution declared its own migration")
			}
			w.Must(w.Act(acttest.Authority, "migration.declared.v1", w.Now(), decl))
			w.Must(w.Act("provider", "share.granted.v1", acttest.Day("2025-11-20"), m{"application": "shr-1", "grant": "g-1",
				"purposes": []string{"低保核验"}, "conditions": "仅接口核验", "valid_until": "2026-12-31"}))
			w.Must(w.Act("provider", "data.quality_checked.v1", acttest.Day("2024-07-01"), m{"resource": "tax.records", "errors_found": 1, "corrected": 1}))
			if err := w.Act("applicant", "data.quality_checked.v1", acttest.Day("2024-07-01"), m{"resource": "tax.records", "errors_found": 1, "corrected": 1}); err == nil ||
				!strings.Contains(err.Error(), "occurred_too_early") {
				t.Errorf("an undeclared institution's 2024 record: %v", err)
			}
			obs := rows(t, build(t, w.Store, "obligations", "2025-12-31"), "obligations")
			if len(obs) != 1 || obs[0]["state"][1] != "met_on_time" || obs[0]["met_day"][0] != "2025-11-20" ||
				!strings.Contains(obs[0]["record_days"][0], "(migrated, mig-2025-01)") {
				t.Fatalf("D5 under the migration: %v", obs)
			}
			if fs := rows(t, build(t, w.Store, "findings", "2025-12-31"), "findings"); len(fs) != 0 {
				t.Errorf("findings under the migration: %v", fs)
			}
			// After the window: the same back-dating is a late record again.
			w.At("2025-12-19")
			w.Must(w.Act("applicant", "share.application_submitted.v1", w.Now(), m{"application": "shr-2", "resource": "tax.records", "provider": "provider",
				"purposes": []string{"低保核验"}, "duty": "社会救助"}))
			w.At("2026-01-12")
			w.Must(w.Act("provider", "share.refused.v1", acttest.Day("2025-12-22"), m{"application": "shr-2", "reason": "用途不符"}))
			var late bool
			for _, f := range rows(t, build(t, w.Store, "findings", "2026-01-31"), "findings") {
				late = late || f["rule"][0] == "F19" && f["institution"][0] == "provider"
			}
			if !late {
				t.Error("a back-dated record after the window is not a late record")
			}
		})
	}
}
