package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/client"
	domaincmd "github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/projections/search"
)

// loadServer runs a real ledger behind the real HTTP API. devRoot says whether it offers
// its root key file as a single-operator ledgerd does.
func loadServer(t *testing.T, devRoot bool) (url string, f *ledgertest.Fixture, st *boltstore.Store, rootFile string) {
	t.Helper()
	srv, f, st, rootFile := loadHTTPServer(t, devRoot)
	return srv.URL, f, st, rootFile
}

func loadHTTPServer(t *testing.T, devRoot bool) (srv *httptest.Server, f *ledgertest.Fixture, st *boltstore.Store, rootFile string) {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f = ledgertest.New(t)
	f.Init(t, st)
	// Checked as ledgerd checks: load must send catalogue-valid acts.
	chk := domaincmd.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	rootFile = filepath.Join(dir, "root.key")
	pem, err := crypto.MarshalPrivateKeyPEM(f.RootKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(dir, "search.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	ir := follow.New(idx, follow.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	// Searches see what was committed before them, as in ledgerd a moment later.
	cfg := api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler), Streams: chk.State(), Search: syncedSearch{idx, ir}}
	if devRoot {
		cfg.DevRootKeyFile = rootFile
	}
	a, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return srv, f, st, rootFile
}

// TestLoadAcknowledgesEveryEvent, one submission per request and seven (the last request
// of the run holds the six left over).
func TestLoadAcknowledgesEveryEvent(t *testing.T) {
	for _, batch := range []string{"1", "7"} {
		t.Run("batch="+batch, func(t *testing.T) { loadAcknowledgesEveryEvent(t, batch) })
	}
}

func loadAcknowledgesEveryEvent(t *testing.T, batch string) {
	url, _, st, _ := loadServer(t, true)
	acked := filepath.Join(t.TempDir(), "acked")
	code, out, errOut := ledgerctl(t, "load", "--server", url, "--events", "300", "--acked", acked, "--concurrency", "16", "--batch", batch, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r bench.LoadResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Acked != 300 || r.Events != 300 || !strings.HasPrefix(r.Institution, "load-") || r.Error != "" || fmt.Sprint(r.Batch) != batch {
		t.Errorf("result %+v", r)
	}
	b, err := os.ReadFile(acked)
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	uniq := map[string]bool{}
	for _, id := range ids {
		uniq[id] = true
	}
	if len(ids) != 300 || len(uniq) != 300 {
		t.Fatalf("%d acked lines, %d distinct", len(ids), len(uniq))
	}
	pos, err := st.Lookup(context.Background(), ids)
	if err != nil || len(pos) != 300 {
		t.Fatalf("%d of 300 acknowledged ids are stored (%v)", len(pos), err)
	}
	// The submissions are realistic: typed acts on the catalog's resource streams, signed
	// by the registered load institution.
	types := map[string]int{}
	err = st.Entries(context.Background(), 0, 1000, func(e ledger.RawEntry) error {
		pe, err := ledger.ParseEntry(e.Bytes)
		if err != nil {
			return err
		}
		if pe.Submission.Actor.Institution == r.Institution && pe.Submission.Type != "person.registered.v1" {
			types[pe.Submission.Type]++
			if !strings.HasPrefix(pe.Submission.Stream, "resource/") {
				t.Errorf("stream %s", pe.Submission.Stream)
			}
		}
		return nil
	})
	if err != nil || len(types) < 3 {
		t.Errorf("event types %v (%v)", types, err)
	}
	ledgertest.MustVerify(t, st)
}

func TestLoadRefusals(t *testing.T) {
	prodURL, _, _, rootFile := loadServer(t, false)
	devURL, _, _, _ := loadServer(t, true)
	other := filepath.Join(t.TempDir(), "other")
	if code, _, e := ledgerctl(t, "keygen", "--out", other); code != 0 {
		t.Fatal(e)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no server", []string{"load", "--events", "5"}, "--server URL is required"},
		{"no events", []string{"load", "--server", devURL, "--events", "0"}, "--events must be positive"},
		{"batch of none", []string{"load", "--server", devURL, "--batch", "0"}, "--batch must be 1 to 1000"},
		{"batch over the limit", []string{"load", "--server", devURL, "--batch", "1001"}, "--batch must be 1 to 1000"},
		{"bad institution", []string{"load", "--server", devURL, "--institution", "Load One"}, "--institution"},
		{"production server without --root-key", []string{"load", "--server", prodURL, "--events", "5"}, "pass --root-key FILE"},
		{"root key of another ledger", []string{"load", "--server", prodURL, "--events", "5", "--root-key", other + ".key"}, "the ledger's root key is"},
		{"server unreachable", []string{"load", "--server", dead, "--events", "5", "--retry-for", "200ms"}, "cannot reach"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := ledgerctl(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, want %d with one line containing %q:\n%s", code, exitUsage, tc.want, errOut)
			}
		})
	}
	// The production server works with the right --root-key.
	if code, _, e := ledgerctl(t, "load", "--server", prodURL, "--events", "5", "--root-key", rootFile); code != 0 {
		t.Fatalf("with --root-key: exit %d: %s", code, e)
	}
}

