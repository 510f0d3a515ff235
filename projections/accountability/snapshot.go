package accountability

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/projections/internal/snapshot"
)

// snapshotFormat is the first byte of MarshalBinary's output; change it with any change
// to viewWire or to the types it holds.
const snapshotFormat = 1

// viewWire is the view as a snapshot holds it: its registry's own snapshot, maps as
// key-ordered entries, slices of pointers as slices of values, what may be missing as
// optional values and closed-set values as text.
type viewWire struct {
	Next         uint64
	Registry     []byte
	Resources    []resourceWire // by id
	Institutions []institutionWire
	Contracts    []contractWire
	Pending      []snapshot.Entry[string, []ContractAct]
	Grants       []snapshot.Entry[string, grant]
	Timeline     timelineWire
}

type resourceWire struct {
	ID, TitleZH, TitleEN, Responsible, Source, SourceVia string
	SourceSeq                                            uint64
	Systems                                              []string
	Collections                                          []Collection
	Holdings                                             []Holding
	Uses                                                 []useWire
	Operators                                            []operationWire
}

type useWire struct {
	User, Kind, Grant, Purpose string
	Within                     snapshot.Opt[bool]
	Count                      int
	Records                    int64
	First, Last                Act
}

type operationWire struct {
	System, Operator, Role, Contract, Client string
	Ended                                    snapshot.Opt[Act]
	First                                    Act
}

type institutionWire struct {
	ID, NameZH, NameEN, Level, County               string
	DataAuthority                                   bool
	Responsible, ResponsibleTitle, ResponsibleSince string
	ResponsibleSeq                                  uint64
	Posts                                           []postWire
	Titles                                          []snapshot.Entry[string, string]
}

type postWire struct {
	Person, Post, Since string
	Ended               snapshot.Opt[Act]
	Seq                 uint64
}

type contractWire struct {
	ID, Client, Provider, Scope string
	Systems, Data               []string
	Signed                      Act
	Ended                       snapshot.Opt[Act]
	History                     []ContractAct
}

// MarshalBinary writes the view's whole state (every resource's timeline included)
// behind a format byte, the same bytes for the same state.
func (v *View) MarshalBinary() ([]byte, error) {
	reg, err := v.reg.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("accountability: %w", err)
	}
	w := viewWire{Next: v.next, Registry: reg, Pending: snapshot.Sorted(v.pending, snapshot.Same),
		Grants: snapshot.Sorted(v.grants, snapshot.Same), Timeline: v.timeline.wire()}
	for _, r := range v.Resources() {
		w.Resources = append(w.Resources, resourceOut(r))
	}
	for _, in := range v.Institutions() {
		w.Institutions = append(w.Institutions, institutionOut(in))
	}
	for _, c := range v.Contracts() {
		w.Contracts = append(w.Contracts, contractWire{ID: c.ID, Client: c.Client, Provider: c.Provider, Scope: c.Scope, Systems: c.Systems,
			Data: c.Data, Signed: c.Signed, Ended: snapshot.OptOf(c.Ended), History: c.History})
	}
	b, err := snapshot.Marshal(snapshotFormat, w)
	if err != nil {
		return nil, fmt.Errorf("accountability: %w", err)
	}
	return b, nil
}

func resourceOut(r *Resource) resourceWire {
	w := resourceWire{ID: r.ID, TitleZH: r.TitleZH, TitleEN: r.TitleEN, Responsible: r.Responsible, Source: r.Source, SourceVia: r.SourceVia,
		SourceSeq: r.SourceSeq, Systems: r.Systems, Collections: snapshot.Values(r.Collections), Holdings: snapshot.Values(r.Holdings)}
	for _, u := range r.Uses {
		w.Uses = append(w.Uses, useWire{User: u.User, Kind: u.Kind, Grant: u.Grant, Purpose: u.Purpose, Within: snapshot.OptOf(u.WithinGrant),
			Count: u.Count, Records: u.Records, First: u.First, Last: u.Last})
	}
	for _, o := range r.Operators {
		w.Operators = append(w.Operators, operationWire{System: o.System, Operator: o.Operator, Role: o.Role, Contract: o.Contract, Client: o.Client,
			Ended: snapshot.OptOf(o.Ended), First: o.First})
	}
	return w
}

