package acttest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/google/uuid"
)

// Backend names a store.
type Backend string

// The stores a world runs on.
const (
	Bolt     Backend = "embedded"
	Postgres Backend = "postgres"
)

// Backends are both, for tests that must hold on each.
var Backends = []Backend{Bolt, Postgres}

// Authority is the data authority named at genesis.
const Authority = "aba-data-bureau"

// Person is the official every institution registers first and acts through.
const Person = "p-0001"

// Day is 10:00 China time on day s (YYYY-MM-DD).
func Day(s string) time.Time { return calendar.MustParse(s).Start().Add(10 * time.Hour) }

// World is a ledger with the checker and a clock the test sets.
type World struct {
	T     testing.TB
	Store ledger.Store
	L     *ledger.Ledger
	Check *commands.Checker
	Root  *crypto.PrivateKey
	keys  map[string]*crypto.PrivateKey

	mu  sync.Mutex
	now time.Time
}

// New opens a fresh ledger on backend whose clock reads start; genesis is recorded then.
func New(t testing.TB, b Backend, start time.Time) *World {
	t.Helper()
	ctx := context.Background()
	var st ledger.Store
	var err error
	switch b {
	case Postgres:
		st, err = pgstore.Open(ctx, pgtest.NewDatabase(t), pgstore.Options{})
	default:
		st, err = boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lk, _ := crypto.GenerateKey()
	rk, _ := crypto.GenerateKey()
	if err := ledger.Initialize(ctx, st, lk, rk.Public(), Authority, "test.aba.example/acttime", start); err != nil {
		t.Fatal(err)
	}
	w := &World{T: t, Store: st, Root: rk, keys: map[string]*crypto.PrivateKey{}, now: start}
	w.Check = commands.NewChecker(registry.New(), lk, nil)
	w.Check.SetClock(w.Now)
	opts := ledger.Options{Signer: lk, CheckpointEvery: -1, Now: w.Now}
	w.Check.Wire(&opts)
	if w.L, err = ledger.Open(ctx, st, opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.L.Close() })
	if err := w.Check.Attach(ctx, w.L); err != nil {
		t.Fatal(err)
	}
	return w
}

// Now is the world's clock.
func (w *World) Now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }

// At moves the clock to 10:00 China time on day (never backwards: the ledger's seal does
// not run backwards either).
func (w *World) At(day string) { w.SetNow(Day(day)) }

// SetNow moves the clock to t.
func (w *World) SetNow(t time.Time) { w.mu.Lock(); w.now = t; w.mu.Unlock() }

// Enrol registers inst's key and the institution (root-signed), then its first official,
// all claiming the current time.
func (w *World) Enrol(inst string, authority bool) {
	w.T.Helper()
	k, _ := crypto.GenerateKey()
	w.keys[inst] = k
	must(w.T, w.submit(w.Root, Authority, ledger.RegistryStream, ledger.TypeKeyRegistered, w.Now(),
		ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: inst, PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public()))}))
	must(w.T, w.submit(w.Root, Authority, "institution/"+inst, "institution.registered.v1", w.Now(),
		map[string]any{"institution": inst, "name_zh": inst + "（测试）", "name_en": inst, "level": "prefecture", "kind": "organ", "data_authority": authority}))
	must(w.T, w.Act(inst, "person.registered.v1", w.Now(), map[string]any{"person": Person}))
}

// Act signs and submits an act of a catalogue type by inst claiming occurred, on the
// stream the catalogue derives. It returns the ledger's refusal, if any.
func (w *World) Act(inst, typ string, occurred time.Time, payload any) error {
	_, err := w.ActID(inst, typ, occurred, payload)
	return err
}

// ActID is Act returning the submission id.
func (w *World) ActID(inst, typ string, occurred time.Time, payload any) (string, error) {
	t, ok := events.Lookup(typ)
	if !ok {
		return "", fmt.Errorf("%s is not a catalogue type", typ)
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	p, err := events.Decode(t, raw)
	if err != nil {
		return "", err
	}
	stream, err := t.StreamFor(inst, p)
	if err != nil {
		return "", err
	}
	k := w.keys[inst]
	if k == nil {
		return "", fmt.Errorf("%s is not enrolled", inst)
	}
	id := uuid.Must(uuid.NewV7()).String()
	return id, w.submitID(id, k, inst, stream, typ, occurred, payload)
}

func (w *World) submit(k *crypto.PrivateKey, inst, stream, typ string, occurred time.Time, payload any) error {
	return w.submitID(uuid.Must(uuid.NewV7()).String(), k, inst, stream, typ, occurred, payload)
}

func (w *World) submitID(id string, k *crypto.PrivateKey, inst, stream, typ string, occurred time.Time, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	s, err := ledger.SignSubmission(k, ledger.Submission{ID: id, Stream: stream, Type: typ,
		OccurredAt: occurred.Format(time.RFC3339Nano), Actor: ledger.Actor{Institution: inst, Person: Person, KeyID: k.Public().ID()}, Payload: raw})
	if err != nil {
		return err
	}
	_, err = w.L.Append(context.Background(), s)
	return err
}

// Must fails the test on err.
func (w *World) Must(err error) {
	w.T.Helper()
	must(w.T, err)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
