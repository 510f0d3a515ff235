package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/internal/browsertest"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// The differential test holds the browser's verifier (assets/js) to the Go code it
// re-implements: the same inputs go to both, and every answer must be the same — SM3 and
// SHA-256 digests, SM2 verdicts (fresh keys and signatures, and every single-byte change
// of a signature), RFC 6962 roots, signed-note key IDs, an act's verification (the demo
// ledger's acts and freshly signed ones; every single-byte change of the entry, the proof,
// the checkpoint and the signature) and evidence bundles (the test vector and fresh
// bundles; every single-byte change of every entry, proof, signature and the checkpoint,
// and structural tampering), where the member at fault and the reason must be Go's.

// jsModules are imported into the page as m.<name>.
var jsModules = []string{"bytes", "sm3", "sha256", "sm2", "merkle", "note", "entry", "verify", "bundle", "i18n"}

// runJS runs body (an async function body over fx and m, returning a JSON-able value)
// in the page and decodes its result into out.
func runJS(t *testing.T, tb *tab, body string, fx, out any) {
	t.Helper()
	fj, err := json.Marshal(fx)
	if err != nil {
		t.Fatal(err)
	}
	var imports []string
	for _, n := range jsModules {
		imports = append(imports, fmt.Sprintf("%s: await import('/console/js/%s.js')", n, n))
	}
	tb.eval(fmt.Sprintf(`window.__out = undefined; (async () => { const m = { %s }; const fx = %s; %s })()
		.then(r => { window.__out = JSON.stringify({ok: r}); }, e => { window.__out = JSON.stringify({error: String(e && e.stack || e)}); }); true`,
		strings.Join(imports, ", "), fj, body))
	tb.waitFor(`window.__out !== undefined`, 120*time.Second)
	var res struct {
		OK    json.RawMessage `json:"ok"`
		Error string          `json:"error"`
	}
	if err := json.Unmarshal([]byte(evalAs[string](tb, `window.__out`)), &res); err != nil {
		t.Fatal(err)
	}
	if res.Error != "" {
		t.Fatalf("in the browser: %s", res.Error)
	}
	if err := json.Unmarshal(res.OK, out); err != nil {
		t.Fatalf("decoding %s: %v", short(string(res.OK)), err)
	}
}

// differential runs each part in a tab of its own (browsertest bounds a tab's life).
func differential(t *testing.T, b *browsertest.Browser, dir string, env *ledgerEnv) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(13, seed))
	newTab := func(t *testing.T) *tab { return openTab(t, b, dir, env.base, desktop, "", "zh") }
	t.Run("primitives", func(t *testing.T) {
		tb := newTab(t)
		t.Run("digests", func(t *testing.T) { diffDigests(t, tb, rng) })
		t.Run("sm2", func(t *testing.T) { diffSM2(t, tb, rng) })
		t.Run("merkle", func(t *testing.T) { diffMerkle(t, tb, rng) })
		t.Run("note key ids", func(t *testing.T) { diffNoteKeys(t, tb) })
		t.Run("i18n", func(t *testing.T) { diffI18n(t, tb) })
	})
	w := newWorld(t)
	t.Run("acts", func(t *testing.T) { diffEvents(t, newTab, env, w) })
	t.Run("bundles", func(t *testing.T) { diffBundles(t, newTab, w) })
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func diffDigests(t *testing.T, tb *tab, rng *rand.Rand) {
	var msgs []string
	var want [][2]string
	for i := 0; i < 160; i++ {
		n := i
		if i >= 130 {
			n = rng.IntN(5000)
		}
		m := make([]byte, n)
		for j := range m {
			m[j] = byte(rng.IntN(256))
		}
		s3 := crypto.SM3(m)
		s2 := sha256.Sum256(m)
		msgs = append(msgs, b64(m))
		want = append(want, [2]string{hex.EncodeToString(s3[:]), hex.EncodeToString(s2[:])})
	}
	var got [][2]string
	runJS(t, tb, `return fx.map(b => { const x = m.bytes.b64decode(b); return [m.bytes.hex(m.sm3.sm3(x)), m.bytes.hex(m.sha256.sha256(x))]; });`, msgs, &got)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d (%d bytes): browser %v, Go %v", i, len(msgs[i])*3/4, got[i], want[i])
		}
	}
}

type sigCase struct {
	PEM  string `json:"pem"`
	Msg  string `json:"msg"`
	Sig  string `json:"sig"`
	ID   string `json:"-"`
	Want bool   `json:"-"`
}

