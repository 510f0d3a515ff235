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
type Cell struct {
	Text Text
	Code string
}

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
}

// Report is what a kind produces and every format renders.
type Report struct {
	Kind     string // the registered kind (accountability, emergencies, …)
	Title    Text
	AsOf     calendar.Date
	Basis    Text // what the report is judged against: the articles and the policy
	Sections []Section
	Notes    []Text
}

// Check reports a section whose rows do not match its columns: a programming error in
// a kind, caught before anything is rendered.
func (r *Report) Check() error {
	for _, s := range r.Sections {
		for i, row := range s.Rows {
			if len(row) != len(s.Columns) {
				return fmt.Errorf("report %s: section %s row %d has %d cells for %d columns", r.Kind, s.Key, i, len(row), len(s.Columns))
			}
		}
	}
	return nil
}

// Named is a closed-set value with a Chinese name (the domain's enums).
type Named interface {
	ZH() string
	String() string
}

// Enum is the Text of a domain enum: its Chinese name and its wire value.
func Enum(e Named) Text { return Text{ZH: e.ZH(), EN: strings.ReplaceAll(e.String(), "_", " ")} }
