package accountability

import (
	"slices"
	"testing"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
)

const (
	res      = "health.vaccinations"
	holder   = "health"
	user     = "civil"
	provider = "sc-provider"
)

// story is one resource's life: cataloged, collected, stored in a system an outsourced
// provider runs, shared under a grant and used inside and outside it, copied, sealed.
func story() []*ledger.Entry {
	l := &foldtest.Log{}
	ty, _ := events.Lookup("catalog.entry_registered.v1")
	entry := ty.Example.(*events.CatalogEntryRegistered).CatalogEntry // valid in every attribute
	entry.Resource, entry.TitleZH, entry.TitleEN, entry.Responsible, entry.System = res, "接种记录", "Vaccinations", holder, "sys.immunisation"
	return []*ledger.Entry{
		l.Add("2025-03-01", "root", "institution.registered.v1", events.InstitutionRegistered{Institution: holder, NameZH: "卫健委", NameEN: "Health", Level: domain.LevelPrefecture}),
		l.Add("2025-03-01", "root", "institution.registered.v1", events.InstitutionRegistered{Institution: user, NameZH: "民政局", Level: domain.LevelPrefecture}),
		l.Add("2025-03-02", holder, "person.registered.v1", events.PersonRegistered{Person: "p-head", Name: "某某", Title: "主任"}),
		l.Add("2025-03-02", holder, "person.responsible_designated.v1", events.ResponsibleDesignated{Person: "p-head", Since: "2025-03-02"}),
		l.Add("2025-03-02", holder, "person.post_assigned.v1", events.PostAssigned{Person: "p-sec", Post: domain.PostSecurityManager, Since: "2025-03-02"}),
		l.Add("2025-03-02", holder, "person.post_assigned.v1", events.PostAssigned{Person: "p-old", Post: domain.PostDedicatedStaff, Since: "2025-03-02"}),
		l.Add("2025-03-03", holder, "person.post_ended.v1", events.PostEnded{Person: "p-old", Post: domain.PostDedicatedStaff, Reason: "left"}),
		l.Add("2025-03-03", holder, "catalog.entry_registered.v1", events.CatalogEntryRegistered{CatalogEntry: entry}),
		l.Add("2025-03-04", holder, "data.collected.v1", events.DataCollected{Resource: res, Records: 100, Purpose: "p", LegalBasis: "l"}),
		l.Add("2025-03-05", holder, "data.collected.v1", events.DataCollected{Resource: res, Records: 50, Purpose: "p", LegalBasis: "l"}),
		l.Add("2025-03-05", holder, "outsourcing.contract_signed.v1", events.ContractSigned{Contract: "ctr-1", Provider: provider, Scope: "ops", Systems: []string{"sys.immunisation"}}),
		l.Add("2025-03-06", user, "share.application_submitted.v1", events.ShareApplicationSubmitted{Application: "app-1", Resource: res, Provider: holder, Purposes: []string{"aid"}, Duty: "d"}),
		l.Add("2025-03-07", holder, "share.granted.v1", events.ShareGranted{Application: "app-1", Grant: "grt-1", Purposes: []string{"aid"}}),
		l.Add("2025-03-08", user, "share.data_obtained.v1", events.ShareDataObtained{Resource: res, Grant: "grt-1", Records: 20, Channel: domain.ChannelOnline}),
		l.Add("2025-03-09", user, "share.data_used.v1", events.ShareDataUsed{Resource: res, Grant: "grt-1", Purpose: "aid", Records: 5}),
		l.Add("2025-03-10", user, "share.data_used.v1", events.ShareDataUsed{Resource: res, Grant: "grt-1", Purpose: "aid", Records: 6}),
		l.Add("2025-03-11", user, "share.data_used.v1", events.ShareDataUsed{Resource: res, Grant: "grt-1", Purpose: "marketing", Records: 7}),
		l.Add("2025-03-12", user, "data.sealed.v1", events.DataSealed{Resource: res, Records: 20, Location: "vault", Reason: "done"}),
		l.Add("2025-03-13", holder, "outsourcing.contract_terminated.v1", events.ContractTerminated{Contract: "ctr-1", Provider: provider, Reason: domain.EndRevoked, EndedOn: "2025-03-13"}),
		l.Add("2025-03-14", holder, "data.collected.v1", events.DataCollected{Resource: "other", Records: 1, Purpose: "p", LegalBasis: "l"}),
	}
}