// A server that dies mid-run and stays away: load gives up after --retry-for, exits 2
// saying how many were acknowledged, and the acked file holds exactly those, all stored.
func TestLoadServerGoneForGood(t *testing.T) {
	srv, _, st, _ := loadHTTPServer(t, true)
	acked := filepath.Join(t.TempDir(), "acked")
	type res struct {
		code   int
		errOut string
	}
	done := make(chan res, 1)
	go func() {
		code, _, errOut := ledgerctl(t, "load", "--server", srv.URL, "--events", "100000", "--acked", acked, "--retry-for", "300ms", "--concurrency", "8")
		done <- res{code, errOut}
	}()
	for {
		b, _ := os.ReadFile(acked)
		if strings.Count(string(b), "\n") >= 50 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.CloseClientConnections()
	srv.Close()
	r := <-done
	if r.code != exitUsage || !strings.Contains(r.errOut, "of 100000 acknowledged") {
		t.Fatalf("exit %d: %s", r.code, r.errOut)
	}
	b, _ := os.ReadFile(acked)
	ids := strings.Fields(string(b))
	if !strings.Contains(r.errOut, fmt.Sprintf("%d of 100000", len(ids))) {
		t.Errorf("message does not give the acked count %d: %s", len(ids), r.errOut)
	}
	pos, err := st.Lookup(context.Background(), ids)
	if err != nil || len(pos) != len(ids) {
		t.Fatalf("%d of %d acked ids stored (%v)", len(pos), len(ids), err)
	}
}

// syncedSearch catches the index up before each query.
type syncedSearch struct {
	idx *search.Index
	r   *follow.Follower
}

func (s syncedSearch) Search(ctx context.Context, q search.Query) (search.Page, error) {
	if _, err := s.r.CatchUp(ctx); err != nil {
		return search.Page{}, err
	}
	return s.idx.Search(ctx, q)
}

// TestSearchCommand: ledgerctl search asks the running ledger's index with the filters
// given and prints what it answers, as a table, JSON or CSV with a byte-order mark.
func TestSearchCommand(t *testing.T) {
	url, _, st, _ := loadServer(t, true)
	if code, _, e := ledgerctl(t, "load", "--server", url, "--events", "40", "--institution", "load-water", "--concurrency", "4"); code != 0 {
		t.Fatal(e)
	}
	byType := map[string]int{}
	_ = st.Entries(context.Background(), 0, 10_000, func(r ledger.RawEntry) error {
		e, _ := ledger.ParseEntry(r.Bytes)
		if e.Submission.Actor.Institution == "load-water" {
			byType[e.Submission.Type]++
		}
		return nil
	})
	code, out, e := ledgerctl(t, "search", "--server", url, "--institution", "load-water", "--type", "data.collected.v1", "--format", "json")
	var p client.SearchPage
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil {
		t.Fatalf("exit %d: %s %s", code, out, e)
	}
	if len(p.Events) != byType["data.collected.v1"] || len(p.Events) == 0 {
		t.Fatalf("%d collections found, the store holds %d", len(p.Events), byType["data.collected.v1"])
	}
	for _, h := range p.Events {
		if h.Institution != "load-water" || h.Type != "data.collected.v1" {
			t.Fatalf("hit %+v", h)
		}
	}
	if code, out, _ := ledgerctl(t, "search", "--server", url, "--resource", "load-water.pipe-network", "--format", "csv"); code != 0 || !strings.HasPrefix(out, "\uFEFF序号") {
		t.Fatalf("csv: %d %.60q", code, out)
	}
	if code, out, _ := ledgerctl(t, "search", "--server", url, "--person", "nobody-at-all"); code != 0 || !strings.Contains(out, "no acts match") {
		t.Fatalf("no match: %d %s", code, out)
	}
	if code, _, e := ledgerctl(t, "search", "--server", url, "--from", "yesterday"); code != 2 || !strings.Contains(e, "from") {
		t.Fatalf("bad day: %d %s", code, e)
	}
}
