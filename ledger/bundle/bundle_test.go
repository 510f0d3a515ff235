package bundle_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

var ctx = context.Background()

const events = 1000

// fixture: genesis, keys for two counties, 1,000 data events on three streams, with
// county-02's first key revoked part-way and a second key registered; then one export of
// all 1,000 data events by seq range.
type fixture struct {
	f        *ledgertest.Fixture
	b        *bundle.Bundle
	from, to uint64
	revoked  uint64 // seq of the revocation
}

var (
	fixOnce sync.Once
	fix     fixture
)

func getFixture(t testing.TB) fixture {
	t.Helper()
	fixOnce.Do(func() { fix = buildFixture(t) })
	if fix.b == nil {
		t.Fatal("fixture failed to build")
	}
	return fix
}

func buildFixture(t testing.TB) fixture {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := ledgertest.New(t)
	f.Init(t, st)
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f.Register(t, l, "county-01")
	k2 := f.Register(t, l, "county-02")
	fx := fixture{f: f, from: l.Size()}
	var mu sync.Mutex
	appendN := func(lo, hi int) {
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo + w; i < hi; i += 4 {
					inst := []string{"county-01", "county-02"}[i%2]
					mu.Lock()
					s := f.Event(t, inst, fmt.Sprintf("dataset/d-%d", i%3), i)
					mu.Unlock()
					if _, err := l.Append(ctx, s); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	appendN(0, events/2)
	// Revoke county-02's key and register a new one, between data events.
	rev := ledgertest.Sign(t, f.RootKey, ledgertest.Submission(ledgertest.Authority, f.RootKey.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRevoked,
		ledger.KeyRevokedPayload{KeyID: k2.Public().ID(), Reason: "device lost"}))
	r, err := l.Append(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	fx.revoked = r.Seq
	f.Register(t, l, "county-02")
	appendN(events/2, events)
	fx.to = l.Size() - 1
	from, to := fx.from, fx.to
	b, err := bundle.Export(ctx, l, f.LedgerKey, bundle.Request{
		Selection: bundle.Selection{From: &from, To: &to}, By: "officer-li", Reason: "case 2026-017: incident review",
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.b = b
	return fx
}

// clone copies the bundle deeply enough for one mutation: maps and the entries slice are
// new; mutators replace byte slices rather than write into them.
func clone(b *bundle.Bundle) *bundle.Bundle {
	c := *b
	c.Keys = map[string]string{}
	for k, v := range b.Keys {
		c.Keys[k] = v
	}
	if b.Witnesses != nil {
		c.Witnesses = map[string]string{}
		for k, v := range b.Witnesses {
			c.Witnesses[k] = v
		}
	}
	c.Entries = append([]bundle.Entry(nil), b.Entries...)
	return &c
}

func TestBundleVerifies(t *testing.T) {
	fx := getFixture(t)
	rep, err := bundle.Verify(fx.b, bundle.VerifyOptions{LedgerKey: fx.f.LedgerKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	// The range holds the 1,000 data events and the two registry acts among them.
	if len(rep.Selected) != events+2 || rep.Selected[0] != fx.from || rep.Selected[len(rep.Selected)-1] != fx.to {
		t.Fatalf("selected %d entries, want %d", len(rep.Selected), events+2)
	}
	if rep.Export.By != "officer-li" || rep.Export.Reason != "case 2026-017: incident review" || rep.Export.Institution != ledgertest.Authority {
		t.Fatalf("export = %+v", rep.Export)
	}
	if !rep.Pinned || rep.Origin != fx.f.Origin || rep.Size <= fx.b.ExportSeq {
		t.Fatalf("report = %+v", rep)
	}
	// Through JSON and back, byte-exactly.
	var buf bytes.Buffer
	if err := bundle.Write(&buf, fx.b); err != nil {
		t.Fatal(err)
	}
	b2, err := bundle.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Verify(b2, bundle.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	bundle.Write(&buf2, b2)
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Fatal("a read and re-written bundle differs from the original")
	}
}

// mutate flips one byte (or one bit of a number) of the value v at position pos, for
// every kind of field a bundle has. It returns false if v has no byte at pos.
func mutate(t *testing.T, v reflect.Value, pos int) bool {
	t.Helper()
	switch {
	case v.Kind() == reflect.String:
		s := v.String()
		if pos >= len(s) {
			return false
		}
		b := []byte(s)
		b[pos] ^= 1
		v.SetString(string(b))
	case v.Kind() == reflect.Uint64:
		if pos > 0 {
			return false
		}
		v.SetUint(v.Uint() ^ 1)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		if pos >= v.Len() {
			return false
		}
		b := bytes.Clone(v.Bytes())
		b[pos] ^= 1
		v.SetBytes(b)
	case v.Kind() == reflect.Array && v.Type().Elem().Kind() == reflect.Uint8:
		if pos >= v.Len() {
			return false
		}
		v.Index(pos).SetUint(v.Index(pos).Uint() ^ 1)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Array:
		n := v.Type().Elem().Len()
		if pos >= v.Len()*n {
			return false
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		el := cp.Index(pos / n).Index(pos % n)
		el.SetUint(el.Uint() ^ 1)
		v.Set(cp)
	default:
		t.Fatalf("no mutator for a %s: add one so the new field is covered", v.Type())
	}
	return true
}

func length(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Uint64:
		return 1
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Array {
			return v.Len() * v.Type().Elem().Len()
		}
		return v.Len()
	default:
		return v.Len()
	}
}

// positions picks the first, middle and last byte and a few random ones.
func positions(n int, rng *rand.Rand) []int {
	if n == 0 {
		return nil
	}
	ps := []int{0, n / 2, n - 1}
	for range 3 {
		ps = append(ps, rng.IntN(n))
	}
	return ps
}

// TestEveryFieldTampered changes one byte of each field of entries across the bundle
// (genesis, a registry act, the first, middle and last selected entries, the export
// event), of every key, of the ledger key id and export seq, and every byte of the
// checkpoint; each change must make verification fail. Fields are found by reflection,
// so a field added later is covered or fails the test for want of a mutator.
func TestEveryFieldTampered(t *testing.T) {
	fx := getFixture(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("random positions seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))

	expIdx := len(fx.b.Entries) - 1
	picks := map[string]int{"genesis": 0, "registry": 1, "first_selected": -1, "middle": len(fx.b.Entries) / 2, "last_selected": expIdx - 1, "export": expIdx}
	for i, e := range fx.b.Entries {
		if e.Seq == fx.from {
			picks["first_selected"] = i
		}
	}
	cases := 0
	check := func(t *testing.T, name string, b *bundle.Bundle) {
		t.Helper()
		cases++
		_, err := bundle.Verify(b, bundle.VerifyOptions{})
		var fd *bundle.Finding
		if !errors.As(err, &fd) || !errors.Is(err, bundle.ErrTampered) {
			t.Errorf("%s: verify = %v, want a finding", name, err)
		}
	}
	et := reflect.TypeFor[bundle.Entry]()
	for pick, idx := range picks {
		for fi := range et.NumField() {
			field := et.Field(fi)
			n := length(reflect.ValueOf(fx.b.Entries[idx]).Field(fi))
			if n == 0 {
				continue
			}
			for _, pos := range positions(n, rng) {
				b := clone(fx.b)
				if !mutate(t, reflect.ValueOf(&b.Entries[idx]).Elem().Field(fi), pos) {
					continue
				}
				check(t, fmt.Sprintf("%s.%s[%d]", pick, field.Name, pos), b)
			}
		}
	}
	// Every byte of the checkpoint.
	for pos := range len(fx.b.Checkpoint) {
		b := clone(fx.b)
		mutate(t, reflect.ValueOf(&b.Checkpoint).Elem(), pos)
		check(t, fmt.Sprintf("checkpoint[%d]", pos), b)
	}
	// Every key, at several places; the ledger key id; the export seq.
	for id, pem := range fx.b.Keys {
		for _, pos := range positions(len(pem), rng) {
			b := clone(fx.b)
			s := []byte(pem)
			s[pos] ^= 1
			b.Keys[id] = string(s)
			check(t, fmt.Sprintf("keys.%s[%d]", id[:8], pos), b)
		}
	}
	for _, pos := range positions(len(fx.b.LedgerKey), rng) {
		b := clone(fx.b)
		mutate(t, reflect.ValueOf(&b.LedgerKey).Elem(), pos)
		check(t, fmt.Sprintf("ledger_key[%d]", pos), b)
	}
	b := clone(fx.b)
	mutate(t, reflect.ValueOf(&b.ExportSeq).Elem(), 0)
	check(t, "export_seq", b)
	t.Logf("%d tampered variants, all refused", cases)
}

func TestStructuralTampering(t *testing.T) {
	fx := getFixture(t)
	other := ledgertest.New(t)
	revIdx := -1
	for i, e := range fx.b.Entries {
		if e.Seq == fx.revoked {
			revIdx = i
		}
	}
	tests := []struct {
		name   string
		fn     func(b *bundle.Bundle)
		reason string
	}{
		{"checkpoint_by_unknown_key", func(b *bundle.Bundle) {
			c, _ := ledger.ParseCheckpointBody(strings.SplitN(b.Checkpoint, "\n\n", 2)[0] + "\n")
			forged, _ := ledger.SignCheckpoint(fx.f.Origin, c.Size, c.Root, other.LedgerKey)
			b.Checkpoint = string(forged.Note)
		}, "bad_checkpoint_signature"},
		{"checkpoint_and_ledger_key_swapped", func(b *bundle.Bundle) {
			c, _ := ledger.ParseCheckpointBody(strings.SplitN(b.Checkpoint, "\n\n", 2)[0] + "\n")
			forged, _ := ledger.SignCheckpoint(fx.f.Origin, c.Size, c.Root, other.LedgerKey)
			b.Checkpoint = string(forged.Note)
			id := other.LedgerKey.Public().ID()
			b.Keys[id] = string(crypto.MarshalPublicKeyPEM(other.LedgerKey.Public()))
			b.LedgerKey = id
		}, "bad_genesis"},
		{"drop_selected_entry", func(b *bundle.Bundle) {
			b.Entries = append(b.Entries[:10:10], b.Entries[11:]...)
		}, "incomplete_selection"},
		{"drop_revocation", func(b *bundle.Bundle) {
			b.Entries = append(b.Entries[:revIdx:revIdx], b.Entries[revIdx+1:]...)
		}, "missing_registry_act"},
		{"drop_genesis", func(b *bundle.Bundle) { b.Entries = b.Entries[1:] }, "missing_genesis"},
		{"drop_export", func(b *bundle.Bundle) { b.Entries = b.Entries[:len(b.Entries)-1] }, "missing_export"},
		{"swap_two_entries", func(b *bundle.Bundle) {
			b.Entries[20], b.Entries[21] = b.Entries[21], b.Entries[20]
		}, "out_of_order"},
		{"drop_a_key", func(b *bundle.Bundle) {
			delete(b.Keys, b.Entries[len(b.Entries)-2].KeyID)
		}, "unknown_key"},
		{"extra_signature_line", func(b *bundle.Bundle) {
			b.Checkpoint += "— stranger AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
		}, "bad_checkpoint_signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := clone(fx.b)
			tc.fn(b)
			_, err := bundle.Verify(b, bundle.VerifyOptions{})
			var fd *bundle.Finding
			if !errors.As(err, &fd) || fd.Reason != tc.reason {
				t.Fatalf("verify = %v, want reason %s", err, tc.reason)
			}
		})
	}
	t.Run("pinned_key_differs", func(t *testing.T) {
		_, err := bundle.Verify(fx.b, bundle.VerifyOptions{LedgerKey: other.LedgerKey.Public()})
		if !errors.Is(err, bundle.ErrTampered) {
			t.Fatalf("verify with another pinned key = %v", err)
		}
	})
}

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"not_json", "hello", bundle.ErrUnsupported},
		{"other_format", `{"format":"something/v9"}`, bundle.ErrUnsupported},
		{"unknown_member", `{"format":"` + bundle.Format + `","extra":1}`, bundle.ErrTampered},
		{"loose_base64", `{"format":"` + bundle.Format + `","entries":[{"entry":"YQ="}]}`, bundle.ErrTampered},
		{"uppercase_hash", `{"format":"` + bundle.Format + `","entries":[{"hash":"` + strings.Repeat("A", 64) + `"}]}`, bundle.ErrTampered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := bundle.Read(strings.NewReader(tc.in)); !errors.Is(err, tc.want) {
				t.Fatalf("Read = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCosignedCheckpoint(t *testing.T) {
	fx := getFixture(t)
	wk, _ := crypto.GenerateKey()
	w, err := witness.New("witness.example", wk, filepath.Join(t.TempDir(), "state.json"), witness.Log{Origin: fx.f.Origin, Key: fx.f.LedgerKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	line, err := w.AddCheckpoint(ctx, 0, nil, []byte(fx.b.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	b := clone(fx.b)
	b.Checkpoint += string(line)
	if _, err := bundle.Verify(b, bundle.VerifyOptions{}); !errors.Is(err, bundle.ErrTampered) {
		t.Fatalf("cosignature by a witness the bundle does not list: %v", err)
	}
	b.Witnesses = map[string]string{w.Name(): string(crypto.MarshalPublicKeyPEM(wk.Public()))}
	rep, err := bundle.Verify(b, bundle.VerifyOptions{})
	if err != nil || len(rep.Cosigners) != 1 || rep.Cosigners[0] != w.Name() {
		t.Fatalf("cosigned bundle: %+v, %v", rep, err)
	}
	for _, pos := range []int{len(b.Checkpoint) - 2, len(b.Checkpoint) - 20} {
		c := clone(b)
		mutate(t, reflect.ValueOf(&c.Checkpoint).Elem(), pos)
		if _, err := bundle.Verify(c, bundle.VerifyOptions{}); !errors.Is(err, bundle.ErrTampered) {
			t.Fatalf("cosignature byte %d changed: %v", pos, err)
		}
	}
}

func TestExportRefusals(t *testing.T) {
	f, _, l := bolttest.Ledger(t, ledger.Options{})
	f.Register(t, l, "county-01")
	if _, err := l.Append(ctx, f.Event(t, "county-01", "dataset/a", 1)); err != nil {
		t.Fatal(err)
	}
	u := func(v uint64) *uint64 { return &v }
	tests := []struct {
		name string
		req  bundle.Request
		want error
		code string // the *ledger.Problem a server answers with
	}{
		{"unknown_stream", bundle.Request{Selection: bundle.Selection{Stream: "dataset/none"}, By: "p", Reason: "r"}, bundle.ErrEmpty, "empty_selection"},
		{"bad_stream", bundle.Request{Selection: bundle.Selection{Stream: "Bad Stream"}, By: "p", Reason: "r"}, ledger.ErrInvalid, "bad_stream"},
		{"reversed", bundle.Request{Selection: bundle.Selection{From: u(2), To: u(1)}, By: "p", Reason: "r"}, ledger.ErrInvalid, "bad_range"},
		{"beyond", bundle.Request{Selection: bundle.Selection{From: u(1), To: u(99)}, By: "p", Reason: "r"}, ledger.ErrInvalid, "bad_range"},
		{"no_reason", bundle.Request{Selection: bundle.Selection{Stream: "dataset/a"}, By: "p"}, ledger.ErrInvalid, "reason_required"},
		{"bad_person", bundle.Request{Selection: bundle.Selection{Stream: "dataset/a"}, By: "王 伟", Reason: "r"}, ledger.ErrInvalid, ""},
		{"too_many", bundle.Request{Selection: bundle.Selection{From: u(0)}, By: "p", Reason: "r", MaxEntries: 2}, ledger.ErrTooLarge, "bundle_too_large"},
		{"seqs_with_stream", bundle.Request{Selection: bundle.Selection{Seqs: []uint64{1}, Stream: "dataset/a"}, By: "p", Reason: "r"}, ledger.ErrInvalid, "bad_selection"},
		{"seqs_unordered", bundle.Request{Selection: bundle.Selection{Seqs: []uint64{2, 1}}, By: "p", Reason: "r"}, ledger.ErrInvalid, "bad_selection"},
		{"seqs_beyond", bundle.Request{Selection: bundle.Selection{Seqs: []uint64{1, 99}}, By: "p", Reason: "r"}, ledger.ErrInvalid, "bad_range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := l.Size()
			_, err := bundle.Export(ctx, l, f.LedgerKey, tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Export = %v, want %v", err, tc.want)
			}
			if l.Size() != before {
				t.Fatal("a refused export wrote an entry")
			}
			if tc.code == "" {
				return
			}
			p, ok := errors.AsType[*ledger.Problem](err)
			if !ok || p.Code != tc.code || p.Message == "" || p.MessageZH == "" {
				t.Fatalf("Export = %#v, want a problem %s in English and Chinese", err, tc.code)
			}
		})
	}
	// Within the limit it is exported.
	if _, err := bundle.Export(ctx, l, f.LedgerKey, bundle.Request{Selection: bundle.Selection{Stream: "dataset/a"}, By: "p", Reason: "r", MaxEntries: 1}); err != nil {
		t.Fatalf("a selection at the limit: %v", err)
	}
	// A stream export verifies and selects exactly the stream.
	b, err := bundle.Export(ctx, l, f.LedgerKey, bundle.Request{Selection: bundle.Selection{Stream: "dataset/a"}, By: "p", Reason: "r"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bundle.Verify(b, bundle.VerifyOptions{})
	if err != nil || len(rep.Selected) != 1 {
		t.Fatalf("stream export: %+v, %v", rep, err)
	}
	// A search's results, exported as their positions: the bundle proves it holds each,
	// and dropping one, or adding one not listed, is found.
	if _, err := l.Append(ctx, f.Event(t, "county-01", "dataset/b", 2)); err != nil {
		t.Fatal(err)
	}
	listed, err := bundle.Export(ctx, l, f.LedgerKey, bundle.Request{Selection: bundle.Selection{Seqs: []uint64{2, 3}, Query: map[string]string{"institution": "county-01"}}, By: "p", Reason: "r"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = bundle.Verify(listed, bundle.VerifyOptions{})
	if err != nil || !slices.Equal(rep.Selected, []uint64{2, 3}) || !strings.Contains(rep.Export.Selection.String(), "--institution county-01") {
		t.Fatalf("listed export: %+v, %v", rep, err)
	}
	short := clone(listed)
	for i, e := range short.Entries {
		if e.Seq == 3 {
			short.Entries = slices.Delete(short.Entries, i, i+1)
			break
		}
	}
	if _, err := bundle.Verify(short, bundle.VerifyOptions{}); err == nil {
		t.Fatal("a listed export missing one of its positions verified")
	}
}

// BenchmarkVerify verifies the 1,000-event bundle; entries/s is dominated by SM2
// verification (compare with ledgerctl bench's sm2_verify_per_s).
func BenchmarkVerify(b *testing.B) {
	fx := getFixture(b)
	for b.Loop() {
		if _, err := bundle.Verify(fx.b, bundle.VerifyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(fx.b.Entries)*b.N)/b.Elapsed().Seconds(), "entries/s")
}