// derMutations are signatures Go's verifier refuses or accepts for reasons of encoding:
// every single-byte change, and the DER spellings a lax parser would take.
func derMutations(sig []byte) [][]byte {
	var out [][]byte
	for i := range sig {
		s := bytes.Clone(sig)
		s[i] ^= 0x01
		out = append(out, s)
		s = bytes.Clone(sig)
		s[i] ^= 0x80
		out = append(out, s)
	}
	out = append(out, append(bytes.Clone(sig), 0x00))                             // trailing byte
	out = append(out, sig[:len(sig)-1])                                           // cut
	out = append(out, append([]byte{0x30, 0x81, byte(len(sig) - 2)}, sig[2:]...)) // long-form length of a short one
	rl := int(sig[3])
	r, s := sig[4:4+rl], sig[4+rl+2:]
	enc := func(r, s []byte) []byte {
		b := []byte{0x02, byte(len(r))}
		b = append(b, r...)
		b = append(b, 0x02, byte(len(s)))
		b = append(b, s...)
		return append([]byte{0x30, byte(len(b))}, b...)
	}
	out = append(out, enc(append([]byte{0}, r...), s))        // a needless leading zero (non-minimal when r has no high bit)
	out = append(out, enc(s, r))                              // r and s swapped
	out = append(out, enc([]byte{0}, s))                      // r = 0
	out = append(out, enc(r, []byte{0}))                      // s = 0
	out = append(out, enc(bytes.Repeat([]byte{0xff}, 32), s)) // negative r
	n, _ := hex.DecodeString("00fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123")
	out = append(out, enc(r, n)) // s = n
	return out
}

func diffSM2(t *testing.T, tb *tab, rng *rand.Rand) {
	var cases []sigCase
	for i := 0; i < 24; i++ {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, rng.IntN(600))
		for j := range msg {
			msg[j] = byte(rng.IntN(256))
		}
		sig, err := k.SignMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		pemText := string(crypto.MarshalPublicKeyPEM(k.Public()))
		add := func(m, s []byte) {
			cases = append(cases, sigCase{PEM: pemText, Msg: b64(m), Sig: b64(s), ID: k.Public().ID(), Want: k.Public().Verify(m, s)})
		}
		add(msg, sig)
		other := append(bytes.Clone(msg), 'x')
		add(other, sig)
		if i < 3 {
			for _, s := range derMutations(sig) {
				add(msg, s)
			}
		}
	}
	var got []struct {
		ID        string `json:"id"`
		Canonical bool   `json:"canonical"`
		OK        bool   `json:"ok"`
	}
	runJS(t, tb, `return fx.map(c => { const k = m.sm2.parsePublicKeyPEM(c.pem);
		return { id: k.id, canonical: k.pem() === c.pem, ok: k.verify(m.bytes.b64decode(c.msg), m.bytes.b64decode(c.sig)) }; });`, cases, &got)
	valid := 0
	for i, c := range cases {
		if got[i].ID != c.ID || !got[i].Canonical {
			t.Errorf("case %d: key id %s (canonical PEM %v), Go %s", i, got[i].ID, got[i].Canonical, c.ID)
		}
		if got[i].OK != c.Want {
			t.Errorf("case %d: signature %s over %d bytes: browser %v, Go %v", i, c.Sig, len(c.Msg)*3/4, got[i].OK, c.Want)
		}
		if c.Want {
			valid++
		}
	}
	if valid < 24 {
		t.Errorf("only %d valid signatures among the cases", valid)
	}
	t.Logf("%d SM2 cases, %d valid", len(cases), valid)
}

// mth and path are RFC 6962's MTH and PATH, written from the RFC's definitions.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := crypto.SM3(nil)
		return h[:]
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return ledger.Hasher{}.HashChildren(mth(leaves[:k]), mth(leaves[k:]))
}

func path(m int, leaves [][]byte) [][]byte {
	if len(leaves) <= 1 {
		return nil
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	if m < k {
		return append(path(m, leaves[:k]), mth(leaves[k:]))
	}
	return append(path(m-k, leaves[k:]), mth(leaves[:k]))
}

func hexes(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h)
	}
	return out
}

func diffMerkle(t *testing.T, tb *tab, rng *rand.Rand) {
	type mc struct {
		Index int      `json:"index"`
		Size  int      `json:"size"`
		Leaf  string   `json:"leaf"`
		Proof []string `json:"proof"`
		Root  string   `json:"-"`
	}
	var cases []mc
	for size := 1; size <= 33; size++ {
		leaves := make([][]byte, size)
		for i := range leaves {
			e := make([]byte, 1+rng.IntN(40))
			for j := range e {
				e[j] = byte(rng.IntN(256))
			}
			h := ledger.LeafHash(e)
			leaves[i] = h[:]
		}
		root := hex.EncodeToString(mth(leaves))
		for i := 0; i < size; i++ {
			cases = append(cases, mc{Index: i, Size: size, Leaf: hex.EncodeToString(leaves[i]), Proof: hexes(path(i, leaves)), Root: root})
		}
	}
	var got []string
	runJS(t, tb, `return fx.map(c => { try { return m.bytes.hex(m.merkle.rootFromInclusionProof(c.index, c.size, m.bytes.unhex(c.leaf), c.proof.map(m.bytes.unhex))); } catch (e) { return 'error: ' + e.message; } });`, cases, &got)
	for i, c := range cases {
		if got[i] != c.Root {
			t.Errorf("leaf %d of %d: browser %s, RFC 6962 %s", c.Index, c.Size, got[i], c.Root)
		}
	}
	t.Logf("%d inclusion proofs", len(cases))
}

