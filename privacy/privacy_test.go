package privacy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/google/uuid"
)

var ctx = context.Background()

func newStore(t testing.TB) (*privacy.DirStore, string) {
	t.Helper()
	dir := t.TempDir()
	kek, err := privacy.GenerateKEKFile(filepath.Join(dir, "kek"))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := privacy.OpenDirStore(filepath.Join(dir, "keys"), kek)
	if err != nil {
		t.Fatal(err)
	}
	return ks, dir
}

// TestVector pins the field format: the same vector is in docs/privacy.md, and was
// checked against OpenSSL 3's SM4-GCM through Python's cryptography package.
func TestVector(t *testing.T) {
	key, _ := hex.DecodeString("0123456789abcdeffedcba9876543210")
	nonce, _ := hex.DecodeString("00112233445566778899aabb")
	aad := privacy.AAD("0190f5c2-7a4e-7b1c-8d3e-1234567890ab", "party", "person/7f3a9c", "0011223344556677")
	if string(aad) != "sm4-gcm/v1\x000190f5c2-7a4e-7b1c-8d3e-1234567890ab\x00party\x00person/7f3a9c\x000011223344556677" {
		t.Fatalf("AAD %q", aad)
	}
	g, err := crypto.NewSM4GCM(key)
	if err != nil {
		t.Fatal(err)
	}
	ct := g.Seal(nil, nonce, []byte(`"np-81aa"`), aad)
	if got := hex.EncodeToString(ct); got != "8ecbad7754f485717091dc4e1ac331779379280bd5b32c3c34" {
		t.Fatalf("ct %s", got)
	}
	if got := base64.StdEncoding.EncodeToString(ct); got != "jsutd1T0hXFwkdxOGsMxd5N5KAvVsyw8NA==" {
		t.Fatalf("ct base64 %s", got)
	}
}

