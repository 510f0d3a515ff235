package api_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkReadEvent compares GET /v1/events/{id} with access control (cached token
// check, institution scope lookup, buffered answer, audit line without fsync) and in dev
// mode (no credential check; the audit line is still written): the difference is the
// policy's own cost per read. With fsync, the disk's sync latency adds to every read.
func BenchmarkReadEvent(b *testing.B) {
	for _, c := range []struct {
		name string
		dev  bool
		who  string
	}{{"dev", true, "none"}, {"officer", false, "officer"}, {"institution_own", false, "health"}} {
		b.Run(c.name, func(b *testing.B) {
			e := newAccessEnv(b, accessOpts{dev: c.dev})
			ev := e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"n": 1}, "")
			req, _ := http.NewRequest("GET", e.srv.URL+"/v1/events/"+ev.Submission.ID, nil)
			if tok, ok := e.tokens[c.who]; ok {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			cl := e.srv.Client()
			for b.Loop() {
				resp, err := cl.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
