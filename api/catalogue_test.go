package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

func TestEventTypesServed(t *testing.T) {
	e := newEnv(t)
	resp, b := e.do(http.MethodGet, "/v1/event-types", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var got struct {
		Count int `json:"count"`
		Types []struct {
			Name, DescriptionZH, DescriptionEN, Schema string
			Articles, ArticlesEN                       []string
		} `json:"types"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Count != len(events.All())+len(events.KeyTypes()) || len(got.Types) != got.Count || got.Count < 80 {
		t.Fatalf("%d types (count %d), catalogue has %d and the key registry %d", len(got.Types), got.Count, len(events.All()), len(events.KeyTypes()))
	}
	raw := map[string]map[string]any{}
	var whole struct{ Types []map[string]any }
	_ = json.Unmarshal(b, &whole)
	for _, ty := range whole.Types {
		raw[ty["name"].(string)] = ty
	}
	for _, name := range events.Names() {
		ty, ok := raw[name]
		if !ok {
			t.Errorf("%s not served", name)
			continue
		}
		for _, f := range []string{"description_zh", "description_en", "articles", "articles_en", "schema", "signer", "stream"} {
			if v, ok := ty[f]; !ok || v == "" || v == nil {
				t.Errorf("%s: no %s", name, f)
			}
		}
		if arts := ty["articles"].([]any); !strings.HasPrefix(arts[0].(string), "第") {
			t.Errorf("%s: articles %v", name, arts)
		}
	}

	// The key registry's acts are served too, marked, signed by the root key, on
	// ledger/keys, each with its schema (a client written from the documents enrols keys
	// with them).
	for _, k := range events.KeyTypes() {
		ty, ok := raw[k.Name]
		if !ok || ty["key_registry"] != true || ty["signer"] != "root" || ty["stream"] != "ledger/keys" || ty["example"] == nil {
			t.Errorf("%s: %v", k.Name, ty)
			continue
		}
		if resp, b := e.do(http.MethodGet, ty["schema"].(string), "", nil); resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"key_id"`)) {
			t.Errorf("%s schema: %d %s", k.Name, resp.StatusCode, b)
		}
	}

	t.Run("schema", func(t *testing.T) {
		resp, b := e.do(http.MethodGet, "/v1/event-types/data.collected.v1/schema", "", nil)
		want, _ := events.Schema("data.collected.v1")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/schema+json" || !bytes.Equal(b, want) {
			t.Fatalf("%d %q: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		var s struct {
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(b, &s); err != nil || !strings.Contains(strings.Join(s.Required, ","), "legal_basis") {
			t.Fatalf("schema requires %v (%v)", s.Required, err)
		}
	})
	for _, c := range []struct{ name, path, code string }{
		{"unknown type", "/v1/event-types/data.teleported.v1/schema", "unknown_type"},
		{"no such route", "/v1/event-types/data.collected.v1", "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, b := e.do(http.MethodGet, c.path, "", nil)
			var eb api.ErrorBody
			if err := json.Unmarshal(b, &eb); err != nil || resp.StatusCode != 404 || eb.Error.Code != c.code || eb.Error.MessageZH == "" {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
	t.Run("documented", func(t *testing.T) {
		_, b := e.do(http.MethodGet, "/openapi.yaml", "", nil)
		for _, p := range []string{"\n  /v1/event-types:", "\n  /v1/event-types/{type}/schema:"} {
			if !bytes.Contains(b, []byte(p)) {
				t.Errorf("openapi.yaml lacks %s", strings.TrimSpace(p))
			}
		}
	})
}

// TestCheckerRefusalsOverHTTP: what the event catalogue's checker refuses comes back as a
// 4xx JSON error naming the field, with the article in both messages, and writes nothing.
func TestCheckerRefusalsOverHTTP(t *testing.T) {
	e := newEnv(t)
	health := e.f.Enrol(t, e.l, "county-health")
	sub := func(stream, typ string, payload any) []byte {
		return body(sign(t, health, ledgertest.Submission("county-health", health.Public().ID(), stream, typ, payload)))
	}
	collected := map[string]any{"resource": "r-1", "records": 3, "purpose": "年度统计"}
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
		field  string
		art    string
	}{
		{"no legal basis", sub("resource/r-1", "data.collected.v1", collected), 400, "required", "submission.payload.legal_basis", "第十七条"},
		{"unknown payload field", sub("resource/r-1", "data.collected.v1", map[string]any{"resource": "r-1", "records": 3, "purpose": "p", "legal_basis": "b", "colour": "red"}),
			400, "unknown_field", "submission.payload.colour", "第十七条"},
		{"type not in the catalogue", sub("resource/r-1", "data.teleported.v1", collected), 400, "unknown_type", "submission.type", ""},
		{"wrong stream for the type", sub("resource/r-2", "data.collected.v1", map[string]any{"resource": "r-1", "records": 3, "purpose": "p", "legal_basis": "b"}),
			400, "bad_stream", "submission.stream", ""},
		{"authority-only act by an institution", sub("access/org-1", "access.suspended.v1", map[string]any{"suspension": "sus-1", "party": "org-1",
			"party_kind": "legal_person", "ground": "no_security_measures", "reason": "r", "correction": "c"}), 403, "not_permitted", "submission.actor.institution", "第四十二条"},
		{"answer to an unknown share application", sub("share/shr-404", "share.refused.v1", map[string]any{"application": "shr-404", "reason": "r"}),
			400, "unknown_share", "submission.payload.application", "第二十五条"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _ := e.st.Head(context.Background())
			resp, b := e.post(c.body)
			var eb api.ErrorBody
			if err := json.Unmarshal(b, &eb); err != nil {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			d := eb.Error
			if resp.StatusCode != c.status || d.Code != c.code || d.Field != c.field || d.Message == "" || d.MessageZH == "" {
				t.Fatalf("got %d %+v; want %d %s at %s", resp.StatusCode, d, c.status, c.code, c.field)
			}
			if c.art != "" && (!strings.Contains(d.Message, c.art) || !strings.Contains(d.MessageZH, c.art)) {
				t.Errorf("messages do not cite %s: %q / %q", c.art, d.Message, d.MessageZH)
			}
			if h2, _ := e.st.Head(context.Background()); h2.Size != h.Size {
				t.Errorf("%d entries written", h2.Size-h.Size)
			}
		})
	}
	t.Run("every problem listed", func(t *testing.T) {
		resp, b := e.post(sub("resource/r-1", "data.collected.v1", map[string]any{"resource": "r-1", "records": 0, "purpose": ""}))
		var eb api.ErrorBody
		if err := json.Unmarshal(b, &eb); err != nil || resp.StatusCode != 400 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		fields := map[string]bool{}
		for _, p := range eb.Error.Problems {
			if p.Message == "" || p.MessageZH == "" || !strings.Contains(p.MessageZH, "第十七条") {
				t.Errorf("problem %+v", p)
			}
			fields[p.Field] = true
		}
		for _, f := range []string{"submission.payload.records", "submission.payload.purpose", "submission.payload.legal_basis"} {
			if !fields[f] {
				t.Errorf("no problem for %s in %s", f, b)
			}
		}
		if eb.Error.Field != eb.Error.Problems[0].Field {
			t.Errorf("the error is not its first problem: %s", b)
		}
	})
	if resp, b := e.post(sub("resource/r-1", "data.collected.v1", map[string]any{"resource": "r-1", "records": 3, "purpose": "年度统计", "legal_basis": "《统计法》"})); resp.StatusCode != 201 {
		t.Fatalf("a valid act: %d %s", resp.StatusCode, b)
	}
	ledgertest.MustVerify(t, e.st)
}
