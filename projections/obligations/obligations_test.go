package obligations_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/internal/entrytest"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

type m = map[string]any

// base registers the authority, two institutions and their catalog entries.
func base() *entrytest.Log {
	l := &entrytest.Log{}
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "bureau", "name_zh": "州数据局", "level": "prefecture", "kind": "organ", "data_authority": true})
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "health", "name_zh": "州卫健委", "level": "prefecture", "kind": "organ"})
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "police", "name_zh": "州公安局", "level": "prefecture", "kind": "organ"})
	l.Add("catalog.entry_registered.v1", "health", "2025-01-03", m{"resource": "vac", "responsible": "health", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
	l.Add("catalog.entry_registered.v1", "police", "2025-01-03", m{"resource": "hh", "responsible": "police", "sharing": m{"attribute": "unconditional"}, "opening": m{"attribute": "none"}})
	return l
}

func fold(t *testing.T, pol *policy.Set, l *entrytest.Log) *obligations.Fold {
	t.Helper()
	if pol == nil {
		var err error
		if pol, err = policy.Default(); err != nil {
			t.Fatal(err)
		}
	}
	f := obligations.New(pol, calendar.Default())
	for _, e := range l.Entries {
		if err := f.Apply(e); err != nil {
			t.Fatalf("seq %d: %v", e.Seq, err)
		}
	}
	return f
}

func find(t *testing.T, obs []obligations.Obligation, deadline, subject string) obligations.Obligation {
	t.Helper()
	for _, o := range obs {
		if o.Deadline == deadline && o.Subject == subject {
			return o
		}
	}
	t.Fatalf("no %s obligation for %s in %+v", deadline, subject, obs)
	return obligations.Obligation{}
}

// TestDeadlines: due days across National Day 2025 (Oct 1–8 off, Sat Sep 28 and Sat Oct
// 11 worked) and Spring Festival 2026 (Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked),
// and each deadline's trigger and completion.
func TestDeadlines(t *testing.T) {
	cases := []struct {
		name     string
		deadline string
		subject  string
		events   func(l *entrytest.Log)
		asOf     string
		due      string
		state    obligations.State
		late     int
	}{
		{"D5 over National Day, answered on the last day", "D5", "a1", func(l *entrytest.Log) {
			l.Add("share.application_submitted.v1", "police", "2025-09-30", m{"application": "a1", "resource": "vac", "provider": "health"})
			l.Add("share.granted.v1", "health", "2025-10-16", m{"application": "a1", "grant": "g1"})
		}, "2025-12-01", "2025-10-16", obligations.MetOnTime, 0},
		{"D5 over National Day, answered a working day late", "D5", "a1", func(l *entrytest.Log) {
			l.Add("share.application_submitted.v1", "police", "2025-09-30", m{"application": "a1", "resource": "vac", "provider": "health"})
			l.Add("share.refused.v1", "health", "2025-10-17", m{"application": "a1", "reason": "x"})
		}, "2025-12-01", "2025-10-16", obligations.MetLate, 1},
		{"D5 unanswered, still open on the due day", "D5", "a1", func(l *entrytest.Log) {
			l.Add("share.application_submitted.v1", "police", "2025-09-30", m{"application": "a1", "resource": "vac", "provider": "health"})
		}, "2025-10-16", "2025-10-16", obligations.Open, 0},
		{"D5 unanswered, missed the day after", "D5", "a1", func(l *entrytest.Log) {
			l.Add("share.application_submitted.v1", "police", "2025-09-30", m{"application": "a1", "resource": "vac", "provider": "health"})
		}, "2025-10-17", "2025-10-16", obligations.Missed, 1},
		{"D5 answer after asOf is not seen", "D5", "a1", func(l *entrytest.Log) {
			l.Add("share.application_submitted.v1", "police", "2025-09-30", m{"application": "a1", "resource": "vac", "provider": "health"})
			l.Add("share.granted.v1", "health", "2025-10-20", m{"application": "a1", "grant": "g1"})
		}, "2025-10-17", "2025-10-16", obligations.Missed, 1},
		{"D9 due on the adjusted working Saturday before Spring Festival", "D9", "c1", func(l *entrytest.Log) {
			l.Add("outsourcing.contract_terminated.v1", "health", "2026-02-13", m{"contract": "c1", "provider": "x", "reason": "ended", "ended_on": "2026-02-13"})
			l.Add("outsourcing.accounts_revoked.v1", "health", "2026-02-24", m{"contract": "c1", "action": "revoked", "accounts": 3})
		}, "2026-03-31", "2026-02-14", obligations.MetLate, 1},
		{"D10 counts from ended_on, over Spring Festival", "D10", "c1", func(l *entrytest.Log) {
			l.Add("outsourcing.contract_terminated.v1", "health", "2026-02-13", m{"contract": "c1", "provider": "x", "reason": "ended", "ended_on": "2026-02-12"})
			l.Add("outsourcing.provider_deletion_evidenced.v1", "health", "2026-03-04", m{"contract": "c1", "method": "overwrite", "evidence": m{"id": "d"}})
		}, "2026-03-31", "2026-03-04", obligations.MetOnTime, 0},
		{"D3 extended by the head over Spring Festival", "D3", "r1", func(l *entrytest.Log) {
			l.Add("correction.requested.v1", "health", "2026-02-13", m{"request": "r1", "resource": "vac", "party": "np-1", "party_kind": "natural_person"})
			l.Add("correction.extended.v1", "health", "2026-02-25", m{"request": "r1", "approved_by": "p-head", "reason": "x"})
			l.Add("correction.completed.v1", "health", "2026-03-04", m{"request": "r1", "outcome": "granted", "result": "x"})
		}, "2026-03-31", "2026-03-05", obligations.MetOnTime, 0},
		{"D3 extension after the deadline does not revive it", "D3", "r1", func(l *entrytest.Log) {
			l.Add("correction.requested.v1", "health", "2026-02-13", m{"request": "r1", "resource": "vac", "party": "np-1", "party_kind": "natural_person"})
			l.Add("correction.extended.v1", "health", "2026-03-02", m{"request": "r1", "approved_by": "p-head", "reason": "x"})
			l.Add("correction.completed.v1", "health", "2026-03-04", m{"request": "r1", "outcome": "granted", "result": "x"})
		}, "2026-03-31", "2026-02-27", obligations.MetLate, 4}, // Sat Feb 28 was a working day
		{"D4 at the authority, forwarded late", "D4", "r2", func(l *entrytest.Log) {
			l.Add("correction.requested.v1", "bureau", "2025-09-26", m{"request": "r2", "resource": "vac", "party": "np-1", "party_kind": "natural_person"})
			l.Add("correction.forwarded.v1", "bureau", "2025-10-09", m{"request": "r2", "institution": "health"})
		}, "2025-12-01", "2025-09-29", obligations.MetLate, 2},
		{"D3 restarts from the forward", "D3", "r2", func(l *entrytest.Log) {
			l.Add("correction.requested.v1", "bureau", "2025-09-26", m{"request": "r2", "resource": "vac", "party": "np-1", "party_kind": "natural_person"})
			l.Add("correction.forwarded.v1", "bureau", "2025-10-09", m{"request": "r2", "institution": "health"})
			l.Add("correction.completed.v1", "health", "2025-10-15", m{"request": "r2", "outcome": "granted", "result": "x"})
		}, "2025-12-01", "2025-10-15", obligations.MetOnTime, 0},
		{"D6 same working day: a request on National Day is due the first working day after", "D6", "w1", func(l *entrytest.Log) {
			l.Add("opening.withdrawal_requested.v1", "health", "2025-10-03", m{"request": "w1", "resource": "vac", "party": "np-1", "party_kind": "natural_person", "grounds": "x"})
			l.Add("opening.suspended.v1", "health", "2025-10-09", m{"resource": "vac", "cause": "w1", "reason": "x"})
		}, "2025-12-01", "2025-10-09", obligations.MetOnTime, 0},
		{"D7 met by the suspension naming the risk", "D7", "k1", func(l *entrytest.Log) {
			l.Add("opening.risk_found.v1", "bureau", "2025-11-03", m{"risk": "k1", "resource": "vac", "detail": "x"})
			l.Add("opening.suspended.v1", "health", "2025-11-04", m{"resource": "vac", "cause": "k1", "reason": "x"})
		}, "2025-12-01", "2025-11-03", obligations.MetLate, 1},
		{"D11 due day set by the order", "D11", "o1", func(l *entrytest.Log) {
			l.Add("rectification.ordered.v1", "bureau", "2026-03-02", m{"order": "o1", "institution": "health", "findings": []string{"F12"}, "items": []int{9}, "deadline": "2026-03-10"})
			l.Add("rectification.completed.v1", "health", "2026-03-11", m{"order": "o1", "measures": "x"})
		}, "2026-03-31", "2026-03-10", obligations.MetLate, 1},
		{"D12 answered in time", "D12", "s1", func(l *entrytest.Log) {
			l.Add("subject_request.received.v1", "health", "2026-03-02", m{"request": "s1", "kind": "access", "party": "np-1", "party_kind": "natural_person"})
			l.Add("subject_request.answered.v1", "health", "2026-03-20", m{"request": "s1", "outcome": "granted", "measures": "x"})
		}, "2026-03-31", "2026-03-23", obligations.MetOnTime, 0},
		{"D1 from the day the situation arose, met when every listed resource is updated", "D1", "00000000-0000-7000-8000-000000000005", func(l *entrytest.Log) {
			l.Add("catalog.update_triggered.v1", "health", "2026-03-05", m{"trigger": "law_changed", "arose_on": "2026-03-02", "description": "x", "resources": []string{"vac", "vac2"}})
			l.Add("catalog.entry_updated.v1", "health", "2026-03-10", m{"resource": "vac", "trigger": "00000000-0000-7000-8000-000000000005", "change": "x"})
			l.Add("catalog.entry_updated.v1", "health", "2026-03-17", m{"resource": "vac2", "trigger": "00000000-0000-7000-8000-000000000005", "change": "x"})
		}, "2026-03-31", "2026-03-16", obligations.MetLate, 1},
		{"D2 met by a report naming the resource", "D2", "00000000-0000-7000-8000-000000000005", func(l *entrytest.Log) {
			l.Add("catalog.entry_updated.v1", "health", "2026-03-10", m{"resource": "vac", "change": "x"})
			l.Add("catalog.update_reported.v1", "health", "2026-03-13", m{"resources": []string{"vac"}, "authority": "bureau", "report": m{"id": "r"}})
		}, "2026-03-31", "2026-03-13", obligations.MetOnTime, 0},
		{"D8 needs every collected resource evaluated and disposed of", "D8", "em1", func(l *entrytest.Log) {
			l.Add("emergency.declared.v1", "health", "2026-03-02", m{"emergency": "em1", "kind": "emergency_response", "title": "x", "legal_basis": "x"})
			l.Add("data.collected.v1", "health", "2026-03-02", m{"resource": "em1.persons", "records": 3, "emergency": "em1"})
			l.Add("emergency.ended.v1", "health", "2026-03-04", m{"emergency": "em1", "ended_on": "2026-03-04"})
			l.Add("emergency.data_evaluated.v1", "health", "2026-03-05", m{"emergency": "em1", "resource": "em1.persons", "disposition": "seal"})
			l.Add("emergency.application_shut_down.v1", "health", "2026-03-06", m{"emergency": "em1", "application": "app"})
			l.Add("emergency.data_sealed.v1", "health", "2026-03-19", m{"emergency": "em1", "resource": "em1.persons", "records": 3, "location": "x"})
		}, "2026-03-31", "2026-03-18", obligations.MetLate, 1},
		{"D8 evaluation alone does not meet it", "D8", "em1", func(l *entrytest.Log) {
			l.Add("emergency.declared.v1", "health", "2026-03-02", m{"emergency": "em1", "kind": "emergency_response", "title": "x", "legal_basis": "x"})
			l.Add("data.collected.v1", "health", "2026-03-02", m{"resource": "em1.persons", "records": 3, "emergency": "em1"})
			l.Add("emergency.ended.v1", "health", "2026-03-04", m{"emergency": "em1", "ended_on": "2026-03-04"})
			l.Add("emergency.data_evaluated.v1", "health", "2026-03-05", m{"emergency": "em1", "resource": "em1.persons", "disposition": "destroy"})
		}, "2026-03-31", "2026-03-18", obligations.Missed, 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := base()
			c.events(l)
			o := find(t, fold(t, nil, l).Obligations(calendar.MustParse(c.asOf)), c.deadline, c.subject)
			if o.Due.String() != c.due || o.State != c.state || o.LateWorkdays != c.late {
				t.Errorf("due %s state %s late %d; want due %s state %s late %d", o.Due, o.State, o.LateWorkdays, c.due, c.state, c.late)
			}
			if o.Policy != "aba-2024-trial" || len(o.Articles) == 0 || o.StateZH == "" || o.TitleEN == "" {
				t.Errorf("labels missing: %+v", o)
			}
			if (o.State == obligations.MetLate || o.State == obligations.MetOnTime) && (o.Met == nil || o.Met.Seq != uint64(len(l.Entries)-1)) {
				t.Errorf("met by %+v, want the last entry", o.Met)
			}
		})
	}
}

