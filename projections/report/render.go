package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Format is an output format of a report.
type Format string

// Formats.
const (
	FormatTable Format = "table" // aligned text for a terminal (120 columns) or a printed page
	FormatJSON  Format = "json"  // one object, for programs: stable keys and codes
	FormatCSV   Format = "csv"   // RFC 4180 records with a UTF-8 byte-order mark, for spreadsheets
	FormatHTML  Format = "html"  // one self-contained page for screen and A4 print, escaped by html/template
	FormatXLSX  Format = "xlsx"  // an Excel workbook: a sheet per section, the heat maps as numbers
)

// Formats lists every format, in the order --help shows them.
var Formats = []Format{FormatTable, FormatJSON, FormatCSV, FormatHTML, FormatXLSX}

// Binary is true for a format that is not text (a terminal shows it as garbage).
func (f Format) Binary() bool { return f == FormatXLSX }

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: %q (table, json, csv, html or xlsx)", ErrBadFormat, s)
}

// Render writes r in format f and language l; opts change how the person-facing forms
// (table, HTML, xlsx) are laid out.
func Render(w io.Writer, r *Report, f Format, l Lang, opts ...Option) error {
	if err := r.Check(); err != nil {
		return err
	}
	if l != ZH && l != EN {
		return fmt.Errorf("%w: %q", ErrBadLang, l)
	}
	o := collect(opts)
	switch f {
	case FormatTable:
		return renderTable(w, r, l, o)
	case FormatJSON:
		return renderJSON(w, r, l)
	case FormatCSV:
		return renderCSV(w, r, l)
	case FormatHTML:
		return renderHTML(w, r, l, o)
	case FormatXLSX:
		return renderXLSX(w, r, l, o)
	}
	return fmt.Errorf("%w: %q", ErrBadFormat, f)
}

// The JSON form: labels in the chosen language, column keys stable. A coded cell adds
// "<key>_code" beside "<key>".
type (
	jsonReport struct {
		Kind     string        `json:"kind"`
		Lang     Lang          `json:"lang"`
		Title    string        `json:"title"`
		AsOf     string        `json:"as_of"`
		Basis    string        `json:"basis,omitempty"`
		Sections []jsonSection `json:"sections"`
		Notes    []string      `json:"notes"`
	}
	jsonSection struct {
		Key     string              `json:"key"`
		Title   string              `json:"title"`
		Columns []jsonColumn        `json:"columns"`
		Rows    []map[string]string `json:"rows"`
		Notes   []string            `json:"notes"`
	}
	jsonColumn struct {
		Key   string `json:"key"`
		Label string `json:"label"`
	}
)

func texts(ts []Text, l Lang) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.In(l)
	}
	return out
}

func renderJSON(w io.Writer, r *Report, l Lang) error {
	out := jsonReport{Kind: r.Kind, Lang: l, Title: r.Title.In(l), AsOf: r.AsOf.String(), Basis: r.Basis.In(l),
		Sections: make([]jsonSection, len(r.Sections)), Notes: texts(r.Notes, l)}
	for i, s := range r.Sections {
		js := jsonSection{Key: s.Key, Title: s.Title.In(l), Columns: make([]jsonColumn, len(s.Columns)),
			Rows: make([]map[string]string, len(s.Rows)), Notes: texts(s.Notes, l)}
		for j, c := range s.Columns {
			js.Columns[j] = jsonColumn{Key: c.Key, Label: c.Label.In(l)}
		}
		for j := range s.Rows {
			js.Rows[j] = s.RowMap(j, l)
		}
		out.Sections[i] = js
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
