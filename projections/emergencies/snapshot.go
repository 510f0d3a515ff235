package emergencies

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
)

// snapshotFormat is the first byte of MarshalBinary's output; change it with any change
// to registerWire.
const snapshotFormat = 1

// registerWire is the register as a snapshot holds it: its registry's own snapshot and
// the emergencies in the order they first appeared (the index by id is rebuilt from
// them); acts that may be missing as optional values, closed-set values as text.
type registerWire struct {
	Next        uint64
	Registry    []byte
	Emergencies []emergencyWire
}

type emergencyWire struct {
	ID, Title, Kind string
	Declared, Ended snapshot.Opt[Act]
	EndedOn         calendar.Date
	Data            []dataWire
	Applications    []Application
}

type dataWire struct {
	Resource                      string
	Collectors                    []string
	Records                       int64
	Collections                   []uint64
	Evaluation, Sealed, Destroyed snapshot.Opt[Act]
	Categories                    []string
	Disposition                   string
}

// MarshalBinary writes the register's whole state behind a format byte, the same bytes
// for the same state.
func (r *Register) MarshalBinary() ([]byte, error) {
	reg, err := r.reg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("emergencies: %w", err)
	}
	w := registerWire{Next: r.next, Registry: reg, Emergencies: make([]emergencyWire, len(r.order))}
	for i, em := range r.order {
		ew := emergencyWire{ID: em.ID, Title: em.Title, Kind: em.Kind.String(), Declared: snapshot.OptOf(em.Declared), Ended: snapshot.OptOf(em.Ended),
			EndedOn: em.EndedOn, Applications: em.Applications}
		for _, d := range em.Data {
			ew.Data = append(ew.Data, dataWire{Resource: d.Resource, Collectors: d.Collectors, Records: d.Records, Collections: d.Collections,
				Evaluation: snapshot.OptOf(d.Evaluation), Sealed: snapshot.OptOf(d.Sealed), Destroyed: snapshot.OptOf(d.Destroyed),
				Categories: snapshot.Texts(d.Categories), Disposition: d.Disposition.String()})
		}
		w.Emergencies[i] = ew
	}
	b, err := snapshot.Marshal(snapshotFormat, w)
	if err != nil {
		return nil, fmt.Errorf("emergencies: %w", err)
	}
	return b, nil
}

// UnmarshalBinary restores what MarshalBinary wrote into a fresh register made with the
// same policy and calendar. A snapshot it cannot take is refused.
func (r *Register) UnmarshalBinary(data []byte) error {
	var w registerWire
	if err := snapshot.Unmarshal(data, "emergencies", snapshotFormat, &w); err != nil {
		return err
	}
	if err := r.restore(&w); err != nil {
		return fmt.Errorf("emergencies: %w", err)
	}
	return nil
}

func (r *Register) restore(w *registerWire) error {
	byID := make(map[string]*Emergency, len(w.Emergencies))
	order := make([]*Emergency, len(w.Emergencies))
	for i, ew := range w.Emergencies {
		if _, dup := byID[ew.ID]; dup {
			return fmt.Errorf("emergency %q twice", ew.ID)
		}
		kind, err := snapshot.FromText[domain.EmergencyKind](ew.Kind)
		if err != nil {
			return err
		}
		em := &Emergency{ID: ew.ID, Title: ew.Title, Kind: kind, Declared: ew.Declared.Ptr(), Ended: ew.Ended.Ptr(), EndedOn: ew.EndedOn,
			Applications: ew.Applications}
		for _, dw := range ew.Data {
			d := &Data{Resource: dw.Resource, Collectors: dw.Collectors, Records: dw.Records, Collections: dw.Collections,
				Evaluation: dw.Evaluation.Ptr(), Sealed: dw.Sealed.Ptr(), Destroyed: dw.Destroyed.Ptr()}
			if d.Categories, err = snapshot.FromTexts[domain.Sensitive](dw.Categories); err != nil {
				return err
			}
			if d.Disposition, err = snapshot.FromText[domain.Disposition](dw.Disposition); err != nil {
				return err
			}
			em.Data = append(em.Data, d)
		}
		byID[ew.ID], order[i] = em, em
	}
	if err := r.reg.UnmarshalBinary(w.Registry); err != nil {
		return err
	}
	r.next, r.byID, r.order = w.Next, byID, order
	return nil
}
