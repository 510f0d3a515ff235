package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// The fast path of Decode: one json.Unmarshal straight into the payload struct, taken only
// when a type-directed scan has shown that encoding/json and the named-problem decoder
// (decodeValue) must agree. encoding/json matches keys case-insensitively, accepts
// unknown fields, and treats null and "" differently from decodeValue; the scan refuses
// every such input (and anything it is unsure of: escaped keys, duplicate keys, kinds it
// does not know), so those take the slow path, which names each problem.

// shape is what the scan needs of one Go type.
type shape struct {
	kind   reflect.Kind
	text   bool              // implements encoding.TextUnmarshaler (an enum, a time)
	fields map[string]*shape // struct: exact JSON names, embedded structs flattened
	index  map[string]int    // struct: field number for the duplicate check
	elem   *shape            // slice or pointer
	ok     bool              // false: never take the fast path for this type
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

var shapes sync.Map // reflect.Type → *shape

func shapeOf(t reflect.Type) *shape {
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s := buildShape(t, map[reflect.Type]*shape{})
	shapes.Store(t, s)
	return s
}

func buildShape(t reflect.Type, seen map[reflect.Type]*shape) *shape {
	if s, ok := seen[t]; ok {
		return s
	}
	s := &shape{kind: t.Kind(), ok: true}
	seen[t] = s
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s.text = true
		return s
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		s.ok = false // its own JSON form: only decodeValue's rules are known to hold
		return s
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		s.elem = buildShape(t.Elem(), seen)
		s.ok = s.elem.ok && (t.Kind() == reflect.Pointer || t.Elem().Kind() != reflect.Uint8)
	case reflect.Struct:
		s.fields = map[string]*shape{}
		s.index = map[string]int{}
		s.ok = collectShapes(t, s, seen) && len(s.fields) <= 64
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
	default:
		s.ok = false
	}
	return s
}

// collectShapes mirrors collectFields; a name seen twice (where encoding/json's rules for
// conflicts could differ from collectFields') disables the fast path for the type.
func collectShapes(t reflect.Type, s *shape, seen map[reflect.Type]*shape) bool {
	ok := true
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && tag == "" {
			if sf.Type.Kind() != reflect.Struct {
				return false
			}
			ok = collectShapes(sf.Type, s, seen) && ok
			continue
		}
		if tag == "" || tag == "-" || !sf.IsExported() {
			if sf.IsExported() && tag == "" {
				return false // encoding/json would match it by its Go name; decodeValue would not
			}
			continue
		}
		if strings.Contains(opts, "string") {
			return false
		}
		if _, dup := s.fields[tag]; dup {
			return false
		}
		f := buildShape(sf.Type, seen)
		ok = ok && f.ok
		s.index[tag] = len(s.fields)
		s.fields[tag] = f
	}
	return ok
}

// scanner walks JSON text along a shape; any doubt returns false.
type scanner struct {
	b []byte
	i int
}

func (sc *scanner) ws() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// str consumes a string and returns its raw contents; escaped reports a backslash.
func (sc *scanner) str() (raw []byte, escaped, ok bool) {
	if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
		return nil, false, false
	}
	start := sc.i + 1
	for j := start; j < len(sc.b); j++ {
		switch c := sc.b[j]; {
		case c == '"':
			sc.i = j + 1
			return sc.b[start:j], escaped, true
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// skipScalar consumes a number, true or false (never null: decodeValue treats null as
// absent, which encoding/json does not always do).
func (sc *scanner) skipScalar() bool {
	start := sc.i
	for sc.i < len(sc.b) {
		switch c := sc.b[sc.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E',
			c >= 'a' && c <= 'z':
			sc.i++
			continue
		}
		break
	}
	if sc.i == start {
		return false
	}
	return string(sc.b[start:sc.i]) != "null"
}

func (sc *scanner) value(s *shape) bool {
	sc.ws()
	if sc.i >= len(sc.b) {
		return false
	}
	c := sc.b[sc.i]
	if s.text {
		raw, _, ok := sc.str()
		return ok && len(raw) > 0 // "" is absent for decodeValue, an error for encoding/json
	}
	switch s.kind {
	case reflect.Pointer:
		return sc.value(s.elem)
	case reflect.Struct:
		if c != '{' {
			return false
		}
		sc.i++
		sc.ws()
		if sc.i < len(sc.b) && sc.b[sc.i] == '}' {
			sc.i++
			return true
		}
		var seen uint64
		for {
			sc.ws()
			key, esc, ok := sc.str()
			if !ok || esc {
				return false
			}
			f, known := s.fields[string(key)]
			if !known {
				return false
			}
			bit := uint64(1) << s.index[string(key)]
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			sc.ws()
			if sc.i >= len(sc.b) || sc.b[sc.i] != ':' {
				return false
			}
			sc.i++
			if !sc.value(f) {
				return false
			}
			sc.ws()
			if sc.i >= len(sc.b) {
				return false
			}
			switch sc.b[sc.i] {
			case ',':
				sc.i++
			case '}':
				sc.i++
				return true
			default:
				return false
			}
		}
	case reflect.Slice:
		if c != '[' {
			return false
		}
		sc.i++
		sc.ws()
		if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
			sc.i++
			return true
		}
		for {
			if !sc.value(s.elem) {
				return false
			}
			sc.ws()
			if sc.i >= len(sc.b) {
				return false
			}
			switch sc.b[sc.i] {
			case ',':
				sc.i++
			case ']':
				sc.i++
				return true
			default:
				return false
			}
		}
	case reflect.String:
		_, _, ok := sc.str()
		return ok
	default:
		return c != '"' && c != '{' && c != '[' && sc.skipScalar()
	}
}

// decodeFast fills pl (a fresh payload) from raw when the scan shows encoding/json and
// decodeValue agree on it; false means pl may be half-filled and the caller must start
// again on the slow path.
func decodeFast(pl Payload, raw []byte) bool {
	v := reflect.ValueOf(pl)
	if v.Kind() != reflect.Pointer {
		return false
	}
	s := shapeOf(v.Type().Elem())
	if !s.ok || s.kind != reflect.Struct {
		return false
	}
	sc := scanner{b: raw}
	if !sc.value(s) {
		return false
	}
	sc.ws()
	if sc.i != len(raw) {
		return false
	}
	return json.Unmarshal(raw, pl) == nil
}
