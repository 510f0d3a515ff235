package findings

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
)

// snapshotFormat is the first byte of MarshalBinary's output; change it with any change
// to foldWire or to the types it holds.
const snapshotFormat = 1

// foldWire is the fold's state as a snapshot holds it: the registry and the
// obligations fold as their own snapshots (the two folds share the registry, so it is
// written once), maps as key-ordered entries, and the pointers of a rectification order
// as optional values.
type foldWire struct {
	Next        uint64
	Registry    []byte
	Obligations []byte
	Raised      []raised
	Approvals   []snapshot.Entry[string, approval]
	Grants      []snapshot.Entry[string, []string]
	Designated  []snapshot.Entry[string, [2]string]
	Emergencies []snapshot.Entry[string, emergencyDays]
	Drafted     []string // projects with a drafted catalog
	Passed      []string // contracts with a passed security review
	Contracts   []contract
	Amendments  []amendment
	ReviewSeq   []snapshot.Entry[string, uint64]
	NDAs        []snapshot.Entry[string, []calendar.Date]
	Duties      []snapshot.Entry[string, []snapshot.Entry[int, duties]]
	Registered  []snapshot.Entry[string, calendar.Date]
	Cases       []snapshot.Entry[string, inconsistency]
	Orders      []orderWire
}

type orderWire struct {
	Order                string
	Seq                  uint64
	Ordered, Deadline    calendar.Date
	Completed, Escalated snapshot.Opt[Evidence]
	Inst                 string
	Rules, Evidence      []string
}

// MarshalBinary writes the fold's whole state (its registry and obligations included)
// behind a format byte, the same bytes for the same state.
func (f *Fold) MarshalBinary() ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	reg, err := f.reg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	obl, err := f.obl.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	w := foldWire{Next: f.next, Registry: reg, Obligations: obl, Raised: f.raised,
		Approvals: snapshot.Sorted(f.approvals, snapshot.Same), Grants: snapshot.Sorted(f.grants, snapshot.Same),
		Designated: snapshot.Sorted(f.designated, snapshot.Same), Emergencies: snapshot.Sorted(f.emergencies, snapshot.Same),
		Drafted: slices.Sorted(maps.Keys(f.drafted)), Passed: slices.Sorted(maps.Keys(f.passed)),
		Contracts: snapshot.Values(f.contracts), Amendments: snapshot.Values(f.amendments),
		ReviewSeq: snapshot.Sorted(f.reviewSeq, snapshot.Same), NDAs: snapshot.Sorted(f.ndas, snapshot.Same),
		Duties: snapshot.Sorted(f.duties, func(m map[int]*duties) []snapshot.Entry[int, duties] {
			return snapshot.Sorted(m, func(d *duties) duties { return *d })
		}),
		Registered: snapshot.Sorted(f.registered, snapshot.Same), Cases: snapshot.Sorted(f.cases, snapshot.Same)}
	for _, o := range f.orders {
		w.Orders = append(w.Orders, orderWire{Order: o.Order, Seq: o.Seq, Ordered: o.Ordered, Deadline: o.Deadline,
			Completed: snapshot.OptOf(o.Completed), Escalated: snapshot.OptOf(o.Escalated), Inst: o.Inst, Rules: o.Rules, Evidence: o.Evidence})
	}
	b, err := snapshot.Marshal(snapshotFormat, w)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	return b, nil
}

// UnmarshalBinary restores what MarshalBinary wrote into a fresh fold made with the same
// policy and calendar. A snapshot it cannot take is refused.
func (f *Fold) UnmarshalBinary(data []byte) error {
	var w foldWire
	if err := snapshot.Unmarshal(data, "findings", snapshotFormat, &w); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.restore(&w); err != nil {
		return fmt.Errorf("findings: %w", err)
	}
	return nil
}

func (f *Fold) restore(w *foldWire) error {
	if err := f.reg.UnmarshalBinary(w.Registry); err != nil {
		return err
	}
	if err := f.obl.UnmarshalBinary(w.Obligations); err != nil {
		return err
	}
	var bad error
	approvals := snapshot.Map(w.Approvals, snapshot.Keep[approval], &bad)
	grants := snapshot.Map(w.Grants, snapshot.Keep[[]string], &bad)
	designated := snapshot.Map(w.Designated, snapshot.Keep[[2]string], &bad)
	emergencies := snapshot.Map(w.Emergencies, snapshot.Keep[emergencyDays], &bad)
	reviewSeq := snapshot.Map(w.ReviewSeq, snapshot.Keep[uint64], &bad)
	ndas := snapshot.Map(w.NDAs, snapshot.Keep[[]calendar.Date], &bad)
	byInst := snapshot.Map(w.Duties, func(ds []snapshot.Entry[int, duties]) (map[int]*duties, error) {
		return snapshot.Map(ds, func(d duties) (*duties, error) { return &d, nil }, &bad), nil
	}, &bad)
	registered := snapshot.Map(w.Registered, snapshot.Keep[calendar.Date], &bad)
	cases := snapshot.Map(w.Cases, snapshot.Keep[inconsistency], &bad)
	if bad != nil {
		return bad
	}
	f.next, f.raised, f.approvals, f.grants, f.designated, f.emergencies = w.Next, w.Raised, approvals, grants, designated, emergencies
	f.drafted, f.passed = snapshot.Set(w.Drafted), snapshot.Set(w.Passed)
	f.contracts, f.amendments = snapshot.Pointers(w.Contracts), snapshot.Pointers(w.Amendments)
	f.reviewSeq, f.ndas, f.duties, f.registered, f.cases = reviewSeq, ndas, byInst, registered, cases
	f.orders = make([]*order, len(w.Orders))
	for i, o := range w.Orders {
		f.orders[i] = &order{Rectification: Rectification{Order: o.Order, Seq: o.Seq, Ordered: o.Ordered, Deadline: o.Deadline,
			Completed: o.Completed.Ptr(), Escalated: o.Escalated.Ptr()}, Inst: o.Inst, Rules: o.Rules, Evidence: o.Evidence}
	}
	return nil
}
