package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/bundle"
)

// TestBundleExport: POST /v1/bundles on a running ledger records the export (as the
// offline CLI does, under the ledger key, naming the credential's person) and answers a
// bundle that verifies; every refusal answers the API's error shape in both languages
// and records nothing; the read-audit log names the export.
func TestBundleExport(t *testing.T) {
	e := newAccessEnv(t, accessOpts{bundleMax: 3})
	for range 2 {
		e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"resource": "health.appointments", "records": 3}, "")
	}
	for range 4 {
		e.record("aba-transport", "resource/transport.flows", "data.collected.v1", map[string]any{"resource": "transport.flows", "records": 1}, "")
	}
	size := e.l.Size()

	refusals := []struct {
		name, who, ctype, body string
		status                 int
		code                   string
	}{
		{"reviewer may not export", "reviewer", "application/json", `{"stream":"resource/health.appointments","reason":"r"}`, 403, "forbidden"},
		{"institution may not export", "health", "application/json", `{"stream":"resource/health.appointments","reason":"r"}`, 403, "forbidden"},
		{"no credential", "none", "application/json", `{"stream":"resource/health.appointments","reason":"r"}`, 401, "unauthenticated"},
		{"unknown stream", "officer", "application/json", `{"stream":"resource/none","reason":"r"}`, 404, "empty_selection"},
		{"bad stream name", "officer", "application/json", `{"stream":"Not A Stream","reason":"r"}`, 400, "bad_stream"},
		{"reversed range", "officer", "application/json", `{"from":5,"to":2,"reason":"r"}`, 400, "bad_range"},
		{"range beyond the log", "officer", "application/json", `{"from":1,"to":1000,"reason":"r"}`, 400, "bad_range"},
		{"negative position", "officer", "application/json", `{"from":-1,"reason":"r"}`, 400, "malformed_body"},
		{"no reason", "officer", "application/json", `{"stream":"resource/health.appointments"}`, 400, "reason_required"},
		{"unknown member", "officer", "application/json", `{"stream":"resource/health.appointments","reason":"r","by":"someone-else"}`, 400, "malformed_body"},
		{"trailing data", "officer", "application/json", `{"reason":"r"} {}`, 400, "malformed_body"},
		{"not JSON", "officer", "text/plain", `stream=x`, 415, "unsupported_media_type"},
		{"more entries than a bundle holds", "officer", "application/json", `{"stream":"resource/transport.flows","reason":"r"}`, 413, "bundle_too_large"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := e.post(tc.who, tc.ctype, tc.body)
			var eb api.ErrorBody
			if resp.StatusCode != tc.status || json.Unmarshal(b, &eb) != nil || eb.Error.Code != tc.code || eb.Error.Message == "" || eb.Error.MessageZH == "" {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, tc.status, tc.code)
			}
			if e.l.Size() != size {
				t.Fatalf("a refused export recorded something: size %d, was %d", e.l.Size(), size)
			}
		})
	}

	resp, b := e.post("officer", "application/json", `{"stream":"resource/health.appointments","reason":"case 2026-017"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("export: %d %s", resp.StatusCode, b)
	}
	if e.l.Size() != size+1 {
		t.Fatalf("size %d after an export, want %d", e.l.Size(), size+1)
	}
	bd, err := bundle.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get(api.ExportSeqHeader); got != strconv.FormatUint(size, 10) || bd.ExportSeq != size {
		t.Fatalf("export seq: header %q, bundle %d, want %d", got, bd.ExportSeq, size)
	}
	rep, err := bundle.Verify(bd, bundle.VerifyOptions{LedgerKey: e.f.LedgerKey.Public()})
	if err != nil {
		t.Fatalf("the served bundle does not verify: %v", err)
	}
	if len(rep.Selected) != 2 || rep.Export.By != "p-officer" || rep.Export.Reason != "case 2026-017" || !rep.Pinned {
		t.Fatalf("report: %d selected, export %+v", len(rep.Selected), rep.Export)
	}
	var exp *ledger.Entry
	if err := e.st.Entries(t.Context(), size, size+1, func(r ledger.RawEntry) error {
		exp, err = ledger.ParseEntry(bytes.Clone(r.Bytes))
		return err
	}); err != nil || exp == nil {
		t.Fatalf("reading the export event: %v", err)
	}
	var p bundle.ExportPayload
	if err := json.Unmarshal(exp.Submission.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if exp.Submission.Type != bundle.TypeExported || exp.Submission.Actor.Person != "p-officer" ||
		exp.Submission.Actor.KeyID != e.f.LedgerKey.Public().ID() || p.Selection.Stream != "resource/health.appointments" || p.Entries != 2 {
		t.Fatalf("the recorded export: %s %+v, payload %+v", exp.Submission.Type, exp.Submission.Actor, p)
	}

	// A seq range by the authority, within the limit.
	from, to := size-2, size-1
	resp, b = e.post("authority", "application/json", `{"from":`+strconv.FormatUint(from, 10)+`,"to":`+strconv.FormatUint(to, 10)+`,"reason":"r"}`)
	if resp.StatusCode != 200 || e.l.Size() != size+2 {
		t.Fatalf("range export by the authority: %d %s", resp.StatusCode, b)
	}

	// The audit log names each export attempt: who, the stream, the recorded position.
	raw, err := os.ReadFile(e.auditAt)
	if err != nil {
		t.Fatal(err)
	}
	var allowed, denied int
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var rec auth.AuditRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Route != "/v1/bundles" {
			t.Fatalf("audit record of another route: %s", line)
		}
		switch rec.Outcome {
		case auth.OutcomeAllowed:
			allowed++
			if rec.Person == "p-officer" && (len(rec.Seqs) != 1 || rec.Seqs[0] != size || len(rec.Streams) != 1) {
				t.Fatalf("the officer's export is audited without what it took: %s", line)
			}
		case auth.OutcomeDenied:
			denied++
		}
	}
	if allowed != 2 || denied != 2 {
		t.Fatalf("audit: %d allowed, %d denied exports; want 2, 2\n%s", allowed, denied, raw)
	}
}

func (e *accessEnv) post(who, ctype, body string) (*http.Response, []byte) {
	e.t.Helper()
	return e.doAs(who, http.MethodPost, "/v1/bundles", ctype, []byte(body))
}

// TestBundleExportWhileAppending: exports taken while institutions keep appending (the
// point of exporting from a running ledger) each verify, and each is recorded once.
func TestBundleExportWhileAppending(t *testing.T) {
	e := newAccessEnv(t, accessOpts{})
	e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"resource": "health.appointments", "records": 1}, "")
	size := e.l.Size()
	const appends, exports = 40, 4
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range appends {
			e.record("aba-health", "resource/health.appointments", "data.collected.v1", map[string]any{"resource": "health.appointments", "records": 1}, "")
		}
	}()
	errs := make(chan error, exports)
	for range exports {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/bundles", strings.NewReader(`{"stream":"resource/health.appointments","reason":"r"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+e.tokens["officer"])
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
				return
			}
			b, err := bundle.Read(resp.Body)
			if err == nil {
				_, err = bundle.Verify(b, bundle.VerifyOptions{LedgerKey: e.f.LedgerKey.Public()})
			}
			errs <- err
		}()
	}
	for range exports {
		if err := <-errs; err != nil {
			t.Fatalf("an export during appends: %v", err)
		}
	}
	<-done
	if got := e.l.Size(); got != size+appends+exports {
		t.Fatalf("size %d, want %d", got, size+appends+exports)
	}
}
