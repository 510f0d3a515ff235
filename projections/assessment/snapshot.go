package assessment

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
)

// snapshotFormat is the first byte of MarshalBinary's output; change it with any change
// to foldWire.
const snapshotFormat = 1

// foldWire is the fold's state as a snapshot holds it: the findings fold's own snapshot
// and the acts counted, institution → year → type, in key order.
type foldWire struct {
	Next     uint64
	Findings []byte
	Acts     []snapshot.Entry[string, []snapshot.Entry[int, []snapshot.Entry[string, int]]]
}

// MarshalBinary writes the fold's whole state behind a format byte, the same bytes for
// the same state.
func (a *Fold) MarshalBinary() ([]byte, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	f, err := a.f.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("assessment: %w", err)
	}
	w := foldWire{Next: a.next, Findings: f, Acts: snapshot.Sorted(a.acts, func(years map[int]map[string]int) []snapshot.Entry[int, []snapshot.Entry[string, int]] {
		return snapshot.Sorted(years, func(types map[string]int) []snapshot.Entry[string, int] { return snapshot.Sorted(types, snapshot.Same) })
	})}
	b, err := snapshot.Marshal(snapshotFormat, w)
	if err != nil {
		return nil, fmt.Errorf("assessment: %w", err)
	}
	return b, nil
}

// UnmarshalBinary restores what MarshalBinary wrote into a fresh fold made with the same
// policy and calendar. A snapshot it cannot take is refused.
func (a *Fold) UnmarshalBinary(data []byte) error {
	var w foldWire
	if err := snapshot.Unmarshal(data, "assessment", snapshotFormat, &w); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.f.UnmarshalBinary(w.Findings); err != nil {
		return fmt.Errorf("assessment: %w", err)
	}
	var bad error
	acts := snapshot.Map(w.Acts, func(years []snapshot.Entry[int, []snapshot.Entry[string, int]]) (map[int]map[string]int, error) {
		return snapshot.Map(years, func(types []snapshot.Entry[string, int]) (map[string]int, error) {
			return snapshot.Map(types, snapshot.Keep[int], &bad), nil
		}, &bad), nil
	}, &bad)
	if bad != nil {
		return fmt.Errorf("assessment: corrupt snapshot: %w", bad)
	}
	a.next, a.acts = w.Next, acts
	return nil
}
