package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Option changes how Render lays out the person-facing forms (table, HTML, xlsx).
type Option func(*options)

type options struct {
	all   bool
	width int
}

// All lists every row, including the rows a Layout counts instead of listing (met on
// time): for an archive copy of the whole register.
func All() Option { return func(o *options) { o.all = true } }

// Width is the terminal width the table form must fit (default 120 columns; CJK
// characters count two).
func Width(n int) Option { return func(o *options) { o.width = n } }

// DefaultWidth is the table form's width when none is given: a terminal that is not
// full screen, and a printed page in a monospaced font.
const DefaultWidth = 120

func collect(opts []Option) options {
	o := options{width: DefaultWidth}
	for _, f := range opts {
		f(&o)
	}
	if o.width < MinWidth {
		o.width = MinWidth
	}
	return o
}

// MinWidth is the narrowest table the renderer lays out; below it nothing reads.
const MinWidth = 40

// view is a section as a person reads it: merged columns, cells with their second line,
// the rows a layout counts summed up in one sentence.
type view struct {
	key, title string
	cols       []viewCol
	rows       []viewRow
	collapsed  string
	notes      []string
	lead       bool
}

type viewCol struct {
	label         string
	width, drop   int
	num, upright  bool
	main          int // index of the section column
	subs          []int
	labelled      []bool
	subLabelsText []string
}

type viewRow struct {
	cells []viewCell
	tone  Tone // the worst tone among its cells
}

type viewCell struct {
	main  string
	parts []viewPart
	tone  Tone
	code  string
}

type viewPart struct {
	label, value string
	// detail is a Cell's Detail: the page shows it, a terminal does not (it shows the
	// Short form alone, as the column is narrow there too).
	detail bool
}

// flat is the cell on one line: the main value, then its parts, "; " between.
func (c viewCell) flat() string {
	out := []string{c.main}
	for _, p := range c.parts {
		if p.detail {
			continue
		}
		if p.label != "" {
			out = append(out, p.label+" "+p.value)
		} else {
			out = append(out, p.value)
		}
	}
	return strings.Join(out, "; ")
}

// empty is a value the second line leaves out.
func empty(s string) bool { return s == "" || s == "—" }

// layoutOf is s's layout, or one merged column per column when it has none.
func layoutOf(s *Section) *Layout {
	if s.Layout != nil {
		return s.Layout
	}
	lay := &Layout{}
	for _, c := range s.Columns {
		lay.Columns = append(lay.Columns, Merged{Key: c.Key})
	}
	return lay
}

// words are the few labels the renderers add themselves.
var words = struct {
	asOf, basis, none, notes, summary, attention, detail, collapsed, listAll, andMore, dropped, generated Text
}{
	asOf:      T("截至", "as of"),
	basis:     T("依据", "basis"),
	none:      T("（无）", "(none)"),
	notes:     T("说明", "notes"),
	summary:   T("概要", "Summary"),
	attention: T("现在需要处理", "Needs action now"),
	detail:    T("明细", "Detail"),
	collapsed: T("%s %d 项未逐条列出（%s）", "%[2]d %[1]s not listed (%[3]s)"),
	listAll:   T("完整清单见 --all、JSON 或 CSV 格式。", "--all, JSON and CSV list every row."),
	andMore:   T("另有 %d 项，见明细。", "%d more: see the detail."),
	dropped:   T("终端宽度不足，未显示：%s（见 HTML、JSON 或 CSV 格式）。", "Too narrow for the terminal, left out: %s (see the HTML, JSON or CSV form)."),
	generated: T("由 ledgerctl report 依据账本生成", "Generated from the ledger by ledgerctl report"),
}

