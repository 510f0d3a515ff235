package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// gap is the space between two table columns.
const gap = 2

// colon follows a label in each language.
var colon = map[Lang]string{ZH: "：", EN: ": "}

// maxCellLines is how many lines a table cell may take before it is cut with an
// ellipsis: a row taller than that hides the rows around it.
const maxCellLines = 4

// renderTable writes r as text for a terminal no wider than o.width: the title, the
// summary (figures, what needs action, the lead sections), then the detail, each table
// laid out by its Layout with long cells wrapped, and cut with an ellipsis after
// maxCellLines lines; when even that is too wide, the columns a layout lets go are left
// out and a note says which.
func renderTable(w io.Writer, r *Report, l Lang, o options) error {
	bw := bufio.NewWriter(w)
	para := func(prefix, s string) {
		for i, line := range wrap(s, o.width-width(prefix)) {
			if i > 0 {
				prefix = strings.Repeat(" ", width(prefix))
			}
			fmt.Fprintln(bw, prefix+line)
		}
	}
	para("", r.Title.In(l))
	fmt.Fprintf(bw, "%s %s\n", words.asOf.In(l), r.AsOf)
	if b := r.Basis.In(l); b != "" {
		para(words.basis.In(l)+colon[l], b)
	}
	if len(r.Figures) > 0 {
		fmt.Fprintf(bw, "\n== %s ==\n", words.summary.In(l))
		var parts []string
		for _, f := range r.Figures {
			mark := ""
			if f.Tone.failing() {
				mark = " (!)"
			}
			parts = append(parts, fmt.Sprintf("%s %s%s", f.Label.In(l), f.Value, mark))
		}
		para("", strings.Join(parts, " | "))
	}
	if att := attention(r, l); len(att) > 0 {
		fmt.Fprintf(bw, "\n%s%s\n", words.attention.In(l), strings.TrimSpace(colon[l]))
		for _, a := range att {
			para("! ", a)
		}
	}
	for _, s := range ordered(r) {
		v := see(s, l, o.all)
		fmt.Fprintln(bw)
		para("", "== "+v.title+" ==")
		if len(v.rows) == 0 && v.collapsed == "" {
			fmt.Fprintln(bw, words.none.In(l))
		} else if len(v.rows) > 0 {
			for _, line := range tableLines(v, l, o.width) {
				fmt.Fprintln(bw, line)
			}
		}
		if v.collapsed != "" {
			para("* ", v.collapsed)
		}
		for _, n := range v.notes {
			para("* ", n)
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(bw, "\n%s%s\n", words.notes.In(l), strings.TrimSpace(colon[l]))
		for _, n := range r.Notes {
			para("* ", n.In(l))
		}
	}
	return bw.Flush()
}

// tableLines lays v's columns out in at most w terminal columns. When the table does
// not fit with its headers as they are, upright columns (many narrow ones: the
// assessment's measures) are headed #1, #2, … with a legend under the table, as a
// terminal cannot set a header vertically.
func tableLines(v view, l Lang, w int) []string {
	var legend []string
	if !fitsWhole(v, w) {
		v.cols = slices.Clone(v.cols)
		k := 0
		for i := range v.cols {
			if v.cols[i].upright {
				k++
				legend = append(legend, fmt.Sprintf("#%d %s", k, v.cols[i].label))
				v.cols[i].label = fmt.Sprintf("#%d", k)
			}
		}
	}
	cols := make([]int, len(v.cols)) // the view columns shown, by index
	for i := range cols {
		cols[i] = i
	}
	cells := func(i int) []string {
		out := make([]string, 0, len(v.rows))
		for _, r := range v.rows {
			out = append(out, r.cells[i].flat())
		}
		return out
	}
	var dropped []string
	var widths []int
	for {
		widths = fit(v, cols, cells, w)
		if widths != nil {
			break
		}
		// Too narrow even with every column at its least: leave out the column the
		// layout lets go first (the highest Drop; the rightmost of equals).
		at, most := -1, 0
		for j, i := range cols {
			if v.cols[i].drop >= most && v.cols[i].drop > 0 {
				at, most = j, v.cols[i].drop
			}
		}
		if at < 0 { // nothing may be dropped: leave out the last column
			at = len(cols) - 1
		}
		dropped = append(dropped, v.cols[cols[at]].label)
		cols = slices.Delete(cols, at, at+1)
		if len(cols) == 1 {
			widths = []int{w}
			break
		}
	}
	var out []string
	emit := func(block [][]string, align []bool) {
		height := 0
		for _, b := range block {
			height = max(height, len(b))
		}
		for k := range height {
			var line strings.Builder
			for j, b := range block {
				s := ""
				if k < len(b) {
					s = b[k]
				}
				pad := widths[j] - width(s)
				if align[j] {
					line.WriteString(strings.Repeat(" ", pad) + s)
				} else {
					line.WriteString(s + strings.Repeat(" ", pad))
				}
				if j < len(block)-1 {
					line.WriteString(strings.Repeat(" ", gap))
				}
			}
			out = append(out, strings.TrimRight(line.String(), " "))
		}
	}
	align := make([]bool, len(cols))
	head := make([][]string, len(cols))
	rule := make([]string, len(cols))
	for j, i := range cols {
		align[j] = v.cols[i].num
		head[j] = wrap(v.cols[i].label, widths[j])
		rule[j] = strings.Repeat("-", widths[j])
	}
	emit(head, make([]bool, len(cols)))
	out = append(out, strings.Join(rule, strings.Repeat(" ", gap)))
	for _, r := range v.rows {
		block := make([][]string, len(cols))
		for j, i := range cols {
			block[j] = fold(r.cells[i].flat(), widths[j], maxCellLines)
		}
		emit(block, align)
	}
	if len(legend) > 0 {
		out = append(out, wrap(strings.Join(legend, " | "), w)...)
	}
	if len(dropped) > 0 {
		out = append(out, wrap("* "+fmt.Sprintf(words.dropped.In(l), strings.Join(dropped, ", ")), w)...)
	}
	return out
}

// fitsWhole is true when the table fits in w with no word of an upright column's header
// cut (then it needs no #1, #2 … and no legend).
func fitsWhole(v view, w int) bool {
	cols := make([]int, len(v.cols))
	for i := range cols {
		cols[i] = i
	}
	cells := func(i int) []string {
		out := make([]string, 0, len(v.rows))
		for _, r := range v.rows {
			out = append(out, r.cells[i].flat())
		}
		return out
	}
	got := fit(v, cols, cells, w)
	if got == nil {
		return false
	}
	for i, c := range v.cols {
		if c.upright && got[i] < longestUnbroken(c.label) {
			return false
		}
	}
	return true
}

// fit gives each shown column a width so that the table is at most w columns wide, or
// nil when it cannot be. A column gets its widest cell (or its header, on two lines) if
// all fit; otherwise the columns are narrowed to a cap in proportion to their layout
// Width (a title column keeps more than a date), as far as each column's least width
// (its longest header word, at most minCol) allows.
func fit(v view, cols []int, cells func(int) []string, w int) []int {
	const (
		minCol    = 8
		headWidth = 12
	)
	budget := w - gap*(len(cols)-1)
	want := make([]int, len(cols))
	least := make([]int, len(cols))
	weight := make([]int, len(cols))
	for j, i := range cols {
		for _, s := range cells(i) {
			want[j] = max(want[j], width(s))
		}
		// A header may take two lines of at least its longest word: "已责令整改"
		// stays whole, "逾期未整改，已移送" breaks after the comma.
		label := v.cols[i].label
		word := longestUnbroken(label)
		want[j] = max(want[j], min(width(label), max(word, headWidth)), 1)
		least[j] = min(max(min(word, minCol), min(want[j], minCol)), want[j])
		weight[j] = v.cols[i].width
	}
	at := func(c, j int) int { return max(min(want[j], c*weight[j]), least[j]) }
	sum := func(c int) int {
		n := 0
		for j := range want {
			n += at(c, j)
		}
		return n
	}
	top := slices.Max(want)
	if sum(top) <= budget {
		return want
	}
	if sum(0) > budget {
		return nil
	}
	lo, hi := 0, top // the largest cap that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if sum(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out := make([]int, len(want))
	for j := range want {
		out[j] = at(lo, j)
	}
	// Hand what the cap left over to the columns that were cut, widest wish first.
	spare := budget - sum(lo)
	for spare > 0 {
		best := -1
		for j := range out {
			if out[j] < want[j] && (best < 0 || want[j]-out[j] > want[best]-out[best]) {
				best = j
			}
		}
		if best < 0 {
			break
		}
		out[best]++
		spare--
	}
	return out
}