func institutionOut(in *Institution) institutionWire {
	w := institutionWire{ID: in.ID, NameZH: in.NameZH, NameEN: in.NameEN, Level: in.Level.String(), County: in.County, DataAuthority: in.DataAuthority,
		Responsible: in.Responsible, ResponsibleTitle: in.ResponsibleTitle, ResponsibleSince: in.ResponsibleSince, ResponsibleSeq: in.ResponsibleSeq,
		Titles: snapshot.Sorted(in.titles, snapshot.Same)}
	for _, p := range in.Posts {
		w.Posts = append(w.Posts, postWire{Person: p.Person, Post: p.Post.String(), Since: p.Since, Ended: snapshot.OptOf(p.Ended), Seq: p.Seq})
	}
	return w
}

// UnmarshalBinary restores what MarshalBinary wrote into a fresh view made with the same
// policy and calendar. A snapshot it cannot take is refused.
func (v *View) UnmarshalBinary(data []byte) error {
	var w viewWire
	if err := snapshot.Unmarshal(data, "accountability", snapshotFormat, &w); err != nil {
		return err
	}
	if err := v.restore(&w); err != nil {
		return fmt.Errorf("accountability: %w", err)
	}
	return nil
}

func (v *View) restore(w *viewWire) error {
	var bad error
	resources := make(map[string]*Resource, len(w.Resources))
	for _, rw := range w.Resources {
		r := &Resource{ID: rw.ID, TitleZH: rw.TitleZH, TitleEN: rw.TitleEN, Responsible: rw.Responsible, Source: rw.Source, SourceVia: rw.SourceVia,
			SourceSeq: rw.SourceSeq, Systems: rw.Systems, Collections: snapshot.Pointers(rw.Collections), Holdings: snapshot.Pointers(rw.Holdings)}
		for _, u := range rw.Uses {
			r.Uses = append(r.Uses, &Use{User: u.User, Kind: u.Kind, Grant: u.Grant, Purpose: u.Purpose, WithinGrant: u.Within.Ptr(),
				Count: u.Count, Records: u.Records, First: u.First, Last: u.Last})
		}
		for _, o := range rw.Operators {
			r.Operators = append(r.Operators, &Operation{System: o.System, Operator: o.Operator, Role: o.Role, Contract: o.Contract, Client: o.Client,
				Ended: o.Ended.Ptr(), First: o.First})
		}
		resources[r.ID] = r
	}
	institutions := make(map[string]*Institution, len(w.Institutions))
	for _, iw := range w.Institutions {
		in := &Institution{ID: iw.ID, NameZH: iw.NameZH, NameEN: iw.NameEN, County: iw.County, DataAuthority: iw.DataAuthority,
			Responsible: iw.Responsible, ResponsibleTitle: iw.ResponsibleTitle, ResponsibleSince: iw.ResponsibleSince, ResponsibleSeq: iw.ResponsibleSeq,
			titles: snapshot.Map(iw.Titles, snapshot.Keep[string], &bad)}
		level, err := snapshot.FromText[domain.Level](iw.Level)
		if err != nil && bad == nil {
			bad = err
		}
		in.Level = level
		for _, p := range iw.Posts {
			post, err := snapshot.FromText[domain.Post](p.Post)
			if err != nil && bad == nil {
				bad = err
			}
			in.Posts = append(in.Posts, &Post{Person: p.Person, Post: post, Since: p.Since, Ended: p.Ended.Ptr(), Seq: p.Seq})
		}
		institutions[in.ID] = in
	}
	contracts := make(map[string]*Contract, len(w.Contracts))
	for _, c := range w.Contracts {
		contracts[c.ID] = &Contract{ID: c.ID, Client: c.Client, Provider: c.Provider, Scope: c.Scope, Systems: c.Systems, Data: c.Data,
			Signed: c.Signed, Ended: c.Ended.Ptr(), History: c.History}
	}
	pending := snapshot.Map(w.Pending, snapshot.Keep[[]ContractAct], &bad)
	grants := snapshot.Map(w.Grants, snapshot.Keep[grant], &bad)
	tl, err := w.Timeline.restored()
	if err != nil && bad == nil {
		bad = err
	}
	if len(resources) != len(w.Resources) || len(institutions) != len(w.Institutions) || len(contracts) != len(w.Contracts) {
		bad = fmt.Errorf("corrupt snapshot: a resource, institution or contract twice")
	}
	if bad != nil {
		return bad
	}
	if err := v.reg.UnmarshalBinary(w.Registry); err != nil {
		return err
	}
	v.next, v.resources, v.institutions, v.contracts, v.pending, v.grants, v.timeline = w.Next, resources, institutions, contracts, pending, grants, tl
	return nil
}
