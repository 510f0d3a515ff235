package bilingual

import "unicode"

// HasChinese reports whether s carries any Han character: a message that does was
// written in both languages where it was made.
func HasChinese(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Line gives an English-only message (most wrap a library's error) the Chinese of what
// kind of failure it is, zh, so that an official reading one line in either language
// knows what happened; a message that already carries Chinese is returned as it is.
func Line(msg, zh string) string {
	if HasChinese(msg) {
		return msg
	}
	return msg + " (" + zh + ")"
}
