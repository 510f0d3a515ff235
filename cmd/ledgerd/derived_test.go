package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/internal/bench"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// scrape returns url's /metrics.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestDerivedWorkOncePerDeployment: two ledgerd on one PostgreSQL database keep the
// report read models, and the compliance metrics over them, once between them: only the
// front-end holding the derived lease exports ledger_compliance_position; when it stops,
// the other takes the lease over and exports it. --derived here makes a front-end keep
// them regardless; --derived off never.
func TestDerivedWorkOncePerDeployment(t *testing.T) {
	pg := pgtest.NewDatabase(t) + "?ledger_lease=600ms"
	if strings.Count(pg, "?") > 1 {
		pg = strings.Replace(pg, "?ledger_lease", "&ledger_lease", 1)
	}
	dir := t.TempDir()
	d1, d2, d3 := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	urlA, stopA, logsA := start(t, nil, "--data", d1, "--store", pg, "--compliance-interval", "100ms")
	for _, d := range []string{d2, d3} {
		copyDir(t, filepath.Join(d1, "keys"), filepath.Join(d, "keys"))
	}
	urlB, stopB, _ := start(t, nil, "--data", d2, "--store", pg, "--compliance-interval", "100ms")
	urlC, stopC, _ := start(t, nil, "--data", d3, "--store", pg, "--compliance-interval", "100ms", "--derived", "off")
	defer stopC()

	exports := func(url string) bool { return strings.Contains(scrape(t, url), "\nledger_compliance_position ") }
	// wait until exactly one of a and b exports the series, and return which.
	one := func(within time.Duration) string {
		t.Helper()
		deadline := time.Now().Add(within)
		for time.Now().Before(deadline) {
			a, b := exports(urlA), exports(urlB)
			if a != b {
				if a {
					return "a"
				}
				return "b"
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("not exactly one front-end exports the compliance series (a %v, b %v)", exports(urlA), exports(urlB))
		return ""
	}
	first := one(10 * time.Second)
	for range 10 { // and it stays so
		if w := one(time.Second); w != first {
			t.Fatalf("the compliance series moved from %s to %s with both running", first, w)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if exports(urlC) {
		t.Error("a front-end with --derived off exports the compliance series")
	}
	searchIsShared(t, urlA, urlC, d3, map[string]string{"a": urlA, "b": urlB}[first])
	// Stop the holder; the other takes the work over.
	var rest string
	if first == "a" {
		if c := stopA(); c != exitOK {
			t.Fatalf("a: exit %d\n%s", c, logsA)
		}
		rest = urlB
	} else {
		if c := stopB(); c != exitOK {
			t.Fatalf("b: exit %d", c)
		}
		rest = urlA
	}
	deadline := time.Now().Add(10 * time.Second)
	for !exports(rest) {
		if time.Now().After(deadline) {
			t.Fatal("after the holder stopped, the other front-end never exported the compliance series")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// --derived here folds whatever the others do.
	d4 := filepath.Join(dir, "d")
	copyDir(t, filepath.Join(d1, "keys"), filepath.Join(d4, "keys"))
	urlD, stopD, _ := start(t, nil, "--data", d4, "--store", pg, "--compliance-interval", "100ms", "--derived", "here")
	defer stopD()
	deadline = time.Now().Add(10 * time.Second)
	for !exports(urlD) {
		if time.Now().After(deadline) {
			t.Fatal("--derived here did not export the compliance series")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !exports(rest) {
		t.Error("the lease holder stopped exporting when a --derived here front-end started")
	}
}

// TestDerivedFlag: --derived takes lease, here or off.
func TestDerivedFlag(t *testing.T) {
	for _, args := range [][]string{{"--derived", "maybe"}, {"--derived", ""}} {
		if _, err := parseFlags(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	c, err := parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil || c.derived != derivedLease {
		t.Fatalf("default --derived %q, %v", c.derived, err)
	}
}

// searchIsShared: acts recorded through one front-end are found through another that
// folds nothing (--derived off), from the deployment's one index in PostgreSQL, which
// only the holder of the derived lease folds.
func searchIsShared(t *testing.T, via, reader, readerData, holder string) {
	t.Helper()
	ctx := context.Background()
	if _, err := bench.Load(ctx, &client.Client{BaseURL: via}, bench.LoadOptions{Events: 12, Concurrency: 4, Presign: true,
		Enrol: bench.Enrol{Institution: "fe-search", RootPerson: "ledgerctl-load"}}); err != nil {
		t.Fatalf("loading through %s: %v", via, err)
	}
	c := reviewerClient(t, reader, readerData, "search-test")
	deadline := time.Now().Add(15 * time.Second)
	for {
		p, err := c.Search(ctx, url.Values{"institution": {"fe-search"}, "limit": {"500"}})
		n := 0
		if err == nil {
			n = len(p.Events)
		}
		if n >= 12 { // the load's acts, and its enrolment's own
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the front-end that folds nothing finds %d of the acts recorded through another (%v)", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for u, want := range map[string]bool{reader: false, holder: true} {
		if got := strings.Contains(scrape(t, u), `ledger_readmodel_position{model="search"}`); got != want {
			t.Errorf("%s folds the search index: %v, want %v", u, got, want)
		}
	}
}
