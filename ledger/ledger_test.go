package ledger_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

var ctx = context.Background()

func newStore(t *testing.T) *boltstore.Store { return bolttest.Store(t) }

func setup(t *testing.T, opts ledger.Options) (*ledgertest.Fixture, *boltstore.Store, *ledger.Ledger) {
	t.Helper()
	return bolttest.Ledger(t, opts)
}

func rootAct(t *testing.T, f *ledgertest.Fixture, typ string, p any) *ledger.Signed {
	return ledgertest.Sign(t, f.RootKey, ledgertest.Submission(ledgertest.Authority, f.RootKey.Public().ID(), ledger.RegistryStream, typ, p))
}

func TestKeyRotation(t *testing.T) {
	f, st, l := setup(t, ledger.Options{})
	old := f.Register(t, l, "aba-health")
	if _, err := l.Append(ctx, f.Event(t, "aba-health", "resource/a", 1)); err != nil {
		t.Fatal(err)
	}
	nk, _ := crypto.GenerateKey()
	if _, err := l.Append(ctx, rootAct(t, f, ledger.TypeKeyRotated, ledger.KeyRotatedPayload{
		KeyID: old.Public().ID(), NewKeyID: nk.Public().ID(), NewPublicKey: string(crypto.MarshalPublicKeyPEM(nk.Public())),
	})); err != nil {
		t.Fatalf("rotating: %v", err)
	}
	byOld := ledgertest.Sign(t, old, ledgertest.Submission("aba-health", old.Public().ID(), "resource/a", "data.collected.v1", map[string]int{"n": 2}))
	if _, err := l.Append(ctx, byOld); !errors.Is(err, ledger.ErrUnauthorized) {
		t.Fatalf("the rotated-out key still signs: %v", err)
	}
	byNew := ledgertest.Sign(t, nk, ledgertest.Submission("aba-health", nk.Public().ID(), "resource/a", "data.collected.v1", map[string]int{"n": 3}))
	if _, err := l.Append(ctx, byNew); err != nil {
		t.Fatalf("the new key is not bound to the institution: %v", err)
	}
	// Entries signed by the old key before the rotation still verify.
	ledgertest.MustVerify(t, st)
}

func TestRootRotation(t *testing.T) {
	f, st, l := setup(t, ledger.Options{})
	nr, _ := crypto.GenerateKey()
	if _, err := l.Append(ctx, rootAct(t, f, ledger.TypeKeyRotated, ledger.KeyRotatedPayload{
		KeyID: f.RootKey.Public().ID(), NewKeyID: nr.Public().ID(), NewPublicKey: string(crypto.MarshalPublicKeyPEM(nr.Public())),
	})); err != nil {
		t.Fatal(err)
	}
	if l.Registry().RootKey != nr.Public().ID() {
		t.Fatal("root pointer did not move")
	}
	k, _ := crypto.GenerateKey()
	reg := func(signer *crypto.PrivateKey) *ledger.Signed {
		return ledgertest.Sign(t, signer, ledgertest.Submission(ledgertest.Authority, signer.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRegistered,
			ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: "x", PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public()))}))
	}
	if _, err := l.Append(ctx, reg(f.RootKey)); !errors.Is(err, ledger.ErrUnauthorized) {
		t.Fatalf("old root still registers keys: %v", err)
	}
	if _, err := l.Append(ctx, reg(nr)); err != nil {
		t.Fatalf("new root cannot register keys: %v", err)
	}
	ledgertest.MustVerify(t, st)
}

