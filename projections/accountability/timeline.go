package accountability

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
	"github.com/google/uuid"
)

// timeline keeps, for every resource, the acts that name it: the custody timeline a
// report on one resource shows. A read model cannot know which resource a report will
// ask for, so it keeps them all, compactly (a few tens of bytes an act): each act once,
// however many resources it names, its type, institution and person interned, its id as
// the 16 bytes of its UUID.
type timeline struct {
	Stamps  []stamp
	ByRes   map[string][]uint32 // resource → positions in Stamps, in seq order
	Strings []string            // interned texts; Strings[0] is ""
	index   map[string]uint32   // text → position in Strings
}

// stamp is one act of a timeline.
type stamp struct {
	Seq                uint64
	On                 calendar.Date
	Type, Inst, Person uint32   // positions in Strings
	UUID               [16]byte // the event id, when it is a UUID in its canonical form
	ID                 uint32   // else the event id's position in Strings (0: it is the UUID)
}

func newTimeline() *timeline {
	return &timeline{ByRes: map[string][]uint32{}, Strings: []string{""}, index: map[string]uint32{"": 0}}
}

func (t *timeline) intern(s string) uint32 {
	if i, ok := t.index[s]; ok {
		return i
	}
	i := uint32(len(t.Strings))
	t.Strings = append(t.Strings, s)
	t.index[s] = i
	return i
}

// add records e, counted on day on, on the timeline of each resource it names.
func (t *timeline) add(e *ledger.Entry, on calendar.Date, resources []string) {
	if len(resources) == 0 {
		return
	}
	s := &e.Submission
	st := stamp{Seq: e.Seq, On: on, Type: t.intern(s.Type), Inst: t.intern(s.Actor.Institution), Person: t.intern(s.Actor.Person)}
	if u, err := uuid.Parse(s.ID); err == nil && u.String() == s.ID {
		st.UUID = u
	} else {
		st.ID = t.intern(s.ID)
	}
	at := uint32(len(t.Stamps))
	t.Stamps = append(t.Stamps, st)
	for _, r := range resources {
		t.ByRes[r] = append(t.ByRes[r], at)
	}
}

// of is resource's timeline, in seq order.
func (t *timeline) of(resource string) []TimelineEntry {
	at := t.ByRes[resource]
	out := make([]TimelineEntry, len(at))
	for i, j := range at {
		st := t.Stamps[j]
		id := t.Strings[st.ID]
		if st.ID == 0 {
			id = uuid.UUID(st.UUID).String()
		}
		out[i] = TimelineEntry{Seq: st.Seq, On: st.On, Type: t.Strings[st.Type], Institution: t.Strings[st.Inst], Person: t.Strings[st.Person], ID: id}
	}
	return out
}

// timelineWire is a timeline as a snapshot holds it, its resources in key order.
type timelineWire struct {
	Stamps  []stamp
	ByRes   []snapshot.Entry[string, []uint32]
	Strings []string
}

func (t *timeline) wire() timelineWire {
	return timelineWire{Stamps: t.Stamps, ByRes: snapshot.Sorted(t.ByRes, snapshot.Same), Strings: t.Strings}
}

// restored is the timeline w holds, checked and with its index rebuilt.
func (w timelineWire) restored() (*timeline, error) {
	if len(w.Strings) == 0 || w.Strings[0] != "" {
		return nil, fmt.Errorf("corrupt snapshot: timeline texts do not start with the empty one")
	}
	n := uint32(len(w.Strings))
	for _, st := range w.Stamps {
		if st.Type >= n || st.Inst >= n || st.Person >= n || st.ID >= n {
			return nil, fmt.Errorf("corrupt snapshot: timeline act %d names text %d of %d", st.Seq, max(st.Type, st.Inst, st.Person, st.ID), n)
		}
	}
	var bad error
	t := &timeline{Stamps: w.Stamps, Strings: w.Strings, index: make(map[string]uint32, len(w.Strings)),
		ByRes: snapshot.Map(w.ByRes, func(at []uint32) ([]uint32, error) {
			for _, i := range at {
				if int(i) >= len(w.Stamps) {
					return nil, fmt.Errorf("corrupt snapshot: timeline act %d of %d", i, len(w.Stamps))
				}
			}
			return at, nil
		}, &bad)}
	if bad != nil {
		return nil, bad
	}
	for i, s := range w.Strings {
		if _, dup := t.index[s]; dup {
			return nil, fmt.Errorf("corrupt snapshot: timeline text %q twice", s)
		}
		t.index[s] = uint32(i)
	}
	return t, nil
}