func TestEncryptDecryptRoundTripAndBinding(t *testing.T) {
	ks, _ := newStore(t)
	id := uuid.Must(uuid.NewV7()).String()
	payload := json.RawMessage(`{"request":"sr-1","kind":"deletion","party":"np-81aa","party_kind":"natural_person","items":[{"name":"张三","n":1},{"name":"李四","n":2}],"big":12345678901234}`)
	enc, err := privacy.EncryptPayload(ctx, ks, id, payload, []privacy.Field{{Path: "party", Subject: "person/7f3a"}, {Path: "items.*.name", Subject: "person/7f3a"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{"np-81aa", "张三", "李四"} {
		if bytes.Contains(enc, []byte(clear)) {
			t.Fatalf("%q in clear in %s", clear, enc)
		}
	}
	if !bytes.Contains(enc, []byte(`"big":12345678901234`)) || !bytes.Contains(enc, []byte(`"kind":"deletion"`)) {
		t.Fatalf("other fields changed: %s", enc)
	}
	envs, err := privacy.Envelopes(enc)
	if err != nil || len(envs) != 3 || envs[0].Path != "items.0.name" || envs[2].Path != "party" {
		t.Fatalf("envelopes %+v %v", envs, err)
	}
	dec, st, err := privacy.DecryptPayload(ctx, ks, id, enc)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(json.RawMessage(payload))
	var a, b any
	json.Unmarshal(dec, &a)
	json.Unmarshal(want, &b)
	if ja, _ := json.Marshal(a); string(ja) != func() string { jb, _ := json.Marshal(b); return string(jb) }() {
		t.Fatalf("round trip:\n%s\n%s", dec, payload)
	}
	for _, s := range st {
		if s.Status != privacy.StatusDecrypted {
			t.Fatalf("status %+v", s)
		}
	}
	// The ciphertext is bound to its event and its field.
	other := uuid.Must(uuid.NewV7()).String()
	_, st, err = privacy.DecryptPayload(ctx, ks, other, enc)
	if err != nil || st[0].Status != privacy.StatusCorrupt {
		t.Fatalf("decrypting under another event id: %+v %v", st, err)
	}
	var m map[string]any
	json.Unmarshal(enc, &m)
	items := m["items"].([]any)
	items[0].(map[string]any)["name"], items[1].(map[string]any)["name"] = items[1].(map[string]any)["name"], items[0].(map[string]any)["name"]
	swapped, _ := json.Marshal(m)
	_, st, _ = privacy.DecryptPayload(ctx, ks, id, swapped)
	if st[0].Status != privacy.StatusCorrupt || st[1].Status != privacy.StatusCorrupt || st[2].Status != privacy.StatusDecrypted {
		t.Fatalf("swapping two fields' ciphertexts: %+v", st)
	}
}

func TestEncryptRefusals(t *testing.T) {
	ks, _ := newStore(t)
	id := uuid.Must(uuid.NewV7()).String()
	p := json.RawMessage(`{"a":{"b":"x"},"list":[1,2],"s":"v"}`)
	cases := []struct {
		name   string
		fields []privacy.Field
		want   string
	}{
		{"missing field", []privacy.Field{{"nope", "s1"}}, "not in the payload"},
		{"missing nested", []privacy.Field{{"a.c", "s1"}}, "not in the payload"},
		{"through a string", []privacy.Field{{"s.x", "s1"}}, "not in the payload"},
		{"array without star", []privacy.Field{{"list.0", "s1"}}, "use * for its elements"},
		{"star on object", []privacy.Field{{"a.*", "s1"}}, "not an array"},
		{"bad subject", []privacy.Field{{"s", "张三"}}, "not a valid id"},
		{"empty segment", []privacy.Field{{"a..b", "s1"}}, "empty segment"},
		{"twice", []privacy.Field{{"s", "s1"}, {"s", "s1"}}, "already encrypted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := privacy.EncryptPayload(ctx, ks, id, p, c.fields)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
	if _, err := privacy.ParseFields("party,description=person/x", ""); err == nil {
		t.Fatal("a field without a subject was accepted")
	}
	fs, err := privacy.ParseFields("party, description=person/x", "person/y")
	if err != nil || len(fs) != 2 || fs[0].Subject != "person/y" || fs[1].Subject != "person/x" {
		t.Fatalf("%+v %v", fs, err)
	}
}

func TestDirStore(t *testing.T) {
	ks, dir := newStore(t)
	k1, err := ks.GetOrCreate(ctx, "person/a")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ks.GetOrCreate(ctx, "person/a")
	if err != nil || k2.ID != k1.ID || !bytes.Equal(k1.Key, k2.Key) {
		t.Fatal("second GetOrCreate made another key")
	}
	if _, err := ks.Get(ctx, "person/a", "0000000000000000"); !errors.Is(err, privacy.ErrNoKey) {
		t.Fatalf("wrong kid: %v", err)
	}
	if _, err := ks.Get(ctx, "person/b", k1.ID); !errors.Is(err, privacy.ErrNoKey) {
		t.Fatalf("unknown subject: %v", err)
	}
	// Another process opening the same directory under another KEK is refused.
	other, _ := privacy.ParseKEK([]byte(strings.Repeat("ab", 16)))
	if _, err := privacy.OpenDirStore(filepath.Join(dir, "keys"), other); !errors.Is(err, privacy.ErrWrongKEK) {
		t.Fatalf("wrong KEK: %v", err)
	}
	// Concurrent first use agrees on one key.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			k, err := ks.GetOrCreate(ctx, "person/c")
			if err != nil {
				t.Error(err)
			}
			ids[i] = k.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent GetOrCreate made several keys: %v", ids)
		}
	}
	by := privacy.Destruction{EventID: "e1", Seq: 9, Type: "emergency.data_destroyed.v1", Article: "21"}
	if err := ks.Shred(ctx, "person/a", by); err != nil {
		t.Fatal(err)
	}
	if err := ks.Shred(ctx, "person/a", privacy.Destruction{EventID: "e2"}); err != nil {
		t.Fatal(err)
	}
	_, err = ks.Get(ctx, "person/a", k1.ID)
	se, ok := errors.AsType[*privacy.ShreddedError](err)
	if !ok || se.By.EventID != "e1" || !errors.Is(err, privacy.ErrDestroyed) {
		t.Fatalf("after shred: %v (the first destruction must be kept)", err)
	}
	if _, err := ks.GetOrCreate(ctx, "person/a"); !errors.Is(err, privacy.ErrDestroyed) {
		t.Fatalf("a destroyed subject got a new key: %v", err)
	}
	// A key that does not exist cannot be destroyed in advance: shredding a subject that
	// never had a key records nothing, and a key made for it later is new data.
	if err := ks.Shred(ctx, "person/never", by); !errors.Is(err, privacy.ErrNoKey) {
		t.Fatalf("shredding a subject without a key: %v, want ErrNoKey", err)
	}
	if _, err := ks.GetOrCreate(ctx, "person/never"); err != nil {
		t.Fatalf("a subject shredded before it had a key cannot get one: %v", err)
	}
	live, dead, err := ks.Subjects()
	if err != nil || len(live) != 2 || len(dead) != 1 {
		t.Fatalf("subjects %v %v %v", live, dead, err)
	}
}

func TestKEKFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "kek")
	k, err := privacy.GenerateKEKFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := privacy.GenerateKEKFile(p); err == nil {
		t.Fatal("an existing KEK was overwritten")
	}
	k2, err := privacy.ReadKEKFile(p)
	if err != nil || k2.ID() != k.ID() {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	if _, err := privacy.ReadKEKFile(p); err == nil || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("a world-readable KEK was accepted: %v", err)
	}
	b, _ := os.ReadFile(p)
	if strings.Contains(k.String(), strings.TrimSpace(string(b))) || !strings.HasPrefix(k.String(), "KEK(") {
		t.Fatalf("String %q prints the key", k.String())
	}
}

func TestDefaultRulesMatchTheCatalogue(t *testing.T) {
	for _, r := range privacy.DefaultRules {
		typ, ok := events.Lookup(r.Type)
		if !ok {
			t.Fatalf("rule for %s: no such event type in domain/events", r.Type)
		}
		ex, _ := json.Marshal(typ.Example)
		var p map[string]any
		json.Unmarshal(ex, &p)
		for _, tmpl := range []string{r.Subject, r.In} {
			for _, f := range strings.FieldsFunc(tmpl, func(c rune) bool { return c == '{' || c == '}' || c == '/' }) {
				if strings.Contains(tmpl, "{"+f+"}") {
					if _, ok := p[f]; !ok {
						t.Errorf("%s: template %q names %s, which its payload lacks", r.Type, tmpl, f)
					}
				}
			}
		}
		for f := range r.When {
			if _, ok := p[f]; !ok {
				t.Errorf("%s: condition on %s, which its payload lacks", r.Type, f)
			}
		}
		if r.In == "" {
			continue
		}
		// The stream's events the rule reads: the types whose stream template is In's.
		var inTypes []map[string]any
		for _, name := range []string{"subject_request.received.v1"} {
			it, _ := events.Lookup(name)
			if it.Stream == r.In {
				b, _ := json.Marshal(it.Example)
				var ip map[string]any
				json.Unmarshal(b, &ip)
				inTypes = append(inTypes, ip)
			}
		}
		if len(inTypes) == 0 {
			t.Fatalf("%s: no catalogue type writes stream %s", r.Type, r.In)
		}
		for _, ip := range inTypes {
			for f := range r.InWhen {
				if _, ok := ip[f]; !ok {
					t.Errorf("%s: in_when on %s, which the stream's events lack", r.Type, f)
				}
			}
			if r.InSubject != "" {
				for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(r.InSubject, -1) {
					if _, ok := ip[m[1]]; !ok && m[1] != "actor" {
						t.Errorf("%s: in_subject names %s, which the stream's events lack", r.Type, m[1])
					}
				}
			}
		}
	}
}

// shredEnv is a real ledger on boltstore with a key store and a shredder.
type shredEnv struct {
	f    *ledgertest.Fixture
	st   *boltstore.Store
	l    *ledger.Ledger
	ks   *privacy.DirStore
	sh   *privacy.Shredder
	fl   *follow.Follower
	dir  string
	logs *bytes.Buffer
	mu   sync.Mutex
}

func newShredEnv(t *testing.T) *shredEnv {
	t.Helper()
	e := &shredEnv{logs: &bytes.Buffer{}}
	e.ks, e.dir = newStore(t)
	var err error
	e.st, err = boltstore.Open(filepath.Join(e.dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.f = ledgertest.New(t)
	e.f.Init(t, e.st)
	log := slog.New(slog.NewJSONHandler(lockedWriter{&e.mu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.sh, err = privacy.NewShredder(privacy.ShredderConfig{Keys: e.ks, Store: e.st, PositionFile: filepath.Join(e.dir, "shredder.json"), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	e.fl = follow.New(e.sh, follow.Options{Store: e.st, PollEvery: 20 * time.Millisecond, Logger: log})
	e.l = e.f.Open(t, e.st, ledger.Options{OnCommit: e.fl.Deliver, Logger: log})
	e.f.Register(t, e.l, "aba-health")
	return e
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// append encrypts fields of payload (if any) and records the event, like ledgerctl submit.
func (e *shredEnv) append(t *testing.T, typ, stream string, payload any, fields []privacy.Field) *ledger.Signed {
	t.Helper()
	k := e.f.Key("aba-health")
	sub := ledgertest.Submission("aba-health", k.Public().ID(), stream, typ, payload)
	if len(fields) > 0 {
		var err error
		if sub.Payload, err = privacy.EncryptPayload(ctx, e.ks, sub.ID, sub.Payload, fields); err != nil {
			t.Fatal(err)
		}
	}
	s := ledgertest.Sign(t, k, sub)
	if _, err := e.l.Append(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *shredEnv) read(t *testing.T, id string) *ledger.Entry {
	t.Helper()
	pos, err := e.st.Lookup(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	var out *ledger.Entry
	e.st.Entries(ctx, pos[id], pos[id]+1, func(r ledger.RawEntry) error {
		out, err = ledger.ParseEntry(bytes.Clone(r.Bytes))
		return err
	})
	if out == nil {
		t.Fatalf("entry %s not found", id)
	}
	return out
}

// filesContaining lists the files under dirs holding any of needles.
func filesContaining(t *testing.T, needles [][]byte, dirs ...string) []string {
	t.Helper()
	var hits []string
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, de os.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, n := range needles {
				if bytes.Contains(b, n) {
					hits = append(hits, p)
					break
				}
			}
			return nil
		})
	}
	return hits
}

func encodings(b []byte) [][]byte {
	return [][]byte{b, []byte(hex.EncodeToString(b)), []byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b))}
}

func TestCryptoShreddingEmergencyData(t *testing.T) {
	e := newShredEnv(t)
	subject := "emergency/emg-2025-quake-01/emergency.shelter-residents"
	collected := e.append(t, "data.collected.v1", "resource/emergency.shelter-residents", map[string]any{
		"resource": "emergency.shelter-residents", "records": 312, "system": "sys.shelter", "purpose": "安置登记",
		"note": "张三 身份证 513200199001011234",
	}, []privacy.Field{{Path: "note", Subject: subject}})
	other := e.append(t, "data.collected.v1", "resource/population.households", map[string]any{
		"resource": "population.households", "records": 5, "note": "李四",
	}, []privacy.Field{{Path: "note", Subject: "person/li-si"}})

	// Readable before destruction.
	got := e.read(t, collected.Submission.ID)
	clear, st, err := privacy.DecryptPayload(ctx, e.ks, got.Submission.ID, got.Submission.Payload)
	if err != nil || st[0].Status != privacy.StatusDecrypted || !bytes.Contains(clear, []byte("513200199001011234")) {
		t.Fatalf("before destruction: %s %+v %v", clear, st, err)
	}
	dk, err := e.ks.Get(ctx, subject, st[0].KID)
	if err != nil {
		t.Fatal(err)
	}
	keyFiles := filesContaining(t, [][]byte{[]byte(dk.ID)}, filepath.Join(e.dir, "keys", "keys"))
	if len(keyFiles) != 1 {
		t.Fatalf("key file: %v", keyFiles)
	}
	var kf struct{ Wrapped []byte }
	b, _ := os.ReadFile(keyFiles[0])
	json.Unmarshal(b, &kf)
	if len(kf.Wrapped) == 0 {
		t.Fatal("no wrapped key in the key file")
	}
	raw := encodings(dk.Key)
	wrapped := encodings(kf.Wrapped)
	// The scan can find what it looks for: the wrapped key is in the store before.
	if hits := filesContaining(t, wrapped, e.dir); len(hits) == 0 {
		t.Fatal("the scan does not find the wrapped key even before shredding")
	}
	// Plaintext never enters the ledger.
	if hits := filesContaining(t, [][]byte{[]byte("513200199001011234"), []byte("张三")}, filepath.Join(e.dir, "ledger.db")); len(hits) > 0 {
		t.Fatal("plaintext personal data in the ledger store")
	}

	destroy := e.append(t, "emergency.data_destroyed.v1", "emergency/emg-2025-quake-01", map[string]any{
		"emergency": "emg-2025-quake-01", "resource": "emergency.shelter-residents", "records": 312, "method": "覆写",
	}, nil)
	n, err := e.sh.RunToEnd(ctx)
	if err != nil || n != 1 {
		t.Fatalf("shredder: %d %v", n, err)
	}

	// The field is unreadable, naming the destruction event.
	env := mustEnvelope(t, got.Submission.Payload, "note")
	_, err = privacy.DecryptField(ctx, e.ks, got.Submission.ID, "note", env)
	se, ok := errors.AsType[*privacy.ShreddedError](err)
	if !ok || se.By.EventID != destroy.Submission.ID || se.By.Type != "emergency.data_destroyed.v1" || se.By.Article != "21" {
		t.Fatalf("decrypt after destruction: %v", err)
	}
	if !strings.Contains(err.Error(), destroy.Submission.ID) || !strings.Contains(se.MessageZH(), destroy.Submission.ID) {
		t.Fatalf("the error does not name the destruction event: %v / %s", err, se.MessageZH())
	}
	_, st, err = privacy.DecryptPayload(ctx, e.ks, got.Submission.ID, got.Submission.Payload)
	if err != nil || st[0].Status != privacy.StatusDestroyed || st[0].DestroyedBy.EventID != destroy.Submission.ID {
		t.Fatalf("payload after destruction: %+v %v", st, err)
	}
	// Other subjects are untouched.
	o := e.read(t, other.Submission.ID)
	if _, st, _ := privacy.DecryptPayload(ctx, e.ks, o.Submission.ID, o.Submission.Payload); st[0].Status != privacy.StatusDecrypted {
		t.Fatalf("another subject was shredded: %+v", st)
	}
	// The key is gone from the key store: neither the key nor its wrapped form remains.
	if hits := filesContaining(t, append(raw, wrapped...), e.dir); len(hits) > 0 {
		t.Fatalf("key material remains in %v", hits)
	}
	e.mu.Lock()
	logs := append([]byte(nil), e.logs.Bytes()...)
	e.mu.Unlock()
	for _, n := range append(raw, wrapped...) {
		if bytes.Contains(logs, n) {
			t.Fatal("key material in the log output")
		}
	}
	if !bytes.Contains(logs, []byte("data key destroyed")) {
		t.Fatalf("shredding was not logged:\n%s", logs)
	}
	// The ledger is intact: every hash and signature verifies.
	ledgertest.MustVerify(t, e.st)
	// Running again is idempotent and the position moved on.
	if n, err := e.sh.RunToEnd(ctx); err != nil || n != 0 {
		t.Fatalf("second pass: %d %v", n, err)
	}
}

func mustEnvelope(t *testing.T, payload json.RawMessage, field string) *privacy.Envelope {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	var env privacy.Envelope
	if err := json.Unmarshal(m[field], &env); err != nil || env.Enc != privacy.Algorithm {
		t.Fatalf("%s is not encrypted: %s", field, m[field])
	}
	return &env
}

func TestCryptoShreddingSubjectDeletionRequest(t *testing.T) {
	e := newShredEnv(t)
	person := "aba-health/party/np-81aa"
	// Another institution's subject named in the request's stream (before the checker
	// refused such envelopes, an insider could plant one): never aba-health's to destroy.
	other := "aba-police/party/np-81aa"
	otherRec := e.append(t, "data.collected.v1", "resource/population.households", map[string]any{"resource": "population.households", "records": 1, "note": "王五"},
		[]privacy.Field{{Path: "note", Subject: other}})
	// A record about the person elsewhere, and two requests: one deletion, one access.
	rec := e.append(t, "data.collected.v1", "resource/population.households", map[string]any{"resource": "population.households", "records": 1, "note": "王五"},
		[]privacy.Field{{Path: "note", Subject: person}})
	e.append(t, "subject_request.received.v1", "subject_request/sr-1", map[string]any{"request": "sr-1", "kind": "access", "party": "np-99", "party_kind": "natural_person"},
		[]privacy.Field{{Path: "party", Subject: "aba-health/party/np-99"}})
	e.append(t, "subject_request.answered.v1", "subject_request/sr-1", map[string]any{"request": "sr-1", "outcome": "granted", "measures": "提供副本"}, nil)
	e.append(t, "subject_request.received.v1", "subject_request/sr-2", map[string]any{"request": "sr-2", "kind": "deletion", "party": "np-81aa", "party_kind": "natural_person", "note": "x"},
		[]privacy.Field{{Path: "party", Subject: person}, {Path: "note", Subject: other}})
	if n, err := e.sh.RunToEnd(ctx); err != nil || n != 0 {
		t.Fatalf("nothing to shred yet: %d %v", n, err)
	}
	answered := e.append(t, "subject_request.answered.v1", "subject_request/sr-2", map[string]any{"request": "sr-2", "outcome": "granted", "measures": "已删除"}, nil)
	// The shredder runs live here, fed by the commit hook.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = e.fl.Run(runCtx); close(done) }()
	var err error
	for range 500 {
		env := mustEnvelope(t, e.read(t, rec.Submission.ID).Submission.Payload, "note")
		if _, err = privacy.DecryptField(ctx, e.ks, rec.Submission.ID, "note", env); err != nil {
			break
		}
		sleep()
	}
	cancel()
	<-done
	se, ok := errors.AsType[*privacy.ShreddedError](err)
	if !ok || se.By.EventID != answered.Submission.ID || se.By.Article != "22" {
		t.Fatalf("the deletion request did not shred the person's key: %v", err)
	}
	if _, err := e.ks.GetOrCreate(ctx, "aba-health/party/np-99"); err != nil {
		t.Fatalf("an access request shredded its party's key: %v", err)
	}
	oenv := mustEnvelope(t, e.read(t, otherRec.Submission.ID).Submission.Payload, "note")
	if _, err := privacy.DecryptField(ctx, e.ks, otherRec.Submission.ID, "note", oenv); err != nil {
		t.Fatalf("aba-health's deletion destroyed aba-police's key: %v", err)
	}
	// A request naming its party in clear: the key of subject party/<party> goes.
	rec3 := e.append(t, "data.collected.v1", "resource/population.households", map[string]any{"resource": "population.households", "records": 1, "note": "赵六"},
		[]privacy.Field{{Path: "note", Subject: "aba-health/party/np-77"}})
	e.append(t, "subject_request.received.v1", "subject_request/sr-3", map[string]any{"request": "sr-3", "kind": "deletion", "party": "np-77", "party_kind": "natural_person"}, nil)
	e.append(t, "subject_request.answered.v1", "subject_request/sr-3", map[string]any{"request": "sr-3", "outcome": "refused", "measures": "法定保存期内"}, nil)
	if n, err := e.sh.RunToEnd(ctx); err != nil || n != 0 {
		t.Fatalf("a refused deletion request shredded: %d %v", n, err)
	}
	ans3 := e.append(t, "subject_request.answered.v1", "subject_request/sr-3", map[string]any{"request": "sr-3", "outcome": "granted", "measures": "复核后删除"}, nil)
	if n, err := e.sh.RunToEnd(ctx); err != nil || n != 1 {
		t.Fatalf("granted deletion with a clear party: %d %v", n, err)
	}
	env3 := mustEnvelope(t, e.read(t, rec3.Submission.ID).Submission.Payload, "note")
	_, err = privacy.DecryptField(ctx, e.ks, rec3.Submission.ID, "note", env3)
	if se, ok := errors.AsType[*privacy.ShreddedError](err); !ok || se.By.EventID != ans3.Submission.ID {
		t.Fatalf("aba-health/party/np-77 after its deletion request: %v", err)
	}
	ledgertest.MustVerify(t, e.st)
}