func TestRegistryActRefusals(t *testing.T) {
	f, st, l := setup(t, ledger.Options{})
	k := f.Register(t, l, "aba-stats")
	other, _ := crypto.GenerateKey()
	pem := func(k *crypto.PrivateKey) string { return string(crypto.MarshalPublicKeyPEM(k.Public())) }
	cases := []struct {
		name string
		s    *ledger.Signed
		kind error
	}{
		{"key id does not match key", rootAct(t, f, ledger.TypeKeyRegistered, ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: "x", PublicKey: pem(other)}), ledger.ErrInvalid},
		{"key registered twice", rootAct(t, f, ledger.TypeKeyRegistered, ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: "x", PublicKey: pem(k)}), ledger.ErrConflict},
		{"unknown field in payload", rootAct(t, f, ledger.TypeKeyRevoked, map[string]string{"key_id": k.Public().ID(), "reason": "x", "extra": "y"}), ledger.ErrInvalid},
		{"revoke without reason", rootAct(t, f, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: k.Public().ID()}), ledger.ErrInvalid},
		{"revoke the root", rootAct(t, f, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: f.RootKey.Public().ID(), Reason: "x"}), ledger.ErrInvalid},
		{"revoke the ledger key", rootAct(t, f, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: f.LedgerKey.Public().ID(), Reason: "x"}), ledger.ErrInvalid},
		{"rotate an unknown key", rootAct(t, f, ledger.TypeKeyRotated, ledger.KeyRotatedPayload{KeyID: other.Public().ID(), NewKeyID: other.Public().ID(), NewPublicKey: pem(other)}), ledger.ErrInvalid},
		{"a second genesis", ledgertest.Sign(t, f.LedgerKey, ledgertest.Submission(ledgertest.Authority, f.LedgerKey.Public().ID(), ledger.RegistryStream, ledger.TypeInitialized, map[string]string{})), ledger.ErrUnauthorized},
		{"ledger key signing a data act", ledgertest.Sign(t, f.LedgerKey, ledgertest.Submission(ledgertest.Authority, f.LedgerKey.Public().ID(), "resource/a", "data.collected.v1", map[string]int{})), ledger.ErrUnauthorized},
		{"root key signing a data act", ledgertest.Sign(t, f.RootKey, ledgertest.Submission(ledgertest.Authority, f.RootKey.Public().ID(), "resource/a", "data.collected.v1", map[string]int{})), ledger.ErrUnauthorized},
	}
	before := l.Size()
	for _, c := range cases {
		_, err := l.Append(ctx, c.s)
		if !errors.Is(err, c.kind) {
			t.Errorf("%s: %v, want %v", c.name, err, c.kind)
		}
		var p *ledger.Problem
		if err != nil && (!errors.As(err, &p) || p.Message == "" || p.MessageZH == "") {
			t.Errorf("%s: not a bilingual problem: %#v", c.name, err)
		}
	}
	if l.Size() != before {
		t.Fatalf("refused registry acts wrote %d entries", l.Size()-before)
	}
	ledgertest.MustVerify(t, st)
}

func TestAdmission(t *testing.T) {
	now := time.Now().UTC()
	checked := 0
	f, _, l := setup(t, ledger.Options{
		Now:     func() time.Time { return now },
		MaxSkew: time.Minute,
		Check: func(s *ledger.Signed) error {
			checked++
			if s.Submission.Type == "data.forbidden.v1" {
				return &ledger.Problem{Kind: ledger.ErrInvalid, Code: "domain", Message: "no", MessageZH: "否"}
			}
			return nil
		},
	})
	k := f.Register(t, l, "aba-stats")
	at := func(d time.Duration, typ string) *ledger.Signed {
		sub := ledgertest.Submission("aba-stats", k.Public().ID(), "resource/a", typ, map[string]int{})
		sub.OccurredAt = now.Add(d).Format(time.RFC3339Nano)
		return ledgertest.Sign(t, k, sub)
	}
	if _, err := l.Append(ctx, at(59*time.Second, "data.collected.v1")); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	if _, err := l.Append(ctx, at(61*time.Second, "data.collected.v1")); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("beyond skew: %v", err)
	}
	if _, err := l.Append(ctx, at(-365*24*time.Hour, "data.collected.v1")); err != nil {
		t.Fatalf("a late record of an old act must be accepted: %v", err)
	}
	if _, err := l.Append(ctx, at(0, "data.forbidden.v1")); !errors.Is(err, ledger.ErrInvalid) {
		t.Fatalf("domain check not applied: %v", err)
	}
	if checked == 0 {
		t.Fatal("Check was never called")
	}
}

