package emergencies

import (
	"testing"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
)

const (
	em  = "aba-emergency-management"
	emg = "emg-1"
	res = "emg-1.persons"
)

// ended builds an emergency declared, with data collected under it, that ended on
// 2025-09-26: D8 (10 working days, PRC calendar with the National Day holiday and the
// adjusted Sunday 9-28 and Saturday 10-11) falls on 2025-10-16, not on 10-10 as a
// weekday count would have it.
func ended(l *foldtest.Log) []*ledger.Entry {
	return []*ledger.Entry{
		l.Add("2025-09-20", em, "emergency.declared.v1", events.EmergencyDeclared{Emergency: emg, Kind: domain.EmergencyResponse, Title: "flood", LegalBasis: "law"}),
		l.Add("2025-09-21", "county-a", "data.collected.v1", events.DataCollected{Resource: res, Records: 10, Purpose: "p", LegalBasis: "l", Emergency: emg}),
		l.Add("2025-09-22", "county-b", "data.collected.v1", events.DataCollected{Resource: res, Records: 5, Purpose: "p", LegalBasis: "l", Emergency: emg}),
		l.Add("2025-09-22", "county-b", "data.collected.v1", events.DataCollected{Resource: "other", Records: 5, Purpose: "p", LegalBasis: "l"}),
		l.Add("2025-09-26", em, "emergency.ended.v1", events.EmergencyEnded{Emergency: emg, EndedOn: "2025-09-26"}),
	}
}

func evaluated(l *foldtest.Log, on string, d domain.Disposition) *ledger.Entry {
	var cats []domain.Sensitive
	if d != domain.DispositionRetain {
		cats = []domain.Sensitive{domain.SensitivePersonalInfo}
	}
	return l.Add(on, em, "emergency.data_evaluated.v1", events.EmergencyDataEvaluated{Emergency: emg, Resource: res, Categories: cats, Disposition: d})
}

func sealed(l *foldtest.Log, on string) *ledger.Entry {
	return l.Add(on, em, "emergency.data_sealed.v1", events.EmergencyDataSealed{Emergency: emg, Resource: res, Records: 15, Location: "vault"})
}

func destroyed(l *foldtest.Log, on string) *ledger.Entry {
	return l.Add(on, em, "emergency.data_destroyed.v1", events.EmergencyDataDestroyed{Emergency: emg, Resource: res, Records: 15, Method: "overwrite"})
}

func shut(l *foldtest.Log, on string) *ledger.Entry {
	return l.Add(on, "county-a", "emergency.application_shut_down.v1", events.EmergencyApplicationShutDown{Emergency: emg, Application: "app-1"})
}

