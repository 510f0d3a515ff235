package ledger

import (
	"bytes"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// submissionCanonical reports whether b is exactly its RFC 8785 encoding: the quick scan
// settles the usual case, the general canonicaliser the rest.
func submissionCanonical(b []byte) bool {
	if isCanonicalJSON(b) {
		return true
	}
	t, err := jcs.Transform(b)
	return err == nil && bytes.Equal(t, b)
}

// isCanonicalJSON reports whether b is already in RFC 8785 canonical form, for the subset
// of JSON that signing tools produce: no whitespace, object keys plain ASCII in strictly
// increasing order, integers of at most 15 digits, strings escaped exactly as RFC 8785
// escapes them. A true answer means jcs.Transform(b) would return b unchanged (the fuzz
// target FuzzCanonicalCheck holds it to that), so the ledger can skip re-encoding what a
// client sent already canonical; false means only "not sure": the caller canonicalises.
func isCanonicalJSON(b []byte) bool {
	c := canonScan{b: b}
	return c.value(0) && c.i == len(b)
}

type canonScan struct {
	b []byte
	i int
}

// maxCanonDepth bounds nesting so a hostile body cannot exhaust the stack here; deeper
// documents take the general path.
const maxCanonDepth = 64

func (c *canonScan) value(depth int) bool {
	if c.i >= len(c.b) || depth > maxCanonDepth {
		return false
	}
	switch ch := c.b[c.i]; {
	case ch == '{':
		return c.object(depth)
	case ch == '[':
		return c.array(depth)
	case ch == '"':
		return c.str()
	case ch == '-' || isDigit(ch):
		return c.integer()
	default:
		return c.literal("true") || c.literal("false") || c.literal("null")
	}
}

func (c *canonScan) literal(s string) bool {
	if len(c.b)-c.i >= len(s) && string(c.b[c.i:c.i+len(s)]) == s {
		c.i += len(s)
		return true
	}
	return false
}

func (c *canonScan) object(depth int) bool {
	c.i++ // {
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return true
	}
	var prev []byte
	for first := true; ; first = false {
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return false
		}
		start := c.i + 1
		j := start
		for j < len(c.b) && c.b[j] != '"' {
			if ch := c.b[j]; ch < 0x20 || ch >= 0x80 || ch == '\\' {
				return false // keys sort by UTF-16 code units: plain ASCII keys only here
			}
			j++
		}
		if j >= len(c.b) {
			return false
		}
		key := c.b[start:j]
		if !first && string(key) <= string(prev) {
			return false
		}
		prev = key
		c.i = j + 1
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return false
		}
		c.i++
		if !c.value(depth + 1) {
			return false
		}
		if c.i >= len(c.b) {
			return false
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case '}':
			c.i++
			return true
		default:
			return false
		}
	}
}

func (c *canonScan) array(depth int) bool {
	c.i++ // [
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return true
	}
	for {
		if !c.value(depth+1) || c.i >= len(c.b) {
			return false
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			return true
		default:
			return false
		}
	}
}

// str accepts a string as RFC 8785 writes it: valid UTF-8 as is, and only \\ \" \b \f
// \n \r \t and \u00xx (lowercase, for the other control characters) escaped.
func (c *canonScan) str() bool {
	c.i++ // "
	for c.i < len(c.b) {
		ch := c.b[c.i]
		switch {
		case ch == '"':
			c.i++
			return true
		case ch < 0x20:
			return false
		case ch == '\\':
			if c.i+1 >= len(c.b) {
				return false
			}
			switch c.b[c.i+1] {
			case '\\', '"', 'b', 'f', 'n', 'r', 't':
				c.i += 2
			case 'u':
				if len(c.b)-c.i < 6 || c.b[c.i+2] != '0' || c.b[c.i+3] != '0' || !(c.b[c.i+4] == '0' || c.b[c.i+4] == '1') || !isHex(c.b[c.i+5]) {
					return false
				}
				switch v := unhex(c.b[c.i+4])<<4 | unhex(c.b[c.i+5]); v {
				case '\b', '\t', '\n', '\f', '\r':
					return false // these have short escapes
				}
				c.i += 6
			default:
				return false
			}
		case ch < 0x80:
			c.i++
		default:
			r, n := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError && n <= 1 {
				return false
			}
			c.i += n
		}
	}
	return false
}

// integer accepts 0 or a non-zero integer of at most 15 digits without leading zeros:
// the numbers RFC 8785 writes as their decimal digits. Others take the general path.
func (c *canonScan) integer() bool {
	j := c.i
	if c.b[j] == '-' {
		j++
	}
	start := j
	for j < len(c.b) && isDigit(c.b[j]) {
		j++
	}
	digits := c.b[start:j]
	switch {
	case len(digits) == 0 || len(digits) > 15:
		return false
	case digits[0] == '0' && (len(digits) > 1 || start > c.i): // leading zero, or -0
		return false
	}
	if j < len(c.b) && (c.b[j] == '.' || c.b[j] == 'e' || c.b[j] == 'E') {
		return false
	}
	c.i = j
	return true
}
