package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
	"github.com/aba-prefecture/dataledger/projections/search"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// accessEnv is a real ledger on boltstore served with access control: tokens for every
// role, a key store, an audit log.
type accessEnv struct {
	syncIndex func()
	authn     *auth.Authenticator
	t         testing.TB
	f         *ledgertest.Fixture
	st        *boltstore.Store
	l         *ledger.Ledger
	ks        *privacy.DirStore
	srv       *httptest.Server
	tokens    map[string]string // who → bearer token
	audit     *auth.AuditLog
	auditAt   string
	dir       string
}

type accessOpts struct {
	writeToken bool
	readRate   float64
	readBurst  int
	failRate   float64 // default: no failure budget to speak of
	failBurst  int
	writeRate  float64 // default: no write limit
	writeBurst int
	dev        bool
	bundleMax  uint64
}

// cheapKDF keeps tests fast; the cost parameters are stored per credential.
var cheapKDF = auth.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func newAccessEnv(t testing.TB, o accessOpts) *accessEnv {
	t.Helper()
	e := &accessEnv{t: t, dir: t.TempDir(), tokens: map[string]string{}}
	var err error
	e.st, err = boltstore.Open(filepath.Join(e.dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.f = ledgertest.New(t)
	e.f.Init(t, e.st)
	// The domain's stream ownership, folded from the log as ledgerd's checker folds it.
	streams := registry.New()
	idx, err := search.Open(filepath.Join(e.dir, "search.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	e.l = e.f.Open(t, e.st, ledger.Options{Limits: testLimits, OnCommit: streams.ApplyBatch})
	// The index follows the store as ledgerd's runner does; tests catch it up before asking.
	ir := follow.New(idx, follow.Options{Store: e.st, Logger: slog.New(slog.DiscardHandler)})
	e.syncIndex = func() {
		if _, err := ir.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	e.f.Register(t, e.l, "aba-health")
	e.f.Register(t, e.l, "aba-transport")

	kek, err := privacy.GenerateKEKFile(filepath.Join(e.dir, "kek"))
	if err != nil {
		t.Fatal(err)
	}
	if e.ks, err = privacy.OpenDirStore(filepath.Join(e.dir, "keystore"), kek); err != nil {
		t.Fatal(err)
	}

	credPath := filepath.Join(e.dir, "tokens.json")
	file := &auth.File{}
	for _, c := range []struct {
		who        string
		role       auth.Role
		inst       string
		expiresAgo time.Duration
	}{
		{"authority", auth.RoleAuthority, "", 0},
		{"officer", auth.RoleSecurityOfficer, "", 0},
		{"reviewer", auth.RoleReviewer, "", 0},
		{"health", auth.RoleInstitution, "aba-health", 0},
		{"transport", auth.RoleInstitution, "aba-transport", 0},
		{"submitter", auth.RoleSubmitter, "aba-health", 0},
		{"expired", auth.RoleSecurityOfficer, "", time.Hour},
	} {
		var exp time.Time
		if c.expiresAgo > 0 {
			exp = time.Now().Add(-c.expiresAgo)
		}
		tok, cred, err := auth.NewToken(c.role, c.inst, "p-"+c.who, exp, cheapKDF)
		if err != nil {
			t.Fatal(err)
		}
		if err := file.Add(cred); err != nil {
			t.Fatal(err)
		}
		e.tokens[c.who] = tok
	}
	e.tokens["forged"] = e.tokens["officer"][:len(e.tokens["officer"])-4] + "AAAA"
	if err := auth.WriteFile(credPath, file); err != nil {
		t.Fatal(err)
	}
	authn, err := auth.OpenAuthenticator(credPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.auditAt = filepath.Join(e.dir, "audit.jsonl")
	if e.audit, err = auth.OpenAuditLog(e.auditAt, auth.AuditOptions{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.audit.Close() })
	rate, burst := o.readRate, o.readBurst
	if rate == 0 {
		rate, burst = 1e6, 1e6
	}
	fr, fb := o.failRate, o.failBurst
	if fr == 0 {
		fr, fb = 1e6, 1e6
	}
	e.authn = authn
	mw, err := api.NewAccess(api.Access{
		Ledger: e.l, Authenticator: authn, Audit: e.audit, Dev: o.dev, RequireWriteToken: o.writeToken,
		ReadLimit: auth.NewLimiter(rate, burst), FailLimit: auth.NewLimiter(fr, fb), WriteLimit: auth.NewLimiter(o.writeRate, o.writeBurst),
		Logger: slog.New(slog.DiscardHandler), Streams: streams,
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	a, err := api.New(api.Config{Ledger: e.l, Gatherer: reg, Logger: slog.New(slog.DiscardHandler),
		Middleware: []api.Middleware{mw}, KeyStore: e.ks, LedgerKey: e.f.LedgerKey, BundleMaxEntries: o.bundleMax,
		Reports: &api.Reports{Kinds: kinds.Default(), Policy: mustPolicy(t), Calendar: calendar.Default()},
		Search:  idx, Streams: streams})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(a)
	t.Cleanup(e.srv.Close)
	return e
}

// record appends an event by inst, encrypting "note" under subject if given.
func (e *accessEnv) record(inst, stream, typ string, payload map[string]any, subject string) *ledger.Signed {
	e.t.Helper()
	k := e.f.Key(inst)
	sub := ledgertest.Submission(inst, k.Public().ID(), stream, typ, payload)
	if subject != "" {
		var err error
		sub.Payload, err = privacy.EncryptPayload(context.Background(), e.ks, sub.ID, sub.Payload, []privacy.Field{{Path: "note", Subject: subject}})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	s := ledgertest.Sign(e.t, k, sub)
	if _, err := e.l.Append(context.Background(), s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *accessEnv) do(who, method, path string, body []byte) (*http.Response, []byte) {
	e.t.Helper()
	return e.doAs(who, method, path, "application/json", body)
}

// doAs is do with the body's Content-Type.
func (e *accessEnv) doAs(who, method, path, ctype string, body []byte) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if tok, ok := e.tokens[who]; ok {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

const secretNote = "张三 身份证 513200199001011234"

// TestAuthorisationMatrix: every role (and no or a bad credential) against every
// endpoint, over real HTTP on a real ledger.
func TestAuthorisationMatrix(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	evA := e.record("aba-health", "resource/health.appointments", "data.collected.v1",
		map[string]any{"resource": "health.appointments", "records": 3, "note": secretNote}, "person/zs-1")
	evB := e.record("aba-transport", "resource/transport.flows", "data.collected.v1",
		map[string]any{"resource": "transport.flows", "records": 9, "note": "李四"}, "person/ls-1")
	e.record("aba-health", "share/sa-1", "share.application_submitted.v1", map[string]any{"application": "sa-1", "resource": "transport.flows", "provider": "aba-transport"}, "")
	evC := e.record("aba-transport", "share/sa-1", "share.granted.v1", map[string]any{"application": "sa-1"}, "")
	unknown := uuid.Must(uuid.NewV7()).String()
	pos, err := e.st.Lookup(context.Background(), []string{evA.Submission.ID})
	if err != nil {
		t.Fatal(err)
	}
	seqA := strconv.FormatUint(pos[evA.Submission.ID], 10)

	who := []string{"none", "forged", "expired", "authority", "officer", "reviewer", "health", "transport", "submitter"}
	type row struct {
		name, method, path string
		want               map[string]int // by who; missing → def
		def                int
	}
	open200 := map[string]int{}
	auth401 := map[string]int{"none": 401, "forged": 401, "expired": 401}
	with := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range auth401 {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	rows := []row{
		// Another institution's event answers as an unknown id does (404, the same body).
		{"event of A", "GET", "/v1/events/" + evA.Submission.ID, with(map[string]int{"transport": 404, "submitter": 403}), 200},
		{"event of B", "GET", "/v1/events/" + evB.Submission.ID, with(map[string]int{"health": 404, "submitter": 403}), 200},
		{"B's answer on the case A opened with B", "GET", "/v1/events/" + evC.Submission.ID, with(map[string]int{"submitter": 403}), 200},
		{"HEAD event of A", "HEAD", "/v1/events/" + evA.Submission.ID, with(map[string]int{"transport": 404, "submitter": 403}), 200},
		{"unknown event", "GET", "/v1/events/" + unknown, with(map[string]int{"submitter": 403}), 404},
		{"bad id", "GET", "/v1/events/NOT-A-UUID", with(map[string]int{"submitter": 403}), 400},
		{"plaintext of A", "GET", "/v1/events/" + evA.Submission.ID + "/plaintext", with(map[string]int{"reviewer": 403, "transport": 404, "submitter": 403}), 200},
		{"plaintext of B", "GET", "/v1/events/" + evB.Submission.ID + "/plaintext", with(map[string]int{"reviewer": 403, "health": 404, "submitter": 403}), 200},
		{"inclusion proof of A", "GET", "/v1/proofs/inclusion?seq=" + seqA, with(map[string]int{"transport": 403, "submitter": 403}), 200},
		{"inclusion proof without seq", "GET", "/v1/proofs/inclusion", with(map[string]int{"submitter": 403}), 400},
		{"snapshot of the whole store", "GET", "/v1/snapshot", with(map[string]int{"health": 403, "transport": 403, "submitter": 403}), 200},
		// Allowed roles get past the policy to the handler, which refuses the body (400).
		{"export a bundle", "POST", "/v1/bundles", with(map[string]int{"reviewer": 403, "health": 403, "transport": 403, "submitter": 403}), 400},
		// A backup takes every entry out: the same roles as exports, refused before anything
		// is recorded (the body is refused for the allowed roles, so nothing is written).
		{"take a backup", "POST", "/v1/backups", with(map[string]int{"reviewer": 403, "health": 403, "transport": 403, "submitter": 403}), 400},
		{"who am I (every credential, the submitter too)", "GET", "/v1/whoami", with(nil), 200},
		{"consistency proof (public)", "GET", "/v1/proofs/consistency?from=1", open200, 200},
		{"cosignature (public; witness-signed)", "POST", "/v1/checkpoint/cosignatures", open200, 404},
		{"checkpoint (public)", "GET", "/v1/checkpoint", open200, 200},
		{"event catalogue (public)", "GET", "/v1/event-types", open200, 200},
		{"ledger info (public)", "GET", "/v1/ledger", open200, 200},
		{"healthz", "GET", "/healthz", open200, 200},
		{"readyz", "GET", "/readyz", open200, 200},
		{"metrics", "GET", "/metrics", open200, 200},
		{"openapi", "GET", "/openapi.yaml", open200, 200},
		{"wrong method stays 405", "DELETE", "/v1/events/" + evA.Submission.ID, open200, 405},
	}
	sizeBefore := e.l.Size() // no row writes: refusals and refused bodies record nothing
	_, unknownBody := e.do("health", "GET", "/v1/events/"+unknown, nil)
	audited := 1 // that read
	for _, r := range rows {
		for _, w := range who {
			want, ok := r.want[w]
			if !ok {
				want = r.def
			}
			t.Run(r.name+"/"+w, func(t *testing.T) {
				var body []byte
				if r.method == "POST" {
					body = []byte("not a checkpoint\n")
				}
				resp, b := e.do(w, r.method, r.path, body)
				if resp.StatusCode != want {
					t.Fatalf("%s %s as %s: %d, want %d: %s", r.method, r.path, w, resp.StatusCode, want, b)
				}
				if r.method == "HEAD" {
					return
				}
				switch want {
				case 404:
					if strings.HasPrefix(r.path, "/v1/events/") && !bytes.Equal(b, unknownBody) {
						t.Fatalf("404 for an existing event differs from an unknown one's: %s vs %s", b, unknownBody)
					}
				case 401:
					var eb api.ErrorBody
					if json.Unmarshal(b, &eb) != nil || !strings.HasPrefix(eb.Error.Code, "") || eb.Error.Message == "" || eb.Error.MessageZH == "" ||
						resp.Header.Get("WWW-Authenticate") == "" {
						t.Fatalf("401 body/header: %s %v", b, resp.Header)
					}
				case 403:
					var eb api.ErrorBody
					if json.Unmarshal(b, &eb) != nil || eb.Error.Code != "forbidden" || eb.Error.MessageZH == "" {
						t.Fatalf("403 body: %s", b)
					}
					// Nothing about the entry is disclosed.
					for _, leak := range []string{"resource/", "share/", "aba-", "seq", "hash", "note"} {
						if strings.Contains(string(b), leak) {
							t.Fatalf("403 discloses %q: %s", leak, b)
						}
					}
				}
			})
			if (strings.HasPrefix(r.path, "/v1/events/") || strings.HasPrefix(r.path, "/v1/proofs/inclusion") || r.path == "/v1/snapshot" || r.path == "/v1/bundles" || r.path == "/v1/backups" || r.path == "/v1/whoami") && r.method != "DELETE" {
				audited++
			}
		}
	}

	if e.l.Size() != sizeBefore {
		t.Fatalf("the matrix wrote %d entries; refused requests must write nothing", e.l.Size()-sizeBefore)
	}

	// What each role sees of the protected field.
	_, b := e.do("reviewer", "GET", "/v1/events/"+evA.Submission.ID, nil)
	if bytes.Contains(b, []byte("513200199001011234")) || !bytes.Contains(b, []byte("sm4-gcm/v1")) {
		t.Fatalf("the reviewer's event read is not ciphertext: %s", b)
	}
	audited++
	_, b = e.do("health", "GET", "/v1/events/"+evA.Submission.ID+"/plaintext", nil)
	var pt struct {
		Payload map[string]any
		Fields  []privacy.FieldStatus
	}
	if json.Unmarshal(b, &pt) != nil || pt.Payload["note"] != secretNote || len(pt.Fields) != 1 || pt.Fields[0].Status != privacy.StatusDecrypted {
		t.Fatalf("plaintext for the owner: %s", b)
	}
	audited++

	// The audit log has one verifying record per read of event data, with who and what,
	// and no payload or token.
	n, _, err := auth.VerifyAuditFile(e.auditAt)
	if err != nil || int(n) != audited {
		t.Fatalf("audit log: %d records (want %d), %v", n, audited, err)
	}
	raw, _ := os.ReadFile(e.auditAt)
	for _, leak := range []string{"513200199001011234", "张三", "李四", "sm4-gcm"} {
		if bytes.Contains(raw, []byte(leak)) {
			t.Fatalf("the audit log holds payload data %q", leak)
		}
	}
	for w, tok := range e.tokens {
		if _, secret, _ := strings.Cut(strings.TrimPrefix(tok, "dlt1_"), "_"); bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("the audit log holds %s's token secret", w)
		}
	}
	var sawDenied, sawDecrypt, sawUnauth bool
	for line := range bytes.SplitSeq(bytes.TrimSpace(raw), []byte("\n")) {
		var rec auth.AuditRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Time == "" || rec.Route == "" || rec.Status == 0 || rec.Outcome == "" {
			t.Fatalf("incomplete audit record %s", line)
		}
		if rec.Person == "p-transport" && rec.Outcome == auth.OutcomeDenied && len(rec.IDs) == 1 && rec.IDs[0] == evA.Submission.ID &&
			len(rec.Seqs) == 1 && rec.Streams[0] == "resource/health.appointments" && rec.Institution == "aba-transport" {
			sawDenied = true
		}
		if rec.Person == "p-health" && rec.Outcome == auth.OutcomeAllowed && len(rec.Decrypted) == 1 && rec.Decrypted[0] == "note" {
			sawDecrypt = true
		}
		if rec.Outcome == auth.OutcomeUnauthenticated && rec.Status == 401 && rec.Remote != "" {
			sawUnauth = true
		}
	}
	if !sawDenied || !sawDecrypt || !sawUnauth {
		t.Fatalf("audit log lacks a denied read (%v), a decrypting read (%v) or an unauthenticated attempt (%v)", sawDenied, sawDecrypt, sawUnauth)
	}
	// Tampering with one line is detected at that line.
	lines := bytes.SplitAfter(raw, []byte("\n"))
	lines[3] = bytes.Replace(lines[3], []byte(`"outcome":"`), []byte(`"outcome":"x`), 1)
	os.WriteFile(e.auditAt+".tampered", bytes.Join(lines, nil), 0o600)
	_, _, err = auth.VerifyAuditFile(e.auditAt + ".tampered")
	var ae *auth.AuditError
	if !errors.As(err, &ae) || ae.Line != 4 {
		t.Fatalf("tampered audit log: %v", err)
	}
}

// TestWriteTokenMatrix: with --write-token, submissions need a token of a submitting role
// bound to the actor's institution; refusals write nothing.
func TestWriteTokenMatrix(t *testing.T) {
	e := newAccessEnv(t, accessOpts{writeToken: true})
	cases := []struct {
		who  string
		want int
		code string
	}{
		{"none", 401, "unauthenticated"},
		{"forged", 401, "bad_credentials"},
		{"officer", 403, "forbidden"},
		{"reviewer", 403, "forbidden"},
		{"transport", 403, "token_institution_mismatch"},
		{"health", 201, ""},
		{"submitter", 201, ""},
		{"authority", 201, ""},
	}
	for _, c := range cases {
		t.Run(c.who, func(t *testing.T) {
			before := e.l.Size()
			k := e.f.Key("aba-health")
			s := sign(t, k, ledgertest.Submission("aba-health", k.Public().ID(), "resource/health.appointments", "data.collected.v1", map[string]any{"n": 1}))
			resp, b := e.do(c.who, "POST", "/v1/events", body(s))
			if resp.StatusCode != c.want {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, c.want, b)
			}
			if c.code != "" {
				var eb api.ErrorBody
				if json.Unmarshal(b, &eb) != nil || eb.Error.Code != c.code || eb.Error.MessageZH == "" {
					t.Fatalf("body %s", b)
				}
				if e.l.Size() != before {
					t.Fatal("a refused submission was written")
				}
			}
		})
	}
	// Without --write-token the signature alone is enough (ledgerctl load works).
	open := newAccessEnv(t, accessOpts{})
	k := open.f.Key("aba-transport")
	s := sign(t, k, ledgertest.Submission("aba-transport", k.Public().ID(), "resource/transport.flows", "data.collected.v1", map[string]any{"n": 1}))
	if resp, b := open.do("none", "POST", "/v1/events", body(s)); resp.StatusCode != 201 {
		t.Fatalf("signed submission without a token: %d %s", resp.StatusCode, b)
	}
}

func TestReadRateLimit(t *testing.T) {
	e := newAccessEnv(t, accessOpts{readRate: 0.5, readBurst: 2})
	ev := e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"n": 1}, "")
	path := "/v1/events/" + ev.Submission.ID
	for i := range 2 {
		if resp, b := e.do("officer", "GET", path, nil); resp.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d %s", i, resp.StatusCode, b)
		}
	}
	resp, b := e.do("officer", "GET", path, nil)
	var eb api.ErrorBody
	if resp.StatusCode != 429 || json.Unmarshal(b, &eb) != nil || eb.Error.Code != "rate_limited" || eb.Error.MessageZH == "" {
		t.Fatalf("over the limit: %d %s", resp.StatusCode, b)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "1" && ra != "2" {
		t.Fatalf("Retry-After %q, want 1 or 2 seconds at 0.5/s", ra)
	}
	// Another client has its own bucket.
	if resp, _ := e.do("reviewer", "GET", path, nil); resp.StatusCode != 200 {
		t.Fatalf("another client limited: %d", resp.StatusCode)
	}
	// Rate-limited requests are not audited as reads (nothing was resolved or served).
	if n, _, err := auth.VerifyAuditFile(e.auditAt); err != nil || n != 3 {
		t.Fatalf("audit: %d %v", n, err)
	}
}

func TestAuditFailureDisclosesNothing(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	ev := e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"resource": "health.appointments"}, "")
	e.audit.Close()
	resp, b := e.do("officer", "GET", "/v1/events/"+ev.Submission.ID, nil)
	var eb api.ErrorBody
	if resp.StatusCode != 503 || json.Unmarshal(b, &eb) != nil || eb.Error.Code != "audit_unavailable" || bytes.Contains(b, []byte("health.appointments")) {
		t.Fatalf("read with a broken audit log: %d %s", resp.StatusCode, b)
	}
	// Public endpoints and writes are unaffected.
	if resp, _ := e.do("none", "GET", "/v1/checkpoint", nil); resp.StatusCode != 200 {
		t.Fatal("checkpoint")
	}
}

func TestDevModeIsOpen(t *testing.T) {
	e := newAccessEnv(t, accessOpts{dev: true})
	ev := e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"n": 1}, "")
	if resp, b := e.do("none", "GET", "/v1/events/"+ev.Submission.ID, nil); resp.StatusCode != 200 {
		t.Fatalf("dev mode: %d %s", resp.StatusCode, b)
	}
	if _, err := api.NewAccess(api.Access{Ledger: e.l}); err == nil {
		t.Fatal("access control without an audit log was accepted")
	}
	_ = crypto.SM4KeySize
}

// TestReportsByRole: GET /v1/reports/{kind} for the roles each kind is for (the
// authority and officers every kind, reviewers the assessment's kinds, institutions and
// submitters none), every request audited, bad queries 400 with the parameter named.
func TestReportsByRole(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	before, _, _ := auth.VerifyAuditFile(e.auditAt)
	requests := 0
	for _, kind := range []string{"findings", "obligations", "assessment", "accountability", "emergencies"} {
		for who, want := range map[string]int{"none": 401, "authority": 200, "officer": 200, "reviewer": 200, "health": 403, "submitter": 403} {
			if who == "reviewer" && (kind == "accountability" || kind == "emergencies") {
				want = 403
			}
			resp, b := e.do(who, "GET", "/v1/reports/"+kind+"?as_of=2026-01-01&year=2025", nil)
			requests++
			if resp.StatusCode != want {
				t.Errorf("%s as %s: %d, want %d: %.200s", kind, who, resp.StatusCode, want, b)
			}
			if want == 200 && (!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !json.Valid(b)) {
				t.Errorf("%s as %s: not JSON: %s", kind, who, resp.Header.Get("Content-Type"))
			}
		}
	}
	for _, c := range []struct{ query, param string }{{"as_of=yesterday", "as_of"}, {"format=pdf", "format"}, {"lang=fr", "lang"}, {"year=two", "year"}, {"colour=red", "colour"}} {
		resp, b := e.do("authority", "GET", "/v1/reports/findings?"+c.query, nil)
		requests++
		var eb api.ErrorBody
		if resp.StatusCode != 400 || json.Unmarshal(b, &eb) != nil || eb.Error.Field != c.param || eb.Error.MessageZH == "" {
			t.Errorf("%s: %d %s", c.query, resp.StatusCode, b)
		}
	}
	resp, b := e.do("authority", "GET", "/v1/reports/findings?format=html&lang=en", nil)
	requests++
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "<svg") && !strings.Contains(string(b), "<html") {
		t.Errorf("html: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := e.do("authority", "GET", "/v1/reports/gossip", nil); resp.StatusCode != 404 {
		t.Errorf("unknown kind: %d", resp.StatusCode)
	}
	requests++
	n, _, err := auth.VerifyAuditFile(e.auditAt)
	if err != nil || int(n-before) != requests {
		t.Errorf("audit log: %d new records for %d report requests (%v)", n-before, requests, err)
	}
}

func mustPolicy(t testing.TB) *policy.Set {
	p, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSearchByRole: GET /v1/events answers each role with exactly what its single reads
// would show (an institution its own acts and the streams it holds; the reading roles
// everything; a submitter nothing), pages with a cursor, refuses bad filters with 400,
// and every query is in the audit log with its filters.
func TestSearchByRole(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	type page struct {
		Events []struct {
			Seq         uint64 `json:"seq"`
			Institution string `json:"institution"`
			Stream      string `json:"stream"`
		} `json:"events"`
		NextCursor string `json:"next_cursor"`
	}
	search := func(who, query string) (int, page) {
		resp, b := e.do(who, "GET", "/v1/events?"+query, nil)
		var p page
		if resp.StatusCode == 200 && json.Unmarshal(b, &p) != nil {
			t.Fatalf("%s: %s", query, b)
		}
		return resp.StatusCode, p
	}
	e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"resource": "health.appointments", "records": 3}, "")
	e.record("aba-transport", "resource/transport.flows", "data.collected.v1", map[string]any{"resource": "transport.flows", "records": 9}, "")
	e.record("aba-health", "share/sa-1", "share.application_submitted.v1", map[string]any{"application": "sa-1", "resource": "transport.flows", "provider": "aba-transport"}, "")
	e.record("aba-transport", "share/sa-1", "share.granted.v1", map[string]any{"application": "sa-1"}, "")
	e.syncIndex()
	before, _, _ := auth.VerifyAuditFile(e.auditAt)
	status, all := search("officer", "limit=500")
	if status != 200 || len(all.Events) < 7 {
		t.Fatalf("officer: %d, %d events", status, len(all.Events))
	}
	for who, want := range map[string]int{"none": 401, "submitter": 403, "reviewer": 200, "authority": 200} {
		if got, _ := search(who, "type=data.collected.v1"); got != want {
			t.Errorf("%s: %d, want %d", who, got, want)
		}
	}
	_, health := search("health", "limit=500")
	sawAnswer := false
	for _, ev := range health.Events {
		if ev.Institution != "aba-health" && ev.Stream != "share/sa-1" {
			t.Errorf("health sees seq %d by %s on %s", ev.Seq, ev.Institution, ev.Stream)
		}
		sawAnswer = sawAnswer || ev.Institution == "aba-transport"
	}
	if !sawAnswer {
		t.Error("health does not see the answer to its own application")
	}
	_, transportOnly := search("health", "institution=aba-transport&resource=transport.flows")
	if len(transportOnly.Events) != 0 {
		t.Errorf("health sees transport's acts on transport's resource: %+v", transportOnly.Events)
	}
	// Paging: one at a time gives the same as one page.
	var paged []uint64
	cursor := ""
	for range 100 {
		_, p := search("officer", "limit=1&cursor="+cursor)
		for _, ev := range p.Events {
			paged = append(paged, ev.Seq)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(paged) != len(all.Events) {
		t.Errorf("paging one by one gave %d events, one page %d", len(paged), len(all.Events))
	}
	for _, q := range []string{"from=yesterday", "to=2026-13-01", "limit=0", "cursor=zz", "colour=red", "from=2026-02-01&to=2026-01-01"} {
		if got, _ := search("officer", q); got != 400 {
			t.Errorf("%s: %d, want 400", q, got)
		}
	}
	n, _, err := auth.VerifyAuditFile(e.auditAt)
	if err != nil || n-before < 10 {
		t.Errorf("audit log: %d new records (%v)", n-before, err)
	}
	raw, _ := os.ReadFile(e.auditAt)
	if !bytes.Contains(raw, []byte("resource=transport.flows")) {
		t.Error("the audit log does not record what was searched for")
	}
}

// TestBundleOfASearch: POST /v1/bundles with the filters of GET /v1/events exports
// exactly what that search finds, as listed positions the bundle proves it holds, with the
// filters recorded in the export act; it verifies offline.
func TestBundleOfASearch(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"resource": "health.appointments", "records": 3}, "")
	e.record("aba-transport", "resource/transport.flows", "data.collected.v1", map[string]any{"resource": "transport.flows", "records": 9}, "")
	e.record("aba-health", "resource/health.appointments", "data.exported.v1", map[string]any{"resource": "health.appointments", "records": 1}, "")
	e.syncIndex()
	resp, b := e.do("officer", "POST", "/v1/bundles", []byte(`{"resource":"health.appointments","reason":"案件 2026-017"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	bd, err := bundle.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bundle.Verify(bd, bundle.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Selected) != 2 || rep.Export.Selection.Query["resource"] != "health.appointments" {
		t.Fatalf("selected %v, query %v", rep.Selected, rep.Export.Selection.Query)
	}
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"resource":"no.such","reason":"r"}`, 404},
		{`{"resource":"health.appointments","from":1,"reason":"r"}`, 400},
		{`{"resource":"health.appointments","from_day":"yesterday","reason":"r"}`, 400},
	} {
		if resp, b := e.do("officer", "POST", "/v1/bundles", []byte(c.body)); resp.StatusCode != c.want {
			t.Errorf("%s: %d %s", c.body, resp.StatusCode, b)
		}
	}
	if resp, _ := e.do("reviewer", "POST", "/v1/bundles", []byte(`{"resource":"health.appointments","reason":"r"}`)); resp.StatusCode != 403 {
		t.Errorf("reviewer export: %d", resp.StatusCode)
	}
}

// TestWhoami: GET /v1/whoami names the role, institution and person of the credential the
// server saw, and what the role may do, exactly as the access rules decide it.
func TestWhoami(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	for _, c := range []struct {
		who, role, institution string
		exports, readsAll      bool
		reports                []string
	}{
		{"health", "institution", "aba-health", false, false, []string{}},
		{"reviewer", "reviewer", "", false, true, []string{"findings", "obligations", "assessment"}},
		{"officer", "security_officer", "", true, true, []string{"accountability", "emergencies", "findings", "obligations", "assessment"}},
		{"submitter", "submitter", "aba-health", false, false, []string{}},
	} {
		resp, b := e.do(c.who, "GET", "/v1/whoami", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", c.who, resp.StatusCode, b)
		}
		var w client.Whoami
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		if w.Role != c.role || w.Institution != c.institution || w.May.Exports != c.exports || w.May.ReadsAll != c.readsAll ||
			!slices.Equal(w.May.Reports, c.reports) || w.Person == "" || w.RoleZH == "" || w.Credential == "" {
			t.Errorf("%s: %+v", c.who, w)
		}
	}
}
