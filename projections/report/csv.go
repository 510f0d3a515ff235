package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// BOM is the UTF-8 byte-order mark the CSV form starts with: Excel on Windows reads a
// CSV file without it in the machine's ANSI code page (GBK on a Chinese system), and
// every Chinese character turns to mojibake. WPS, LibreOffice and Go's encoding/csv
// readers that strip it see the same data.
const BOM = "\ufeff"

// tableWord heads the CSV column that names each record's table.
var tableWord = T("数据表", "table")

// renderCSV writes a UTF-8 byte-order mark, then every section as its own block of
// records: a header record (the word for "table", then the column labels, all in l) and
// one record per row whose first field is the section's title in l. Every record names
// its table, so a filter on the first column gives one table back; the blocks differ in
// width (read with FieldsPerRecord = -1). The stable ASCII keys and codes are the JSON
// form's.
func renderCSV(w io.Writer, r *Report, l Lang) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	for _, s := range r.Sections {
		rec := make([]string, 0, len(s.Columns)+1)
		rec = append(rec, tableWord.In(l))
		for _, c := range s.Columns {
			rec = append(rec, c.Label.In(l))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		for _, row := range s.Rows {
			rec = append(rec[:0], s.Title.In(l))
			for _, c := range row {
				rec = append(rec, inert(c.Text.In(l)))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// inert keeps a spreadsheet from reading a value as a formula (CSV injection: a
// resource title written as "=HYPERLINK(…)" would otherwise run when an officer opens
// the file): a value starting with = + - @ or a tab or carriage return, and not a
// number, gets a leading apostrophe, which Excel and WPS show as text and do not
// display.
func inert(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}
