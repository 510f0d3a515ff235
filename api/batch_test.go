package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// batchBody joins POST /v1/events bodies into a batch.
func batchBody(items ...[]byte) []byte {
	return append(append([]byte("["), bytes.Join(items, []byte(","))...), ']')
}

func (e *env) postBatch(b []byte) (*http.Response, []byte) {
	e.t.Helper()
	return e.do(http.MethodPost, "/v1/events:batch", "application/json", bytes.NewReader(b))
}

// TestBatchJudgesEachItemAlone: every item of a batch gets what POST /v1/events would
// have answered for it alone, in the order sent; a refused item stops none of the
// others and writes nothing; items on one stream are recorded in the order given.
func TestBatchJudgesEachItemAlone(t *testing.T) {
	e := newEnv(t)
	e.f.Enrol(t, e.l, "county-health")
	first := e.f.Event(t, "county-health", "resource/r-0001", 1)
	if resp, b := e.post(body(first)); resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	k := e.f.Key("county-health")
	forged := e.f.Event(t, "county-health", "resource/r-0001", 7)
	forged.Signature = append([]byte(nil), first.Signature...)              // another act's signature
	other := e.f.Event(t, "county-health", "resource/r-0001", 9).Submission // valid for the catalogue
	other.ID = first.Submission.ID                                          // first's id, over other content
	reused, err := ledger.SignSubmission(k, other)
	if err != nil {
		t.Fatal(err)
	}
	reusedBody := body(reused)
	a1, a2 := e.f.Event(t, "county-health", "resource/r-0002", 2), e.f.Event(t, "county-health", "resource/r-0002", 3)
	items := [][]byte{body(a1), body(forged), body(first), []byte(`{"submission":{}}`), reusedBody, body(a2)}
	before := e.l.Size()
	resp, b := e.postBatch(batchBody(items...))
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var got client.BatchAnswer
	if err := json.Unmarshal(b, &got); err != nil || len(got.Results) != len(items) {
		t.Fatalf("answer %s: %v", b, err)
	}
	want := []struct {
		status int
		code   string
	}{{201, ""}, {403, "bad_signature"}, {200, ""}, {400, "missing_field"}, {409, "id_conflict"}, {201, ""}}
	for i, w := range want {
		r := got.Results[i]
		code := ""
		if r.Error != nil {
			code = r.Error.Code
			if r.Error.MessageZH == "" {
				t.Errorf("item %d: no Chinese message", i)
			}
		}
		if r.Status != w.status || code != w.code {
			t.Errorf("item %d: %d %q, want %d %q", i, r.Status, code, w.status, w.code)
		}
		if (r.Status < 300) != (r.Seq != nil && r.Hash != nil && r.StreamVersion != nil) {
			t.Errorf("item %d: status %d with receipt %v", i, r.Status, r.Seq != nil)
		}
	}
	if *got.Results[2].Seq != before-1 {
		t.Errorf("the repeat's receipt names seq %d, not the original %d", *got.Results[2].Seq, before-1)
	}
	if v1, v2 := *got.Results[0].StreamVersion, *got.Results[5].StreamVersion; v1 != 1 || v2 != 2 {
		t.Errorf("items on one stream recorded out of order: versions %d, %d", v1, v2)
	}
	if e.l.Size() != before+2 {
		t.Fatalf("size %d, want %d: the two admitted items only", e.l.Size(), before+2)
	}
	ledgertest.MustVerify(t, e.st)
}

// TestBatchRefusedWhole: what is wrong with the request as a whole refuses all of it,
// with a reason in both languages, and writes nothing.
func TestBatchRefusedWhole(t *testing.T) {
	e := newEnv(t)
	e.f.Enrol(t, e.l, "county-health")
	one := body(e.f.Event(t, "county-health", "resource/r-0001", 1))
	many := make([][]byte, ledger.MaxBatchItems+1)
	for i := range many {
		many[i] = one
	}
	cases := []struct {
		name, ctype string
		body        []byte
		status      int
		code        string
	}{
		{"an object, not an array", "application/json", one, 400, "malformed_batch"},
		{"truncated", "application/json", batchBody(one)[:40], 400, "malformed_batch"},
		{"empty", "application/json", []byte(`[]`), 400, "empty_batch"},
		{"null", "application/json", []byte(`null`), 400, "empty_batch"},
		{"too many items", "application/json", batchBody(many...), 413, "batch_too_large"},
		{"over the body limit", "application/json", []byte("[" + strings.Repeat(" ", 64*testLimits.MaxRequestBytes) + "]"), 413, "request_too_large"},
		{"not JSON", "text/plain", batchBody(one), 415, "unsupported_media_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.l.Size()
			resp, b := e.do(http.MethodPost, "/v1/events:batch", c.ctype, bytes.NewReader(c.body))
			var eb client.ErrorBody
			if resp.StatusCode != c.status || json.Unmarshal(b, &eb) != nil || eb.Error.Code != c.code || eb.Error.MessageZH == "" {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, c.status, c.code)
			}
			if e.l.Size() != before {
				t.Fatal("a refused batch wrote something")
			}
		})
	}
	if resp, _ := e.do(http.MethodGet, "/v1/events:batch", "", nil); resp.StatusCode != 405 {
		t.Fatalf("GET on the batch route: %d", resp.StatusCode)
	}
}

