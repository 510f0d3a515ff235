package registry_test

import (
	"bytes"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

type m = map[string]any

// world touches every part of the registry's state.
func world() []*ledger.Entry {
	var es []*ledger.Entry
	add := func(inst, typ string, p m) {
		e := entry(uint64(len(es)), inst, typ, p)
		e.Submission.OccurredAt = "2025-03-03T10:00:00+08:00"
		e.RecordedAt = "2025-03-03T02:00:00Z"
		es = append(es, e)
	}
	add("ledger", ledger.TypeInitialized, m{"authority": "aba-data-bureau"})
	add("aba-data-bureau", events.InstitutionRegisteredV1, m{"institution": "wc", "name_zh": "汶川县人民政府", "level": "county", "county": "wenchuan"})
	add("wc", events.PersonRegisteredV1, m{"person": "p-1"})
	add("wc", events.PersonResponsibleDesignatedV1, m{"person": "p-1"})
	add("wc", events.CatalogEntryRegisteredV1, m{"resource": "r1", "sharing": m{"attribute": "conditional"}, "opening": m{"attribute": "none"}})
	add("aba-data-bureau", events.CatalogSourceDesignatedV1, m{"resource": "r1", "source": "wc"})
	add("aba-police", events.ShareApplicationSubmittedV1, m{"application": "a1", "resource": "r1", "provider": "wc"})
	add("wc", events.ShareGrantedV1, m{"application": "a1"})
	add("wc", events.CorrectionRequestedV1, m{"request": "c1", "resource": "r1"})
	add("wc", events.CorrectionForwardedV1, m{"request": "c1", "institution": "aba-health"})
	add("wc", events.EmergencyDeclaredV1, m{"emergency": "e1"})
	add("wc", events.DataCollectedV1, m{"emergency": "e1", "resource": "r1"})
	add("aba-data-bureau", events.AccessSuspendedV1, m{"suspension": "s1", "party": "org-1", "resources": []string{"r1"}})
	add("aba-data-bureau", events.AccessSuspendedV1, m{"suspension": "s2", "party": "org-1"})
	add("aba-data-bureau", events.AccessRestoredV1, m{"suspension": "s1", "party": "org-1"})
	add("aba-data-bureau", events.MigrationDeclaredV1, m{"migration": "mig-1", "institutions": []string{"wc"}, "claimed_from": "2024-01-01",
		"claimed_until": "2024-12-31", "window_from": "2025-03-01T00:00:00Z", "window_until": "2025-04-01T00:00:00Z"})
	return es
}

// A state restored from a snapshot at any position and folded on is the state an
// uninterrupted fold reaches, byte for byte; the same state always gives the same bytes.
func TestSnapshotResumes(t *testing.T) {
	es := world()
	whole := registry.New()
	whole.ApplyBatch(es)
	want, err := whole.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for cut := range len(es) + 1 {
		part := registry.New()
		part.ApplyBatch(es[:cut])
		b, err := part.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		again, _ := part.MarshalBinary()
		if !bytes.Equal(b, again) {
			t.Fatalf("cut %d: two snapshots of one state differ", cut)
		}
		resumed := registry.New()
		if err := resumed.UnmarshalBinary(b); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		resumed.ApplyBatch(es[cut:])
		got, _ := resumed.MarshalBinary()
		if !bytes.Equal(got, want) {
			t.Errorf("cut %d: resumed state differs from the uninterrupted one", cut)
		}
	}
	if sp, ok := whole.Suspended("org-1", "r2"); !ok || sp.ID != "s2" {
		t.Errorf("suspension %+v %v", sp, ok)
	}
	if c, _ := whole.Case("correction", "c1"); c.Answerer != "aba-health" || !whole.Collected("e1", "r1", "wc") || !whole.HasPerson("wc", "p-1") {
		t.Errorf("restored registry lost a case, a collector or a person: %+v", c)
	}
}

// A snapshot in another format, cut short or with a flipped byte is refused, never
// misread and never a panic.
func TestSnapshotRefused(t *testing.T) {
	st := registry.New()
	st.ApplyBatch(world())
	b, _ := st.MarshalBinary()
	bad := [][]byte{nil, {}, {2}, b[:len(b)/2], append(bytes.Clone(b), 0)}
	wrong := bytes.Clone(b)
	wrong[0] = 9
	bad = append(bad, wrong)
	for i, x := range bad {
		if err := registry.New().UnmarshalBinary(x); err == nil {
			t.Errorf("case %d: corrupt snapshot accepted", i)
		}
	}
	for i := 1; i < len(b); i += 7 { // flipped bytes: refused or read, never a panic
		x := bytes.Clone(b)
		x[i] ^= 0xff
		_ = registry.New().UnmarshalBinary(x)
	}
}