// The key IDs of docs/formats.md §6, and fresh keys'.
func diffNoteKeys(t *testing.T, tb *tab) {
	type nk struct {
		Name string `json:"name"`
		Alg  string `json:"alg"`
		PEM  string `json:"pem"`
		Want uint32 `json:"want"`
	}
	vec := "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE+VScyPU1vFBpLb8B/pGPEKYjbNt+\nEKPAnxFBEioOEZ6U+MIrc0pQPRSJwOP0rjItnoVrvPXCuO3pGFdFN+NVJQ==\n-----END PUBLIC KEY-----\n"
	cases := []nk{
		{"vector.aba.example/ledger", "sm2-sm3/gmt-0009-default-uid", vec, 0x7fe3ecd9},
		{"witness.example", "cosignature/v1-sm2-sm3/gmt-0009-default-uid", vec, 0xcd3569e8},
	}
	for i := 0; i < 4; i++ {
		k, _ := crypto.GenerateKey()
		name := fmt.Sprintf("fresh-%d.example/log", i)
		cases = append(cases, nk{name, "sm2-sm3/gmt-0009-default-uid", string(crypto.MarshalPublicKeyPEM(k.Public())), ledger.NoteKeyHash(name, k.Public())})
	}
	var got []uint32
	runJS(t, tb, `return fx.map(c => m.note.otherAlgKeyHash(c.name, c.alg, m.sm2.parsePublicKeyPEM(c.pem)));`, cases, &got)
	for i, c := range cases {
		if got[i] != c.Want {
			t.Errorf("%s (%s): browser %08x, Go %08x", c.Name, c.Alg, got[i], c.Want)
		}
	}
}

// Every label of the console exists in both languages.
func diffI18n(t *testing.T, tb *tab) {
	var bad []string
	runJS(t, tb, `return Object.entries(m.i18n.M).filter(([k, v]) => !Array.isArray(v) || v.length !== 2 || !v[0] || !v[1]).map(([k]) => k);`, nil, &bad)
	if len(bad) > 0 {
		t.Errorf("labels missing a language: %v", bad)
	}
}

// world is a fresh ledger whose keys the test holds, so that entries can be re-sealed
// and checkpoints re-signed around a changed signature: only the signature check can
// then tell.
type world struct {
	f         *ledgertest.Fixture
	all       *bundle.Bundle // everything, export included: every leaf of the tree
	stream    *bundle.Bundle // one stream: selected, registry and export entries
	search    *bundle.Bundle // listed positions, as an export of a search's results
	allText   []byte
	revokedAt uint64
}