func folded(es []*ledger.Entry) *View {
	v := New()
	for _, e := range es {
		v.Apply(e)
	}
	for _, e := range es { // replays change nothing
		v.Apply(e)
	}
	return v
}

func TestView(t *testing.T) {
	v := folded(story())
	r, ok := v.Resource(res)
	if !ok {
		t.Fatal("resource not folded")
	}
	t.Run("collected", func(t *testing.T) {
		if len(r.Collections) != 1 || r.Collections[0].Institution != holder || r.Collections[0].Count != 2 || r.Collections[0].Records != 150 ||
			r.Collections[0].First.Seq != 8 || r.Collections[0].Last.Seq != 9 {
			t.Errorf("collections %+v", r.Collections)
		}
	})
	t.Run("held", func(t *testing.T) {
		want := map[string][2]string{holder: {HeldResponsible, CustodyHolding}, user: {HeldObtained, CustodySealed}}
		if len(r.Holdings) != len(want) {
			t.Fatalf("holdings %d, want %d", len(r.Holdings), len(want))
		}
		for _, h := range r.Holdings {
			if w := want[h.Institution]; w != [2]string{h.How, h.State} {
				t.Errorf("%s holds %s/%s, want %v", h.Institution, h.How, h.State, w)
			}
		}
	})
	t.Run("used", func(t *testing.T) {
		var in, out *Use
		for _, u := range r.Uses {
			switch u.Purpose {
			case "aid":
				in = u
			case "marketing":
				out = u
			}
		}
		if in == nil || out == nil || in.User != user || in.Count != 2 || in.Records != 11 || !*in.WithinGrant || *out.WithinGrant || out.Grant != "grt-1" {
			t.Errorf("uses %+v %+v", in, out)
		}
	})
	t.Run("run", func(t *testing.T) {
		ops := v.Operations(r)
		if len(ops) != 2 || ops[0].Operator != holder || ops[1].Operator != provider || ops[1].Role != "provider" || ops[1].Client != holder ||
			ops[1].Ended == nil || ops[1].Ended.On.String() != "2025-03-13" {
			t.Errorf("operations %+v", ops)
		}
	})
	t.Run("institutions", func(t *testing.T) {
		var h *Institution
		for _, in := range v.Institutions() {
			if in.ID == holder {
				h = in
			}
		}
		if h == nil || h.Responsible != "p-head" || h.Title("p-head") != "主任" || h.NameEN != "Health" || len(h.Posts) != 2 || h.Posts[1].Ended == nil || h.Posts[0].Ended != nil {
			t.Errorf("institution %+v", h)
		}
	})
	t.Run("timeline", func(t *testing.T) {
		var seqs []uint64
		for _, te := range v.Timeline(res) {
			seqs = append(seqs, te.Seq)
		}
		// catalog, two collections, the application and its grant, obtaining, three uses, sealing
		if want := []uint64{7, 8, 9, 11, 12, 13, 14, 15, 16, 17}; !slices.Equal(seqs, want) {
			t.Errorf("timeline %v, want %v", seqs, want)
		}
	})
}

// Every resource keeps its own timeline (a read model cannot know which one a report
// will ask for); one the log never names has none.
func TestEveryResourceHasItsTimeline(t *testing.T) {
	v := folded(story())
	if tl := v.Timeline("other"); len(tl) != 1 || tl[0].Type != "data.collected.v1" || tl[0].ID == "" {
		t.Errorf("timeline of other: %+v", tl)
	}
	if tl := v.Timeline("never-named"); len(tl) != 0 {
		t.Errorf("timeline of a resource never named: %+v", tl)
	}
}
