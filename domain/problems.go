package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Problems collects every problem of a payload, as *ledger.Problem (field relative to
// the payload, the article the rule enforces). The zero value is ready; it is not safe
// for concurrent use.
type Problems struct {
	prefix string
	errs   *[]error // shared with the collectors At returns
}

func (p *Problems) list() *[]error {
	if p.errs == nil {
		p.errs = new([]error)
	}
	return p.errs
}

// At returns a collector whose fields are reported under prefix (a nested object, or
// "[i]" for a list element). Problems found through it are p's problems.
func (p *Problems) At(prefix string) *Problems {
	return &Problems{prefix: p.join(prefix), errs: p.list()}
}

func (p *Problems) join(f string) string {
	switch {
	case p.prefix == "":
		return f
	case strings.HasPrefix(f, "["):
		return p.prefix + f
	default:
		return p.prefix + "." + f
	}
}

// Add records a problem.
func (p *Problems) Add(field, code string, art Article, en, zh string) {
	l := p.list()
	*l = append(*l, &ledger.Problem{Kind: ledger.ErrInvalid, Field: p.join(field), Code: code, Message: en, MessageZH: zh,
		Cite: art.String(), CiteEN: art.EN()})
}

// Err joins the problems (nil if none).
func (p *Problems) Err() error { return errors.Join(*p.list()...) }

// Len is the number of problems so far.
func (p *Problems) Len() int { return len(*p.list()) }

// Errors returns the problems collected.
func (p *Problems) Errors() []*ledger.Problem { return ledger.Problems(p.Err()) }

// Required records a missing value when ok is false.
func (p *Problems) Required(field string, ok bool, art Article) bool {
	if !ok {
		p.Add(field, "required", art, "required", "必填")
	}
	return ok
}

// RequiredFor records a value required because of another's value, saying why.
func (p *Problems) RequiredFor(field string, ok bool, art Article, whyEN, whyZH string) bool {
	if !ok {
		p.Add(field, "required", art, "required "+whyEN, whyZH+"，必填")
	}
	return ok
}

// Text checks a required free-text field: present and not blank, at most 4000 characters.
func (p *Problems) Text(field, v string, art Article) bool {
	if !p.Required(field, strings.TrimSpace(v) != "", art) {
		return false
	}
	if len([]rune(v)) > 4000 {
		p.Add(field, "too_long", art, "longer than 4000 characters", "超过 4000 个字符")
		return false
	}
	return true
}

// ValidID reports whether s is a well-formed identifier: ^[a-z0-9][a-z0-9._:-]{0,99}$,
// lowercase so that it can name a stream, and safe in paths. Written out rather than
// matched with a regular expression: every payload checks several ids at the door
// (FuzzValidID holds the two equal).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == ':' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ID checks a required identifier.
func (p *Problems) ID(field, v string, art Article) bool {
	if !p.Required(field, v != "", art) {
		return false
	}
	return p.OptionalID(field, v, art)
}

// OptionalID checks an identifier if given.
func (p *Problems) OptionalID(field, v string, art Article) bool {
	if v != "" && !ValidID(v) {
		p.Add(field, "bad_id", art, "must be 1–100 characters of [a-z0-9._:-], starting with a letter or digit",
			"须为 1–100 个 [a-z0-9._:-] 字符，以小写字母或数字开头")
		return false
	}
	return true
}

// IDs checks a required, non-empty list of identifiers without repeats.
func (p *Problems) IDs(field string, vs []string, art Article) bool {
	if !p.Required(field, len(vs) > 0, art) {
		return false
	}
	seen := map[string]bool{}
	ok := true
	for i, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !p.ID(f, v, art) {
			ok = false
		} else if seen[v] {
			p.Add(f, "duplicate", art, "listed twice", "重复列出")
			ok = false
		}
		seen[v] = true
	}
	return ok
}

// Texts checks a required, non-empty list of non-blank texts.
func (p *Problems) Texts(field string, vs []string, art Article) bool {
	if !p.Required(field, len(vs) > 0, art) {
		return false
	}
	ok := true
	for i, v := range vs {
		ok = p.Text(fmt.Sprintf("%s[%d]", field, i), v, art) && ok
	}
	return ok
}

// Date checks a required YYYY-MM-DD date.
func (p *Problems) Date(field, v string, art Article) bool {
	if !p.Required(field, v != "", art) {
		return false
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		p.Add(field, "bad_date", art, "must be a date YYYY-MM-DD", "须为 YYYY-MM-DD 格式的日期")
		return false
	}
	return true
}

// Time checks an optional RFC 3339 timestamp.
func (p *Problems) Time(field, v string, art Article) bool {
	if v == "" {
		return true
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
		p.Add(field, "bad_time", art, "must be an RFC 3339 timestamp", "须为 RFC 3339 时间")
		return false
	}
	return true
}

// Positive checks a count that must be at least 1.
func (p *Problems) Positive(field string, n int64, art Article) bool {
	if n < 1 {
		p.Add(field, "not_positive", art, "must be at least 1", "须至少为 1")
		return false
	}
	return true
}

// NonNegative checks a count that may be zero.
func (p *Problems) NonNegative(field string, n int64, art Article) bool {
	if n < 0 {
		p.Add(field, "negative", art, "must not be negative", "不得为负数")
		return false
	}
	return true
}

// RequireEnum checks that a required enum was given (its value is valid by construction).
func RequireEnum[S spec](p *Problems, field string, e Enum[S]) bool {
	if e.IsZero() {
		p.Add(field, "required", e.EnumArticle(), "required: one of "+strings.Join(e.EnumValues(), ", "),
			"必填，取值为 "+strings.Join(e.EnumValues(), "、")+" 之一")
		return false
	}
	return true
}
