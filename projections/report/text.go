package report

import (
	"strings"

	"github.com/rivo/uniseg"
)

// width is s's width in terminal columns: a CJK character counts two.
func width(s string) int { return uniseg.StringWidth(s) }

// oneLine keeps a cell on its line: the table and CSV forms are line-oriented.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// wrap breaks s into lines of at most w terminal columns at the places Unicode allows a
// line break (between words, between CJK characters, after a hyphen or a comma), and
// anywhere inside a word longer than a line.
func wrap(s string, w int) []string {
	lines, _ := wrapAt(oneLine(s), w)
	return lines
}

// wrapAt is wrap of a string already on one line; it also gives where in s each line
// starts.
func wrapAt(s string, w int) (lines []string, starts []int) {
	if s == "" {
		return []string{""}, []int{0}
	}
	var line strings.Builder
	lw, pos, start := 0, 0, 0
	flush := func() {
		lines = append(lines, strings.TrimRight(line.String(), " "))
		starts = append(starts, start)
		line.Reset()
		lw = 0
	}
	state := -1
	rest := s
	for rest != "" {
		var seg string
		seg, rest, _, state = uniseg.FirstLineSegmentInString(rest, state)
		segAt := pos
		pos += len(seg)
		sw := width(strings.TrimRight(seg, " "))
		if lw > 0 && lw+sw > w {
			flush()
		}
		if lw == 0 {
			trimmed := strings.TrimLeft(seg, " ")
			segAt += len(seg) - len(trimmed)
			seg, start = trimmed, segAt
			sw = width(strings.TrimRight(seg, " "))
		}
		for sw > w { // a word longer than the line: cut it by graphemes
			head, tail := cut(seg, w)
			if head == "" { // a single grapheme wider than the line
				head, tail = firstGrapheme(seg)
			}
			line.WriteString(head)
			flush()
			segAt += len(head)
			seg, start = tail, segAt
			sw = width(strings.TrimRight(seg, " "))
		}
		line.WriteString(seg)
		lw += width(seg)
	}
	if line.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines, starts
}

// cut splits s after the graphemes that fit in w columns.
func cut(s string, w int) (head, rest string) {
	state, used, n := -1, 0, 0
	rest = s
	for rest != "" {
		var cl string
		var cw int
		cl, rest, cw, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if used+cw > w {
			return s[:n], s[n:]
		}
		used += cw
		n += len(cl)
	}
	return s, ""
}

func firstGrapheme(s string) (string, string) {
	cl, rest, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	return cl, rest
}

// ellipsis marks a value cut short.
const ellipsis = "…"

// truncate cuts s to w columns, ending with an ellipsis when anything was cut.
func truncate(s string, w int) string {
	if width(s) <= w {
		return s
	}
	head, _ := cut(s, w-width(ellipsis))
	return head + ellipsis
}

// fold wraps s to w columns and keeps at most n lines, the last ending with an ellipsis
// when anything was left out.
func fold(s string, w, n int) []string {
	s = oneLine(s)
	lines, starts := wrapAt(s, w)
	if len(lines) <= n {
		return lines
	}
	return append(lines[:n-1], truncate(s[starts[n-1]:], w))
}

// longestUnbroken is the width of s's widest part with no line-break opportunity: the
// least a column can be without cutting a word.
func longestUnbroken(s string) int {
	most, state := 0, -1
	for s != "" {
		var seg string
		seg, s, _, state = uniseg.FirstLineSegmentInString(s, state)
		most = max(most, width(strings.TrimRight(seg, " ")))
	}
	return most
}
