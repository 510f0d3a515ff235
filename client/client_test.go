package client_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

type env struct {
	f   *ledgertest.Fixture
	l   *ledger.Ledger
	st  *boltstore.Store
	api *api.Server
}

// newLedger opens a real bolt-backed ledger and its HTTP handler; mw wraps the /v1 routes.
func newLedger(t testing.TB, mw ...api.Middleware) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	a, err := api.New(api.Config{Ledger: l, Middleware: mw, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return &env{f: f, l: l, st: st, api: a}
}

func (e *env) serve(t testing.TB) *client.Client {
	srv := httptest.NewServer(e.api)
	t.Cleanup(srv.Close)
	return client.New(srv.URL)
}

func TestSubmitDuplicateAndVerify(t *testing.T) {
	e := newLedger(t)
	c := e.serve(t)
	ctx := context.Background()
	k := e.f.Register(t, e.l, "county-health")
	signed, r, err := c.SignAndSubmit(ctx, k, ledger.Submission{
		Stream: "data/county-health/res-0001", Type: "data.collected.v1",
		Actor:   ledger.Actor{Institution: "county-health", Person: "p-0001"},
		Payload: []byte(`{"resource":"res-0001","records":12,"purpose":"年度统计","legal_basis":"统计法"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Duplicate || r.StreamVersion != 1 || r.Seq != e.l.Size()-1 {
		t.Errorf("receipt %+v", r)
	}
	again, err := c.Submit(ctx, signed)
	if err != nil || !again.Duplicate || again.Seq != r.Seq || again.Hash != r.Hash {
		t.Fatalf("re-send: %+v %v", again, err)
	}

	info, err := c.Ledger(ctx)
	if err != nil || info.Origin != e.f.Origin || info.RootKey.ID != e.f.RootKey.Public().ID() {
		t.Fatalf("info %+v %v", info, err)
	}
	ev, err := c.Event(ctx, signed.Submission.ID)
	if err != nil {
		t.Fatal(err)
	}
	entry, ck, err := ev.Verify(info.Origin, e.f.LedgerKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	if string(entry.SubmissionRaw) != string(signed.Canonical) || ck.Size <= r.Seq {
		t.Errorf("verified entry does not carry the signed bytes, or checkpoint %d too small", ck.Size)
	}
	// Verification does not trust the server: another ledger key, or a changed byte, fails.
	if _, _, err := ev.Verify(info.Origin, e.f.RootKey.Public()); err == nil {
		t.Error("checkpoint verified under the wrong key")
	}
	ev.Entry[10] ^= 1
	if _, _, err := ev.Verify(info.Origin, e.f.LedgerKey.Public()); err == nil {
		t.Error("a flipped entry byte verified")
	}
	note, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ledger.OpenCheckpoint(note, info.Origin, e.f.LedgerKey.Public()); err != nil {
		t.Fatal(err)
	}
}

func TestTypedErrors(t *testing.T) {
	e := newLedger(t)
	c := e.serve(t)
	ctx := context.Background()
	k := e.f.Register(t, e.l, "county-health")
	sub := ledgertest.Submission("county-health", k.Public().ID(), "data/x", "data.collected.v1", map[string]int{"records": 1})
	sub.Actor.Institution = "county-edu" // the key belongs to county-health
	_, _, err := c.SignAndSubmit(ctx, k, sub)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 403 || ce.Code != "key_not_bound" || ce.Field != "submission.actor.institution" || ce.MessageZH == "" {
		t.Fatalf("%v", err)
	}
	if !errors.Is(err, ledger.ErrUnauthorized) || ce.Retryable() {
		t.Errorf("sentinel or retryability wrong: %v", err)
	}
	// A conflict is not retried: it returns at once.
	first := e.f.Event(t, "county-health", "data/x", 1)
	if _, err := c.Submit(ctx, first); err != nil {
		t.Fatal(err)
	}
	other := e.f.Event(t, "county-health", "data/x", 2)
	other.Submission.ID = first.Submission.ID
	other = ledgertest.Sign(t, k, other.Submission)
	start := time.Now()
	if _, err := c.Submit(ctx, other); !errors.Is(err, ledger.ErrConflict) || time.Since(start) > 5*time.Second {
		t.Fatalf("conflict: %v after %v", err, time.Since(start))
	}
	if _, err := c.Event(ctx, "0192f1c4-7a3e-7cc0-9d2b-3f1e5a6b7c8d"); !errors.Is(err, ledger.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// A server that answers 503 twice (the way a draining ledgerd does), then recovers: the
// client re-sends the same bytes and gets one entry.
func TestRetriesUnavailable(t *testing.T) {
	var refused atomic.Int32
	flaky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && refused.Add(1) <= 2 {
				api.WriteError(w, &ledger.Problem{Kind: api.ErrUnavailable, Code: "draining", Message: "draining", MessageZH: "排空中"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	e := newLedger(t, flaky)
	c := e.serve(t)
	k := e.f.Register(t, e.l, "county-health")
	size := e.l.Size()
	r, err := c.Submit(context.Background(), ledgertest.Sign(t, k, ledgertest.Submission("county-health", k.Public().ID(), "data/x", "data.collected.v1", map[string]int{"records": 1})))
	if err != nil || r.Duplicate || refused.Load() != 3 || e.l.Size() != size+1 {
		t.Fatalf("receipt %+v, err %v, attempts %d, size %d→%d", r, err, refused.Load(), size, e.l.Size())
	}
}

// The server is down when the client starts and comes up on the same address later: the
// submission goes through once it does.
func TestRetriesUntilServerStarts(t *testing.T) {
	e := newLedger(t)
	e.f.Register(t, e.l, "county-health")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := &http.Server{Handler: e.api}
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		srv.Serve(ln)
	}()
	defer srv.Close()
	c := client.New("http://" + addr)
	c.RetryFor = 10 * time.Second
	if _, err := c.Submit(context.Background(), e.f.Event(t, "county-health", "data/x", 1)); err != nil {
		t.Fatal(err)
	}

	// With nobody listening, RetryFor bounds the wait.
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	c = client.New(dead)
	c.RetryFor = 300 * time.Millisecond
	start := time.Now()
	_, err = c.Submit(context.Background(), e.f.Event(t, "county-health", "data/x", 2))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("dead server: %v after %v", err, time.Since(start))
	}
	c.RetryFor = -1
	if _, err := c.Ledger(context.Background()); err == nil {
		t.Fatal("no error without retries")
	}
}
