package obligations

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
)

// snapshotFormat is the first byte of MarshalBinary's output; change it with any change
// to foldWire.
const snapshotFormat = 1

// foldWire is the fold's state as a snapshot holds it. An obligation is shared between
// the list, the index by deadline and subject, the unreported D2s and an emergency's D8:
// the list holds it, the others its position in the list. Its policy version is not
// state: it is found again by its id.
type foldWire struct {
	Next     uint64
	Registry []byte // the fold's own registry; none when the caller keeps it
	Obs      []obWire
	ByKey    []snapshot.Entry[string, int]
	D2       []snapshot.Entry[string, []int]
	Emerg    []snapshot.Entry[string, emergencyWire]
}

type obWire struct {
	O       Obligation
	Pending []string // D1: resources still to update, sorted
	MetAt   int
}

type emergencyWire struct {
	Collected []string
	Evaluated []snapshot.Entry[string, string] // resource → disposition
	Disposed  []string
	Shutdowns int
	Ended     int // position of its D8 in Obs; -1 while it has not ended
}

// MarshalBinary writes the fold's whole state behind a format byte (its registry too
// when it folds its own), the same bytes for the same state.
func (f *Fold) MarshalBinary() ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	w := foldWire{Next: f.next, Obs: make([]obWire, len(f.obs))}
	at := make(map[*ob]int, len(f.obs))
	for i, o := range f.obs {
		at[o] = i
		w.Obs[i] = obWire{O: o.Obligation, Pending: slices.Sorted(maps.Keys(o.pending)), MetAt: o.metAt}
	}
	w.ByKey = snapshot.Sorted(f.byKey, func(o *ob) int { return at[o] })
	w.D2 = snapshot.Sorted(f.d2, func(os []*ob) []int {
		out := make([]int, len(os))
		for i, o := range os {
			out[i] = at[o]
		}
		return out
	})
	w.Emerg = snapshot.Sorted(f.emerg, func(em *emergency) emergencyWire {
		ew := emergencyWire{Collected: slices.Sorted(maps.Keys(em.collected)), Disposed: slices.Sorted(maps.Keys(em.disposed)),
			Shutdowns: em.shutdowns, Ended: -1,
			Evaluated: snapshot.Sorted(em.evaluated, domain.Disposition.String)}
		if em.ended != nil {
			ew.Ended = at[em.ended]
		}
		return ew
	})
	if f.ownReg {
		b, err := f.reg.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("obligations: %w", err)
		}
		w.Registry = b
	}
	b, err := snapshot.Marshal(snapshotFormat, w)
	if err != nil {
		return nil, fmt.Errorf("obligations: %w", err)
	}
	return b, nil
}

// UnmarshalBinary restores what MarshalBinary wrote into a fresh fold made with the same
// policy and calendar (and, for a fold reading a registry it does not keep, after that
// registry was restored). A snapshot it cannot take is refused.
func (f *Fold) UnmarshalBinary(data []byte) error {
	var w foldWire
	if err := snapshot.Unmarshal(data, "obligations", snapshotFormat, &w); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.restore(&w); err != nil {
		return fmt.Errorf("obligations: %w", err)
	}
	return nil
}

func (f *Fold) restore(w *foldWire) error {
	if (len(w.Registry) > 0) != f.ownReg {
		return fmt.Errorf("a snapshot of a fold that keeps its own registry: %v, this one: %v", len(w.Registry) > 0, f.ownReg)
	}
	if f.ownReg {
		if err := f.reg.UnmarshalBinary(w.Registry); err != nil {
			return err
		}
	}
	obs := make([]*ob, len(w.Obs))
	for i, x := range w.Obs {
		o := &ob{Obligation: x.O, metAt: x.MetAt}
		if x.MetAt < -1 || x.MetAt >= len(x.O.Acts) {
			return fmt.Errorf("obligation %d met by act %d of %d", i, x.MetAt, len(x.O.Acts))
		}
		if len(x.Pending) > 0 {
			o.pending = snapshot.Set(x.Pending)
		}
		if o.Policy != "" {
			v, err := f.pol.At(o.Start)
			if err != nil || v.ID != o.Policy {
				return fmt.Errorf("obligation %s %s was judged under policy %s, which the policy set does not hold for %s", o.Deadline, o.Subject, o.Policy, o.Start)
			}
			o.version = v
		}
		obs[i] = o
	}
	nth := func(i int) (*ob, error) {
		if i < 0 || i >= len(obs) {
			return nil, fmt.Errorf("obligation %d of %d", i, len(obs))
		}
		return obs[i], nil
	}
	var bad error
	byKey := snapshot.Map(w.ByKey, nth, &bad)
	d2 := snapshot.Map(w.D2, func(is []int) ([]*ob, error) {
		out := make([]*ob, len(is))
		for j, i := range is {
			o, err := nth(i)
			if err != nil {
				return nil, err
			}
			out[j] = o
		}
		return out, nil
	}, &bad)
	emerg := snapshot.Map(w.Emerg, func(ew emergencyWire) (*emergency, error) {
		em := &emergency{collected: snapshot.Set(ew.Collected), disposed: snapshot.Set(ew.Disposed), shutdowns: ew.Shutdowns,
			evaluated: snapshot.Map(ew.Evaluated, snapshot.FromText[domain.Disposition], &bad)}
		if ew.Ended < 0 {
			return em, nil
		}
		var err error
		em.ended, err = nth(ew.Ended)
		return em, err
	}, &bad)
	if bad != nil {
		return bad
	}
	f.next, f.obs, f.byKey, f.d2, f.emerg = w.Next, obs, byKey, d2, emerg
	return nil
}
