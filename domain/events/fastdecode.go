package events

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The fast path of Decode: one pass over the JSON text that checks it and fills the
// payload struct directly, taken only where encoding/json and the named-problem decoder
// (decodeValue) are known to agree. It refuses (and Decode starts again on the slow
// path, which names each problem) anything outside the plain cases: keys not matching a
// field exactly (encoding/json would match them case-insensitively), unknown or duplicate
// keys, null (absent for decodeValue), "" for an enum (absent for decodeValue, an error for
// encoding/json), strings with escapes or invalid UTF-8, numbers that are not plain
// integers in range, a wrong JSON type, an enum value outside its set, and Go kinds it does
// not know.

// shape is what the scan needs of one Go type.
type shape struct {
	kind   reflect.Kind
	text   bool              // implements encoding.TextUnmarshaler (an enum, a time)
	fields map[string]*shape // struct: exact JSON names, embedded structs flattened
	index  map[string]int    // struct: field number for the duplicate check
	path   map[string][]int  // struct: reflect field index of each JSON name
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
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		s.ok = false // its own JSON form: only decodeValue's rules are known to hold
		return s
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s.text = true
		return s
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		s.elem = buildShape(t.Elem(), seen)
		s.ok = s.elem.ok && (t.Kind() == reflect.Pointer || t.Elem().Kind() != reflect.Uint8)
	case reflect.Struct:
		s.fields = map[string]*shape{}
		s.index = map[string]int{}
		s.path = map[string][]int{}
		s.ok = collectShapes(t, nil, s, seen) && len(s.fields) <= 64
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
	default:
		s.ok = false
	}
	return s
}

// collectShapes mirrors collectFields; a name seen twice (where encoding/json's rules for
// conflicts could differ from collectFields') disables the fast path for the type.
func collectShapes(t reflect.Type, at []int, s *shape, seen map[reflect.Type]*shape) bool {
	ok := true
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, opts, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && tag == "" {
			if sf.Type.Kind() != reflect.Struct {
				return false
			}
			ok = collectShapes(sf.Type, append(slices.Clone(at), i), s, seen) && ok
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
		s.path[tag] = append(slices.Clone(at), i)
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

// token consumes a number, true, false or null and returns it.
func (sc *scanner) token() []byte {
	start := sc.i
	for sc.i < len(sc.b) {
		c := sc.b[sc.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c >= 'a' && c <= 'z' || c == 'E' {
			sc.i++
			continue
		}
		break
	}
	return sc.b[start:sc.i]
}

// plainInt reports whether b is a JSON integer: -?(0|[1-9][0-9]*).
func plainInt(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// value reads one JSON value of shape s into v (addressable, zero).
func (sc *scanner) value(s *shape, v reflect.Value) bool {
	sc.ws()
	if sc.i >= len(sc.b) {
		return false
	}
	c := sc.b[sc.i]
	if s.text {
		raw, esc, ok := sc.str()
		if !ok || esc || len(raw) == 0 || !utf8.Valid(raw) {
			return false // "" is absent for decodeValue, an error for encoding/json
		}
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(raw) == nil
	}
	switch s.kind {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if !sc.value(s.elem, nv.Elem()) {
			return false
		}
		v.Set(nv)
		return true
	case reflect.Struct:
		return c == '{' && sc.object(s, v)
	case reflect.Slice:
		return c == '[' && sc.array(s, v)
	case reflect.String:
		raw, esc, ok := sc.str()
		if !ok || esc || !utf8.Valid(raw) {
			return false
		}
		v.SetString(string(raw))
		return true
	case reflect.Bool:
		switch string(sc.token()) {
		case "true":
			v.SetBool(true)
		case "false":
		default:
			return false
		}
		return true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		tok := sc.token()
		if !plainInt(tok) {
			return false
		}
		n, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		return true
	}
	return false
}

// object reads an object's members after its '{' into the struct v: known keys only,
// none twice.
func (sc *scanner) object(s *shape, v reflect.Value) bool {
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
		if !sc.value(f, v.FieldByIndex(s.path[string(key)])) {
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
}

// array reads an array's elements after its '[' into the slice v.
func (sc *scanner) array(s *shape, v reflect.Value) bool {
	sc.i++
	sc.ws()
	out := reflect.MakeSlice(v.Type(), 0, 4)
	if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
		sc.i++
		v.Set(out)
		return true
	}
	for {
		e := reflect.New(v.Type().Elem()).Elem()
		if !sc.value(s.elem, e) {
			return false
		}
		out = reflect.Append(out, e)
		sc.ws()
		if sc.i >= len(sc.b) {
			return false
		}
		switch sc.b[sc.i] {
		case ',':
			sc.i++
		case ']':
			sc.i++
			v.Set(out)
			return true
		default:
			return false
		}
	}
}

// decodeFast fills pl (a fresh payload) from raw; false means pl may be half-filled and
// the caller must start again on the slow path with a fresh one.
func decodeFast(pl any, raw []byte) bool {
	v := reflect.ValueOf(pl)
	if v.Kind() != reflect.Pointer {
		return false
	}
	s := shapeOf(v.Type().Elem())
	if !s.ok || s.kind != reflect.Struct {
		return false
	}
	sc := scanner{b: raw}
	if !sc.value(s, v.Elem()) {
		return false
	}
	sc.ws()
	return sc.i == len(raw)
}

// Read decodes the payload of an act the ledger admitted, for a fold: leniently (what is
// there is folded), on the fast path where it applies — every fold of every read model
// reads every payload, and encoding/json alone was a fifth of a busy ledgerd's CPU.
// The fast path is taken only where it agrees with encoding/json, which does the rest.
func Read[T any](raw []byte) *T {
	v := new(T)
	if decodeFast(v, raw) {
		return v
	}
	v = new(T)
	_ = json.Unmarshal(raw, v)
	return v
}
