package domain

import (
	"fmt"
	"slices"
	"strings"
)

// enumSpec describes one closed set: its name in messages, its values with their Chinese
// names, and the article that defines it.
type enumSpec struct {
	name    string
	article Article
	values  []string
	zh      []string
}

// spec is implemented by the marker types that parameterise Enum.
type spec interface{ enumSpec() enumSpec }

// Enum is a value from a closed set S. Its only field is unexported, so a value outside
// the set cannot be built: use the declared variables or UnmarshalText. The zero value
// means "not given".
type Enum[S spec] struct{ v string }

func mk[S spec](v string) Enum[S] {
	var s S
	if !slices.Contains(s.enumSpec().values, v) {
		panic("domain: " + v + " is not a " + s.enumSpec().name)
	}
	return Enum[S]{v}
}

// String is the wire value ("" when not given).
func (e Enum[S]) String() string { return e.v }

// IsZero reports whether no value was given.
func (e Enum[S]) IsZero() bool { return e.v == "" }

// ZH is the value's name in Chinese, for reports.
func (e Enum[S]) ZH() string {
	var s S
	sp := s.enumSpec()
	if i := slices.Index(sp.values, e.v); i >= 0 {
		return sp.zh[i]
	}
	return ""
}

// EnumValues lists the allowed wire values (schemas and documents use it).
func (e Enum[S]) EnumValues() []string {
	var s S
	return slices.Clone(s.enumSpec().values)
}

// EnumArticle is the article that defines the set.
func (e Enum[S]) EnumArticle() Article {
	var s S
	return s.enumSpec().article
}

// MarshalText writes the wire value.
func (e Enum[S]) MarshalText() ([]byte, error) { return []byte(e.v), nil }

// UnmarshalText accepts only a value of the set.
func (e *Enum[S]) UnmarshalText(b []byte) error {
	var s S
	sp := s.enumSpec()
	if !slices.Contains(sp.values, string(b)) {
		return &EnumError{Name: sp.name, Value: string(b), Allowed: sp.values, Article: sp.article}
	}
	e.v = string(b)
	return nil
}

// EnumError is an unknown value for a closed set.
type EnumError struct {
	Name    string
	Value   string
	Allowed []string
	Article Article
}

func (e *EnumError) Error() string {
	return fmt.Sprintf("%q is not a %s: must be one of %s (%s)", e.Value, e.Name, strings.Join(e.Allowed, ", "), e.Article)
}

// ZH is the message in Chinese.
func (e *EnumError) ZH() string {
	return fmt.Sprintf("%q 不是有效的%s取值，应为 %s 之一（%s）", e.Value, e.Name, strings.Join(e.Allowed, "、"), e.Article)
}
