package registry

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"fmt"
	"maps"
	"slices"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
)

// snapshotFormat is the first byte of MarshalBinary's output: a state written in another
// format is refused, never misread. Change it with any change to stateWire.
const snapshotFormat = 1

// stateWire is State as a snapshot holds it: exported fields (gob writes no other),
// every map as a slice in key order (gob writes maps in random order, and the same state
// must give the same bytes), no pointers (a case lives only in its map). The policy and
// calendar are configuration, not state: the State it is restored into brings its own.
type stateWire struct {
	Next         uint64
	Authority    string
	Institutions []keyed[institutionWire]
	Resources    []keyed[resourceWire]
	Cases        []keyed[Case]
	Suspensions  []keyed[[]keyed[suspensionWire]]
	Issuers      []keyed[[]string]
	Persons      []keyed[[]string] // institution → the people it registered, sorted
	Collectors   []keyed[[]keyed[[]string]]
	History      []keyed[[]suspensionWire]
	Migrations   []acttime.Migration
}

// The wire forms of the types that hold closed-set values (domain.Enum): gob cannot
// write them (their one field is unexported), so they travel as their text.
type (
	institutionWire struct {
		ID, NameZH, NameEN, Level, Kind, County, Responsible string
		DataAuthority                                        bool
	}
	resourceWire struct {
		ID, Holder, Sharing, Opening, Source string
		Holders                              []Span
	}
	suspensionWire struct {
		ID, Party, PartyKind, Issuer string
		Resources                    []string
		Seq                          uint64
		From, Until                  calendar.Date
	}
)

func institutionOut(in Institution) institutionWire {
	return institutionWire{ID: in.ID, NameZH: in.NameZH, NameEN: in.NameEN, Level: in.Level.String(), Kind: in.Kind.String(),
		County: in.County, Responsible: in.Responsible, DataAuthority: in.DataAuthority}
}

func institutionIn(w institutionWire, bad *error) Institution {
	return Institution{ID: w.ID, NameZH: w.NameZH, NameEN: w.NameEN, Level: enum[domain.Level](w.Level, bad), Kind: enum[domain.InstitutionKind](w.Kind, bad),
		County: w.County, Responsible: w.Responsible, DataAuthority: w.DataAuthority}
}

func resourceOut(r Resource) resourceWire {
	return resourceWire{ID: r.ID, Holder: r.Holder, Sharing: r.Sharing.String(), Opening: r.Opening.String(), Source: r.Source, Holders: r.Holders}
}

func resourceIn(w resourceWire, bad *error) Resource {
	return Resource{ID: w.ID, Holder: w.Holder, Sharing: enum[domain.SharingAttribute](w.Sharing, bad), Opening: enum[domain.OpeningAttribute](w.Opening, bad),
		Source: w.Source, Holders: w.Holders}
}

func suspensionOut(sp Suspension) suspensionWire {
	return suspensionWire{ID: sp.ID, Party: sp.Party, PartyKind: sp.PartyKind.String(), Issuer: sp.Issuer, Resources: sp.Resources, Seq: sp.Seq, From: sp.From, Until: sp.Until}
}

func suspensionIn(w suspensionWire, bad *error) Suspension {
	return Suspension{ID: w.ID, Party: w.Party, PartyKind: enum[domain.PartyKind](w.PartyKind, bad), Issuer: w.Issuer, Resources: w.Resources, Seq: w.Seq, From: w.From, Until: w.Until}
}

func suspensionsOut(sps []Suspension) []suspensionWire {
	out := make([]suspensionWire, len(sps))
	for i, sp := range sps {
		out[i] = suspensionOut(sp)
	}
	return out
}

// enum reads a closed-set value's text; "" is the zero value (not given), and a text
// outside the set (a corrupt snapshot) is kept in *bad.
func enum[T any, P interface {
	*T
	encoding.TextUnmarshaler
}](s string, bad *error) T {
	var v T
	if s != "" {
		if err := P(&v).UnmarshalText([]byte(s)); err != nil && *bad == nil {
			*bad = fmt.Errorf("registry: corrupt snapshot: %w", err)
		}
	}
	return v
}

// keyed is one map entry.
type keyed[V any] struct {
	K string
	V V
}

