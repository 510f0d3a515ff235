package ledgertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Authority is the data authority's institution id in fixtures.
const Authority = "aba-data-bureau"

// Fixture holds the keys of one test ledger.
type Fixture struct {
	LedgerKey *crypto.PrivateKey
	RootKey   *crypto.PrivateKey
	Origin    string

	mu   sync.Mutex
	keys map[string]*crypto.PrivateKey // institution → its current key
}

// The catalogue's types the fixture writes (the ledger cannot import the catalogue,
// domain/events, which stands above it): the names must match it, which the fixture's
// own tests check by passing its acts through the checker.
const (
	TypeInstitutionRegistered = "institution.registered.v1"
	TypePersonRegistered      = "person.registered.v1"
	TypeDataCollected         = "data.collected.v1"
)

// New makes fresh ledger and root keys.
func New(t testing.TB) *Fixture {
	t.Helper()
	lk, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rk, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Fixture{LedgerKey: lk, RootKey: rk, Origin: "test.aba.example/ledger", keys: map[string]*crypto.PrivateKey{}}
}

// Init writes the genesis entry.
func (f *Fixture) Init(t testing.TB, st ledger.Store) {
	t.Helper()
	if err := ledger.Initialize(context.Background(), st, f.LedgerKey, f.RootKey.Public(), Authority, f.Origin, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// Open starts a ledger on st with the fixture's ledger key; it is closed when the test ends.
func (f *Fixture) Open(t testing.TB, st ledger.Store, opts ledger.Options) *ledger.Ledger {
	t.Helper()
	opts.Signer = f.LedgerKey
	if opts.CheckpointEvery == 0 {
		opts.CheckpointEvery = -1
	}
	l, err := ledger.Open(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Submission returns an unsigned submission with a fresh UUIDv7 and the current time.
func Submission(inst, keyID, stream, typ string, payload any) ledger.Submission {
	p, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return ledger.Submission{
		ID: uuid.Must(uuid.NewV7()).String(), Stream: stream, Type: typ,
		OccurredAt: time.Now().UTC().Format(time.RFC3339Nano),
		Actor:      ledger.Actor{Institution: inst, Person: Person, KeyID: keyID},
		Payload:    p,
	}
}

// Sign signs sub with k, failing the test on error.
func Sign(t testing.TB, k crypto.Signer, sub ledger.Submission) *ledger.Signed {
	t.Helper()
	s, err := ledger.SignSubmission(k, sub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Register makes a new key for inst, registers it with the root key, and returns it.
func (f *Fixture) Register(t testing.TB, l *ledger.Ledger, inst string) *crypto.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sub := Submission(Authority, f.RootKey.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRegistered, ledger.KeyRegisteredPayload{
		KeyID: k.Public().ID(), Institution: inst, PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public())),
	})
	if _, err := l.Append(context.Background(), Sign(t, f.RootKey, sub)); err != nil {
		t.Fatalf("registering a key for %s: %v", inst, err)
	}
	f.mu.Lock()
	f.keys[inst] = k
	f.mu.Unlock()
	return k
}

// Person is the official every fixture submission names as actor.person; Enrol registers
// it for the institution.
const Person = "p-0001"

// Enrol registers a key for inst (Register) and enters inst in the domain's registry as
// a ledger with the event catalogue's checker requires before it admits an act: the
// root registers the institution (institution.registered.v1) and the institution
// registers Person, its first official (person.registered.v1). The payloads are the
// catalogue's; this package names the types as strings so that it needs nothing above
// the ledger.
func (f *Fixture) Enrol(t testing.TB, l *ledger.Ledger, inst string) *crypto.PrivateKey {
	t.Helper()
	k := f.Register(t, l, inst)
	reg := Submission(Authority, f.RootKey.Public().ID(), "institution/"+inst, TypeInstitutionRegistered, map[string]any{
		"institution": inst, "name_zh": inst, "level": "prefecture", "kind": "organ", "data_authority": inst == Authority,
	})
	if _, err := l.Append(context.Background(), Sign(t, f.RootKey, reg)); err != nil {
		t.Fatalf("registering institution %s: %v", inst, err)
	}
	person := Submission(inst, k.Public().ID(), "institution/"+inst, TypePersonRegistered, map[string]any{"person": Person})
	if _, err := l.Append(context.Background(), Sign(t, k, person)); err != nil {
		t.Fatalf("registering %s's official %s: %v", inst, Person, err)
	}
	return k
}

// Key returns the current key registered for inst by Register.
func (f *Fixture) Key(inst string) *crypto.PrivateKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[inst]
}

// Event signs a data.collected.v1 event by inst on stream with its registered key. The
// payload is valid for the event catalogue (domain/events), so a ledger opened with
// commands.Checker admits it too: on a "resource/R" stream it collects R (a stream the
// checker accepts); on any other stream it names resource r-NNNN, which only a ledger
// without the checker admits.
func (f *Fixture) Event(t testing.TB, inst, stream string, n int) *ledger.Signed {
	t.Helper()
	k := f.Key(inst)
	if k == nil {
		t.Fatalf("no key registered for %s", inst)
	}
	resource := fmt.Sprintf("r-%04d", n%100)
	if r, ok := strings.CutPrefix(stream, "resource/"); ok && r != "" {
		resource = r
	}
	return Sign(t, k, Submission(inst, k.Public().ID(), stream, TypeDataCollected, map[string]any{
		"resource": resource, "records": max(n, 1), "purpose": "年度统计",
		"legal_basis": "《中华人民共和国统计法》第七条", "verification": []string{"id_document"},
	}))
}

// MustVerify runs full verification and fails the test on any finding.
func MustVerify(t testing.TB, st ledger.Store) ledger.VerifyReport {
	t.Helper()
	r, err := ledger.Verify(context.Background(), st, ledger.VerifyOptions{})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}
