package snapshot

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/gob"
	"fmt"
	"slices"
)

// Marshal writes format, then v as gob.
func Marshal(format byte, v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte(format)
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return nil, fmt.Errorf("encoding %T: %w", v, err)
	}
	return b.Bytes(), nil
}

// Unmarshal decodes into v what Marshal wrote with format. It refuses another format
// (what names the state in the error), bytes left over, and bytes gob cannot read; it
// does not panic on corrupt input.
func Unmarshal(data []byte, what string, format byte, v any) (err error) {
	if len(data) == 0 {
		return fmt.Errorf("%s: empty snapshot", what)
	}
	if data[0] != format {
		return fmt.Errorf("%s: snapshot format %d, this build reads %d", what, data[0], format)
	}
	defer func() {
		// gob turns its own failures into errors; this is for anything else a corrupt
		// input could reach.
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: corrupt snapshot: %v", what, p)
		}
	}()
	r := bytes.NewReader(data[1:])
	if err := gob.NewDecoder(r).Decode(v); err != nil {
		return fmt.Errorf("%s: corrupt snapshot: %w", what, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("%s: corrupt snapshot: %d bytes after the state", what, r.Len())
	}
	return nil
}

// Opt is an optional value. gob decodes a pointer to a zero value as nil; Opt keeps the
// difference between "none" and "a zero value" in Set.
type Opt[T any] struct {
	Set bool
	V   T
}

// OptOf is p as an Opt.
func OptOf[T any](p *T) Opt[T] {
	if p == nil {
		return Opt[T]{}
	}
	return Opt[T]{Set: true, V: *p}
}

// Ptr is o as a pointer to a fresh copy, nil when not set.
func (o Opt[T]) Ptr() *T {
	if !o.Set {
		return nil
	}
	v := o.V
	return &v
}

// Entry is one key and value of a map.
type Entry[K cmp.Ordered, V any] struct {
	K K
	V V
}

// Sorted is m as entries in key order, each value through f.
func Sorted[K cmp.Ordered, V, W any](m map[K]V, f func(V) W) []Entry[K, W] {
	out := make([]Entry[K, W], 0, len(m))
	for k, v := range m {
		out = append(out, Entry[K, W]{k, f(v)})
	}
	slices.SortFunc(out, func(a, b Entry[K, W]) int { return cmp.Compare(a.K, b.K) })
	return out
}

// Map is the map Sorted was made from, each value through f; never nil, so a restored
// fold can write to it. A key twice (a corrupt snapshot) or an error of f is kept in
// *bad, the first problem only, so that a restore reads every map and checks once.
func Map[K cmp.Ordered, V, W any](es []Entry[K, V], f func(V) (W, error), bad *error) map[K]W {
	m := make(map[K]W, len(es))
	for _, e := range es {
		w, err := f(e.V)
		if _, dup := m[e.K]; dup && err == nil {
			err = fmt.Errorf("key %v twice", e.K)
		}
		if err != nil && *bad == nil {
			*bad = fmt.Errorf("%v: %w", e.K, err)
		}
		m[e.K] = w
	}
	return m
}

// Set is a set of strings as the folds keep one (a map to true), from its sorted keys.
func Set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// Same is the identity, for Sorted.
func Same[V any](v V) V { return v }

// Keep is the identity that cannot fail, for Map.
func Keep[V any](v V) (V, error) { return v, nil }

// Values copies the values ps points to (gob writes no nil element of a slice).
func Values[T any](ps []*T) []T {
	out := make([]T, len(ps))
	for i, p := range ps {
		out[i] = *p
	}
	return out
}

// Pointers is a fresh pointer to each value of vs.
func Pointers[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// Texts writes closed-set values as their text: gob reads a slice element through
// UnmarshalText, which refuses the zero value.
func Texts[T encoding.TextMarshaler](vs []T) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		b, _ := v.MarshalText() // domain.Enum never fails
		out[i] = string(b)
	}
	return out
}

// FromTexts reads what Texts wrote; "" is the zero value.
func FromTexts[T any, P interface {
	*T
	encoding.TextUnmarshaler
}](ss []string) ([]T, error) {
	if ss == nil {
		return nil, nil
	}
	out := make([]T, len(ss))
	for i, s := range ss {
		v, err := FromText[T, P](s)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// FromText reads one closed-set value Texts-style; "" is the zero value.
func FromText[T any, P interface {
	*T
	encoding.TextUnmarshaler
}](s string) (T, error) {
	var v T
	if s == "" {
		return v, nil
	}
	err := P(&v).UnmarshalText([]byte(s))
	return v, err
}