func sorted[V, W any](m map[string]V, f func(V) W) []keyed[W] {
	out := make([]keyed[W], 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, keyed[W]{k, f(m[k])})
	}
	return out
}

// unsorted is the map sorted was made from; a key twice (a corrupt snapshot) is kept in
// *bad, the first such problem only.
func unsorted[V, W any](es []keyed[V], f func(V) W, bad *error) map[string]W {
	m := make(map[string]W, len(es))
	for _, e := range es {
		if _, dup := m[e.K]; dup && *bad == nil {
			*bad = fmt.Errorf("registry: corrupt snapshot: key %q twice", e.K)
		}
		m[e.K] = f(e.V)
	}
	return m
}

func same[V any](v V) V { return v }

// MarshalBinary writes the whole state (position included) behind a format byte, the
// same bytes for the same state.
func (s *State) MarshalBinary() ([]byte, error) {
	s.mu.RLock()
	w := stateWire{Next: s.next, Authority: s.authority, Migrations: s.migrations,
		Institutions: sorted(s.institutions, institutionOut), Resources: sorted(s.resources, resourceOut),
		Cases:       sorted(s.cases, func(c *Case) Case { return *c }),
		Suspensions: sorted(s.suspensions, func(m map[string]Suspension) []keyed[suspensionWire] { return sorted(m, suspensionOut) }),
		Issuers:     sorted(s.issuers, same),
		Persons:     sorted(s.persons, func(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }),
		Collectors:  sorted(s.collectors, func(m map[string][]string) []keyed[[]string] { return sorted(m, same) }),
		History:     sorted(s.history, suspensionsOut)}
	var b bytes.Buffer
	b.WriteByte(snapshotFormat)
	err := gob.NewEncoder(&b).Encode(w)
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("registry: encoding the state: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalBinary restores what MarshalBinary wrote into s, which counts days with its
// own policy and calendar. Data in another format or corrupt is refused and s is left
// as it was.
func (s *State) UnmarshalBinary(data []byte) (err error) {
	if len(data) == 0 || data[0] != snapshotFormat {
		return fmt.Errorf("registry: not a state snapshot of format %d", snapshotFormat)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("registry: corrupt snapshot: %v", p)
		}
	}()
	r := bytes.NewReader(data[1:])
	var w stateWire
	if err := gob.NewDecoder(r).Decode(&w); err != nil {
		return fmt.Errorf("registry: corrupt snapshot: %w", err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("registry: corrupt snapshot: %d bytes after the state", r.Len())
	}
	return s.restore(&w)
}

func (s *State) restore(w *stateWire) error {
	var bad error
	ins := unsorted(w.Institutions, func(in institutionWire) Institution { return institutionIn(in, &bad) }, &bad)
	res := unsorted(w.Resources, func(r resourceWire) Resource { return resourceIn(r, &bad) }, &bad)
	cases := unsorted(w.Cases, func(c Case) *Case { return &c }, &bad)
	suspIn := func(sp suspensionWire) Suspension { return suspensionIn(sp, &bad) }
	susp := unsorted(w.Suspensions, func(es []keyed[suspensionWire]) map[string]Suspension { return unsorted(es, suspIn, &bad) }, &bad)
	iss := unsorted(w.Issuers, same, &bad)
	persons := unsorted(w.Persons, func(ps []string) map[string]bool {
		m := make(map[string]bool, len(ps))
		for _, p := range ps {
			m[p] = true
		}
		return m
	}, &bad)
	coll := unsorted(w.Collectors, func(es []keyed[[]string]) map[string][]string { return unsorted(es, same, &bad) }, &bad)
	hist := unsorted(w.History, func(sps []suspensionWire) []Suspension {
		out := make([]Suspension, len(sps))
		for i, sp := range sps {
			out[i] = suspIn(sp)
		}
		return out
	}, &bad)
	if bad != nil {
		return bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next, s.authority, s.migrations = w.Next, w.Authority, w.Migrations
	s.institutions, s.resources, s.cases, s.suspensions = ins, res, cases, susp
	s.issuers, s.persons, s.collectors, s.history = iss, persons, coll, hist
	return nil
}
