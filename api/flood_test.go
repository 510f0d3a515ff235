package api_test

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFloods: an unauthenticated flood and a flood of wrong secrets in every spelling of
// the scheme are held by the per-address budgets before they cost the server anything:
// the read-audit log grows by the budget, not by the flood (each line bounded whatever
// the path), the KDF runs at most the failure budget, memory stays bounded, and an
// officer's reads in the meantime are all served.
func TestFloods(t *testing.T) {
	const readRate, readBurst, failRate, failBurst = 20, 40, 5, 20
	e := newAccessEnv(t, accessOpts{readRate: readRate, readBurst: readBurst, failRate: failRate, failBurst: failBurst})
	auditSize := func() int64 {
		fi, err := os.Stat(e.auditAt)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	size0, kdf0 := auditSize(), e.authn.KDFRuns()
	start := time.Now()

	// An officer reads throughout (its own credential's bucket, not the flooders').
	stop := make(chan struct{})
	var legit []time.Duration
	var legitBad atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond): // within the officer's own 20/s
			}
			t0 := time.Now()
			resp, b := e.do("officer", http.MethodGet, "/v1/proofs/inclusion?seq=1", nil)
			legit = append(legit, time.Since(t0))
			if resp.StatusCode != 200 {
				t.Logf("officer: %d %s", resp.StatusCode, b)
				legitBad.Add(1)
			}
		}
	}()

	// 10,000 unauthenticated reads with 8 KiB paths, 16 at a time.
	long := "/v1/events/" + strings.Repeat("a", 8<<10)
	var statuses sync.Map
	flood := func(n int, req func(i int) *http.Request) {
		var next atomic.Int64
		var fw sync.WaitGroup
		for range 16 {
			fw.Add(1)
			go func() {
				defer fw.Done()
				for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
					resp, err := e.srv.Client().Do(req(i))
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					v, _ := statuses.LoadOrStore(resp.StatusCode, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
				}
			}()
		}
		fw.Wait()
	}
	flood(10_000, func(int) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, e.srv.URL+long, nil)
		return r
	})
	// 1,000 wrong secrets for a real token id, in every spelling of the scheme.
	tok := e.tokens["officer"]
	wrong := tok[:len(tok)-10] + "AAAA" + tok[len(tok)-6:]
	spellings := []string{"Bearer", "bearer", "BEARER", "bEaReR", " Bearer"}
	flood(1_000, func(i int) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/events/"+strings.Repeat("b", 10), nil)
		r.Header.Set("Authorization", spellings[i%len(spellings)]+" "+wrong)
		return r
	})
	close(stop)
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	// What the budgets allow over the run, with slack for the officer's own reads.
	lines := float64(readBurst) + readRate*elapsed + float64(failBurst) + failRate*elapsed + float64(2*len(legit)) + 10
	grown := auditSize() - size0
	if perLine := int64(2 << 10); float64(grown) > lines*float64(perLine) {
		t.Errorf("audit log grew %d bytes over %.1f s: more than %.0f lines of at most %d bytes", grown, elapsed, lines, perLine)
	}
	if runs := e.authn.KDFRuns() - kdf0; float64(runs) > float64(failBurst)+failRate*elapsed+1 {
		t.Errorf("the KDF ran %d times for 1,000 wrong secrets over %.1f s (budget %d + %d/s)", runs, elapsed, failBurst, failRate)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("heap in use grew by %d MiB", grew>>20)
	}
	if n := legitBad.Load(); n > 0 {
		t.Errorf("%d of the officer's %d reads were refused during the floods", n, len(legit))
	}
	if len(legit) == 0 {
		t.Fatal("the officer read nothing")
	}
	slices.Sort(legit)
	p99 := legit[len(legit)*99/100]
	var got []string
	statuses.Range(func(k, v any) bool {
		got = append(got, fmt.Sprintf("%d=%d", k.(int), v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("%.1f s; audit +%d bytes; KDF runs %d; officer reads %d, p99 %v; statuses %v", elapsed, grown, e.authn.KDFRuns()-kdf0, len(legit), p99, got)
}
