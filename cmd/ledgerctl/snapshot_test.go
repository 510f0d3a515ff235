package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// snapEnv is a running ledger on the embedded store, served as ledgerd serves it: access
// control with a credential per role, the read-audit log, checkpoints published in the
// data directory. Its data directory also holds the private ledger and root keys, which
// must never reach a snapshot.
type snapEnv struct {
	f      *ledgertest.Fixture
	l      *ledger.Ledger
	dir    string
	url    string
	audit  *auth.AuditLog
	auditF string
	tokens map[string]string // role → token
	pins   [2]string         // the ledger and root public keys as an officer holds them
}

func newSnapEnv(t *testing.T) *snapEnv {
	t.Helper()
	e := &snapEnv{dir: t.TempDir(), tokens: map[string]string{}}
	st, err := boltstore.Open(datadir.Paths{Dir: e.dir}.Store())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.f = ledgertest.New(t)
	e.f.Init(t, st)
	if err := os.MkdirAll(datadir.Paths{Dir: e.dir}.Keys(), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []struct {
		name string
		key  *crypto.PrivateKey
	}{{"ledger", e.f.LedgerKey}, {"root", e.f.RootKey}} {
		if err := crypto.WriteKeyPair(filepath.Join(e.dir, "keys", k.name), k.key); err != nil {
			t.Fatal(err)
		}
	}
	pins := t.TempDir()
	e.pins = [2]string{filepath.Join(pins, "ledger.pub"), filepath.Join(pins, "root.pub")}
	os.WriteFile(e.pins[0], crypto.MarshalPublicKeyPEM(e.f.LedgerKey.Public()), 0o644)
	os.WriteFile(e.pins[1], crypto.MarshalPublicKeyPEM(e.f.RootKey.Public()), 0o644)

	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: e.dir}.Checkpoints())
	if err != nil {
		t.Fatal(err)
	}
	e.l = e.f.Open(t, st, ledger.Options{Publisher: pub, CheckpointEvery: 20 * time.Millisecond})
	e.f.Register(t, e.l, "aba-health")

	creds := filepath.Join(t.TempDir(), "credentials.json")
	for _, r := range []struct{ role, inst string }{
		{"security_officer", ""}, {"reviewer", ""}, {"authority", ""},
		{"institution", "aba-health"}, {"submitter", "aba-health"},
	} {
		args := []string{"tokens", "add", "--file", creds, "--role", r.role, "--person", "p-" + r.role}
		if r.inst != "" {
			args = append(args, "--institution", r.inst)
		}
		code, out, errOut := ledgerctl(t, args...)
		if code != 0 {
			t.Fatalf("tokens add %s: %s", r.role, errOut)
		}
		e.tokens[r.role] = strings.TrimSpace(out)
	}
	authn, err := auth.OpenAuthenticator(creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.auditF = filepath.Join(t.TempDir(), "audit.jsonl")
	if e.audit, err = auth.OpenAuditLog(e.auditF, auth.AuditOptions{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.audit.Close() })
	log := slog.New(slog.DiscardHandler)
	mw, err := api.NewAccess(api.Access{Ledger: e.l, Authenticator: authn, Audit: e.audit, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Ledger: e.l, Logger: log, Middleware: []api.Middleware{mw}, Published: pub})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.appendN(t, 30)
	if _, err := e.l.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *snapEnv) appendN(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := e.l.Append(t.Context(), e.f.Event(t, "aba-health", "case/c-1", i)); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *snapEnv) get(t *testing.T, role string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+"/v1/snapshot", nil)
	if tok := e.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// auditRecords reads the read-audit log's records for the snapshot route.
func (e *snapEnv) auditRecords(t *testing.T) []auth.AuditRecord {
	t.Helper()
	b, err := os.ReadFile(e.auditF)
	if err != nil {
		t.Fatal(err)
	}
	var out []auth.AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r auth.AuditRecord
		if line == "" || json.Unmarshal([]byte(line), &r) != nil || r.Route != "/v1/snapshot" {
			continue
		}
		out = append(out, r)
	}
	return out
}