// TestBatchTokenMatrix: with --write-token a batch needs what a single submission needs,
// and the token is bound to every item: one item for another institution refuses the
// whole request and nothing of it is written.
func TestBatchTokenMatrix(t *testing.T) {
	e := newAccessEnv(t, accessOpts{writeToken: true})
	item := func(inst, resource string, n int) []byte {
		k := e.f.Key(inst)
		return body(sign(t, k, ledgertest.Submission(inst, k.Public().ID(), "resource/"+resource, "data.collected.v1", map[string]any{"n": n})))
	}
	health := func(n int) []byte { return item("aba-health", "health.appointments", n) }
	transport := item("aba-transport", "transport.flows", 1)
	cases := []struct {
		who    string
		items  [][]byte
		status int
		code   string
	}{
		{"none", [][]byte{health(1)}, 401, "unauthenticated"},
		{"forged", [][]byte{health(2)}, 401, "bad_credentials"},
		{"officer", [][]byte{health(3)}, 403, "forbidden"},
		{"reviewer", [][]byte{health(4)}, 403, "forbidden"},
		{"transport", [][]byte{health(5)}, 403, "token_institution_mismatch"},
		{"health", [][]byte{health(6), health(7), transport, health(8)}, 403, "token_institution_mismatch"},
		{"health", [][]byte{health(9), health(10)}, 200, ""},
		{"submitter", [][]byte{health(11)}, 200, ""},
		{"authority", [][]byte{health(12), transport}, 200, ""},
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%d-%s", i, c.who), func(t *testing.T) {
			before := e.l.Size()
			resp, b := e.do(c.who, "POST", "/v1/events:batch", batchBody(c.items...))
			if resp.StatusCode != c.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, c.status, b)
			}
			if c.code == "" {
				var a client.BatchAnswer
				if json.Unmarshal(b, &a) != nil || len(a.Results) != len(c.items) {
					t.Fatalf("answer %s", b)
				}
				for j, r := range a.Results {
					if r.Status != 201 {
						t.Fatalf("item %d: %+v", j, r)
					}
				}
				if e.l.Size() != before+uint64(len(c.items)) {
					t.Fatalf("size %d, want %d", e.l.Size(), before+uint64(len(c.items)))
				}
				return
			}
			var eb client.ErrorBody
			if json.Unmarshal(b, &eb) != nil || eb.Error.Code != c.code || eb.Error.MessageZH == "" {
				t.Fatalf("body %s", b)
			}
			if e.l.Size() != before {
				t.Fatal("a refused batch wrote something")
			}
		})
	}
}

// TestBatchCountsAgainstTheWriteRate: each item of a batch is one submission against the
// client's write rate, so batching is no way round it.
func TestBatchCountsAgainstTheWriteRate(t *testing.T) {
	e := newAccessEnv(t, accessOpts{writeRate: 0.001, writeBurst: 3})
	k := e.f.Key("aba-health")
	item := func(n int) []byte {
		return body(sign(t, k, ledgertest.Submission("aba-health", k.Public().ID(), "resource/health.appointments", "data.collected.v1", map[string]any{"n": n})))
	}
	before := e.l.Size()
	if resp, b := e.do("none", "POST", "/v1/events:batch", batchBody(item(1), item(2), item(3), item(4))); resp.StatusCode != 413 || !strings.Contains(string(b), "batch_over_write_burst") {
		t.Fatalf("a batch over the burst: %d %s", resp.StatusCode, b)
	}
	// The refused batch spent one of the burst of 3: two are left, and a batch of two
	// takes both.
	if resp, b := e.do("none", "POST", "/v1/events:batch", batchBody(item(5), item(6))); resp.StatusCode != 200 {
		t.Fatalf("a batch of 2 within what is left: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do("none", "POST", "/v1/events:batch", batchBody(item(7))); resp.StatusCode != 429 {
		t.Fatalf("a batch once the burst is spent: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do("none", "POST", "/v1/events", item(8)); resp.StatusCode != 429 {
		t.Fatalf("a single submission once the burst is spent: %d %s", resp.StatusCode, b)
	}
	if got := e.l.Size(); got != before+2 {
		t.Fatalf("size %d, want %d", got, before+2)
	}
}

// TestBatchActingForAnother: an institution's own valid key cannot act for another
// institution from inside a batch — the item naming the victim is refused as it would be
// alone (403 key_not_bound) and is not written, while the attacker's own item is.
func TestBatchActingForAnother(t *testing.T) {
	e := newEnv(t)
	e.f.Enrol(t, e.l, "county-health")
	e.f.Enrol(t, e.l, "county-edu")
	attacker := e.f.Key("county-edu")
	own := e.f.Event(t, "county-edu", "resource/r-0001", 1)
	forVictim := e.f.Event(t, "county-health", "resource/r-0002", 2).Submission
	forVictim.Actor.KeyID = attacker.Public().ID() // the attacker's registered key, the victim's name
	impostor, err := ledger.SignSubmission(attacker, forVictim)
	if err != nil {
		t.Fatal(err)
	}
	before := e.l.Size()
	resp, b := e.postBatch(batchBody(body(own), body(impostor)))
	var got client.BatchAnswer
	if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil || len(got.Results) != 2 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if r := got.Results[1]; r.Status != 403 || r.Error == nil || r.Error.Code != "key_not_bound" {
		t.Fatalf("the item acting for another institution: %+v", r)
	}
	if got.Results[0].Status != 201 || e.l.Size() != before+1 {
		t.Fatalf("own item %+v; size %d, want %d", got.Results[0], e.l.Size(), before+1)
	}
	if pos, err := e.st.Lookup(context.Background(), []string{impostor.Submission.ID}); err != nil || len(pos) != 0 {
		t.Fatalf("the impostor's item was written: %v %v", pos, err)
	}
}
