package strictjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Error is one reason a document was refused, with the JSON path of the value at fault
// (dot-separated object keys, [i] for array elements; "" for the document itself).
type Error struct {
	Path string
	// Code is stable for callers to map: malformed_json, unknown_field, duplicate_key,
	// wrong_type, trailing_data, too_deep.
	Code   string
	Detail string
	// Err is the underlying error where there is one (a value an UnmarshalText refused),
	// so that callers can still find it with errors.As.
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Code + ": " + e.Detail
	}
	return e.Path + ": " + e.Code + ": " + e.Detail
}

// MaxDepth bounds nesting, so that a hostile document cannot exhaust the stack.
const MaxDepth = 64

// Unmarshal decodes b into v (a non-nil pointer), refusing every document that two JSON
// readers could read differently: an object member whose name is not exactly (case
// included) one of the target struct's JSON names, a member that appears twice at any
// depth (maps and raw values included), anything after the value, and values of the
// wrong JSON type. Members absent from b leave their fields as they are.
//
// encoding/json alone matches names case-insensitively and keeps the last of two
// duplicates, so {"institution":"a","INSTITUTION":"b"} reads as "b" there and as "a" in
// a reader that takes the first: a signature and a permission check could then disagree
// on who acted. This is the one decoder every JSON body of the ledger goes through.
func Unmarshal(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("strictjson: Unmarshal needs a non-nil pointer")
	}
	if err := Check(b, rv.Type().Elem()); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return typeError(err)
	}
	return nil
}

// Check applies Unmarshal's structural rules to b against the Go type t without
// decoding. A nil t checks only syntax, duplicates and trailing data.
func Check(b []byte, t reflect.Type) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	c := &checker{d: d}
	if err := c.value(t, "", 0); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return &Error{Code: "trailing_data", Detail: "data after the JSON value"}
	}
	return nil
}

type checker struct{ d *json.Decoder }

func (c *checker) token(path string) (json.Token, error) {
	tok, err := c.d.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &Error{Path: path, Code: "malformed_json", Detail: err.Error()}
	}
	return tok, nil
}

var (
	rawType         = reflect.TypeFor[json.RawMessage]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// generic reports whether the type's JSON form is not known from its fields, so only
// syntax and duplicates are checked below it.
func generic(t reflect.Type) bool {
	if t == nil || t == rawType || t.Kind() == reflect.Interface {
		return true
	}
	return reflect.PointerTo(t).Implements(jsonUnmarshaler)
}

// members checks an object's members after its '{': no key twice, each value of the
// type typeOf gives for its key, then the closing '}'.
func (c *checker) members(path string, depth int, typeOf func(k, p string) (reflect.Type, error)) error {
	seen := map[string]bool{}
	for c.d.More() {
		k, err := c.key(path)
		if err != nil {
			return err
		}
		p := join(path, k)
		if seen[k] {
			return &Error{Path: p, Code: "duplicate_key", Detail: "the member appears twice"}
		}
		seen[k] = true
		ft, err := typeOf(k, p)
		if err != nil {
			return err
		}
		if err := c.value(ft, p, depth+1); err != nil {
			return err
		}
	}
	_, err := c.token(path)
	return err
}

func (c *checker) value(t reflect.Type, path string, depth int) error {
	if depth > MaxDepth {
		return &Error{Path: path, Code: "too_deep", Detail: fmt.Sprintf("nested more than %d levels", MaxDepth)}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := c.token(path)
	if err != nil {
		return err
	}
	if generic(t) {
		return c.rest(tok, path, depth)
	}
	if tok == nil { // null leaves the field as it is, as encoding/json does
		return nil
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		if _, ok := tok.(string); !ok {
			return wrongType(path, "a string")
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return wrongType(path, "a JSON object")
		}
		fields := fieldsOf(t)
		return c.members(path, depth, func(k, p string) (reflect.Type, error) {
			ft, ok := fields[k]
			if !ok {
				return nil, &Error{Path: p, Code: "unknown_field", Detail: unknownDetail(k, fields)}
			}
			return ft, nil
		})
	case reflect.Map:
		if tok != json.Delim('{') {
			return wrongType(path, "a JSON object")
		}
		return c.members(path, depth, func(string, string) (reflect.Type, error) { return t.Elem(), nil })
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			if _, ok := tok.(string); !ok {
				return wrongType(path, "a base64 string")
			}
			return nil
		}
		if tok != json.Delim('[') {
			return wrongType(path, "a JSON array")
		}
		for i := 0; c.d.More(); i++ {
			if err := c.value(t.Elem(), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		_, err := c.token(path)
		return err
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return wrongType(path, "a string")
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return wrongType(path, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if _, ok := tok.(json.Number); !ok {
			return wrongType(path, "a number")
		}
	default:
		return c.rest(tok, path, depth)
	}
	return nil
}

// rest consumes the remainder of a value whose first token is tok, checking only syntax
// and duplicate members.
func (c *checker) rest(tok json.Token, path string, depth int) error {
	if depth > MaxDepth {
		return &Error{Path: path, Code: "too_deep", Detail: fmt.Sprintf("nested more than %d levels", MaxDepth)}
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for c.d.More() {
			k, err := c.key(path)
			if err != nil {
				return err
			}
			p := join(path, k)
			if seen[k] {
				return &Error{Path: p, Code: "duplicate_key", Detail: "the member appears twice"}
			}
			seen[k] = true
			next, err := c.token(p)
			if err != nil {
				return err
			}
			if err := c.rest(next, p, depth+1); err != nil {
				return err
			}
		}
		_, err := c.token(path)
		return err
	case json.Delim('['):
		for i := 0; c.d.More(); i++ {
			p := path + "[" + strconv.Itoa(i) + "]"
			next, err := c.token(p)
			if err != nil {
				return err
			}
			if err := c.rest(next, p, depth+1); err != nil {
				return err
			}
		}
		_, err := c.token(path)
		return err
	}
	return nil
}

func (c *checker) key(path string) (string, error) {
	tok, err := c.token(path)
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", &Error{Path: path, Code: "malformed_json", Detail: "object key is not a string"}
	}
	return k, nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func wrongType(path, want string) error {
	return &Error{Path: path, Code: "wrong_type", Detail: "must be " + want}
}

// unknownDetail names the field a member differs from only by case, because that is
// almost always the mistake (or the trick).
func unknownDetail(k string, fields map[string]reflect.Type) string {
	for name := range fields {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf("unknown member (names are case-sensitive: did you mean %q?)", name)
		}
	}
	return "unknown member"
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps a struct's exact JSON member names to their types, flattening embedded
// structs as encoding/json does.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	collect(t, m, 0)
	fieldCache.Store(t, m)
	return m
}

func collect(t reflect.Type, m map[string]reflect.Type, depth int) {
	if depth > 8 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collect(ft, m, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := m[name]; !dup {
			m[name] = f.Type
		}
	}
}

// typeError turns encoding/json's errors (after Check, only values out of range or
// refused by an UnmarshalText) into an *Error.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{Path: te.Field, Code: "wrong_type", Detail: fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value), Err: err}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Code: "malformed_json", Detail: err.Error()}
	}
	return &Error{Code: "wrong_type", Detail: err.Error(), Err: err}
}
