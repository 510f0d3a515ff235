package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// agree checks that Decode (fast path when it applies) and decodeSlow give the same
// payload and the same problems.
func agree(t *testing.T, typ *Type, raw []byte) {
	t.Helper()
	fast, ferr := Decode(typ, raw)
	slow, serr := decodeSlow(typ, typ.New(), raw)
	if fmt.Sprint(ferr) != fmt.Sprint(serr) {
		t.Fatalf("%s %s:\nfast error %v\nslow error %v", typ.Name, raw, ferr, serr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s %s:\nfast %#v\nslow %#v", typ.Name, raw, fast, slow)
	}
}

// variants returns the example payload of a type and inputs the fast path must refuse or
// get right: keys in another case, unknown fields, nulls, empty strings, wrong types,
// duplicates, escapes, whitespace and truncation.
func variants(t *testing.T, typ *Type) [][]byte {
	raw, err := Encode(typ.Example)
	if err != nil {
		t.Fatal(err)
	}
	out := [][]byte{raw, []byte(" " + string(raw) + "\n"), []byte("{}"), []byte("null"), []byte(""), []byte("[]"),
		[]byte(`{"x":1}`), raw[:len(raw)/2], append(bytes.Clone(raw), 'x')}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range m {
		mod := func(f func(map[string]any)) {
			c := map[string]any{}
			for k2, v2 := range m {
				c[k2] = v2
			}
			f(c)
			b, _ := json.Marshal(c)
			out = append(out, b)
		}
		mod(func(c map[string]any) { delete(c, k); c[strings.ToUpper(k)] = v })
		mod(func(c map[string]any) { delete(c, k); c[strings.ToUpper(k[:1])+k[1:]] = v })
		mod(func(c map[string]any) { c[k] = nil })
		mod(func(c map[string]any) { c[k] = "" })
		mod(func(c map[string]any) { c[k] = 1.5 })
		mod(func(c map[string]any) { c[k] = 7 })
		mod(func(c map[string]any) { c[k] = true })
		mod(func(c map[string]any) { c[k] = []any{} })
		mod(func(c map[string]any) { c[k] = []any{nil, "", "x"} })
		mod(func(c map[string]any) { c[k] = map[string]any{} })
		mod(func(c map[string]any) { c[k] = map[string]any{"id": "", "ID": "x"} })
		mod(func(c map[string]any) { delete(c, k) })
		mod(func(c map[string]any) { c[k+"_extra"] = v })
		if s, ok := v.(string); ok {
			mod(func(c map[string]any) { c[k] = s + "\u00e9" })
			mod(func(c map[string]any) { c[k] = "not-a-known-value" })
		}
		// duplicate key, and an escaped key
		out = append(out, bytes.Replace(raw, []byte("{"), []byte(fmt.Sprintf(`{%q:%s,`, k, `"dup"`)), 1))
		esc := `"\u00` + fmt.Sprintf("%02x", k[0]) + k[1:] + `"`
		out = append(out, bytes.Replace(raw, []byte(fmt.Sprintf("%q", k)), []byte(esc), 1))
	}
	return out
}

func TestFastDecodeAgrees(t *testing.T) {
	for _, typ := range catalogue {
		t.Run(typ.Name, func(t *testing.T) {
			for _, raw := range variants(t, typ) {
				agree(t, typ, raw)
			}
		})
	}
}

func TestFastDecodeTaken(t *testing.T) {
	// The fast path must actually apply to the catalogue's examples, or it buys nothing.
	for _, typ := range catalogue {
		raw, _ := Encode(typ.Example)
		if !decodeFast(typ.New(), raw) {
			t.Errorf("%s: example takes the slow path", typ.Name)
		}
	}
}

func FuzzFastDecode(f *testing.F) {
	for i, typ := range catalogue {
		raw, _ := Encode(typ.Example)
		f.Add(uint8(i), []byte(raw))
	}
	f.Fuzz(func(t *testing.T, i uint8, raw []byte) {
		agree(t, catalogue[int(i)%len(catalogue)], raw)
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"data.collected.v1", "share.data_used.v1"} {
		typ, ok := Lookup(name)
		if !ok {
			continue
		}
		raw, _ := Encode(typ.Example)
		b.Run(name+"/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Decode(typ, raw)
			}
		})
		b.Run(name+"/slow", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = decodeSlow(typ, typ.New(), raw)
			}
		})
	}
}

// FuzzReadAgreesWithEncodingJSON: where the fast path accepts a payload, what it fills is
// exactly what encoding/json fills, so Read (the folds' decoder) folds what encoding/json
// would have, whichever path it takes.
func FuzzReadAgreesWithEncodingJSON(f *testing.F) {
	for i, typ := range catalogue {
		raw, _ := Encode(typ.Example)
		f.Add(uint8(i), []byte(raw))
		f.Add(uint8(i), bytes.ToUpper([]byte(raw)))
	}
	f.Fuzz(func(t *testing.T, i uint8, raw []byte) {
		typ := catalogue[int(i)%len(catalogue)]
		fast := typ.New()
		if !decodeFast(fast, raw) {
			return
		}
		slow := typ.New()
		if err := json.Unmarshal(raw, slow); err != nil {
			t.Fatalf("%s: the fast path accepted %q, encoding/json refuses it: %v", typ.Name, raw, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s: %q read as %+v, encoding/json reads %+v", typ.Name, raw, fast, slow)
		}
	})
}

func TestReadIsLenient(t *testing.T) {
	p := Read[DataCollected]([]byte(`{"RESOURCE":"r1","records":3,"extra":true}`))
	if p.Resource != "r1" || p.Records != 3 {
		t.Fatalf("Read of a case-variant payload: %+v", p)
	}
	if p := Read[DataCollected]([]byte(`not json`)); p == nil {
		t.Fatal("Read of garbage returned nil")
	}
}
