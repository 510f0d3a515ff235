package events

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/domain"
)

// ErrUnknownType is returned by Decode for a type name not in the catalogue.
var ErrUnknownType = errors.New("unknown event type")

// Decode reads raw strictly into a new payload of type t and validates it. Every problem
// is reported, each naming its JSON field (relative to the payload) and an article:
// unknown fields, wrong JSON types, values outside a closed set and every rule of the
// payload's Validate. The error is nil or an errors.Join of *ledger.Problem.
func Decode(t *Type, raw []byte) (Payload, error) {
	pl := t.New()
	if decodeFast(pl, raw) {
		p := &domain.Problems{}
		pl.Validate(p)
		return pl, p.Err()
	}
	return decodeSlow(t, t.New(), raw)
}

// decodeSlow is Decode without the fast path: every structural problem is named.
func decodeSlow(t *Type, pl Payload, raw []byte) (Payload, error) {
	p := &domain.Problems{}
	arts := t.Articles
	art := domain.Article{}
	if len(arts) > 0 {
		art = arts[0]
	}
	decodeValue(reflect.ValueOf(pl).Elem(), bytes.TrimSpace(raw), "", p, art)
	if p.Len() > 0 {
		// Structural problems first: a Validate on a half-decoded payload would only add
		// noise ("required" for the field that had the wrong type).
		return nil, p.Err()
	}
	pl.Validate(p)
	return pl, p.Err()
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func join(path, f string) string {
	if path == "" {
		return f
	}
	if strings.HasPrefix(f, "[") {
		return path + f
	}
	return path + "." + f
}

func decodeValue(v reflect.Value, raw []byte, path string, p *domain.Problems, art domain.Article) {
	if len(raw) == 0 || string(raw) == "null" {
		return // absent: Validate decides whether it was required
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshaler) {
		if string(raw) == `""` {
			return // an empty enum is "not given", as absent
		}
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			var ee *domain.EnumError
			if errors.As(err, &ee) {
				p.Add(path, "bad_value", ee.Article,
					fmt.Sprintf("must be one of %s", strings.Join(ee.Allowed, ", ")),
					fmt.Sprintf("取值须为 %s 之一", strings.Join(ee.Allowed, "、")))
				return
			}
			p.Add(path, "wrong_type", art, "must be a string", "须为字符串")
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		decodeValue(nv.Elem(), raw, path, p, art)
		v.Set(nv)
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
			p.Add(path, "wrong_type", art, "must be a JSON object", "须为 JSON 对象")
			return
		}
		fields := map[string]reflect.Value{}
		collectFields(v, fields)
		for _, k := range sortedKeys(obj) {
			f, ok := fields[k]
			if !ok {
				p.Add(join(path, k), "unknown_field", art, "unknown field", "未知字段")
				continue
			}
			decodeValue(f, obj[k], join(path, k), p, art)
		}
	case reflect.Slice:
		var elems []json.RawMessage
		if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
			p.Add(path, "wrong_type", art, "must be a JSON array", "须为 JSON 数组")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(elems), len(elems))
		for i, e := range elems {
			decodeValue(s.Index(i), e, fmt.Sprintf("%s[%d]", path, i), p, art)
		}
		v.Set(s)
	default:
		if err := json.Unmarshal(raw, v.Addr().Interface()); err != nil {
			en, zh := "has the wrong JSON type", "JSON 类型错误"
			switch v.Kind() {
			case reflect.String:
				en, zh = "must be a string", "须为字符串"
			case reflect.Bool:
				en, zh = "must be true or false", "须为 true 或 false"
			case reflect.Int, reflect.Int64:
				en, zh = "must be a whole number", "须为整数"
			}
			p.Add(path, "wrong_type", art, en, zh)
		}
	}
}

func collectFields(v reflect.Value, out map[string]reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && tag == "" {
			collectFields(v.Field(i), out)
			continue
		}
		if tag == "" || tag == "-" || !sf.IsExported() {
			continue
		}
		out[tag] = v.Field(i)
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks) // deterministic messages: report in key order
	return ks
}

// Encode writes a payload as the JSON its type expects.
func Encode(p Payload) (json.RawMessage, error) { return json.Marshal(p) }
