package commands_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/privacy"
)

// TestRandomActsStayInTheirLane: random acts by random institutions (each with its own
// valid key, on ids drawn from a small pool so that they collide with each other's
// cases) never change another institution's registry entry, never put an entry on a
// stream the actor has no part in, and never make another institution's protected
// fields unreadable. The seed is printed; LEDGER_PROPERTY_SEED replays one.
func TestRandomActsStayInTheirLane(t *testing.T) {
	seed := rand.Uint64()
	if s := os.Getenv("LEDGER_PROPERTY_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 400
	if testing.Short() {
		steps = 150
	}
	t.Logf("seed %d (LEDGER_PROPERTY_SEED=%d replays it), %d steps", seed, seed, steps)
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	w := newTableWorld(t)
	w.prepare(t, mustLookup(t, "data.collected.v1")) // the actors' own resources
	ctx := context.Background()
	sh, err := privacy.NewShredder(privacy.ShredderConfig{Keys: w.ks, Store: w.st, PositionFile: filepath.Join(t.TempDir(), "pos"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]registry.Institution{}
	for _, in := range w.chk.State().Institutions() {
		before[in.ID] = in
	}

	insts := []string{tabAuthority, tabHolder, tabOther}
	var types []*events.Type
	for _, ty := range events.All() {
		if ty.Signer == ledger.RoleInstitution {
			types = append(types, ty)
		}
	}
	admitted := 0
	for i := range steps {
		ty := types[r.IntN(len(types))]
		actor := insts[r.IntN(len(insts))]
		m := payloadFor(ty, actor)
		if ty.Case != nil {
			m[ty.Case.Field] = ty.Case.Kind + "-" + strconv.Itoa(r.IntN(3))
		}
		if _, ok := m["resource"]; ok {
			m["resource"] = []string{tabResource, "r-other", "r-authority"}[r.IntN(3)]
		}
		if party, ok := m["party"].(string); ok && party != "" {
			m["party"] = []string{"np-1", "np-2"}[r.IntN(2)]
		}
		if ty.Name == "subject_request.received.v1" && r.IntN(2) == 0 {
			m["kind"] = "deletion"
		}
		s := w.sign(t, w.f.Key(actor), actor, "p-0001", ty.Name, m)
		if _, err := w.l.Append(ctx, s); err == nil {
			admitted++
		} else if _, ok := errors.AsType[*ledger.Problem](err); !ok {
			t.Fatalf("step %d: %s by %s failed: %v", i, ty.Name, actor, err)
		}
	}
	if _, err := sh.RunToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d random acts admitted", admitted, steps)
	if admitted < steps/10 {
		t.Fatalf("only %d acts admitted: the property says little", admitted)
	}

	// 1. Registry entries: only the root changes them, and it took no part.
	for _, in := range w.chk.State().Institutions() {
		if b, ok := before[in.ID]; !ok || b.NameZH != in.NameZH || b.DataAuthority != in.DataAuthority || b.Level != in.Level || b.Kind != in.Kind {
			t.Errorf("institution %s changed: %+v → %+v", in.ID, b, in)
		}
	}
	state := w.chk.State()
	err = w.st.Entries(ctx, 0, w.size(t), func(raw ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(raw.Bytes))
		if err != nil {
			return err
		}
		sub := e.Submission
		actor := sub.Actor.Institution
		kind, id, _ := strings.Cut(sub.Stream, "/")
		// 2. Streams: an institution's own streams hold only its acts (and the root's
		// registry of it); a case's stream only acts of the institutions it names or of
		// an authority acting on it. Resource streams take any institution's own acts
		// (facts, which findings judge).
		switch kind {
		case "institution", "catalog", "security":
			if actor != id && sub.Type != "institution.registered.v1" && sub.Type != "institution.updated.v1" {
				t.Errorf("seq %d: %s by %s on %s", e.Seq, sub.Type, actor, sub.Stream)
			}
		case "resource", "ledger", "access":
		default:
			if !state.MayRead(actor, sub.Stream, e.Seq) && !state.IsAuthority(actor) && !holdsNamedResource(state, e) {
				t.Errorf("seq %d: %s by %s on %s, a case it has no part in", e.Seq, sub.Type, actor, sub.Stream)
			}
		}
		// 3. Protected fields: readable unless their own institution (or the case that
		// owns a shared subject) destroyed the key.
		envs, err := privacy.Envelopes(sub.Payload)
		if err != nil {
			return err
		}
		for _, env := range envs {
			_, err := w.ks.Get(ctx, env.Subject, env.KID)
			se, destroyed := errors.AsType[*privacy.ShreddedError](err)
			if !destroyed {
				if err != nil {
					t.Errorf("seq %d: %s: %v", e.Seq, env.Subject, err)
				}
				continue
			}
			owner, _, _ := strings.Cut(env.Subject, "/")
			if owner != se.By.Institution && owner != "emergency" && owner != "contract" {
				t.Errorf("seq %d: %s's subject %s destroyed by %s (%s)", e.Seq, owner, env.Subject, se.By.Institution, se.By.Type)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// holdsNamedResource: e's type lets the holder of the resource its payload names sign it
// on a case stream (development.data_developed.v1: the holder records that its data was
// developed under a qualification, 第三十五条), and e's actor held that resource when e was
// recorded. Such an act is the holder's part in the case; it reads its own act, not the
// case's stream (MayRead).
func holdsNamedResource(state *registry.State, e *ledger.Entry) bool {
	t, ok := events.Lookup(e.Submission.Type)
	if !ok || !slices.Contains(t.Who, events.WhoHolder) {
		return false
	}
	field := t.Resource
	if field == "" {
		field = "resource"
	}
	var p map[string]any
	if json.Unmarshal(e.Submission.Payload, &p) != nil {
		return false
	}
	res, _ := p[field].(string)
	return res != "" && state.MayRead(e.Submission.Actor.Institution, "resource/"+res, e.Seq)
}
