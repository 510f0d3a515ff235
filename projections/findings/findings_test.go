package findings_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/internal/entrytest"
)

type m = map[string]any

// base registers the authority and three institutions with their first responsible
// persons, and their catalog entries.
func base() *entrytest.Log {
	l := &entrytest.Log{}
	for _, in := range []m{
		{"institution": "bureau", "name_zh": "州数据局", "name_en": "Data Bureau", "level": "prefecture", "kind": "organ", "data_authority": true},
		{"institution": "health", "name_zh": "州卫健委", "name_en": "Health Commission", "level": "prefecture", "kind": "organ"},
		{"institution": "police", "name_zh": "州公安局", "name_en": "Police", "level": "prefecture", "kind": "organ"},
		{"institution": "civil", "name_zh": "州民政局", "name_en": "Civil Affairs", "level": "prefecture", "kind": "organ"},
	} {
		l.Add("institution.registered.v1", "bureau", "2025-01-02", in)
	}
	for _, in := range []string{"bureau", "health", "police", "civil"} {
		l.Add("person.responsible_designated.v1", in, "2025-01-03", m{"person": "head-" + in, "since": "2025-01-03"})
	}
	l.Add("catalog.entry_registered.v1", "health", "2025-01-03", m{"resource": "vac", "responsible": "health", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
	l.Add("catalog.entry_registered.v1", "police", "2025-01-03", m{"resource": "hh", "responsible": "police", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
	l.Add("catalog.entry_registered.v1", "civil", "2025-01-03", m{"resource": "members", "responsible": "civil", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
	return l
}

func fold(t *testing.T, l *entrytest.Log) *findings.Fold {
	t.Helper()
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := findings.New(pol, calendar.Default())
	for _, e := range l.Entries {
		if err := f.Apply(e); err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
	}
	return f
}

// TestRules: each rule raised by the act that breaks it, with its evidence, and the
// compliant twin of the act raising nothing.
func TestRules(t *testing.T) {
	cases := []struct {
		name   string
		events func(l *entrytest.Log)
		rule   string // "" : nothing raised
		inst   string
		cite   string // first citation in English
	}{
		{"F2 project approved without a catalog", func(l *entrytest.Log) {
			l.Add("project.approved.v1", "health", "2025-03-03", m{"project": "p1", "approver": "drc", "approval_ref": "x"})
		}, "F2", "health", "Art. 41(1)"},
		{"F2 not raised with a drafted catalog", func(l *entrytest.Log) {
			l.Add("project.catalog_drafted.v1", "health", "2025-03-03", m{"project": "p1", "title": "x", "resources": []string{"vac"}})
			l.Add("project.approved.v1", "health", "2025-03-04", m{"project": "p1", "approver": "drc", "approval_ref": "x"})
			l.Add("project.accepted.v1", "health", "2025-06-04", m{"project": "p1", "report": m{"id": "r"}, "report_filed": true, "catalog_on_platform": true})
		}, "", "", ""},
		{"F3 collection outside the catalog", func(l *entrytest.Log) {
			l.Add("data.collected.v1", "health", "2025-03-03", m{"resource": "phones", "records": 5, "purpose": "x", "legal_basis": "x"})
		}, "F3", "health", "Art. 41(2)"},
		{"F3 not raised under an emergency in force", func(l *entrytest.Log) {
			l.Add("emergency.declared.v1", "health", "2025-03-03", m{"emergency": "em", "kind": "emergency_response", "title": "x", "legal_basis": "x"})
			l.Add("data.collected.v1", "health", "2025-03-04", m{"resource": "phones", "records": 5, "emergency": "em", "out_of_catalog_reason": "x"})
		}, "", "", ""},
		{"F3 raised after the emergency ended", func(l *entrytest.Log) {
			l.Add("emergency.declared.v1", "health", "2025-03-03", m{"emergency": "em", "kind": "emergency_response", "title": "x", "legal_basis": "x"})
			l.Add("emergency.data_evaluated.v1", "health", "2025-03-05", m{"emergency": "em", "resource": "other", "disposition": "retain"})
			l.Add("emergency.application_shut_down.v1", "health", "2025-03-05", m{"emergency": "em", "application": "app"})
			l.Add("emergency.ended.v1", "health", "2025-03-05", m{"emergency": "em", "ended_on": "2025-03-05"})
			l.Add("data.collected.v1", "health", "2025-03-06", m{"resource": "phones", "records": 5, "emergency": "em", "out_of_catalog_reason": "x"})
		}, "F3", "health", "Art. 41(2)"},
		{"F4 duplicate of a designated source", func(l *entrytest.Log) {
			l.Add("catalog.source_designated.v1", "bureau", "2025-03-03", m{"resource": "hh", "source": "police", "duplicates": []string{"members"}, "description": "x"})
			l.Add("data.collected.v1", "civil", "2025-03-04", m{"resource": "members", "records": 5, "purpose": "x", "legal_basis": "x"})
		}, "F4", "civil", "Art. 41(2)"},
		{"F5 biometrics after an ID document", func(l *entrytest.Log) {
			l.Add("data.collected.v1", "health", "2025-03-03", m{"resource": "vac", "records": 5, "verification": []string{"id_document", "biometric"}})
		}, "F5", "health", "Art. 41(11)"},
		{"F6 aggregation refused", func(l *entrytest.Log) {
			l.Add("data.aggregation_refused.v1", "health", "2025-03-03", m{"resource": "vac", "reason": "x"})
		}, "F6", "health", "Art. 41(3)"},
		{"F6 not raised when a law provides otherwise", func(l *entrytest.Log) {
			l.Add("data.aggregation_refused.v1", "health", "2025-03-03", m{"resource": "vac", "reason": "x", "legal_basis": "《保守国家秘密法》"})
		}, "", "", ""},
		{"F8 confirmed inconsistency names the provider", func(l *entrytest.Log) {
			l.Add("data.inconsistency_reported.v1", "civil", "2025-03-03", m{"case": "c1", "resource": "hh", "provider": "police", "description": "x"})
			l.Add("data.inconsistency_resolved.v1", "bureau", "2025-03-10", m{"case": "c1", "confirmed": true, "resolution": "x", "decided_by": "bureau"})
		}, "F8", "police", "Art. 41(5)"},
		{"F10 use outside the granted purpose", func(l *entrytest.Log) {
			l.Add("share.granted.v1", "police", "2025-03-03", m{"application": "a1", "grant": "g1", "purposes": []string{"核查"}})
			l.Add("share.data_used.v1", "civil", "2025-03-04", m{"resource": "hh", "grant": "g1", "purpose": "营销", "records": 3})
		}, "F10", "civil", "Art. 41(7)"},
		{"F11 modification without approval", func(l *entrytest.Log) {
			l.Add("data.modified.v1", "health", "2025-03-03", m{"resource": "vac", "records": 3, "reason": "x"})
		}, "F11", "health", "Art. 41(8)"},
		{"F12 export under an approval for another act", func(l *entrytest.Log) {
			l.Add("security.approval_granted.v1", "health", "2025-03-03", m{"approval": "ap", "resource": "vac", "acts": []string{"copy"}, "approved_by": "head-health", "purpose": "x", "valid_until": "2025-04-03"})
			l.Add("data.exported.v1", "health", "2025-03-04", m{"resource": "vac", "records": 3, "approval": "ap", "reason": "x", "destination": "x", "format": "csv"})
		}, "F12", "health", "Art. 41(9)"},
		{"F12 not raised with a covering approval", func(l *entrytest.Log) {
			l.Add("security.approval_granted.v1", "health", "2025-03-03", m{"approval": "ap", "resource": "vac", "acts": []string{"export"}, "approved_by": "head-health", "purpose": "x", "valid_until": "2025-04-03"})
			l.Add("data.exported.v1", "health", "2025-03-04", m{"resource": "vac", "records": 3, "approval": "ap", "reason": "x", "destination": "x", "format": "csv"})
		}, "", "", ""},
		{"F12 raised under an expired approval", func(l *entrytest.Log) {
			l.Add("security.approval_granted.v1", "health", "2025-03-03", m{"approval": "ap", "resource": "vac", "acts": []string{"export"}, "approved_by": "head-health", "purpose": "x", "valid_until": "2025-03-10"})
			l.Add("data.exported.v1", "health", "2025-03-11", m{"resource": "vac", "records": 3, "approval": "ap", "reason": "x", "destination": "x", "format": "csv"})
		}, "F12", "health", "Art. 41(9)"},
		{"F14 contract without review or agreement", func(l *entrytest.Log) {
			l.Add("outsourcing.contract_signed.v1", "health", "2025-03-03", m{"contract": "c1", "provider": "x", "scope": "x", "systems": []string{"s"}})
		}, "F14", "health", "Art. 41(10)"},
		{"F14 not raised: reviewed, agreement signed the same day", func(l *entrytest.Log) {
			l.Add("outsourcing.security_reviewed.v1", "health", "2025-03-03", m{"contract": "c1", "provider": "x", "passed": true, "report": m{"id": "r"}})
			l.Add("outsourcing.contract_signed.v1", "health", "2025-03-05", m{"contract": "c1", "provider": "x", "scope": "x", "systems": []string{"s"}})
			l.Add("outsourcing.confidentiality_agreement_signed.v1", "health", "2025-03-05T16:00:00+08:00", m{"contract": "c1", "provider": "x", "agreement": m{"id": "n"}})
		}, "", "", ""},
		{"F15 conditional opening without the documents", func(l *entrytest.Log) {
			l.Add("opening.granted.v1", "health", "2025-03-03", m{"application": "o1", "party": "org-1", "security_commitment": m{"id": "sc"}})
		}, "F15", "health", "Art. 41(10)"},
		// F18 is held against the suspended party, not an institution: TestArt42… covers it.
		{"F18 not raised after the access is restored", func(l *entrytest.Log) {
			l.Add("access.suspended.v1", "bureau", "2025-03-03", m{"suspension": "s1", "party": "org-1", "party_kind": "legal_person", "ground": "no_security_measures", "reason": "x", "correction": "x"})
			l.Add("access.restored.v1", "bureau", "2025-03-04", m{"suspension": "s1", "party": "org-1", "reason": "x"})
			l.Add("opening.data_obtained.v1", "health", "2025-03-05", m{"resource": "vac", "party": "org-1", "party_kind": "legal_person", "records": 3})
		}, "", "", ""},
		{"F9 share application answered late (D5), across National Day", func(l *entrytest.Log) {
			l.Add("share.application_submitted.v1", "civil", "2025-09-30", m{"application": "a1", "resource": "hh", "provider": "police"})
			l.Add("share.granted.v1", "police", "2025-10-17", m{"application": "a1", "grant": "g1", "purposes": []string{"x"}})
		}, "F9", "police", "Art. 41(6)"},
		{"F1 catalog update reported late (D2)", func(l *entrytest.Log) {
			l.Add("catalog.entry_updated.v1", "health", "2025-03-03", m{"resource": "vac", "responsible": "health", "change": "x", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
			l.Add("catalog.update_reported.v1", "health", "2025-03-07", m{"resources": []string{"vac"}, "authority": "bureau", "report": m{"id": "r"}})
		}, "F1", "health", "Art. 41(1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := base()
			n := len(l.Entries)
			c.events(l)
			got := fold(t, l).Findings(calendar.MustParse("2025-12-01"))
			if c.rule == "" {
				if len(got) != 0 {
					t.Fatalf("raised %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d findings, want one %s: %+v", len(got), c.rule, got)
			}
			x := got[0]
			last := l.Entries[len(l.Entries)-1]
			if x.Rule != c.rule || x.Institution != c.inst || x.Cites[0].EN != c.cite || x.CiteZH == "" || x.Policy != "aba-2024-trial" {
				t.Errorf("got %s against %s citing %+v (%s); want %s against %s citing %s", x.Rule, x.Institution, x.Cites, x.Policy, c.rule, c.inst, c.cite)
			}
			if x.Responsible != "head-"+c.inst || x.InstitutionZH == "" || x.State != findings.Open || x.NoteZH == "" || x.NoteEN == "" {
				t.Errorf("labels: %+v", x)
			}
			if !slices.ContainsFunc(x.Evidence, func(e findings.Evidence) bool { return e.Seq == last.Seq && e.ID == last.Submission.ID }) {
				t.Errorf("evidence %+v lacks the breaking act (seq %d)", x.Evidence, last.Seq)
			}
			for _, e := range x.Evidence {
				if e.Seq < uint64(n) {
					t.Errorf("evidence %+v names a setup entry", e)
				}
			}
		})
	}
}

// TestEnforcement: a finding's state follows the rectification order that answers it
// (第四十一条): ordered, rectified, or escalated when the order's deadline passes, with
// F17 raised for the missed rectification.
func TestEnforcement(t *testing.T) {
	l := base()
	l.Add("data.modified.v1", "health", "2026-03-02", m{"resource": "vac", "records": 3, "reason": "x"})
	l.Add("rectification.ordered.v1", "bureau", "2026-03-04", m{"order": "o1", "institution": "health", "findings": []string{"F11"}, "items": []int{8}, "deadline": "2026-03-13"})
	f := fold(t, l)
	state := func(asOf, rule string) findings.State {
		for _, x := range f.Findings(calendar.MustParse(asOf)) {
			if x.Rule == rule {
				return x.State
			}
		}
		return ""
	}
	if s := state("2026-03-03", "F11"); s != findings.Open {
		t.Errorf("before the order: %q", s)
	}
	if s := state("2026-03-13", "F11"); s != findings.RectificationOrdered {
		t.Errorf("on the order's deadline: %q", s)
	}
	if s, f17 := state("2026-03-16", "F11"), state("2026-03-16", "F17"); s != findings.Escalated || f17 != findings.Escalated {
		t.Errorf("after the deadline: F11 %q, F17 %q", s, f17)
	}
	l.Add("rectification.escalated.v1", "bureau", "2026-03-17", m{"order": "o1", "to": "纪委监委", "reason": "x"})
	f = fold(t, l)
	if s, f17 := state("2026-03-18", "F11"), state("2026-03-18", "F17"); s != findings.Referred || f17 != findings.Referred {
		t.Errorf("after the referral: F11 %q, F17 %q", s, f17)
	}

	l = base()
	l.Add("data.modified.v1", "health", "2026-03-02", m{"resource": "vac", "records": 3, "reason": "x"})
	l.Add("rectification.ordered.v1", "bureau", "2026-03-04", m{"order": "o1", "institution": "health", "findings": []string{"F11"}, "items": []int{8}, "deadline": "2026-03-13"})
	l.Add("rectification.completed.v1", "health", "2026-03-12", m{"order": "o1", "measures": "x"})
	f = fold(t, l)
	if s, f17 := state("2026-03-20", "F11"), state("2026-03-20", "F17"); s != findings.Rectified || f17 != "" {
		t.Errorf("rectified in time: F11 %q, F17 %q", s, f17)
	}
}

// TestSecurityDuties: F16 judges a calendar year once it has ended, by the parameters of
// the policy in force that year.
func TestSecurityDuties(t *testing.T) {
	l := base()
	for _, in := range []string{"bureau", "police", "civil", "health"} {
		l.Add("security.training_held.v1", in, "2025-05-06", m{"held_on": "2025-05-06", "topic": "x", "participants": 9})
		l.Add("security.stress_tested.v1", in, "2025-06-06", m{"system": "s", "passed": true, "result": "x"})
		if in != "civil" {
			l.Add("security.drill_held.v1", in, "2025-07-07", m{"plan": "p", "held_on": "2025-07-07", "scenario": "x", "participants": 9})
		}
		for d := calendar.MustParse("2025-01-20"); d.Before(calendar.MustParse("2026-01-01")); d = d.AddDays(25) {
			if in == "health" && d.Month == 8 {
				continue // a gap of 50 days
			}
			l.Add("security.backup_completed.v1", in, d.String(), m{"system": "s", "location": "x", "verified": true})
		}
	}
	f := fold(t, l)
	if got := f.Findings(calendar.MustParse("2025-12-31")); len(got) != 0 {
		t.Fatalf("judged before the year ended: %+v", got)
	}
	got := f.Findings(calendar.MustParse("2026-01-01"))
	var insts []string
	for _, x := range got {
		if x.Rule != "F16" || x.Subject != "2025" || x.Arose.String() != "2026-01-01" || len(x.Evidence) != 0 {
			t.Errorf("%+v", x)
		}
		insts = append(insts, x.Institution)
	}
	if !slices.Equal(insts, []string{"civil", "health"}) {
		t.Errorf("F16 against %v, want civil (no drill) and health (backup gap)", insts)
	}
}

func TestCite(t *testing.T) {
	for zh, en := range map[string]string{
		"第四十一条第(二)项": "Art. 41(2)", "第四十一条第(十一)项": "Art. 41(11)", "第十六条": "Art. 16", "第四十二条": "Art. 42",
		"第十四条第二款": "Art. 14 para 2", "第三十七条第(五)项": "Art. 37(5)", "第一百零二条": "Art. 102", "《数据安全法》": "《数据安全法》",
	} {
		if c := findings.Cite(zh); c.EN != en || c.ZH != zh {
			t.Errorf("Cite(%s) = %+v, want %s", zh, c, en)
		}
	}
}

func ExampleFold() {
	l := base()
	l.Add("data.exported.v1", "civil", "2025-10-09", m{"resource": "members", "records": 1320, "reason": "报送上级部门", "destination": "U盘", "format": "xlsx"})
	pol, _ := policy.Default()
	f := findings.New(pol, calendar.Default())
	for _, e := range l.Entries {
		_ = f.Apply(e)
	}
	for _, x := range f.Findings(calendar.MustParse("2025-10-10")) {
		fmt.Println(x.Rule, x.CiteZH, "/", x.CiteEN)
		fmt.Println(x.Institution, x.Responsible, x.Actor, x.Evidence[0].Seq, x.Arose, x.StateZH)
	}
	// Output:
	// F12 第四十一条第(九)项、第三十七条第(五)项 / Art. 41(9), Art. 37(5)
	// civil head-civil p-civil 11 2025-10-09 待处理
}
