package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/docs"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// testLimits are small so that size cases stay cheap.
var testLimits = ledger.Limits{MaxRequestBytes: 16 << 10, MaxPayloadBytes: 4 << 10}

type env struct {
	t   *testing.T
	f   *ledgertest.Fixture
	st  *boltstore.Store
	l   *ledger.Ledger
	api *api.Server
	srv *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	reg := prometheus.NewRegistry()
	m, err := api.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	// Wired as ledgerd wires it: the event catalogue's checker admits submissions.
	chk := commands.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{Limits: testLimits, OnCommit: m.ObserveBatch}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	f.Enrol(t, l, ledgertest.Authority)
	a, err := api.New(api.Config{Ledger: l, Metrics: m, Gatherer: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &env{t: t, f: f, st: st, l: l, api: a, srv: srv}
}

// body encodes a signed submission as a POST /v1/events body.
func body(s *ledger.Signed) []byte {
	return []byte(`{"submission":` + string(s.Canonical) + `,"signature":"` + base64.StdEncoding.EncodeToString(s.Signature) + `"}`)
}

func (e *env) do(method, path, contentType string, b io.Reader) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, b)
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, out
}

func (e *env) post(b []byte) (*http.Response, []byte) {
	e.t.Helper()
	return e.do(http.MethodPost, "/v1/events", "application/json", bytes.NewReader(b))
}

type receipt struct {
	Seq           *uint64 `json:"seq"`
	Hash          string  `json:"hash"`
	StreamVersion *uint64 `json:"stream_version"`
}

// mutate decodes a signed submission into a generic map, lets fn change it, and returns a
// body carrying the original signature: for cases refused before the signature matters.
func mutate(t *testing.T, s *ledger.Signed, fn func(sub map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(s.Canonical))
	dec.UseNumber()
	var sub map[string]any
	if err := dec.Decode(&sub); err != nil {
		t.Fatal(err)
	}
	fn(sub)
	b, err := json.Marshal(sub)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(`{"submission":` + string(b) + `,"signature":"` + base64.StdEncoding.EncodeToString(s.Signature) + `"}`)
}

