package scenario

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

var end = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// checkEvent: the event is a well-formed submission whose payload the event catalogue
// accepts on its own, on the stream the catalogue puts it on.
func checkEvent(t *testing.T, where string, e *Event) {
	t.Helper()
	if e.Type == TypeKeyRotated || e.Type == TypeKeyRegistered {
		if !e.Root || e.Stream != ledger.RegistryStream {
			t.Fatalf("%s: %s not a root act on the key registry", where, e.Type)
		}
		return
	}
	ty, ok := events.Lookup(e.Type)
	if !ok {
		t.Fatalf("%s: type %s is not in the catalogue", where, e.Type)
	}
	if (ty.Signer == ledger.RoleRoot) != e.Root {
		t.Fatalf("%s: %s signed by root=%v, catalogue says %s", where, e.Type, e.Root, ty.Signer)
	}
	sub, err := e.Submission("", "0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Validate(); err != nil {
		t.Fatalf("%s (%s) is not a valid submission: %v", where, e.Type, err)
	}
	p, err := events.Decode(ty, sub.Payload)
	if err != nil {
		t.Fatalf("%s (%s): the catalogue refuses the payload: %v\n%s", where, e.Type, err, sub.Payload)
	}
	if want, err := ty.StreamFor(e.Institution, p); err != nil || want != e.Stream {
		t.Fatalf("%s (%s): stream %s, catalogue says %s (%v)", where, e.Type, e.Stream, want, err)
	}
}

func TestGenerate(t *testing.T) {
	tl := Generate(Config{Events: 2000, Seed: 7, End: end})
	if n := len(tl.Events); n < 2000 || n > 2010 {
		t.Fatalf("%d events, want about 2000", n)
	}
	if len(tl.Registry) != len(Institutions) {
		t.Fatalf("%d registry acts, want one per institution (%d)", len(tl.Registry), len(Institutions))
	}
	inst := map[string]bool{}
	for _, in := range Institutions {
		inst[in.ID] = true
	}
	ids := map[string]bool{}
	for name, es := range map[string][]Event{"registry": tl.Registry, "setup": tl.Setup, "events": tl.Events} {
		for i := range es {
			e := &es[i]
			where := fmt.Sprintf("%s[%d]", name, i)
			checkEvent(t, where, e)
			if !inst[e.Institution] {
				t.Fatalf("%s: unknown institution %s", where, e.Institution)
			}
			if ids[e.ID] {
				t.Fatalf("%s: id %s used twice", where, e.ID)
			}
			ids[e.ID] = true
			if !e.At.Before(end) {
				t.Fatalf("%s occurs at %v, not before the end %v", where, e.At, end)
			}
		}
	}
	for i, e := range tl.Events {
		if i > 0 && e.At.Before(tl.Events[i-1].At) {
			t.Fatalf("event %d is out of time order", i)
		}
		if e.Parent >= i {
			t.Fatalf("event %d refers to a later event %d", i, e.Parent)
		}
		if e.Parent >= 0 && !e.At.After(tl.Events[e.Parent].At) {
			t.Fatalf("event %d does not come after its parent", i)
		}
	}

	// Every type of the catalogue, but the ledger's own refusal record (the checker writes
	// it when the storyline's suspended party acts), and a key rotation.
	// The migration declaration is made when the demo runs (Timeline.Migration).
	counts := tl.Summary()
	counts["migration.declared.v1"]++
	if m := tl.Migration(time.Now()).Payload.(*events.MigrationDeclared); len(m.Institutions) != len(Institutions) || m.ClaimedFrom == "" {
		t.Errorf("migration %+v", m)
	}
	for _, name := range events.Names() {
		if counts[name] == 0 && name != "ledger.access_refused.v1" {
			t.Errorf("no %s event", name)
		}
	}
	if counts[TypeKeyRotated] != 1 {
		t.Errorf("%d key rotations", counts[TypeKeyRotated])
	}
	refused := 0
	for _, e := range tl.Events {
		if e.Refused != "" {
			refused++
			if e.Refused != "access_suspended" || events.FieldString(e.Payload, "party") != SuspendedParty.Party {
				t.Errorf("refused act %s by %s", e.Type, e.Institution)
			}
		}
	}
	if refused != 1 {
		t.Errorf("%d acts expected to be refused, want 1", refused)
	}

	findings := map[string]bool{}
	for _, v := range tl.Violations {
		findings[v.Finding] = true
	}
	for i := 1; i <= 18; i++ {
		if f := fmt.Sprintf("F%d", i); !findings[f] {
			t.Errorf("the storyline has no %s violation", f)
		}
	}
	again := Generate(Config{Events: 2000, Seed: 7, End: end})
	if !reflect.DeepEqual(tl, again) {
		t.Fatal("the same seed gave a different timeline")
	}
}

