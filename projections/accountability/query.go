package accountability

import (
	"cmp"
	"slices"

	"github.com/aba-prefecture/dataledger/domain/registry"
)

// Resources returns every resource named by the catalog or by an act, sorted by id.
func (v *View) Resources() []*Resource {
	out := make([]*Resource, 0, len(v.resources))
	for _, r := range v.resources {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Resource) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Resource returns one resource.
func (v *View) Resource(id string) (*Resource, bool) { r, ok := v.resources[id]; return r, ok }

// Institutions returns every institution registered or acting, sorted by id.
func (v *View) Institutions() []*Institution {
	out := make([]*Institution, 0, len(v.institutions))
	for _, in := range v.institutions {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *Institution) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Operations is who runs the systems r lives in (谁运行): the institutions and the
// platform seen handling it there, and every outsourced provider whose contract covers
// one of those systems (Art. 39), in the order they appeared.
func (v *View) Operations(r *Resource) []Operation {
	out := make([]Operation, 0, len(r.Operators))
	for _, o := range r.Operators {
		out = append(out, *o)
	}
	ids := make([]string, 0, len(v.contracts))
	for id := range v.contracts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, sys := range r.Systems {
		for _, id := range ids {
			c := v.contracts[id]
			if slices.Contains(c.Systems, sys) {
				out = append(out, Operation{System: sys, Operator: c.Provider, Role: "provider", Contract: c.ID, Client: c.Client, Ended: c.Ended, First: c.Signed})
			}
		}
	}
	return out
}

// Timeline is resource's custody timeline: every act that names it (in its payload, or
// a share grant through the application it answers), in seq order.
func (v *View) Timeline(resource string) []TimelineEntry { return v.timeline.of(resource) }

// Registry is the registry the view counts days by.
func (v *View) Registry() *registry.State { return v.reg }