// see builds the view of s in l: its layout's merged columns, each row's cells, and the
// rows the layout counts (unless all) summed up.
func see(s *Section, l Lang, all bool) view {
	lay := layoutOf(s)
	v := view{key: s.Key, title: s.Title.In(l), notes: texts(s.Notes, l), lead: s.Lead}
	for _, m := range lay.Columns {
		c := viewCol{label: m.Label.In(l), width: max(m.Width, 1), drop: m.Drop, num: m.Num, upright: m.Upright, main: s.column(m.Key)}
		if c.label == "" {
			c.label = s.Columns[c.main].Label.In(l)
		}
		for _, p := range m.Sub {
			i := s.column(p.Key)
			c.subs = append(c.subs, i)
			c.labelled = append(c.labelled, p.Labelled)
			c.subLabelsText = append(c.subLabelsText, s.Columns[i].Label.In(l))
		}
		v.cols = append(v.cols, c)
	}
	var counted map[string]int
	var hidden int
	col := lay.Collapse
	for _, row := range s.Rows {
		if col != nil && !all && slices.Contains(col.Codes, row[s.column(col.Key)].Code) {
			if counted == nil {
				counted = map[string]int{}
			}
			by := ""
			if col.By != "" {
				by = row[s.column(col.By)].shown(l)
			}
			counted[by]++
			hidden++
			continue
		}
		vr := viewRow{}
		for _, c := range v.cols {
			cell := row[c.main]
			vc := viewCell{main: cell.shown(l), tone: cell.Tone, code: cell.Code}
			if d := cell.Detail.In(l); d != "" {
				vc.parts = append(vc.parts, viewPart{value: d, detail: true})
			}
			vr.tone = max(vr.tone, cell.Tone)
			for j, si := range c.subs {
				sub := row[si]
				val := sub.shown(l)
				if empty(val) {
					continue
				}
				p := viewPart{value: val}
				if c.labelled[j] {
					p.label = c.subLabelsText[j]
				}
				vc.parts = append(vc.parts, p)
				vr.tone = max(vr.tone, sub.Tone)
			}
			vr.cells = append(vr.cells, vc)
		}
		v.rows = append(v.rows, vr)
	}
	if hidden > 0 {
		keys := make([]string, 0, len(counted))
		for k := range counted {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, natural)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if k == "" {
				parts = append(parts, strconv.Itoa(counted[k]))
			} else {
				parts = append(parts, fmt.Sprintf("%s %d", k, counted[k]))
			}
		}
		list, then := "、", "；"
		if l == EN {
			list, then = ", ", "; "
		}
		v.collapsed = fmt.Sprintf(words.collapsed.In(l), col.What.In(l), hidden, strings.Join(parts, list)) + then + words.listAll.In(l)
	}
	return v
}

// natural orders strings with their digit runs as numbers: D2 before D10, F9 before F17.
func natural(a, b string) int {
	for a != "" && b != "" {
		ra, rb := []rune(a), []rune(b)
		if unicode.IsDigit(ra[0]) && unicode.IsDigit(rb[0]) {
			na, ia := digits(a)
			nb, ib := digits(b)
			if c := cmp.Compare(len(strings.TrimLeft(na, "0")), len(strings.TrimLeft(nb, "0"))); c != 0 {
				return c
			}
			if c := cmp.Compare(strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")); c != 0 {
				return c
			}
			a, b = a[ia:], b[ib:]
			continue
		}
		if c := cmp.Compare(ra[0], rb[0]); c != 0 {
			return c
		}
		a, b = a[len(string(ra[0])):], b[len(string(rb[0])):]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) (string, int) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], i
}

// ordered is the sections as people read them: the lead sections (the summary) first,
// then the rest, each group in the report's order.
func ordered(r *Report) []*Section {
	var lead, rest []*Section
	for i := range r.Sections {
		if r.Sections[i].Lead {
			lead = append(lead, &r.Sections[i])
		} else {
			rest = append(rest, &r.Sections[i])
		}
	}
	return append(lead, rest...)
}

// MaxAttention is how many Attention lines the summary shows; the rest are counted.
const MaxAttention = 12

// attention is the report's Attention lines in l, at most MaxAttention and a count of
// the rest.
func attention(r *Report, l Lang) []string {
	out := texts(r.Attention, l)
	if len(out) > MaxAttention {
		more := len(out) - MaxAttention
		out = append(out[:MaxAttention], fmt.Sprintf(words.andMore.In(l), more))
	}
	return out
}