func TestJudge(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	cal := calendar.Default()
	for _, tc := range []struct {
		name          string
		build         func(l *foldtest.Log) []*ledger.Entry
		asOf          string
		want, data    State
		apps          State
		wantDue       string
		wantPolicyErr bool
	}{
		{name: "active: not ended, nothing runs", asOf: "2025-12-31",
			build: func(l *foldtest.Log) []*ledger.Entry { return ended(l)[:3] },
			want:  StateActive, data: StateActive, apps: StateActive},
		{name: "pending: ended, nothing done, before the due day", asOf: "2025-10-16",
			build: ended, want: StatePending, data: StatePending, apps: StatePending, wantDue: "2025-10-16"},
		{name: "overdue: the day after D8 with nothing done", asOf: "2025-10-17",
			build: ended, want: StateOverdue, data: StateOverdue, apps: StateOverdue, wantDue: "2025-10-16"},
		{name: "done on the due day (holiday-aware)", asOf: "2025-12-31",
			build: func(l *foldtest.Log) []*ledger.Entry {
				return append(ended(l), evaluated(l, "2025-09-30", domain.DispositionSeal), sealed(l, "2025-10-16"), shut(l, "2025-10-16"))
			}, want: StateDone, data: StateDone, apps: StateDone, wantDue: "2025-10-16"},
		{name: "sealed late", asOf: "2025-12-31",
			build: func(l *foldtest.Log) []*ledger.Entry {
				return append(ended(l), evaluated(l, "2025-09-30", domain.DispositionSeal), sealed(l, "2025-10-17"), shut(l, "2025-10-01"))
			}, want: StateLate, data: StateLate, apps: StateDone, wantDue: "2025-10-16"},
		{name: "evaluated to seal, destroyed instead: done", asOf: "2025-12-31",
			build: func(l *foldtest.Log) []*ledger.Entry {
				return append(ended(l), evaluated(l, "2025-09-30", domain.DispositionSeal), destroyed(l, "2025-10-09"), shut(l, "2025-10-09"))
			}, want: StateDone, data: StateDone, apps: StateDone, wantDue: "2025-10-16"},
		{name: "evaluated to destroy, only sealed: overdue", asOf: "2025-12-31",
			build: func(l *foldtest.Log) []*ledger.Entry {
				return append(ended(l), evaluated(l, "2025-09-30", domain.DispositionDestroy), sealed(l, "2025-10-09"), shut(l, "2025-10-09"))
			}, want: StateOverdue, data: StateOverdue, apps: StateDone, wantDue: "2025-10-16"},
		{name: "sealed without an evaluation: not done", asOf: "2025-10-10",
			build: func(l *foldtest.Log) []*ledger.Entry {
				return append(ended(l), sealed(l, "2025-10-09"))
			}, want: StatePending, data: StatePending, apps: StatePending, wantDue: "2025-10-16"},
		{name: "retained (nothing sensitive), applications never recorded: overdue", asOf: "2025-12-31",
			build: func(l *foldtest.Log) []*ledger.Entry {
				return append(ended(l), evaluated(l, "2025-09-30", domain.DispositionRetain))
			}, want: StateOverdue, data: StateDone, apps: StateOverdue, wantDue: "2025-10-16"},
		{name: "no policy in force on the end day: unknown", asOf: "2027-06-30",
			build: func(l *foldtest.Log) []*ledger.Entry {
				es := ended(l)
				es[4] = l.Add("2027-01-05", em, "emergency.ended.v1", events.EmergencyEnded{Emergency: emg, EndedOn: "2027-01-05"})
				return es
			}, want: StateUnknown, data: StateUnknown, apps: StateUnknown, wantPolicyErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New()
			es := tc.build(&foldtest.Log{})
			for _, e := range es {
				r.Apply(e)
			}
			for _, e := range es { // a replay changes nothing
				r.Apply(e)
			}
			ems := r.Emergencies()
			if len(ems) != 1 {
				t.Fatalf("%d emergencies, want 1", len(ems))
			}
			e := ems[0]
			if len(e.Data) != 1 || e.Data[0].Records != 15 || len(e.Data[0].Collectors) != 2 {
				t.Fatalf("data under the emergency: %+v", e.Data)
			}
			j := Judge(e, pol, cal, calendar.MustParse(tc.asOf))
			if j.State != tc.want || j.Data[0] != tc.data || j.Applications != tc.apps {
				t.Errorf("state %s, data %s, applications %s; want %s, %s, %s (err %v)", j.State, j.Data[0], j.Applications, tc.want, tc.data, tc.apps, j.Err)
			}
			if tc.wantDue != "" && j.Deadline.Due.String() != tc.wantDue {
				t.Errorf("D8 due %s, want %s", j.Deadline.Due, tc.wantDue)
			}
			if (j.Err != nil) != tc.wantPolicyErr {
				t.Errorf("err %v, want error: %v", j.Err, tc.wantPolicyErr)
			}
		})
	}
}

// Acts naming an emergency never declared in the log still make a register entry, so
// nothing collected under it disappears from view.
func TestUndeclaredEmergencyIsListed(t *testing.T) {
	l := &foldtest.Log{}
	r := New()
	r.Apply(l.Add("2025-09-21", "county-a", "data.collected.v1", events.DataCollected{Resource: res, Records: 3, Purpose: "p", LegalBasis: "l", Emergency: "emg-x"}))
	em, ok := r.Emergency("emg-x")
	if !ok || em.Declared != nil || len(em.Data) != 1 {
		t.Fatalf("emergency %+v, %v", em, ok)
	}
}