func sign(t *testing.T, k crypto.Signer, sub ledger.Submission) *ledger.Signed {
	t.Helper()
	s, err := ledger.SignSubmission(k, sub)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// chunked hides the length of a reader so the client sends it chunked.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestBadInputWritesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	health := e.f.Enrol(t, e.l, "county-health")
	edu := e.f.Enrol(t, e.l, "county-edu")
	gone := e.f.Enrol(t, e.l, "county-gone")
	revoke := ledgertest.Submission(ledgertest.Authority, e.f.RootKey.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRevoked,
		ledger.KeyRevokedPayload{KeyID: gone.Public().ID(), Reason: "staff left"})
	if _, err := e.l.Append(ctx, sign(t, e.f.RootKey, revoke)); err != nil {
		t.Fatal(err)
	}
	// A recorded event whose id and stream the conflict cases reuse.
	orig := e.f.Event(t, "county-health", "resource/r-0002", 1)
	if resp, b := e.post(body(orig)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("setup post: %d %s", resp.StatusCode, b)
	}

	healthSub := func(mod func(*ledger.Submission)) ledger.Submission {
		s := ledgertest.Submission("county-health", health.Public().ID(), "resource/r-0002", "data.collected.v1",
			map[string]any{"resource": "r-0002", "records": 10, "purpose": "年度统计", "legal_basis": "《中华人民共和国统计法》"})
		if mod != nil {
			mod(&s)
		}
		return s
	}
	valid := sign(t, health, healthSub(nil))
	stranger, _ := crypto.GenerateKey()
	five := uint64(5)

	cases := []struct {
		name        string
		method      string // default POST
		contentType string // default application/json; "-" for none
		body        func() io.Reader
		status      int
		code, field string
	}{
		{name: "malformed JSON", body: str(`{"submission":`), status: 400, code: "malformed_json", field: "submission"},
		{name: "empty body", body: str(``), status: 400, code: "malformed_json"},
		{name: "JSON array body", body: str(`[1,2]`), status: 400, code: "malformed_json"},
		{name: "trailing garbage", body: raw(append(body(valid), 'x')), status: 400, code: "malformed_json"},
		{name: "second JSON value", body: raw(append(body(valid), []byte(`{}`)...)), status: 400, code: "malformed_json"},
		{name: "unknown top-level field", body: raw(bytes.Replace(body(valid), []byte(`{"submission"`), []byte(`{"extra":1,"submission"`), 1)),
			status: 400, code: "unknown_field", field: "extra"},
		{name: "duplicate top-level key", body: raw(bytes.Replace(body(valid), []byte(`,"signature"`), []byte(`,"signature":"AA==","signature"`), 1)),
			status: 400, code: "duplicate_key", field: "signature"},
		{name: "missing submission", body: str(`{"signature":"MEUCIQ=="}`), status: 400, code: "missing_field", field: "submission"},
		{name: "null submission", body: str(`{"submission":null,"signature":"MEUCIQ=="}`), status: 400, code: "missing_field", field: "submission"},
		{name: "missing signature", body: str(`{"submission":` + string(valid.Canonical) + `}`), status: 400, code: "missing_field", field: "signature"},
		{name: "signature of wrong type", body: str(`{"submission":` + string(valid.Canonical) + `,"signature":5}`),
			status: 400, code: "wrong_type", field: "signature"},
		{name: "bad signature encoding", body: str(`{"submission":` + string(valid.Canonical) + `,"signature":"not base64!"}`),
			status: 400, code: "bad_signature_encoding", field: "signature"},
		{name: "signature not DER", body: str(`{"submission":` + string(valid.Canonical) + `,"signature":"` + base64.StdEncoding.EncodeToString([]byte("abcdefghij")) + `"}`),
			status: 400, code: "bad_signature_encoding", field: "signature"},
		{name: "unknown submission field", body: raw(mutate(t, valid, func(m map[string]any) { m["note"] = "x" })),
			status: 400, code: "unknown_field", field: "submission.note"},
		{name: "duplicate key in submission", body: str(`{"submission":{"id":"a","id":"b"},"signature":"` + base64.StdEncoding.EncodeToString(valid.Signature) + `"}`),
			status: 400, code: "duplicate_key", field: "submission.id"},
		{name: "stream of wrong type", body: raw(mutate(t, valid, func(m map[string]any) { m["stream"] = 5 })),
			status: 400, code: "wrong_type", field: "submission.stream"},
		{name: "negative expected_version", body: raw(mutate(t, valid, func(m map[string]any) { m["expected_version"] = -1 })),
			status: 400, code: "wrong_type", field: "submission.expected_version"},
		{name: "missing actor", body: raw(mutate(t, valid, func(m map[string]any) { delete(m, "actor") })),
			status: 400, code: "missing_field", field: "submission.actor.institution"},
		{name: "missing key_id", body: raw(mutate(t, valid, func(m map[string]any) { delete(m["actor"].(map[string]any), "key_id") })),
			status: 400, code: "missing_field", field: "submission.actor.key_id"},
		{name: "malformed key_id", body: raw(mutate(t, valid, func(m map[string]any) { m["actor"].(map[string]any)["key_id"] = "ABC" })),
			status: 400, code: "bad_key_id", field: "submission.actor.key_id"},
		{name: "bad person name", body: raw(mutate(t, valid, func(m map[string]any) { m["actor"].(map[string]any)["person"] = "张 三" })),
			status: 400, code: "bad_name", field: "submission.actor.person"},
		{name: "bad uuid", body: raw(mutate(t, valid, func(m map[string]any) { m["id"] = "not-a-uuid" })),
			status: 400, code: "bad_id", field: "submission.id"},
		{name: "non-v7 uuid", body: raw(mutate(t, valid, func(m map[string]any) { m["id"] = uuid.NewString() })),
			status: 400, code: "bad_id", field: "submission.id"},
		{name: "uppercase uuid", body: raw(mutate(t, valid, func(m map[string]any) { m["id"] = strings.ToUpper(valid.Submission.ID) })),
			status: 400, code: "bad_id", field: "submission.id"},
		{name: "bad stream", body: raw(mutate(t, valid, func(m map[string]any) { m["stream"] = "Data Set/1" })),
			status: 400, code: "bad_stream", field: "submission.stream"},
		{name: "bad type name", body: raw(mutate(t, valid, func(m map[string]any) { m["type"] = "DataCollected" })),
			status: 400, code: "bad_type", field: "submission.type"},
		{name: "bad occurred_at", body: raw(mutate(t, valid, func(m map[string]any) { m["occurred_at"] = "yesterday" })),
			status: 400, code: "bad_time", field: "submission.occurred_at"},
		{name: "payload not an object", body: raw(mutate(t, valid, func(m map[string]any) { m["payload"] = []int{1} })),
			status: 400, code: "bad_payload", field: "submission.payload"},
		{name: "unsafe large integer", body: raw(mutate(t, valid, func(m map[string]any) {
			m["payload"] = map[string]any{"records": json.Number("12345678901234567890")}
		})), status: 400, code: "unsafe_number", field: "submission"},
		{name: "future occurred_at beyond skew", body: raw(body(sign(t, health, healthSub(func(s *ledger.Submission) {
			s.OccurredAt = time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
		})))), status: 400, code: "future_time", field: "submission.occurred_at"},
		{name: "registry act on a data stream", body: raw(body(sign(t, e.f.RootKey, ledgertest.Submission(ledgertest.Authority,
			e.f.RootKey.Public().ID(), "resource/r-0002", ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: health.Public().ID(), Reason: "x"})))),
			status: 400, code: "bad_stream", field: "submission.stream"},
		{name: "unknown key", body: raw(body(sign(t, stranger, healthSub(func(s *ledger.Submission) { s.Actor.KeyID = stranger.Public().ID() })))),
			status: 403, code: "unknown_key", field: "submission.actor.key_id"},
		{name: "key of another institution", body: raw(body(sign(t, health, healthSub(func(s *ledger.Submission) { s.Actor.Institution = "county-edu" })))),
			status: 403, code: "key_not_bound", field: "submission.actor.institution"},
		{name: "revoked key", body: raw(body(sign(t, gone, healthSub(func(s *ledger.Submission) {
			s.Actor.Institution, s.Actor.KeyID = "county-gone", gone.Public().ID()
		})))), status: 403, code: "key_revoked", field: "submission.actor.key_id"},
		{name: "signature by another key", body: raw(body(sign(t, edu, healthSub(nil)))),
			status: 403, code: "bad_signature", field: "signature"},
		{name: "institution key signs a registry act", body: raw(body(sign(t, health, ledgertest.Submission("county-health",
			health.Public().ID(), ledger.RegistryStream, ledger.TypeKeyRevoked, ledger.KeyRevokedPayload{KeyID: edu.Public().ID(), Reason: "x"})))),
			status: 403, code: "type_not_allowed", field: "submission.type"},
		{name: "genesis type", body: raw(body(sign(t, e.f.RootKey, ledgertest.Submission(ledgertest.Authority,
			e.f.RootKey.Public().ID(), ledger.RegistryStream, ledger.TypeInitialized, map[string]string{})))),
			status: 403, code: "type_not_allowed", field: "submission.type"},
		{name: "oversized body", body: raw(bytes.Repeat([]byte(" "), int(testLimits.MaxRequestBytes)+1)), status: 413, code: "request_too_large"},
		{name: "oversized chunked body", body: func() io.Reader {
			return chunked{bytes.NewReader(bytes.Repeat([]byte(" "), int(testLimits.MaxRequestBytes)+1))}
		}, status: 413, code: "request_too_large"},
		{name: "oversized payload", body: raw(body(sign(t, health, healthSub(func(s *ledger.Submission) {
			s.Payload = json.RawMessage(`{"note":"` + strings.Repeat("x", testLimits.MaxPayloadBytes) + `"}`)
		})))), status: 413, code: "payload_too_large", field: "submission.payload"},
		{name: "duplicate id with another body", body: raw(body(sign(t, health, healthSub(func(s *ledger.Submission) {
			s.ID, s.Stream = orig.Submission.ID, orig.Submission.Stream
		})))), status: 409, code: "id_conflict", field: "submission.id"},
		{name: "wrong expected version", body: raw(body(sign(t, health, healthSub(func(s *ledger.Submission) {
			s.Stream, s.ExpectedVersion = orig.Submission.Stream, &five
		})))), status: 409, code: "wrong_expected_version", field: "submission.expected_version"},
		{name: "wrong content type", contentType: "text/plain", body: raw(body(valid)), status: 415, code: "unsupported_media_type"},
		{name: "no content type", contentType: "-", body: raw(body(valid)), status: 415, code: "unsupported_media_type"},
		{name: "JSON in another charset", contentType: "application/json; charset=latin1", body: raw(body(valid)), status: 415, code: "unsupported_media_type"},
		{name: "GET on the POST route", method: http.MethodGet, body: raw(nil), status: 405, code: "method_not_allowed"},
		{name: "PUT on the POST route", method: http.MethodPut, body: raw(body(valid)), status: 405, code: "method_not_allowed"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.l.Size()
			method, ct := c.method, c.contentType
			if method == "" {
				method = http.MethodPost
			}
			switch ct {
			case "":
				ct = "application/json"
			case "-":
				ct = ""
			}
			resp, b := e.do(method, "/v1/events", ct, c.body())
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, b)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type %q", got)
			}
			var eb api.ErrorBody
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&eb); err != nil {
				t.Fatalf("error body %s: %v", b, err)
			}
			if eb.Error.Code != c.code || eb.Error.Field != c.field {
				t.Errorf("code %q field %q, want %q %q (%s)", eb.Error.Code, eb.Error.Field, c.code, c.field, eb.Error.Message)
			}
			if eb.Error.Message == "" || eb.Error.MessageZH == "" {
				t.Errorf("empty message: %+v", eb.Error)
			}
			if c.status == 405 && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow %q", resp.Header.Get("Allow"))
			}
			if after := e.l.Size(); after != before {
				t.Errorf("ledger grew from %d to %d", before, after)
			}
		})
	}
	ledgertest.MustVerify(t, e.st)
}