// TestUnconditionalShareNoDeadline: unconditional data is obtained directly (第二十五条),
// so an application for it opens no D5.
func TestUnconditionalShareNoDeadline(t *testing.T) {
	l := base()
	l.Add("share.application_submitted.v1", "health", "2025-09-30", m{"application": "a1", "resource": "hh", "provider": "police"})
	if obs := fold(t, nil, l).Obligations(calendar.MustParse("2025-12-01")); len(obs) != 0 {
		t.Fatalf("obligations %+v", obs)
	}
}

// TestPolicyVersionChange: an act is judged by the policy in force on its day. A
// revision from 2026-07-01 shortens D5 to 3 working days; an application the day before
// keeps 7.
func TestPolicyVersionChange(t *testing.T) {
	def, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	rev, err := policy.Parse(def, []byte(`{"versions":[{"id":"aba-2026-revised","extends":"aba-2024-trial","title_zh":"修订","title_en":"revised",
		"effective_from":"2026-07-01","effective_until":"2026-12-31","deadlines":{"D5":{"workdays":3}}}]}`), "test")
	if err != nil {
		t.Fatal(err)
	}
	l := base()
	l.Add("share.application_submitted.v1", "police", "2026-06-30", m{"application": "old", "resource": "vac", "provider": "health"})
	l.Add("share.application_submitted.v1", "police", "2026-07-01", m{"application": "new", "resource": "vac", "provider": "health"})
	l.Add("share.granted.v1", "health", "2026-07-07", m{"application": "old", "grant": "g1"})
	l.Add("share.granted.v1", "health", "2026-07-08", m{"application": "new", "grant": "g2"})
	obs := fold(t, rev, l).Obligations(calendar.MustParse("2026-08-01"))
	old, nw := find(t, obs, "D5", "old"), find(t, obs, "D5", "new")
	if old.Policy != "aba-2024-trial" || old.Due.String() != "2026-07-09" || old.State != obligations.MetOnTime {
		t.Errorf("old: policy %s due %s state %s", old.Policy, old.Due, old.State)
	}
	if nw.Policy != "aba-2026-revised" || nw.Due.String() != "2026-07-06" || nw.State != obligations.MetLate || nw.LateWorkdays != 2 {
		t.Errorf("new: policy %s due %s state %s late %d", nw.Policy, nw.Due, nw.State, nw.LateWorkdays)
	}
}

