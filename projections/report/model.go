package report

import (
	"fmt"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/calendar"
)

// Lang is the language a report is rendered in. Every label of a report exists in both,
// because the officials who read it work in Chinese and the auditors and operators who
// check it may not.
type Lang string

// Languages.
const (
	ZH Lang = "zh" // Simplified Chinese (简体中文)
	EN Lang = "en" // English
)

// ParseLang reads --lang: zh or en (also zh-CN, zh-Hans, en-US and the like).
func ParseLang(s string) (Lang, error) {
	l := strings.ToLower(s)
	switch {
	case l == "zh" || strings.HasPrefix(l, "zh-") || strings.HasPrefix(l, "zh_"):
		return ZH, nil
	case l == "en" || strings.HasPrefix(l, "en-") || strings.HasPrefix(l, "en_"):
		return EN, nil
	}
	return "", fmt.Errorf("%w: %q (zh or en)", ErrBadLang, s)
}

// Text is a label in both languages.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// T builds a Text.
func T(zh, en string) Text { return Text{ZH: zh, EN: en} }

// In returns the text in l; an empty translation falls back to the other language, so a
// value never disappears because one side was not written.
func (t Text) In(l Lang) string {
	if l == EN && t.EN != "" || t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// Cell is one value of a row. Identifiers, dates and numbers are the same in both
// languages; states and descriptions are translated. Code, when set, is a stable
// language-neutral value (a state such as "overdue") that the JSON output carries beside
// the text, so that machines need not parse either language.
//
// Tone, Short and Detail are for people only (the table, HTML and xlsx forms): JSON and
// CSV carry Text and Code alone, so machines never depend on them.
type Cell struct {
	Text Text
	Code string
	// Tone marks a failure (or a success) so that it stands out where people read.
	Tone Tone
	// Short, when set, is what a person-facing form shows in the cell's place where
	// columns are narrow ("80%" for "8/10 (80%), 2 open"); Detail is a second line the
	// page shows under it ("8/10 · 2 open").
	Short, Detail Text
}

// As returns c marked with tone t.
func (c Cell) As(t Tone) Cell { c.Tone = t; return c }

// shown is what a person-facing form shows for c: Short when set, else Text.
func (c Cell) shown(l Lang) string {
	if s := c.Short.In(l); s != "" {
		return s
	}
	return c.Text.In(l)
}

// Tone is how a value reads to a person: officers scan a page for what failed, so a
// missed deadline or an open finding must not look like the rows around it. Every tone
// has its own colour on the page and in a workbook; a chart series takes its colour
// from its tone.
type Tone uint8

// Tones, from nothing to say to the worst.
const (
	Plain  Tone = iota // no judgement (ids, dates, counts)
	Good               // done, met on time, rectified
	Info               // running and not yet due (open, pending, within the time limit)
	Warn               // done late, undetermined, a share below 100%
	Bad                // overdue, missed, open finding, 0%
	Severe             // worse than bad: escalated, refused
)

// class is the CSS class (and chart colour) of t.
func (t Tone) class() string {
	switch t {
	case Good:
		return "good"
	case Info:
		return "info"
	case Warn:
		return "warn"
	case Bad:
		return "bad"
	case Severe:
		return "severe"
	}
	return "plain"
}

// failing is true for the tones a reader must act on.
func (t Tone) failing() bool { return t >= Bad }

// V is a cell whose value reads the same in both languages (ids, dates, counts).
func V(s string) Cell { return Cell{Text: Text{ZH: s, EN: s}} }

// L is a translated cell.
func L(zh, en string) Cell { return Cell{Text: Text{ZH: zh, EN: en}} }

// Coded is a translated cell with a stable code.
func Coded(code string, t Text) Cell { return Cell{Text: t, Code: code} }

// Column is one column: Key names it in JSON and CSV headers (stable, ASCII), Label in
// the table and HTML.
type Column struct {
	Key   string
	Label Text
}

// Row is one line of a section, a cell per column.
type Row []Cell

// Section is one table of a report: a report may need several (the accountability view
// has resources, institutions and a custody timeline).
type Section struct {
	Key     string // stable, ASCII: names the table in JSON and CSV
	Title   Text
	Columns []Column
	Rows    []Row
	Notes   []Text
	// Lead puts the section in the summary that the table and HTML forms show before the
	// detail (a count per rule, per deadline). JSON, CSV and xlsx keep Sections' order.
	Lead bool
	// Layout is how the section reads on a page and in a terminal; nil shows every
	// column as it is. JSON and CSV always carry every column and every row.
	Layout *Layout
}

// Report is what a kind produces and every format renders.
type Report struct {
	Kind     string // the registered kind (accountability, emergencies, …)
	Title    Text
	AsOf     calendar.Date
	Basis    Text // what the report is judged against: the articles and the policy
	Sections []Section
	Notes    []Text
	// Figures are the headline numbers a reader sees first (how many findings, how many
	// missed); the table, HTML and xlsx forms show them, JSON and CSV do not (their rows
	// add up to the same numbers).
	Figures []Figure
	// Attention lists what needs acting on now (overdue, missed, escalated), one line
	// each, shown in the summary before any table.
	Attention []Text
	// Charts are drawn in the HTML form's summary (inline SVG); a heat map is also a
	// sheet of the xlsx form.
	Charts []Chart
}

// Figure is one headline number.
type Figure struct {
	Label Text
	Value string
	Tone  Tone
}

// Layout is a section as people read it: fewer, wider columns, each showing one of the
// section's columns with related ones on a second line, so that a table fits an A4 page
// and 120 terminal columns; and the rows that need no attention (met on time) counted
// instead of listed, so that the three missed ones are not buried among two hundred.
type Layout struct {
	Columns []Merged
	// Collapse, if set, counts rows instead of listing them (unless rendered with All).
	Collapse *Collapse
}

// Merged is one column of a Layout.
type Merged struct {
	// Label heads the column; empty: the label of Key's column.
	Label Text
	// Key is the section column shown on the main line.
	Key string
	// Sub are section columns shown below the main value on a page (after it, in a
	// terminal); an empty value or "—" is left out.
	Sub []Part
	// Width is the column's share of the page width relative to the others (0 counts as
	// 1): a name gets 3, a date 1.
	Width int
	// Drop orders what a terminal too narrow for every column leaves out: the highest
	// first; 0 is never left out.
	Drop int
	// Num aligns the column to the right (counts, shares).
	Num bool
	// Upright sets the header vertically: for many narrow columns (the assessment's
	// twelve measures) whose labels would not fit across.
	Upright bool
}

// Part is a section column shown under a Merged column's main value.
type Part struct {
	Key string
	// Labelled prefixes the value with its column's label ("first responsible person
	// wc-qiang.hua"), for values that do not say what they are.
	Labelled bool
}

// Sub is a Part shown bare; Labelled is one prefixed with its column's label.
func Sub(key string) Part { return Part{Key: key} }

// Labelled is a Part prefixed with its column's label.
func Labelled(key string) Part { return Part{Key: key, Labelled: true} }

// Collapse counts the rows whose cell in column Key has one of Codes instead of listing
// them, broken down by the value of column By ("met on time: D3 31, D5 78").
type Collapse struct {
	Key   string
	Codes []string
	By    string
	// What names the rows counted ("按期完成" / "met on time").
	What Text
}

// ChartKind is the shape of a chart.
type ChartKind uint8

// Chart kinds.
const (
	// Bars: one horizontal bar per category, its values stacked by series.
	Bars ChartKind = iota
	// Shares: one full-width bar per category, its values as shares of its total; the
	// first series' share is written beside it (the on-time rate).
	Shares
	// Months: one column per month, its values stacked by series (a trend).
	Months
	// Heat: a grid of shares (0–1) coloured from red to green; nil is "nothing judged".
	Heat
)

// Chart is a figure of a report, drawn as inline SVG by the HTML form (no script, no
// network): the numbers come from the report's own rows.
type Chart struct {
	Key   string // stable, ASCII: the figure's id on the page
	Title Text
	Kind  ChartKind
	// Series name the parts of a stacked bar (Bars, Shares, Months), each in its tone's
	// colour; one series draws plain bars.
	Series []Series
	// Bars are the categories (Bars, Shares, Months), one value per series.
	Bars []Bar
	// Columns and Rows are a heat map's axes.
	Columns []Text
	Rows    []HeatRow
	// Note is a line under the chart (what it counts, what is left out).
	Note Text
}

// Series is one stacked part of a chart's bars.
type Series struct {
	Label Text
	Tone  Tone
}

// Bar is one category of a chart: its label and one value per series.
type Bar struct {
	Label  Text
	Values []float64
}

// HeatRow is one row of a heat map: a label and one share per column (nil: nothing
// judged).
type HeatRow struct {
	Label Text
	Cells []*float64
}

// Check reports a section whose rows do not match its columns, a layout naming a column
// the section lacks, or a chart whose bars do not match its series: programming errors
// in a kind, caught before anything is rendered.
func (r *Report) Check() error {
	for _, s := range r.Sections {
		for i, row := range s.Rows {
			if len(row) != len(s.Columns) {
				return fmt.Errorf("report %s: section %s row %d has %d cells for %d columns", r.Kind, s.Key, i, len(row), len(s.Columns))
			}
		}
		if s.Layout == nil {
			continue
		}
		keys := []string{}
		for _, m := range s.Layout.Columns {
			keys = append(keys, m.Key)
			for _, p := range m.Sub {
				keys = append(keys, p.Key)
			}
		}
		if c := s.Layout.Collapse; c != nil {
			keys = append(keys, c.Key)
			if c.By != "" {
				keys = append(keys, c.By)
			}
		}
		for _, k := range keys {
			if s.column(k) < 0 {
				return fmt.Errorf("report %s: section %s layout names column %q it does not have", r.Kind, s.Key, k)
			}
		}
	}
	for _, c := range r.Charts {
		for i, b := range c.Bars {
			if len(b.Values) != len(c.Series) {
				return fmt.Errorf("report %s: chart %s bar %d has %d values for %d series", r.Kind, c.Key, i, len(b.Values), len(c.Series))
			}
		}
		for i, row := range c.Rows {
			if len(row.Cells) != len(c.Columns) {
				return fmt.Errorf("report %s: chart %s row %d has %d cells for %d columns", r.Kind, c.Key, i, len(row.Cells), len(c.Columns))
			}
		}
	}
	return nil
}

// column is the index of the column keyed key, or -1.
func (s *Section) column(key string) int {
	for i, c := range s.Columns {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// Named is a closed-set value with a Chinese name (the domain's enums).
type Named interface {
	ZH() string
	String() string
}

// Enum is the Text of a domain enum: its Chinese name and its wire value.
func Enum(e Named) Text { return Text{ZH: e.ZH(), EN: strings.ReplaceAll(e.String(), "_", " ")} }