// TestSnapshotWhileAppending takes a snapshot while several writers append, then runs the
// offline tools on it: the copy holds a consistent prefix (between the sizes before and
// after), verifies intact against keys pinned independently, serves report and prove,
// holds no private key, and the read is in the audit log.
func TestSnapshotWhileAppending(t *testing.T) {
	e := newSnapEnv(t)
	before := e.l.Size()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var appended atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := e.l.Append(t.Context(), e.f.Event(t, "aba-health", "case/w-"+string(rune('a'+w)), i)); err != nil {
					t.Error(err)
					return
				}
				appended.Add(1)
			}
		})
	}
	for e.l.Size() < before+20 {
		time.Sleep(time.Millisecond)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	code, out, errOut := ledgerctl(t, "snapshot", "--server", e.url, "--out", snap, "--token", e.tokens["security_officer"], "--json")
	for e.l.Size() < before+100 { // the writers outlive the snapshot
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	after := e.l.Size()
	if code != 0 {
		t.Fatalf("snapshot: exit %d: %s", code, errOut)
	}
	var res snapshotResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := storeSize(t, snap); got != res.Entries || res.Entries <= before || res.Entries >= after {
		t.Fatalf("snapshot holds %d entries (reported %d); want strictly between %d and %d", got, res.Entries, before, after)
	}
	if res.Checkpoints == 0 {
		t.Fatal("no published checkpoint in the snapshot")
	}

	// The offline tools take the directory unchanged.
	code, vout, verr := ledgerctl(t, "verify", "--data", snap, "--ledger-pub", e.pins[0], "--root-pub", e.pins[1], "--json")
	var vr verifyResult
	if code != 0 || json.Unmarshal([]byte(vout), &vr) != nil || vr.Entries != res.Entries || vr.Published != res.Checkpoints+1 {
		t.Fatalf("verify the snapshot: exit %d: %s %s", code, vout, verr)
	}
	if code, out, errOut := ledgerctl(t, "report", "accountability", "--data", snap, "--format", "json"); code != 0 || !json.Valid([]byte(out)) {
		t.Fatalf("report on the snapshot: exit %d: %s", code, errOut)
	}
	if code, _, errOut := ledgerctl(t, "prove", "--data", snap, "--seq", "5"); code != 0 {
		t.Fatalf("prove on the snapshot: exit %d: %s", code, errOut)
	}
	// Exporting is a recorded act under the ledger key: refused on a copy, nothing written.
	bundleFile := filepath.Join(t.TempDir(), "b.json")
	if code, _, errOut := ledgerctl(t, "export", "--data", snap, "--out", bundleFile); code != 2 || !strings.Contains(errOut, "is a snapshot") || fileExists(bundleFile) {
		t.Fatalf("export on a snapshot: exit %d: %s", code, errOut)
	}
	if got := storeSize(t, snap); got != res.Entries {
		t.Fatalf("the tools changed the snapshot: %d entries, was %d", got, res.Entries)
	}

	// No private key, whatever the data directory beside the server holds; the public
	// keys are the genesis keys.
	err := filepath.WalkDir(snap, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if bytes.Contains(b, []byte("PRIVATE KEY")) || strings.HasSuffix(p, ".key") {
			t.Errorf("private key material in the snapshot: %s", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"ledger.pub", "root.pub"} {
		got, _ := os.ReadFile(filepath.Join(snap, "keys", name))
		want, _ := os.ReadFile(e.pins[i])
		if !bytes.Equal(got, want) {
			t.Errorf("keys/%s is not the genesis key", name)
		}
	}

	// The read is audited, as who and with what outcome.
	recs := e.auditRecords(t)
	if len(recs) != 1 || recs[0].Person != "p-security_officer" || recs[0].Outcome != auth.OutcomeAllowed || recs[0].Status != 200 {
		t.Fatalf("audit records of the snapshot: %+v", recs)
	}

	// An existing store is never overwritten, nor a non-empty directory written into.
	if code, _, errOut := ledgerctl(t, "snapshot", "--server", e.url, "--out", snap, "--token", e.tokens["security_officer"]); code != 2 || !strings.Contains(errOut, "already holds a ledger") {
		t.Fatalf("snapshot over a store: exit %d: %s", code, errOut)
	}
	if got := storeSize(t, snap); got != res.Entries {
		t.Fatal("the existing snapshot was replaced")
	}
	ledgertest.MustVerify(t, e.l.Store()) // and the live ledger is untouched
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestSnapshotAccess: the roles that read every entry get the stream; an institution, a
// submitter and an anonymous caller get a JSON error and no byte of the store; every
// attempt is in the audit log; and with the audit log down nothing is served.
func TestSnapshotAccess(t *testing.T) {
	e := newSnapEnv(t)
	for _, tc := range []struct {
		role    string
		status  int
		outcome string
	}{
		{"security_officer", 200, auth.OutcomeAllowed},
		{"reviewer", 200, auth.OutcomeAllowed},
		{"authority", 200, auth.OutcomeAllowed},
		{"institution", 403, auth.OutcomeDenied},
		{"submitter", 403, auth.OutcomeDenied},
		{"", 401, auth.OutcomeUnauthenticated},
	} {
		t.Run("role_"+tc.role, func(t *testing.T) {
			n := len(e.auditRecords(t))
			resp, b := e.get(t, tc.role)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tc.status, b)
			}
			if tc.status == 200 {
				if ct := resp.Header.Get("Content-Type"); ct != "application/x-tar" || !bytes.Contains(b, []byte(client.SnapshotFormat)) {
					t.Fatalf("Content-Type %q, %d bytes", ct, len(b))
				}
			} else {
				var eb api.ErrorBody
				if json.Unmarshal(b, &eb) != nil || eb.Error.Message == "" || eb.Error.MessageZH == "" || bytes.Contains(b, []byte("ledger.db")) {
					t.Fatalf("refusal body: %s", b)
				}
			}
			recs := e.auditRecords(t)
			if len(recs) != n+1 || recs[n].Outcome != tc.outcome || recs[n].Status != tc.status {
				t.Fatalf("audit: %+v", recs[n:])
			}
		})
	}
	out := filepath.Join(t.TempDir(), "snap")
	if code, _, errOut := ledgerctl(t, "snapshot", "--server", e.url, "--out", out, "--token", e.tokens["institution"]); code != 2 ||
		!strings.Contains(errOut, "403 forbidden") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || fileExists(out) {
		t.Fatalf("institution via ledgerctl: exit %d: %q", code, errOut)
	}
	if code, _, errOut := ledgerctl(t, "snapshot", "--server", e.url); code != 2 || !strings.Contains(errOut, "--out") {
		t.Fatalf("usage: exit %d: %s", code, errOut)
	}

	e.audit.Close()
	resp, b := e.get(t, "security_officer")
	if resp.StatusCode != 503 || !bytes.Contains(b, []byte("audit_unavailable")) || bytes.Contains(b, []byte(client.SnapshotFormat)) {
		t.Fatalf("with the audit log down: %d %.200s", resp.StatusCode, b)
	}
}

// TestSnapshotTamperedStreamCaught: one byte changed in an entry of the served stream
// makes a directory that verify rejects (exit 1, naming the entry); a stream cut short
// leaves no directory.
func TestSnapshotTamperedStreamCaught(t *testing.T) {
	e := newSnapEnv(t)
	k := e.f.Key("aba-health")
	marked := ledgertest.Sign(t, k, ledgertest.Submission("aba-health", k.Public().ID(), "case/c-2", "data.collected.v1",
		map[string]any{"resource": "r-0001", "records": 1, "purpose": "tamper-marker-7f3a", "legal_basis": "x", "verification": []string{"id_document"}}))
	rc, err := e.l.Append(t.Context(), marked)
	if err != nil {
		t.Fatal(err)
	}
	e.appendN(t, 5)
	if _, err := e.l.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, body := e.get(t, "security_officer")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("tamper-marker-7f3a")) {
		t.Fatalf("%d; no marker in the stream", resp.StatusCode)
	}
	serve := func(b []byte) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-tar")
			w.Write(b)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		snap   int    // exit of ledgerctl snapshot
		verify int    // exit of verify, if the snapshot was written
		want   string // in the failing command's stderr
	}{
		{"intact", body, 0, 0, ""},
		// The marker's last byte, wherever it is: copy-on-write leaves stale copies of a
		// page in bbolt's free space, and only the live one is read.
		{"byte_flipped", bytes.ReplaceAll(body, []byte("tamper-marker-7f3a"), []byte("tamper-marker-7f3b")), 0, 1, "tampered: seq"},
		{"cut_short", body[:len(body)/2], 2, 0, "cut short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := filepath.Join(t.TempDir(), "snap")
			code, _, errOut := ledgerctl(t, "snapshot", "--server", serve(tc.body), "--out", snap)
			if code != tc.snap || !strings.Contains(errOut, tc.want) && tc.snap != 0 {
				t.Fatalf("snapshot: exit %d, want %d: %s", code, tc.snap, errOut)
			}
			if code != 0 {
				if ents, _ := os.ReadDir(filepath.Dir(snap)); len(ents) != 0 {
					t.Fatalf("left behind: %v", ents)
				}
				return
			}
			code, _, errOut = ledgerctl(t, "verify", "--data", snap)
			if code != tc.verify || !strings.Contains(errOut, tc.want) {
				t.Fatalf("verify: exit %d, want %d: %s", code, tc.verify, errOut)
			}
			if tc.verify == 1 && !strings.Contains(errOut, "seq "+strconv.FormatUint(rc.Seq, 10)) {
				t.Fatalf("verify does not name seq %d: %s", rc.Seq, errOut)
			}
		})
	}
}

// plainStore hides every optional power of the store it wraps, as a database-server
// backend lacks them.
type plainStore struct{ ledger.Store }

// TestSnapshotUnsupportedStore: a store without the capability answers 501 in both
// languages, and ledgerctl says so on one line.
func TestSnapshotUnsupportedStore(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, plainStore{st}, ledger.Options{})
	a, err := api.New(api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	var eb api.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || eb.Error.Code != "snapshot_unsupported" || eb.Error.MessageZH == "" {
		t.Fatalf("%d %+v", resp.StatusCode, eb)
	}
	out := filepath.Join(t.TempDir(), "snap")
	if code, _, errOut := ledgerctl(t, "snapshot", "--server", srv.URL, "--out", out); code != 2 || !strings.Contains(errOut, "501 snapshot_unsupported") || fileExists(out) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