func TestRecordedAtNeverRunsBackwards(t *testing.T) {
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f, st, l := setup(t, ledger.Options{Now: clock})
	f.Register(t, l, "aba-stats")
	if _, err := l.Append(ctx, f.Event(t, "aba-stats", "resource/a", 1)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(-2 * time.Minute) // the clock steps back (within the skew)
	mu.Unlock()
	if _, err := l.Append(ctx, f.Event(t, "aba-stats", "resource/a", 2)); err != nil {
		t.Fatal(err)
	}
	ledgertest.MustVerify(t, st) // verification refuses recorded_at going backwards
}

// RFC 3339 drops the fraction's trailing zeros, so recorded_at strings of increasing
// instants need not sort: "….1Z" < "….12Z" < "….123Z" as times, but not as strings.
// Verification compares instants.
func TestRecordedAtComparedAsInstants(t *testing.T) {
	var mu sync.Mutex
	base := time.Now().UTC().Truncate(time.Second).Add(2 * time.Second) // after the genesis entry
	now := base.Add(100 * time.Millisecond)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f, st, l := setup(t, ledger.Options{Now: clock})
	f.Register(t, l, "aba-stats")
	for i, c := range []struct {
		ms   int
		want string
	}{{120, ".12Z"}, {123, ".123Z"}} {
		mu.Lock()
		now = base.Add(time.Duration(c.ms) * time.Millisecond)
		mu.Unlock()
		r, err := l.Append(ctx, f.Event(t, "aba-stats", "resource/a", i))
		if err != nil {
			t.Fatal(err)
		}
		var rec string
		st.Entries(ctx, r.Seq, r.Seq+1, func(e ledger.RawEntry) error {
			pe, err := ledger.ParseEntry(e.Bytes)
			rec = pe.RecordedAt
			return err
		})
		if !strings.HasSuffix(rec, c.want) {
			t.Fatalf("recorded_at %q, want it to end in %q", rec, c.want)
		}
	}
	ledgertest.MustVerify(t, st)
}

func TestCloseDrains(t *testing.T) {
	f, st, l := setup(t, ledger.Options{})
	f.Register(t, l, "aba-stats")
	var wg sync.WaitGroup
	var acked sync.Map
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := f.Event(t, "aba-stats", "resource/a", i)
			if _, err := l.Append(ctx, s); err == nil {
				acked.Store(s.Submission.ID, true)
			} else if !errors.Is(err, ledger.ErrClosed) {
				t.Error(err)
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := l.Append(ctx, f.Event(t, "aba-stats", "resource/a", 999)); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("append after Close: %v, want ErrClosed", err)
	}
	var ids []string
	acked.Range(func(k, _ any) bool { ids = append(ids, k.(string)); return true })
	got, err := st.Lookup(ctx, ids)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("%d acknowledged, %d stored: %v", len(ids), len(got), err)
	}
	// Close leaves a checkpoint of the final head.
	c, err := st.LatestCheckpoint(ctx)
	if h, _ := st.Head(ctx); err != nil || c.Size != h.Size {
		t.Fatalf("final checkpoint %d, head %d, %v", c.Size, h.Size, err)
	}
	ledgertest.MustVerify(t, st)
}

func TestOpenRefusesWrongLedgerKey(t *testing.T) {
	st := newStore(t)
	f := ledgertest.New(t)
	f.Init(t, st)
	other, _ := crypto.GenerateKey()
	if _, err := ledger.Open(ctx, st, ledger.Options{Signer: other}); err == nil {
		t.Fatal("opened with a key that is not the genesis ledger key")
	}
}