func newWorld(t *testing.T) *world {
	ctx := context.Background()
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
	for i := 0; i < 6; i++ {
		if _, err := l.Append(ctx, f.Event(t, []string{"county-01", "county-02"}[i%2], fmt.Sprintf("dataset/d-%d", i%2), i)); err != nil {
			t.Fatal(err)
		}
	}
	rev := ledgertest.Sign(t, f.RootKey, ledgertest.Submission(ledgertest.Authority, f.RootKey.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRevoked,
		ledger.KeyRevokedPayload{KeyID: k2.Public().ID(), Reason: "设备遗失 device lost"}))
	r, err := l.Append(ctx, rev)
	if err != nil {
		t.Fatal(err)
	}
	f.Register(t, l, "county-02")
	for i := 6; i < 10; i++ {
		if _, err := l.Append(ctx, f.Event(t, []string{"county-01", "county-02"}[i%2], fmt.Sprintf("dataset/d-%d", i%2), i)); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{f: f, revokedAt: r.Seq}
	w.stream, err = bundle.Export(ctx, l, f.LedgerKey, bundle.Request{Selection: bundle.Selection{Stream: "dataset/d-1"}, By: "officer-li", Reason: "差异测试 differential test"})
	if err != nil {
		t.Fatal(err)
	}
	// An export of a search's results: listed positions, with the filters beside them.
	var seqs []uint64
	for seq := uint64(1); seq < l.Size(); seq += 3 {
		seqs = append(seqs, seq)
	}
	w.search, err = bundle.Export(ctx, l, f.LedgerKey, bundle.Request{Selection: bundle.Selection{Seqs: seqs, Query: map[string]string{"person": ledgertest.Person}}, By: "officer-li", Reason: "检索导出 search export"})
	if err != nil {
		t.Fatal(err)
	}
	w.all, err = bundle.Export(ctx, l, f.LedgerKey, bundle.Request{By: "officer-li", Reason: "everything"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := bundle.Write(&buf, w.all); err != nil {
		t.Fatal(err)
	}
	w.allText = buf.Bytes()
	return w
}

// sealedBytes lays an entry out as the ledger seals it (ledger/entry.go appendEntry).
func sealedBytes(e *ledger.Entry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"prev_hash":"%s","recorded_at":"%s","seq":%d,"signature":"%s","stream_version":%d,"submission":`,
		e.PrevHash, e.RecordedAt, e.Seq, b64(e.Signature), e.StreamVersion)
	b.Write(e.SubmissionRaw)
	b.WriteByte('}')
	return b.Bytes()
}

// resealed returns a copy of w.all whose entry k carries signature sig: the entry and
// every later one re-sealed (their prev_hash chained), every proof and the checkpoint
// made again under the ledger key.
func (w *world) resealed(t *testing.T, k int, sig []byte) *bundle.Bundle {
	t.Helper()
	b := cloneBundle(w.all)
	var prev ledger.Hash
	for i := range b.Entries {
		be := &b.Entries[i]
		if i >= k {
			e, err := ledger.ParseEntry(bytes.Clone(be.Entry))
			if err != nil {
				t.Fatal(err)
			}
			if i == k {
				e.Signature = sig
			} else {
				e.PrevHash = prev
			}
			be.Entry = sealedBytes(e)
			if pe, err := ledger.ParseEntry(bytes.Clone(be.Entry)); err != nil || !pe.Canonical() {
				t.Fatalf("re-sealing entry %d: %v", i, err)
			}
			be.Hash = ledger.SumEntry(be.Entry)
			be.Signature = e.Signature
		}
		prev = be.Hash
	}
	leaves := make([][]byte, len(b.Entries))
	for i := range b.Entries {
		h := ledger.LeafHash(b.Entries[i].Entry)
		leaves[i] = h[:]
	}
	for i := range b.Entries {
		var p []ledger.Hash
		for _, h := range path(i, leaves) {
			p = append(p, ledger.Hash(h))
		}
		b.Entries[i].InclusionProof = p
	}
	c, err := ledger.SignCheckpoint(w.f.Origin, uint64(len(leaves)), ledger.Hash(mth(leaves)), w.f.LedgerKey)
	if err != nil {
		t.Fatal(err)
	}
	b.Checkpoint = string(c.Note)
	return b
}

func cloneBundle(b *bundle.Bundle) *bundle.Bundle {
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
	c.Entries = make([]bundle.Entry, len(b.Entries))
	for i, e := range b.Entries {
		e.Entry, e.Submission, e.Signature = bytes.Clone(e.Entry), bytes.Clone(e.Submission), bytes.Clone(e.Signature)
		e.InclusionProof = append([]ledger.Hash(nil), e.InclusionProof...)
		c.Entries[i] = e
	}
	return &c
}

// eventCase is one act as GET /v1/events/{id} answers it, with what verifies it.
type eventCase struct {
	Event     *client.Event         `json:"ev"`
	Origin    string                `json:"origin"`
	LedgerPEM string                `json:"ledgerPem"`
	Key       *client.RegisteredKey `json:"key"`
}

// goVerifyEvent is the Go verdict on an act: client.Event.Verify (checkpoint, hash,
// entry, proof), then the actor's key and its SM2 signature.
func goVerifyEvent(c eventCase) error {
	lk, err := crypto.ParsePublicKeyPEM([]byte(c.LedgerPEM))
	if err != nil {
		return err
	}
	e, _, err := c.Event.Verify(c.Origin, lk)
	if err != nil {
		return err
	}
	if c.Key == nil {
		return fmt.Errorf("no actor key")
	}
	k, err := crypto.ParsePublicKeyPEM([]byte(c.Key.PublicKey))
	if err != nil {
		return err
	}
	a := e.Submission.Actor
	if k.ID() != a.KeyID || c.Key.Institution != a.Institution || c.Key.Person != "" && c.Key.Person != a.Person {
		return fmt.Errorf("the key is not the actor's")
	}
	if !k.Verify(e.SubmissionRaw, e.Signature) {
		return fmt.Errorf("bad signature")
	}
	return nil
}

// eventFrom makes the act at index k of a bundle of every entry into an event answer.
func (w *world) eventFrom(b *bundle.Bundle, k int) eventCase {
	be := b.Entries[k]
	c, _, _ := ledger.OpenCheckpoint([]byte(b.Checkpoint), w.f.Origin, w.f.LedgerKey.Public())
	ev := &client.Event{Seq: be.Seq, Hash: be.Hash, Entry: be.Entry, TreeSize: c.Size, InclusionProof: be.InclusionProof, Checkpoint: b.Checkpoint, Decoded: json.RawMessage(be.Entry)}
	e, _ := ledger.ParseEntry(bytes.Clone(be.Entry))
	key := &client.RegisteredKey{KeyID: be.KeyID, PublicKey: b.Keys[be.KeyID], Role: ledger.RoleInstitution}
	if e != nil {
		key.Institution = e.Submission.Actor.Institution
	}
	for _, x := range b.Entries {
		if bytes.Contains(x.Entry, []byte(`"key_id":"`+be.KeyID+`","public_key"`)) || bytes.Contains(x.Entry, []byte(`"new_key_id":"`+be.KeyID)) {
			key.RegisteredAt = x.Seq
		}
	}
	return eventCase{Event: ev, Origin: w.f.Origin, LedgerPEM: string(crypto.MarshalPublicKeyPEM(w.f.LedgerKey.Public())), Key: key}
}

// fetchEvent reads an act, its actor's key and the ledger's identity from the demo ledgerd.
func fetchEvent(t *testing.T, env *ledgerEnv, id string) eventCase {
	t.Helper()
	get := func(path string, out any) {
		req, _ := http.NewRequest(http.MethodGet, env.real+path, nil)
		req.Header.Set("Authorization", "Bearer "+env.tokens[auth.RoleSecurityOfficer])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	var c eventCase
	get("/v1/events/"+id, &c.Event)
	var info client.LedgerInfo
	get("/v1/ledger", &info)
	c.Origin, c.LedgerPEM = info.Origin, info.LedgerKey.PEM
	e, err := ledger.ParseEntry(bytes.Clone(c.Event.Entry))
	if err != nil {
		t.Fatal(err)
	}
	get("/v1/keys/"+e.Submission.Actor.KeyID, &c.Key)
	return c
}

// mutation is one change applied identically in Go and in the browser.
type mutation struct {
	Kind string `json:"k"`
	I    int    `json:"i,omitempty"` // entry index (bundles)
	J    int    `json:"j,omitempty"` // proof hash index
	Pos  int    `json:"pos"`
	Text string `json:"text,omitempty"` // a whole changed checkpoint
}

// substitute is the single-character change of a checkpoint: a character of the same
// kind where there is one, so that parsing goes on and the signature must tell.
func substitute(r rune) rune {
	switch {
	case r >= '0' && r < '9', r >= 'a' && r < 'z', r >= 'A' && r < 'Z':
		return r + 1
	case r == '9':
		return '0'
	case r == 'z':
		return 'a'
	case r == 'Z':
		return 'A'
	case r == '+':
		return '/'
	case r == '/':
		return '+'
	case r == '=':
		return 'A'
	case r == '\n':
		return ' '
	case r == ' ':
		return '_'
	case r == '.':
		return '-'
	case r == '-':
		return '.'
	case r == '—':
		return '-'
	}
	return 'x'
}

// checkpointMutations changes each character of a note in turn.
func checkpointMutations(note string) []mutation {
	var out []mutation
	i := 0
	for pos, r := range note {
		_ = pos
		runes := []rune(note)
		runes[i] = substitute(r)
		out = append(out, mutation{Kind: "checkpoint", Pos: i, Text: string(runes)})
		i++
	}
	return out
}

func flip(b []byte, pos int) []byte {
	c := bytes.Clone(b)
	c[pos] ^= 0x01
	return c
}

func applyEvent(c eventCase, m mutation) eventCase {
	ev := *c.Event
	switch m.Kind {
	case "entry":
		ev.Entry = flip(ev.Entry, m.Pos)
	case "entry_rehash":
		ev.Entry = flip(ev.Entry, m.Pos)
		ev.Hash = ledger.SumEntry(ev.Entry)
	case "proof":
		ev.InclusionProof = append([]ledger.Hash(nil), ev.InclusionProof...)
		ev.InclusionProof[m.J][m.Pos] ^= 0x01
	case "checkpoint":
		ev.Checkpoint = m.Text
	}
	c.Event = &ev
	return c
}

const jsEvent = `
const run = (c) => { const r = m.verify.verifyEvent(c.ev, { origin: c.origin, key: m.sm2.parsePublicKeyPEM(c.ledgerPem) }, c.key); return r.intact ? 'intact' : r.failed; };
const apply = (c, mu) => {
	mu = { i: 0, j: 0, ...mu };
	const ev = { ...c.ev, inclusion_proof: [...c.ev.inclusion_proof] };
	if (mu.k === 'entry' || mu.k === 'entry_rehash') {
		const b = m.bytes.b64decode(ev.entry); b[mu.pos] ^= 1; ev.entry = m.bytes.b64encode(b);
		if (mu.k === 'entry_rehash') ev.hash = m.bytes.hex(m.sm3.sm3(b));
	} else if (mu.k === 'proof') {
		const h = m.bytes.unhex(ev.inclusion_proof[mu.j]); h[mu.pos] ^= 1; ev.inclusion_proof[mu.j] = m.bytes.hex(h);
	} else if (mu.k === 'checkpoint') ev.checkpoint = mu.text;
	return { ...c, ev };
};
`

// formatsVector is the documented genesis entry as GET /v1/events would answer it.
func formatsVector(t *testing.T) eventCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "formats.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	vectors := doc[strings.Index(doc, "## 6. Test vectors"):]
	block := func(after string) string {
		i := strings.Index(vectors, after)
		if i < 0 {
			t.Fatalf("formats.md lacks %q", after)
		}
		rest := vectors[i:]
		s := strings.Index(rest, "```\n") + 4
		e := strings.Index(rest[s:], "```\n")
		return rest[s : s+e]
	}
	pemText := block("Test key")
	k, err := crypto.ParsePublicKeyPEM([]byte(pemText))
	if err != nil {
		t.Fatal(err)
	}
	entry := []byte(strings.TrimSuffix(block("A genesis entry"), "\n"))
	ev := &client.Event{Seq: 0, Hash: ledger.SumEntry(entry), Entry: entry, TreeSize: 1, InclusionProof: []ledger.Hash{}, Checkpoint: block("Its checkpoint"), Decoded: entry}
	return eventCase{Event: ev, Origin: "vector.aba.example/ledger", LedgerPEM: pemText,
		Key: &client.RegisteredKey{KeyID: k.ID(), Institution: "aba-data-bureau", Role: ledger.RoleLedger, PublicKey: pemText}}
}

func diffEvents(t *testing.T, newTab func(*testing.T) *tab, env *ledgerEnv, w *world) {
	tb := newTab(t)
	// Acts of the demo ledger, served by ledgerd: the genesis, a registry act, a rotated
	// key's act, data acts with Chinese payloads and encrypted fields.
	var cases []eventCase
	for _, typ := range []string{"ledger.initialized.v1", "key.rotated.v1", "person.registered.v1", "data.collected.v1", "emergency.declared.v1", "security.backup_completed.v1"} {
		cases = append(cases, fetchEvent(t, env, env.row(t, typ).ID))
	}
	// The genesis entry and checkpoint of docs/formats.md §6 (with the witness's
	// cosignature, which an act's check leaves aside).
	cases = append(cases, formatsVector(t))
	// Freshly signed acts of a ledger whose keys the test holds.
	for k := 1; k < len(w.all.Entries); k++ {
		if bytes.Contains(w.all.Entries[k].Entry, []byte(`"type":"data.collected.v1"`)) {
			cases = append(cases, w.eventFrom(w.all, k))
		}
	}
	var got []string
	runJS(t, tb, jsEvent+`return fx.map(run);`, cases, &got)
	for i, c := range cases {
		if err := goVerifyEvent(c); err != nil {
			t.Fatalf("case %d: Go refuses its own fixture: %v", i, err)
		}
		if got[i] != "intact" {
			t.Errorf("act %d (seq %d): the browser says %s", i, c.Event.Seq, got[i])
		}
	}

	// Every single-byte change of an act's entry (with the server's hash, and with a
	// lying server's recomputed one), of its proof and of its checkpoint.
	base := cases[3]
	var muts []mutation
	want := map[string]string{"entry": "entry_hash", "proof": "inclusion", "checkpoint": "checkpoint"}
	for pos := range base.Event.Entry {
		muts = append(muts, mutation{Kind: "entry", Pos: pos}, mutation{Kind: "entry_rehash", Pos: pos})
	}
	for j := range base.Event.InclusionProof {
		for pos := 0; pos < 32; pos++ {
			muts = append(muts, mutation{Kind: "proof", J: j, Pos: pos})
		}
	}
	muts = append(muts, checkpointMutations(base.Event.Checkpoint)...)
	// Go's verdicts are reached while the browser works.
	goErrs := make(chan []error, 1)
	go func() {
		out := make([]error, len(muts))
		for i, mu := range muts {
			out[i] = goVerifyEvent(applyEvent(base, mu))
		}
		goErrs <- out
	}()
	var results []string
	tb = newTab(t)
	runJS(t, tb, jsEvent+`return fx.muts.map(mu => run(apply(fx.base, mu)));`, map[string]any{"base": base, "muts": muts}, &results)
	errs := <-goErrs
	failures := 0
	for i, mu := range muts {
		goErr := errs[i]
		if goErr == nil && mu.Kind != "checkpoint" {
			t.Errorf("Go takes the changed act (%+v)", mu)
		}
		if goErr == nil {
			continue // a change Go does not see (none is expected; reported above)
		}
		if results[i] == "intact" {
			failures++
			if failures < 10 {
				t.Errorf("%s byte %d (proof hash %d): the browser says intact, Go: %v", mu.Kind, mu.Pos, mu.J, goErr)
			}
			continue
		}
		if w, ok := want[mu.Kind]; ok && results[i] != w {
			t.Errorf("%s byte %d: the browser names %s, want %s", mu.Kind, mu.Pos, results[i], w)
		}
		if mu.Kind == "entry_rehash" && results[i] != "entry_form" && results[i] != "inclusion" {
			t.Errorf("entry byte %d with its hash recomputed: the browser names %s", mu.Pos, results[i])
		}
	}

	// Every single-byte change of an actor's signature, in an act re-sealed around it
	// (entry, hash, proof and checkpoint all consistent): only the SM2 check can tell.
	k := len(w.all.Entries) - 3
	sig := w.all.Entries[k].Signature
	var sealed []eventCase
	for pos := range sig {
		sealed = append(sealed, w.eventFrom(w.resealed(t, k, flip(sig, pos)), k))
	}
	var sres []string
	runJS(t, tb, jsEvent+`return fx.map(run);`, sealed, &sres)
	for pos, c := range sealed {
		if goVerifyEvent(c) == nil {
			t.Errorf("Go takes signature byte %d changed", pos)
		}
		if sres[pos] != "signature" {
			t.Errorf("signature byte %d changed: the browser says %s, want signature", pos, sres[pos])
		}
	}
	t.Logf("%d acts intact; %d changed acts and %d changed signatures refused", len(cases), len(muts), len(sealed))
}

const jsBundle = `
const verdict = async (b, pin) => {
	try { await m.bundle.verifyBundle(b, { yield: false, ledgerKey: pin ? m.sm2.parsePublicKeyPEM(pin) : null }); return 'intact'; }
	catch (e) { if (e instanceof m.bundle.Finding) return e.field + '|' + e.reason; if (e instanceof m.bundle.Unsupported) return 'unsupported'; throw e; }
};
const fromText = async (text, pin) => { let b; try { b = m.bundle.readBundle(text); } catch (e) {
	if (e instanceof m.bundle.Finding) return e.field + '|' + e.reason; if (e instanceof m.bundle.Unsupported) return 'unsupported'; throw e; } return verdict(b, pin); };
const apply = (base, mu) => {
	mu = { i: 0, j: 0, ...mu };
	const b = structuredClone(base);
	const e = b.entries[mu.i];
	if (mu.k === 'entry') e.entry[mu.pos] ^= 1;
	else if (mu.k === 'proof') e.inclusion_proof[mu.j][mu.pos] ^= 1;
	else if (mu.k === 'sig') e.signature[mu.pos] ^= 1;
	else if (mu.k === 'checkpoint') b.checkpoint = mu.text;
	return b;
};
`

// goBundle is the Go verdict on bundle text: "intact", "unsupported" or "field|reason".
func goBundle(text []byte, pin *crypto.PublicKey) string {
	b, err := bundle.Read(bytes.NewReader(text))
	if err != nil {
		return goFinding(err)
	}
	return goVerdict(b, pin)
}

func goVerdict(b *bundle.Bundle, pin *crypto.PublicKey) string {
	_, err := bundle.Verify(b, bundle.VerifyOptions{LedgerKey: pin})
	if err == nil {
		return "intact"
	}
	return goFinding(err)
}

func goFinding(err error) string {
	if f, ok := err.(*bundle.Finding); ok {
		return f.Field + "|" + f.Reason
	}
	return "unsupported"
}

func applyBundle(base *bundle.Bundle, m mutation) *bundle.Bundle {
	b := cloneBundle(base)
	e := &b.Entries[m.I]
	switch m.Kind {
	case "entry":
		e.Entry[m.Pos] ^= 0x01
	case "proof":
		e.InclusionProof[m.J][m.Pos] ^= 0x01
	case "sig":
		e.Signature[m.Pos] ^= 0x01
	case "checkpoint":
		b.Checkpoint = m.Text
	}
	return b
}

// structural changes of a bundle's text that re-sealing or editing would make.
func structural(t *testing.T, w *world) map[string][]byte {
	t.Helper()
	write := func(b *bundle.Bundle) []byte {
		var buf bytes.Buffer
		if err := bundle.Write(&buf, b); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	out := map[string][]byte{}
	// An actor's signature changed and everything around it re-sealed and re-signed.
	k := len(w.all.Entries) - 3
	sig := w.all.Entries[k].Signature
	s2 := bytes.Clone(sig)
	s2[len(s2)-1] ^= 0x01
	out["resealed bad signature"] = write(w.resealed(t, k, s2))
	// A selected entry dropped; a registry act dropped; an extra entry slipped in.
	for i, e := range w.stream.Entries {
		if bytes.Contains(e.Entry, []byte(`"stream":"dataset/d-1"`)) {
			b := cloneBundle(w.stream)
			b.Entries = append(b.Entries[:i:i], b.Entries[i+1:]...)
			out["selected entry dropped"] = write(b)
			break
		}
	}
	for i, e := range w.stream.Entries {
		if i > 0 && bytes.Contains(e.Entry, []byte(`"type":"key.revoked.v1"`)) {
			b := cloneBundle(w.stream)
			b.Entries = append(b.Entries[:i:i], b.Entries[i+1:]...)
			out["revocation dropped"] = write(b)
			break
		}
	}
	for _, e := range w.all.Entries {
		if bytes.Contains(e.Entry, []byte(`"stream":"dataset/d-0"`)) {
			b := cloneBundle(w.stream)
			var entries []bundle.Entry
			inserted := false
			for _, x := range b.Entries {
				if !inserted && x.Seq > e.Seq {
					entries, inserted = append(entries, e), true
				}
				entries = append(entries, x)
			}
			b.Entries = entries
			out["entry of another export added"] = write(b)
			break
		}
	}
	for i, e := range w.search.Entries {
		if i > 0 && !bytes.Contains(e.Entry, []byte(`"stream":"ledger/`)) {
			b := cloneBundle(w.search)
			b.Entries = append(b.Entries[:i:i], b.Entries[i+1:]...)
			out["listed entry dropped"] = write(b)
			break
		}
	}
	b := cloneBundle(w.stream)
	b.ExportSeq--
	out["export_seq moved"] = write(b)
	b = cloneBundle(w.stream)
	for id := range b.Keys {
		if id != b.LedgerKey {
			delete(b.Keys, id)
			break
		}
	}
	out["a key removed"] = write(b)
	b = cloneBundle(w.stream)
	b.Checkpoint += "— witness.example zTVp6AAAAABrDKAsMEUCIQCY47IbSRwz0vqLb/4Uq4vX09kaO6VyzGKg6cWYowK4IgIgQ79HlKFAEYERg01YO4jP+K8TBA6V0B8YZDRhBF1YA1I=\n"
	out["unknown cosignature"] = write(b)
	out["not json"] = []byte(`{"format":`)
	out["another format"] = []byte(`{"format":"aba-ledger-bundle/v2"}`)
	out["unknown member"] = bytes.Replace(write(w.stream), []byte(`"format": "aba-ledger-bundle/v1",`), []byte(`"format": "aba-ledger-bundle/v1", "extra": 1,`), 1)
	out["duplicate member"] = bytes.Replace(write(w.stream), []byte(`"format": "aba-ledger-bundle/v1",`), []byte(`"format": "aba-ledger-bundle/v1", "export_seq": 1,`), 1)
	return out
}

func diffBundles(t *testing.T, newTab func(*testing.T) *tab, w *world) {
	tb := newTab(t)
	vector, err := os.ReadFile(filepath.Join("..", "docs", "vectors", "bundle-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var streamText bytes.Buffer
	if err := bundle.Write(&streamText, w.stream); err != nil {
		t.Fatal(err)
	}
	// Whole bundles: the vector and fresh ones intact, structural tampering refused
	// with Go's finding, a pinned key that is not the bundle's refused.
	var searchText bytes.Buffer
	if err := bundle.Write(&searchText, w.search); err != nil {
		t.Fatal(err)
	}
	texts := map[string][]byte{"vector": vector, "fresh stream": streamText.Bytes(), "fresh everything": w.allText, "fresh search": searchText.Bytes()}
	for name, b := range structural(t, w) {
		texts[name] = b
	}
	other, _ := crypto.GenerateKey()
	type tc struct {
		Name string `json:"name"`
		Text string `json:"text"`
		Pin  string `json:"pin,omitempty"`
		Want string `json:"-"`
	}
	var cases []tc
	for name, text := range texts {
		if !utf8.Valid(text) {
			t.Fatalf("%s is not UTF-8", name)
		}
		cases = append(cases, tc{Name: name, Text: string(text), Want: goBundle(text, nil)})
	}
	cases = append(cases,
		tc{Name: "pinned ledger key", Text: streamText.String(), Pin: string(crypto.MarshalPublicKeyPEM(w.f.LedgerKey.Public())), Want: goBundle(streamText.Bytes(), w.f.LedgerKey.Public())},
		tc{Name: "another pinned key", Text: streamText.String(), Pin: string(crypto.MarshalPublicKeyPEM(other.Public())), Want: goBundle(streamText.Bytes(), other.Public())})
	var got []string
	runJS(t, tb, jsBundle+`const out = []; for (const c of fx) out.push(await fromText(c.text, c.pin)); return out;`, cases, &got)
	for i, c := range cases {
		if got[i] != c.Want {
			t.Errorf("%s: browser %s, Go %s", c.Name, got[i], c.Want)
		}
		switch c.Name {
		case "vector", "fresh stream", "fresh everything", "fresh search", "pinned ledger key":
			if c.Want != "intact" {
				t.Errorf("%s: Go says %s", c.Name, c.Want)
			}
		default:
			if c.Want == "intact" {
				t.Errorf("%s: Go takes it", c.Name)
			}
		}
		t.Logf("%-24s %s", c.Name, got[i])
	}

	// Every single-byte change of every entry, proof hash and signature, and every
	// character of the checkpoint, of the vector bundle and a fresh one.
	for _, src := range []struct {
		name string
		text []byte
	}{{"vector", vector}, {"fresh", streamText.Bytes()}} {
		base, err := bundle.Read(bytes.NewReader(src.text))
		if err != nil {
			t.Fatal(err)
		}
		var muts []mutation
		for i, e := range base.Entries {
			// Every entry, proof and signature of the vector; of the fresh bundle those of
			// one entry (the checks are the same for all, and each change costs a pass
			// over every entry before it).
			if src.name == "vector" || i == len(base.Entries)/2 {
				for pos := range e.Entry {
					muts = append(muts, mutation{Kind: "entry", I: i, Pos: pos})
				}
			}
			if src.name == "vector" || i == len(base.Entries)/2 {
				for j := range e.InclusionProof {
					for pos := 0; pos < 32; pos++ {
						muts = append(muts, mutation{Kind: "proof", I: i, J: j, Pos: pos})
					}
				}
			}
			if src.name == "vector" || i == len(base.Entries)/2 {
				for pos := range e.Signature {
					muts = append(muts, mutation{Kind: "sig", I: i, Pos: pos})
				}
			}
		}
		muts = append(muts, checkpointMutations(base.Checkpoint)...)
		// Go's verdicts are reached while the browser works.
		wants := make(chan []string, 1)
		go func() {
			out := make([]string, len(muts))
			for i, mu := range muts {
				out[i] = goVerdict(applyBundle(base, mu), nil)
			}
			wants <- out
		}()
		var res []string
		tb = newTab(t)
		jsStart := time.Now()
		runJS(t, tb, jsBundle+`const base = m.bundle.readBundle(fx.text); const out = [];
			for (const mu of fx.muts) out.push(await verdict(apply(base, mu), null)); return out;`,
			map[string]any{"text": string(src.text), "muts": muts}, &res)
		jsTime := time.Since(jsStart)
		want := <-wants
		bad := 0
		for i, mu := range muts {
			want := want[i]
			if want == "intact" {
				t.Errorf("%s: Go takes %+v", src.name, mu)
			}
			if res[i] != want {
				if bad++; bad <= 20 {
					t.Errorf("%s: %s entry %d byte %d (hash %d): browser %s, Go %s", src.name, mu.Kind, mu.I, mu.Pos, mu.J, res[i], want)
				}
			}
		}
		if bad > 20 {
			t.Errorf("%s: %d disagreements in all", src.name, bad)
		}
		t.Logf("%s bundle: %d single-byte changes, each refused with Go's finding (%s in the browser)", src.name, len(muts), jsTime.Round(time.Millisecond))
	}
}