// TestDeadlinesByTheCalendar: on-time and late answers are on time and late in working
// days by the PRC calendar and the policy, not in calendar days.
func TestDeadlinesByTheCalendar(t *testing.T) {
	tl := Generate(Config{Events: 0, Seed: 3, End: end})
	cal := calendar.Default()
	byID := map[string]int{}
	for i, e := range tl.Events {
		switch p := e.Payload.(type) {
		case *events.ShareApplicationSubmitted:
			byID["share/"+p.Application] = i
		case *events.ContractTerminated:
			byID["contract/"+p.Contract] = i
		case *events.EmergencyEnded:
			byID["emergency/"+p.Emergency] = i
		}
	}
	lateness := map[string][2]int{} // rule → on time, late
	judge := func(rule string, from, to time.Time) {
		n, err := cal.WorkdaysBetween(calendar.DateOf(from), calendar.DateOf(to))
		if err != nil {
			t.Fatal(err)
		}
		c := lateness[rule]
		if n > deadline(rule, from) {
			c[1]++
		} else {
			c[0]++
		}
		lateness[rule] = c
	}
	for _, e := range tl.Events {
		switch p := e.Payload.(type) {
		case *events.ShareGranted:
			judge("D5", tl.Events[byID["share/"+p.Application]].At, e.At)
		case *events.AccountsRevoked:
			judge("D9", tl.Events[byID["contract/"+p.Contract]].At, e.At)
		case *events.ProviderDeletionEvidenced:
			judge("D10", tl.Events[byID["contract/"+p.Contract]].At, e.At)
		case *events.EmergencyDataDestroyed:
			judge("D8", tl.Events[byID["emergency/"+p.Emergency]].At, e.At)
		}
	}
	for _, rule := range []string{"D5", "D8", "D9", "D10"} {
		if c := lateness[rule]; c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: %d on time, %d late; want both", rule, c[0], c[1])
		}
	}
}

func TestWaves(t *testing.T) {
	tl := Generate(Config{Events: 3000, Seed: 1})
	waves := Waves(tl.Events, 256)
	in := make([]int, len(tl.Events))
	seen := 0
	for w, idx := range waves {
		for _, i := range idx {
			in[i] = w
			seen++
		}
	}
	if len(waves) > len(tl.Events)/64 {
		t.Errorf("%d waves for %d events: waves are far smaller than asked", len(waves), len(tl.Events))
	}
	if seen != len(tl.Events) {
		t.Fatalf("waves hold %d events, want %d", seen, len(tl.Events))
	}
	barriers := 0
	for i, e := range tl.Events {
		if e.Parent >= 0 && in[e.Parent] >= in[i] {
			t.Fatalf("event %d is in wave %d, its parent %d in wave %d", i, in[i], e.Parent, in[e.Parent])
		}
		if !e.Barrier {
			continue
		}
		barriers++
		if len(waves[in[i]]) != 1 {
			t.Fatalf("barrier %d shares wave %d with %d others", i, in[i], len(waves[in[i]])-1)
		}
		for j := range tl.Events {
			if (j < i && in[j] >= in[i]) || (j > i && in[j] <= in[i]) {
				t.Fatalf("event %d (wave %d) crosses the barrier %d (wave %d)", j, in[j], i, in[i])
			}
		}
	}
	if barriers == 0 {
		t.Fatal("no barrier in the timeline (the key rotation)")
	}
	// After the rotation, the rotating institution signs with its new key.
	for i, e := range tl.Events {
		if e.Rotates == "" {
			continue
		}
		for j, x := range tl.Events {
			if x.Institution == e.Rotates && !x.Root && (x.KeyGen == 1) != (j > i) {
				t.Fatalf("event %d by %s uses key generation %d; the rotation is event %d", j, x.Institution, x.KeyGen, i)
			}
		}
	}
}

func TestIngest(t *testing.T) {
	insts := []string{Authority, "aba-stats-bureau", "aba-health-commission"}
	evs := Ingest(500, 42, insts, end)
	if len(evs) != 500 {
		t.Fatalf("%d events", len(evs))
	}
	types := map[string]int{}
	for i := range evs {
		e := &evs[i]
		checkEvent(t, fmt.Sprintf("ingest[%d]", i), e)
		if e.Parent != -1 || e.Institution != insts[i%len(insts)] {
			t.Fatalf("ingest[%d]: parent %d, institution %s", i, e.Parent, e.Institution)
		}
		types[e.Type]++
	}
	if len(types) < 4 {
		t.Errorf("types %v", types)
	}
	for typ := range types {
		if ty, _ := events.Lookup(typ); ty.Authority || strings.HasPrefix(typ, "share.granted") {
			t.Errorf("%s needs state; ingest must be order-free", typ)
		}
	}
}

// No act of a timeline lies after its end, whatever hour of whatever day it ends at:
// the ledger refuses a claimed time in its future, so a demo run in the late morning
// must not chain routine uses past the present.
func TestNothingAfterTheEnd(t *testing.T) {
	base := time.Date(2026, 12, 7, 0, 0, 0, 0, zone)
	for h := 0; h < 7*24; h += 5 {
		end := base.Add(time.Duration(h) * time.Hour)
		tl := Generate(Config{Events: 2000, Seed: uint64(h), End: end})
		for _, e := range tl.Events {
			if e.At.After(end) {
				t.Fatalf("ending %v: %s at %v", end, e.Type, e.At)
			}
		}
	}
}
