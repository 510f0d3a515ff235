package ledger

import "strings"

// The envelope's syntax rules, written out by hand: verification checks them for every
// entry, and a regular expression costs more than the rest of the check. Each comment
// gives the expression the function is equal to (FuzzEnvelopeSyntax holds them to it).

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' }

// isStream: ^[a-z0-9][a-z0-9._:/-]{0,199}$
func isStream(s string) bool {
	if len(s) == 0 || len(s) > 200 || !(isLower(s[0]) || isDigit(s[0])) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(isLower(c) || isDigit(c) || c == '.' || c == '_' || c == ':' || c == '/' || c == '-') {
			return false
		}
	}
	return true
}

// isType: ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*$
func isType(s string) bool {
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 {
		return false
	}
	v := s[dot+1:]
	if len(v) < 2 || v[0] != 'v' || v[1] == '0' {
		return false
	}
	for i := 1; i < len(v); i++ {
		if !isDigit(v[i]) {
			return false
		}
	}
	for _, w := range strings.Split(s[:dot], ".") {
		if len(w) == 0 || !isLower(w[0]) {
			return false
		}
		for i := 1; i < len(w); i++ {
			if c := w[i]; !(isLower(c) || isDigit(c) || c == '_') {
				return false
			}
		}
	}
	return true
}

// isKeyID: ^[0-9a-f]{32}$
func isKeyID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// isName: ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$
func isName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		alnum := isLower(c) || isDigit(c) || 'A' <= c && c <= 'Z'
		if !alnum && (i == 0 || !(c == '.' || c == '_' || c == ':' || c == '@' || c == '-')) {
			return false
		}
	}
	return true
}

// isUUIDv7 holds for the lowercase hyphenated form of a version 7 UUID: what
// uuid.Parse accepts with Version() 7 and String() equal to the input.
func isUUIDv7(s string) bool {
	if len(s) != 36 || s[14] != '7' {
		return false
	}
	for i := range len(s) {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
