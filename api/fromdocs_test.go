package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"go.yaml.in/yaml/v4"
)

// jcs is RFC 8785 for the values a client builds (objects, arrays, strings, integers,
// booleans), written from the RFC and docs/formats.md, not from the ledger's code:
// members sorted by UTF-16 code units, no whitespace, strings escaped minimally.
func jcs(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int { return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = jcsString(k) + ":" + jcs(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = jcs(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case string:
		return jcsString(x)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	}
	panic(fmt.Sprintf("jcs: %T", v))
}

func jcsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// docClient signs and posts as docs/formats.md §1 says: the JCS bytes of the submission,
// a DER SM2 signature over them (SM3, default user ID), key_id = hex(SM3(PKIX DER))[:32].
type docClient struct {
	t   *testing.T
	url string
}

func keyID(k *crypto.PrivateKey) string {
	d := crypto.SM3(k.Public().PKIX())
	return hex.EncodeToString(d[:])[:32]
}

func uuid7() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	d := crypto.SM3([]byte(time.Now().String()))
	copy(b[6:], d[:10])
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (c docClient) post(k *crypto.PrivateKey, inst, person, stream, typ string, payload map[string]any) (int, string) {
	c.t.Helper()
	sub := jcs(map[string]any{"id": uuid7(), "stream": stream, "type": typ, "occurred_at": time.Now().UTC().Format(time.RFC3339),
		"actor": map[string]any{"institution": inst, "person": person, "key_id": keyID(k)}, "payload": payload})
	sig, err := k.SignMessage([]byte(sub))
	if err != nil {
		c.t.Fatal(err)
	}
	body := `{"submission":` + sub + `,"signature":"` + base64.StdEncoding.EncodeToString(sig) + `"}`
	resp, err := http.Post(c.url+"/v1/events", "application/json", strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

// TestClientFromTheDocs: a client that knows only docs/formats.md (canonical JSON, SM3,
// SM2) and docs/events.md's key registry acts brings a new institution onto the ledger
// (key.registered.v1 and institution.registered.v1 with the root key, then its first
// official's person.registered.v1 with the new key) and gets its first act accepted.
func TestClientFromTheDocs(t *testing.T) {
	e := newEnv(t)
	c := docClient{t: t, url: e.srv.URL}
	root := e.f.RootKey
	k, _ := crypto.GenerateKey()
	pemText := string(crypto.MarshalPublicKeyPEM(k.Public()))
	for _, step := range []struct {
		key                       *crypto.PrivateKey
		inst, person, stream, typ string
		payload                   map[string]any
	}{
		{root, ledgertest.Authority, ledgertest.Person, "ledger/keys", "key.registered.v1", map[string]any{"key_id": keyID(k), "institution": "songpan-county", "public_key": pemText}},
		{root, ledgertest.Authority, ledgertest.Person, "institution/songpan-county", "institution.registered.v1",
			map[string]any{"institution": "songpan-county", "name_zh": "松潘县人民政府", "name_en": "Songpan County People's Government", "level": "county", "kind": "organ", "county": "songpan"}},
		{k, "songpan-county", "sp-li", "institution/songpan-county", "person.registered.v1", map[string]any{"person": "sp-li"}},
		{k, "songpan-county", "sp-li", "security/songpan-county", "security.training_held.v1", map[string]any{"held_on": time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02"), "topic": "数据安全培训", "participants": 12}},
	} {
		if code, body := c.post(step.key, step.inst, step.person, step.stream, step.typ, step.payload); code != http.StatusCreated {
			t.Fatalf("%s: %d %s", step.typ, code, body)
		}
	}
	// The same first act signed by a key the documents never registered is refused.
	other, _ := crypto.GenerateKey()
	if code, body := c.post(other, "songpan-county", "sp-li", "security/songpan-county", "security.drill_held.v1",
		map[string]any{"plan": "p", "held_on": "2025-01-01", "scenario": "x", "participants": 1}); code < 400 || code >= 500 {
		t.Errorf("an unregistered key: %d %s", code, body)
	}
}

// TestOpenAPIExamplesAreRealActs: every event type docs/openapi.yaml names is a type of
// the catalogue or the key registry, and every submission it shows as an example is one
// the ledger accepts: posted to a real ledger (its key id and signature replaced by a
// registered key's, as any client must), it is recorded (201).
func TestOpenAPIExamplesAreRealActs(t *testing.T) {
	raw, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, n := range events.Names() {
		known[n] = true
	}
	for _, k := range events.KeyTypes() {
		known[k.Name] = true
	}
	for _, n := range regexp.MustCompile(`\b[a-z_]+\.[a-z_]+\.v[0-9]+\b`).FindAllString(string(raw), -1) {
		if !known[n] && !strings.HasPrefix(n, "ledger.") {
			t.Errorf("openapi.yaml names %s, which is no event type", n)
		}
	}
	var doc any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var subs []map[string]any
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["submission"].(map[string]any); ok && x["signature"] != nil {
				if _, isActor := s["actor"].(map[string]any); isActor { // an example, not the schema's properties
					subs = append(subs, s)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(subs) == 0 {
		t.Fatal("openapi.yaml shows no submission example")
	}
	e := newEnv(t)
	for _, s := range subs {
		actor := s["actor"].(map[string]any)
		inst, person := actor["institution"].(string), actor["person"].(string)
		k := e.f.Enrol(t, e.l, inst)
		e.append(k, inst, "institution/"+inst, "person.registered.v1", map[string]any{"person": person})
		typ := s["type"].(string)
		if _, ok := events.Lookup(typ); !ok {
			t.Fatalf("example of %s, not a catalogue type", typ)
		}
		payload, _ := json.Marshal(s["payload"])
		if res, ok := s["payload"].(map[string]any)["resource"].(string); ok {
			e.append(k, inst, "resource/"+res, "catalog.entry_registered.v1", map[string]any{"resource": res, "title_zh": res, "classification": "health",
				"responsible": inst, "formats": []string{"json"}, "items": []map[string]any{{"name": "剂次", "format": "int"}}, "update_period": "daily",
				"sharing": map[string]any{"attribute": "unconditional", "method": "api"}, "usage_requirements": "按用途使用",
				"opening": map[string]any{"attribute": "none", "reason": "含个人信息"}, "system": "sys.vac"})
		}
		occurred, _ := s["occurred_at"].(string)
		sub := ledger.Submission{ID: s["id"].(string), Stream: s["stream"].(string), Type: typ, OccurredAt: occurred,
			Actor: ledger.Actor{Institution: inst, Person: person, KeyID: k.Public().ID()}, Payload: payload}
		signed := ledgertest.Sign(t, k, sub)
		if resp, b := e.do(http.MethodPost, "/v1/events", "application/json", bytes.NewReader(body(signed))); resp.StatusCode != http.StatusCreated {
			t.Errorf("openapi example %s: %d %s", typ, resp.StatusCode, b)
		}
	}
}

// append signs and appends an act through the ledger, failing the test on refusal.
func (e *env) append(k *crypto.PrivateKey, inst, stream, typ string, payload any) {
	e.t.Helper()
	sub := ledgertest.Submission(inst, k.Public().ID(), stream, typ, payload)
	if strings.HasPrefix(typ, "person.") {
		sub.Actor.Person = ledgertest.Person
	}
	if _, err := e.l.Append(e.t.Context(), ledgertest.Sign(e.t, k, sub)); err != nil {
		e.t.Fatalf("%s: %v", typ, err)
	}
}
