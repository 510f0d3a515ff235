package strictjson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type actor struct {
	Institution string `json:"institution"`
	Person      string `json:"person"`
}

type envelope struct {
	ID      string          `json:"id"`
	Actor   actor           `json:"actor"`
	Payload json.RawMessage `json:"payload"`
	Tags    []string        `json:"tags,omitempty"`
	Meta    map[string]int  `json:"meta,omitempty"`
	N       *uint64         `json:"n,omitempty"`
	embedded
}

type embedded struct {
	Note string `json:"note"`
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, doc, path, code string
	}{
		{"case variant member", `{"id":"a","actor":{"INSTITUTION":"b"}}`, "actor.INSTITUTION", "unknown_field"},
		{"case variant beside the real one", `{"actor":{"institution":"a","Institution":"b"}}`, "actor.Institution", "unknown_field"},
		{"case variant at the top", `{"ID":"a"}`, "ID", "unknown_field"},
		{"unknown member", `{"reason":"x"}`, "reason", "unknown_field"},
		{"duplicate member", `{"id":"a","id":"b"}`, "id", "duplicate_key"},
		{"duplicate inside a raw payload", `{"payload":{"x":1,"x":2}}`, "payload.x", "duplicate_key"},
		{"duplicate deep in a raw payload", `{"payload":{"a":[{"k":1,"k":1}]}}`, "payload.a[0].k", "duplicate_key"},
		{"duplicate map key", `{"meta":{"a":1,"a":2}}`, "meta.a", "duplicate_key"},
		{"trailing data", `{"id":"a"} {}`, "", "trailing_data"},
		{"wrong type", `{"id":1}`, "id", "wrong_type"},
		{"wrong type in array", `{"tags":["a",2]}`, "tags[1]", "wrong_type"},
		{"object for string", `{"actor":"x"}`, "actor", "wrong_type"},
		{"negative into uint", `{"n":-1}`, "n", "wrong_type"},
		{"malformed", `{"id":"a"`, "", "malformed_json"},
		{"not an object", `[1]`, "", "wrong_type"},
		{"embedded field case", `{"NOTE":"x"}`, "NOTE", "unknown_field"},
		{"too deep", `{"payload":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "", "too_deep"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var e envelope
			err := Unmarshal([]byte(c.doc), &e)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Unmarshal(%s) = %v, want an *Error", c.doc, err)
			}
			if se.Code != c.code || (c.path != "" && se.Path != c.path) {
				t.Fatalf("Unmarshal(%s) = %+v, want code %s at %q", c.doc, se, c.code, c.path)
			}
		})
	}
}

func TestCaseHint(t *testing.T) {
	var e envelope
	err := Unmarshal([]byte(`{"Actor":{}}`), &e)
	if err == nil || !strings.Contains(err.Error(), `did you mean "actor"`) {
		t.Fatalf("err = %v, want a hint naming actor", err)
	}
}

func TestAcceptsWhatEncodingJSONReadsTheSame(t *testing.T) {
	doc := `{"id":"a","actor":{"institution":"i","person":"p"},"payload":{"x":[1,{"y":null}]},"tags":["t"],"meta":{"k":3},"n":7,"note":"hi"}`
	var got, want envelope
	if err := Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// FuzzUnmarshal holds the strict decoder to encoding/json: whatever it accepts,
// encoding/json reads to the same value, and a document it accepts has no member name
// that differs from a field's only by case.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{`{"id":"a"}`, `{"actor":{"institution":"x","INSTITUTION":"y"}}`, `{"payload":{"a":1,"a":1}}`,
		`{"tags":["a"],"meta":{"b":2},"n":3,"note":""}`, `{"id":"\u0061"}`, `{"i\u0064":"x"}`, `null`, `{"n":1e2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got envelope
		if err := Unmarshal(b, &got); err != nil {
			return
		}
		var want envelope
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("strict accepted %q, encoding/json refused it: %v", b, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: strict read %+v, encoding/json %+v", b, got, want)
		}
		var keys map[string]json.RawMessage
		if json.Unmarshal(b, &keys) == nil {
			for k := range keys {
				if _, ok := fieldsOf(reflect.TypeFor[envelope]())[k]; !ok {
					t.Fatalf("%q: accepted unknown member %q", b, k)
				}
			}
		}
	})
}
