package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/rivo/uniseg"
)

// Format is an output format of a report.
type Format string

// Formats.
const (
	FormatTable Format = "table" // aligned text for a terminal or a printed page
	FormatJSON  Format = "json"  // one object, for programs
	FormatCSV   Format = "csv"   // RFC 4180 records, one section after another, for spreadsheets
	FormatHTML  Format = "html"  // one self-contained page, escaped by html/template
)

// Formats lists every format, in the order --help shows them.
var Formats = []Format{FormatTable, FormatJSON, FormatCSV, FormatHTML}

// ParseFormat reads --format.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == strings.ToLower(s) {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: %q (table, json, csv or html)", ErrBadFormat, s)
}

// Render writes r in format f and language l.
func Render(w io.Writer, r *Report, f Format, l Lang) error {
	if err := r.Check(); err != nil {
		return err
	}
	if l != ZH && l != EN {
		return fmt.Errorf("%w: %q", ErrBadLang, l)
	}
	switch f {
	case FormatTable:
		return renderTable(w, r, l)
	case FormatJSON:
		return renderJSON(w, r, l)
	case FormatCSV:
		return renderCSV(w, r, l)
	case FormatHTML:
		return renderHTML(w, r, l)
	}
	return fmt.Errorf("%w: %q", ErrBadFormat, f)
}

// words are the few labels the renderers add themselves.
var words = struct{ asOf, basis, none, notes Text }{
	asOf:  T("截至", "as of"),
	basis: T("依据", "basis"),
	none:  T("（无）", "(none)"),
	notes: T("说明", "notes"),
}

// oneLine keeps a cell on its line: the table and CSV forms are line-oriented.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func renderTable(w io.Writer, r *Report, l Lang) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, r.Title.In(l))
	fmt.Fprintf(bw, "%s %s\n", words.asOf.In(l), r.AsOf)
	if b := r.Basis.In(l); b != "" {
		fmt.Fprintf(bw, "%s: %s\n", words.basis.In(l), b)
	}
	for _, s := range r.Sections {
		fmt.Fprintf(bw, "\n== %s ==\n", s.Title.In(l))
		if len(s.Rows) == 0 {
			fmt.Fprintln(bw, words.none.In(l))
		} else {
			cells := make([][]string, 0, len(s.Rows)+2)
			head := make([]string, len(s.Columns))
			rule := make([]string, len(s.Columns))
			for i, c := range s.Columns {
				head[i] = oneLine(c.Label.In(l))
			}
			cells = append(cells, head, rule)
			for _, row := range s.Rows {
				line := make([]string, len(row))
				for i, c := range row {
					line[i] = oneLine(c.Text.In(l))
				}
				cells = append(cells, line)
			}
			widths := make([]int, len(s.Columns))
			for _, line := range cells {
				for i, c := range line {
					widths[i] = max(widths[i], uniseg.StringWidth(c))
				}
			}
			for i := range rule {
				rule[i] = strings.Repeat("-", widths[i])
			}
			for _, line := range cells {
				var b strings.Builder
				for i, c := range line {
					b.WriteString(c)
					if i < len(line)-1 {
						b.WriteString(strings.Repeat(" ", widths[i]-uniseg.StringWidth(c)+2))
					}
				}
				fmt.Fprintln(bw, b.String())
			}
		}
		for _, n := range s.Notes {
			fmt.Fprintf(bw, "* %s\n", oneLine(n.In(l)))
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(bw, "\n%s:\n", words.notes.In(l))
		for _, n := range r.Notes {
			fmt.Fprintf(bw, "* %s\n", oneLine(n.In(l)))
		}
	}
	return bw.Flush()
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
		for j, row := range s.Rows {
			m := make(map[string]string, len(row))
			for k, c := range row {
				m[s.Columns[k].Key] = c.Text.In(l)
				if c.Code != "" {
					m[s.Columns[k].Key+"_code"] = c.Code
				}
			}
			js.Rows[j] = m
		}
		out.Sections[i] = js
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// renderCSV writes every section as its own block of records: a header record
// ("section", then the column labels) and one record per row whose first field is the
// section's key. Every record names its table, so a filter on the first column gives one
// table back; the blocks differ in width (read with FieldsPerRecord = -1).
func renderCSV(w io.Writer, r *Report, l Lang) error {
	cw := csv.NewWriter(w)
	for _, s := range r.Sections {
		rec := make([]string, 0, len(s.Columns)+1)
		rec = append(rec, "section")
		for _, c := range s.Columns {
			rec = append(rec, c.Label.In(l))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		for _, row := range s.Rows {
			rec = append(rec[:0], s.Key)
			for _, c := range row {
				rec = append(rec, c.Text.In(l))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="{{.HTMLLang}}">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.overdue, td.late, td.missing { color: #b00; font-weight: bold; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.AsOfLabel}} {{.AsOf}}{{if .Basis}} · {{.BasisLabel}}: {{.Basis}}{{end}}</p>
{{range .Sections}}<h2 id="{{.Key}}">{{.Title}}</h2>
{{if .Rows}}<table>
<thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Code}} class="{{.Code}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{else}}<p>{{$.None}}</p>
{{end}}{{if .Notes}}<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{end}}{{if .Notes}}<h2>{{.NotesLabel}}</h2>
<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
{{end}}</body>
</html>
`))

type (
	htmlCell    struct{ Text, Code string }
	htmlSection struct {
		Key, Title string
		Columns    []string
		Rows       [][]htmlCell
		Notes      []string
	}
)

func renderHTML(w io.Writer, r *Report, l Lang) error {
	htmlLang := "zh-CN"
	if l == EN {
		htmlLang = "en"
	}
	data := struct {
		HTMLLang, Title, AsOfLabel, AsOf, BasisLabel, Basis, None, NotesLabel string
		Sections                                                              []htmlSection
		Notes                                                                 []string
	}{htmlLang, r.Title.In(l), words.asOf.In(l), r.AsOf.String(), words.basis.In(l), r.Basis.In(l), words.none.In(l), words.notes.In(l),
		make([]htmlSection, len(r.Sections)), texts(r.Notes, l)}
	for i, s := range r.Sections {
		hs := htmlSection{Key: s.Key, Title: s.Title.In(l), Columns: make([]string, len(s.Columns)), Rows: make([][]htmlCell, len(s.Rows)), Notes: texts(s.Notes, l)}
		for j, c := range s.Columns {
			hs.Columns[j] = c.Label.In(l)
		}
		for j, row := range s.Rows {
			hs.Rows[j] = make([]htmlCell, len(row))
			for k, c := range row {
				hs.Rows[j][k] = htmlCell{c.Text.In(l), c.Code}
			}
		}
		data.Sections[i] = hs
	}
	return page.Execute(w, data)
}