// TestNoPolicyIsReported: a trigger on a day no policy covers is recorded as undetermined
// and Apply says why; nothing is guessed.
func TestNoPolicyIsReported(t *testing.T) {
	l := base()
	e := l.Add("subject_request.received.v1", "health", "2024-06-03", m{"request": "s1", "kind": "access", "party": "np-1", "party_kind": "natural_person"})
	f := obligations.New(must(policy.Default()), calendar.Default())
	var err error
	for _, x := range l.Entries {
		err = f.Apply(x)
	}
	if !errors.Is(err, policy.ErrNoPolicy) {
		t.Fatalf("Apply(seq %d) = %v, want ErrNoPolicy", e.Seq, err)
	}
	o := find(t, f.Obligations(calendar.MustParse("2026-01-01")), "D12", "s1")
	if o.State != obligations.Undetermined || o.Problem == "" {
		t.Errorf("%+v", o)
	}
}

// TestIdempotent: an entry folded twice counts once.
func TestIdempotent(t *testing.T) {
	l := base()
	l.Add("subject_request.received.v1", "health", "2026-03-02", m{"request": "s1", "kind": "access", "party": "np-1", "party_kind": "natural_person"})
	f := fold(t, nil, l)
	for _, e := range l.Entries {
		if err := f.Apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.Obligations(calendar.MustParse("2026-04-01"))); n != 1 || f.Position() != uint64(len(l.Entries)) {
		t.Fatalf("%d obligations at position %d", n, f.Position())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ExampleFold() {
	l := base()
	l.Add("share.application_submitted.v1", "police", "2025-09-30", m{"application": "a1", "resource": "vac", "provider": "health"})
	f := obligations.New(must(policy.Default()), calendar.Default())
	for _, e := range l.Entries {
		_ = f.Apply(e)
	}
	for _, o := range f.Obligations(calendar.MustParse("2025-10-20")) {
		fmt.Println(o.Deadline, o.Institution, o.Due, o.State, o.StateZH, o.LateWorkdays)
	}
	// Output: D5 health 2025-10-16 missed 逾期未完成 2
}
