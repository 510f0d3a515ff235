package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

func entry(seq uint64, inst, typ string, payload any) *ledger.Entry {
	b, _ := json.Marshal(payload)
	return &ledger.Entry{Seq: seq, Submission: ledger.Submission{Type: typ, Actor: ledger.Actor{Institution: inst}, Payload: b}}
}

// TestIdempotentByPosition: an entry folded twice (catch-up and OnCommit overlap) counts once.
func TestIdempotentByPosition(t *testing.T) {
	st := registry.New()
	sus := entry(1, "aba-data-bureau", "access.suspended.v1", map[string]any{"suspension": "s1", "party": "org-1"})
	res := entry(2, "aba-data-bureau", "access.restored.v1", map[string]any{"suspension": "s1", "party": "org-1"})
	st.ApplyBatch([]*ledger.Entry{sus, res})
	st.Apply(sus) // replayed: ignored, the restoration stands
	if _, ok := st.Suspended("org-1", ""); ok {
		t.Fatal("a replayed entry re-suspended the party")
	}
	if st.Position() != 3 {
		t.Errorf("position %d, want 3", st.Position())
	}
}

func TestCases(t *testing.T) {
	st := registry.New()
	st.Apply(entry(0, "aba-police", "share.application_submitted.v1", map[string]any{"application": "a1", "resource": "r1", "provider": "aba-health"}))
	c, ok := st.Case("share", "a1")
	if !ok || c.Answerer != "aba-health" || c.Closed {
		t.Fatalf("case %+v %v", c, ok)
	}
	st.Apply(entry(1, "aba-health", "share.granted.v1", map[string]any{"application": "a1"}))
	if c, _ := st.Case("share", "a1"); !c.Closed {
		t.Error("grant did not close the application")
	}
	st.Apply(entry(2, "aba-health", "catalog.entry_registered.v1", map[string]any{"resource": "r1", "responsible": "aba-health", "sharing": map[string]any{"attribute": "conditional"}, "opening": map[string]any{"attribute": "none"}}))
	if r, ok := st.Resource("r1"); !ok || r.Holder != "aba-health" || r.Opening.String() != "none" {
		t.Errorf("resource %+v %v", r, ok)
	}
}

// TestResponsiblePerson: the first responsible person survives an update of the
// institution's attributes, and the latest designation wins.
func TestResponsiblePerson(t *testing.T) {
	st := registry.New()
	st.Apply(entry(0, "aba-data-bureau", "institution.registered.v1", map[string]any{"institution": "wc", "name_zh": "汶川县人民政府", "level": "county", "county": "wenchuan"}))
	st.Apply(entry(1, "wc", "person.responsible_designated.v1", map[string]any{"person": "p-1", "since": "2026-01-02"}))
	st.Apply(entry(2, "aba-data-bureau", "institution.updated.v1", map[string]any{"institution": "wc", "name_zh": "汶川县政府", "level": "county", "county": "wenchuan"}))
	in, ok := st.Institution("wc")
	if !ok || in.Responsible != "p-1" || in.County != "wenchuan" || in.NameZH != "汶川县政府" {
		t.Fatalf("institution %+v %v", in, ok)
	}
	st.Apply(entry(3, "wc", "person.responsible_designated.v1", map[string]any{"person": "p-2", "since": "2026-03-02"}))
	if in, _ := st.Institution("wc"); in.Responsible != "p-2" {
		t.Errorf("responsible %q, want p-2", in.Responsible)
	}
	if l := st.Institutions(); len(l) != 1 || l[0].ID != "wc" {
		t.Errorf("institutions %+v", l)
	}
}

// TestCollectedUnderEmergency: a collection naming an emergency is folded; one naming
// none, or whose text only mentions the member, is not.
func TestCollectedUnderEmergency(t *testing.T) {
	st := registry.New()
	st.ApplyBatch([]*ledger.Entry{
		entry(0, "aba-health", "data.collected.v1", map[string]any{"resource": "r1", "records": 3, "emergency": "e-1"}),
		entry(1, "aba-police", "data.collected.v1", map[string]any{"resource": "r1", "records": 3}),
		entry(2, "aba-water", "data.collected.v1", map[string]any{"resource": "r1", "records": 3, "purpose": `"emergency":"e-1"`}),
	})
	for inst, want := range map[string]bool{"aba-health": true, "aba-police": false, "aba-water": false} {
		if got := st.Collected("e-1", "r1", inst); got != want {
			t.Errorf("%s collected under e-1: %v, want %v", inst, got, want)
		}
	}
}

// TestCatchUpPassesOverWhatItDoesNotFold: folding a store's entries with CatchUp, which
// parses only what may change the state, leaves the same state, byte for byte, as
// applying every entry parsed — over collections with and without an emergency, acts of
// types with no handler, and registry acts.
func TestCatchUpPassesOverWhatItDoesNotFold(t *testing.T) {
	ctx := context.Background()
	f, st, l := bolttest.Ledger(t, ledger.Options{})
	k := f.Enrol(t, l, "aba-health")
	acts := []struct {
		typ     string
		payload map[string]any
	}{
		{"data.collected.v1", map[string]any{"resource": "r1", "records": 1}},
		{"data.aggregated.v1", map[string]any{"resource": "r1", "records": 1}},
		{"data.collected.v1", map[string]any{"resource": "r1", "records": 2, "emergency": "e-1"}},
		{"access.suspended.v1", map[string]any{"suspension": "s1", "party": "org-1"}},
		{"data.collected.v1", map[string]any{"resource": "r2", "records": 3, "purpose": "emergency drill"}},
	}
	for _, a := range acts {
		if _, err := l.Append(ctx, ledgertest.Sign(t, k, ledgertest.Submission("aba-health", k.Public().ID(), "resource/r1", a.typ, a.payload))); err != nil {
			t.Fatal(err)
		}
	}
	caught := registry.New()
	if err := caught.CatchUp(ctx, st); err != nil {
		t.Fatal(err)
	}
	applied := registry.New()
	if err := st.Entries(ctx, 0, l.Size(), func(r ledger.RawEntry) error {
		e, err := ledger.ParseEntry(r.Bytes)
		if err == nil {
			applied.Apply(e)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	a, _ := caught.MarshalBinary()
	b, _ := applied.MarshalBinary()
	if caught.Position() != l.Size() || !bytes.Equal(a, b) {
		t.Fatalf("CatchUp at %d, Apply at %d; states equal: %v", caught.Position(), applied.Position(), bytes.Equal(a, b))
	}
	if !caught.Collected("e-1", "r1", "aba-health") || !caught.Registered("aba-health") {
		t.Fatal("the state lacks what the log holds")
	}
	if _, ok := caught.Suspended("org-1", ""); !ok {
		t.Fatal("the suspension was passed over")
	}
}