func str(s string) func() io.Reader { return func() io.Reader { return strings.NewReader(s) } }
func raw(b []byte) func() io.Reader { return func() io.Reader { return bytes.NewReader(b) } }

func TestAppendDuplicateAndProof(t *testing.T) {
	e := newEnv(t)
	e.f.Enrol(t, e.l, "county-health")
	var last *ledger.Signed
	var first receipt
	for i := range 5 {
		s := e.f.Event(t, "county-health", "resource/r-0001", i)
		resp, b := e.post(body(s))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("post %d: %d %s", i, resp.StatusCode, b)
		}
		var r receipt
		if err := json.Unmarshal(b, &r); err != nil || r.Seq == nil || r.StreamVersion == nil {
			t.Fatalf("receipt %s: %v", b, err)
		}
		if *r.StreamVersion != uint64(i+1) {
			t.Errorf("stream_version %d, want %d", *r.StreamVersion, i+1)
		}
		if loc := resp.Header.Get("Location"); loc != "/v1/events/"+s.Submission.ID {
			t.Errorf("Location %q", loc)
		}
		last, first = s, r
	}

	// The same id and bytes again: 200 with the same receipt, nothing written.
	size := e.l.Size()
	resp, b := e.post(body(last))
	var dup receipt
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &dup) != nil || *dup.Seq != *first.Seq || dup.Hash != first.Hash || *dup.StreamVersion != *first.StreamVersion {
		t.Fatalf("duplicate: %d %s, want 200 with %+v", resp.StatusCode, b, first)
	}
	if e.l.Size() != size {
		t.Fatalf("duplicate grew the ledger")
	}

	// The entry, with an inclusion proof against a checkpoint signed on demand (the
	// fixture disables the checkpoint timer, so none covers it yet).
	if c, ok := e.l.LatestCheckpoint(); ok && c.Size > *first.Seq {
		t.Fatalf("precondition: a checkpoint already covers the entry")
	}
	resp, b = e.do(http.MethodGet, "/v1/events/"+last.Submission.ID, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %s", resp.StatusCode, b)
	}
	var ev struct {
		Seq            uint64          `json:"seq"`
		Hash           ledger.Hash     `json:"hash"`
		StreamVersion  uint64          `json:"stream_version"`
		Entry          []byte          `json:"entry"`
		Decoded        json.RawMessage `json:"decoded"`
		TreeSize       uint64          `json:"tree_size"`
		InclusionProof []ledger.Hash   `json:"inclusion_proof"`
		Checkpoint     string          `json:"checkpoint"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		t.Fatal(err)
	}
	if ev.Seq != *first.Seq || ev.Hash.String() != first.Hash || ev.StreamVersion != 5 {
		t.Errorf("entry %d %s v%d, want %d %s v5", ev.Seq, ev.Hash, ev.StreamVersion, *first.Seq, first.Hash)
	}
	if ledger.SumEntry(ev.Entry) != ev.Hash {
		t.Errorf("entry bytes do not hash to the entry hash")
	}
	pe, err := ledger.ParseEntry(ev.Entry)
	if err != nil || !bytes.Equal(pe.SubmissionRaw, last.Canonical) {
		t.Fatalf("entry does not carry the signed submission verbatim: %v", err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(ev.Decoded, &decoded); err != nil || decoded["seq"] != float64(ev.Seq) {
		t.Errorf("decoded entry %s: %v", ev.Decoded, err)
	}
	c, _, err := ledger.OpenCheckpoint([]byte(ev.Checkpoint), e.f.Origin, e.f.LedgerKey.Public())
	if err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if c.Size != ev.TreeSize || c.Size <= ev.Seq {
		t.Fatalf("checkpoint size %d, tree_size %d, seq %d", c.Size, ev.TreeSize, ev.Seq)
	}
	if err := ledger.VerifyInclusion(ev.Entry, ev.Seq, c.Size, ev.InclusionProof, c.Root); err != nil {
		t.Fatalf("inclusion proof: %v", err)
	}
	// A tampered entry must not verify against the same proof.
	bad := bytes.Clone(ev.Entry)
	bad[len(bad)/2] ^= 1
	if ledger.VerifyInclusion(bad, ev.Seq, c.Size, ev.InclusionProof, c.Root) == nil {
		t.Fatal("a flipped byte verified")
	}

	for _, tc := range []struct{ path, code, field string }{
		{"/v1/events/" + uuid.Must(uuid.NewV7()).String(), "not_found", "id"},
		{"/v1/events/NOT-A-UUID", "bad_id", "id"},
		{"/v2/events", "not_found", ""},
	} {
		resp, b := e.do(http.MethodGet, tc.path, "", nil)
		var eb api.ErrorBody
		if json.Unmarshal(b, &eb) != nil || eb.Error.Code != tc.code || eb.Error.Field != tc.field || eb.Error.MessageZH == "" {
			t.Errorf("GET %s: %d %s", tc.path, resp.StatusCode, b)
		}
	}
	ledgertest.MustVerify(t, e.st)
}

func TestCheckpointText(t *testing.T) {
	e := newEnv(t)
	resp, b := e.do(http.MethodGet, "/v1/checkpoint", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	// origin, size, root, blank line, then one signature line "— <name> <base64>".
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	// genesis, then the authority's enrolment (its key, institution and first official)
	if len(lines) != 5 || lines[0] != e.f.Origin || lines[1] != "4" || lines[3] != "" || !strings.HasPrefix(lines[4], "— "+e.f.Origin+" ") {
		t.Fatalf("checkpoint shape:\n%s", b)
	}
	if r, err := base64.StdEncoding.DecodeString(lines[2]); err != nil || len(r) != 32 {
		t.Errorf("root line %q", lines[2])
	}
	c, _, err := ledger.OpenCheckpoint(b, e.f.Origin, e.f.LedgerKey.Public())
	if err != nil || c.Size != 4 {
		t.Fatalf("open: %v size %d", err, c.Size)
	}
	if _, root := e.l.Root(); root != c.Root {
		t.Errorf("checkpoint root is not the ledger's")
	}
}

func TestLedgerInfo(t *testing.T) {
	e := newEnv(t)
	resp, b := e.do(http.MethodGet, "/v1/ledger", "", nil)
	var info api.LedgerInfo
	if resp.StatusCode != 200 || json.Unmarshal(b, &info) != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if info.Origin != e.f.Origin || info.Authority != ledgertest.Authority || info.Size != 4 ||
		info.LedgerKey.ID != e.f.LedgerKey.Public().ID() || info.RootKey.ID != e.f.RootKey.Public().ID() {
		t.Errorf("info %+v", info)
	}
	if k, err := crypto.ParsePublicKeyPEM([]byte(info.LedgerKey.PEM)); err != nil || !k.Equal(e.f.LedgerKey.Public()) {
		t.Errorf("ledger key PEM: %v", err)
	}
	if strings.Contains(string(b), "dev_root_key_file") {
		t.Errorf("dev_root_key_file published without being configured: %s", b)
	}
}

func TestDrainAndHealth(t *testing.T) {
	e := newEnv(t)
	e.f.Enrol(t, e.l, "county-health")
	check := func(path string, want int) {
		t.Helper()
		if resp, b := e.do(http.MethodGet, path, "", nil); resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d: %s", path, resp.StatusCode, want, b)
		}
	}
	check("/healthz", 200)
	check("/readyz", 200)
	e.api.Drain()
	check("/readyz", 503)
	check("/healthz", 200)
	// Draining still takes submissions until the listener closes: in-flight clients finish.
	if resp, b := e.post(body(e.f.Event(t, "county-health", "resource/h", 1))); resp.StatusCode != 201 {
		t.Fatalf("post while draining: %d %s", resp.StatusCode, b)
	}
	if err := e.l.Close(); err != nil {
		t.Fatal(err)
	}
	size := e.l.Size()
	resp, b := e.post(body(e.f.Event(t, "county-health", "resource/h", 2)))
	var eb api.ErrorBody
	if resp.StatusCode != 503 || json.Unmarshal(b, &eb) != nil || eb.Error.Code != "unavailable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("post after close: %d %s", resp.StatusCode, b)
	}
	if e.l.Size() != size {
		t.Fatal("a closed ledger grew")
	}
	// Close signed a final checkpoint covering everything.
	if c, ok := e.l.LatestCheckpoint(); !ok || c.Size != size {
		t.Fatalf("final checkpoint %d, want %d", c.Size, size)
	}
}

func TestReadyzStoreClosed(t *testing.T) {
	e := newEnv(t)
	e.l.Close()
	e.st.Close()
	resp, b := e.do(http.MethodGet, "/readyz", "", nil)
	var eb api.ErrorBody
	if resp.StatusCode != 503 || json.Unmarshal(b, &eb) != nil || eb.Error.Code != "store_unavailable" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.f.Enrol(t, e.l, "county-health")
	for i := range 3 {
		e.post(body(e.f.Event(t, "county-health", "resource/h", i)))
	}
	e.post([]byte(`{}`))
	e.do(http.MethodGet, "/v1/checkpoint", "", nil)
	resp, b := e.do(http.MethodGet, "/metrics", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	for _, want := range []string{
		`ledger_appends_total{code="ok",outcome="created"} 3`,
		`ledger_appends_total{code="missing_field",outcome="refused"} 1`,
		`ledger_append_duration_seconds_count{outcome="created"} 3`,
		`ledger_entries 10`, // genesis, two enrolments of 3 entries, 3 events
		`ledger_checkpoint_size 10`,
		`ledger_checkpoint_lag_entries 0`,
		`ledger_batch_entries_sum 9`, // the enrolments and 3 events, however batched
		`ledger_http_requests_total{code="201",method="POST",route="/v1/events"} 3`,
		`ledger_build_info{goversion="go`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestOpenAPIServedAndCoversRoutes(t *testing.T) {
	e := newEnv(t)
	resp, b := e.do(http.MethodGet, "/openapi.yaml", "", nil)
	if resp.StatusCode != 200 || !bytes.Equal(b, docs.OpenAPI) {
		t.Fatalf("%d, %d bytes", resp.StatusCode, len(b))
	}
	for _, p := range []string{"/v1/events:", "/v1/events:batch:", "/v1/events/{id}:", "/v1/checkpoint:", "/v1/ledger:", "/v1/proofs/inclusion:", "/v1/proofs/consistency:", "/v1/checkpoint/cosignatures:", "/v1/snapshot:", "/v1/bundles:", "/v1/keys/{key_id}:", "/v1/reports/{kind}:", "/healthz:", "/readyz:", "/metrics:"} {
		if !bytes.Contains(b, []byte("\n  "+p)) {
			t.Errorf("openapi.yaml lacks path %s", p)
		}
	}
	for _, code := range []string{"request_too_large", "unsupported_media_type", "method_not_allowed", "id_conflict", "unknown_key", "snapshot_unsupported", "bundle_too_large", "empty_selection", "reason_required", "bundle_unsupported", "malformed_batch", "empty_batch", "batch_too_large", "batch_over_write_burst", "token_institution_mismatch"} {
		if !bytes.Contains(b, []byte(code)) {
			t.Errorf("openapi.yaml does not document error code %s", code)
		}
	}
}

func TestMiddlewareSeam(t *testing.T) {
	_, _, l := bolttest.Ledger(t, ledger.Options{})
	var seen []string
	limit := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, r.Pattern)
			if r.Method == http.MethodPost {
				w.Header().Set("Retry-After", "2")
				api.WriteError(w, &ledger.Problem{Kind: api.ErrRateLimited, Code: "rate_limited", Message: "slow down", MessageZH: "请求过于频繁"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	a, err := api.New(api.Config{Ledger: l, Middleware: []api.Middleware{limit}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/v1/events", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("limited post: %d", resp.StatusCode)
	}
	if resp, err = srv.Client().Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if resp, err = srv.Client().Get(srv.URL + "/v1/checkpoint"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("checkpoint: %v", err)
	}
	resp.Body.Close()
	if strings.Join(seen, ",") != "/v1/events,/v1/checkpoint" {
		t.Errorf("middleware saw %v; want the /v1 routes only, with their patterns", seen)
	}
}

// TestKeyByID: GET /v1/keys/{key_id} serves a registered key's public half and binding,
// to anyone (public keys are public; a browser verifier needs the actor's), and 404 for
// an unknown id.
func TestKeyByID(t *testing.T) {
	e := newEnv(t)
	k := e.f.Enrol(t, e.l, "county-health")
	resp, b := e.do(http.MethodGet, "/v1/keys/"+k.Public().ID(), "", nil)
	var rk client.RegisteredKey
	if resp.StatusCode != 200 || json.Unmarshal(b, &rk) != nil || rk.Institution != "county-health" || rk.Role != ledger.RoleInstitution || rk.RevokedAt != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	pk, err := crypto.ParsePublicKeyPEM([]byte(rk.PublicKey))
	if err != nil || !pk.Equal(k.Public()) {
		t.Fatalf("the served key is not the registered one: %v", err)
	}
	if resp, _ := e.do(http.MethodGet, "/v1/keys/00000000000000000000000000000000", "", nil); resp.StatusCode != 404 {
		t.Fatalf("unknown key: %d", resp.StatusCode)
	}
}
