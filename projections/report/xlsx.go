package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheetWords are the xlsx form's own labels.
var sheetWords = struct{ summary, figure, value Text }{
	summary: T("概要", "Summary"),
	figure:  T("指标", "figure"),
	value:   T("数值", "value"),
}

// renderXLSX writes r as an Excel workbook: a summary sheet (title, as-of day, basis,
// figures, what needs action, notes), one sheet per section (every row, every column,
// as the JSON form has them, with the header frozen and filterable and failures
// filled), and one sheet per heat map holding its shares as numbers formatted as
// percentages, so that a reviewer can sort and compute with them.
func renderXLSX(w io.Writer, r *Report, l Lang, _ options) error {
	f := excelize.NewFile()
	defer f.Close()
	x := &workbook{f: f, names: map[string]bool{}}
	if err := x.styles(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if err := x.summary(r, l); err != nil {
		return fmt.Errorf("xlsx: summary: %w", err)
	}
	for i := range r.Sections {
		if err := x.section(&r.Sections[i], l); err != nil {
			return fmt.Errorf("xlsx: section %s: %w", r.Sections[i].Key, err)
		}
	}
	for i := range r.Charts {
		if c := &r.Charts[i]; c.Kind == Heat {
			if err := x.heat(c, l); err != nil {
				return fmt.Errorf("xlsx: chart %s: %w", c.Key, err)
			}
		}
	}
	lang := "zh-CN"
	if l == EN {
		lang = "en"
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: r.Title.In(l), Creator: "ledgerctl report", Language: lang,
		Description: words.asOf.In(l) + " " + r.AsOf.String(), Identifier: r.Kind}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

type workbook struct {
	f     *excelize.File
	names map[string]bool
	// style ids
	title, head, wrapped, pct int
	tone                      map[Tone]int
}

func (x *workbook) styles() error {
	var err error
	newStyle := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = x.f.NewStyle(s)
		return id
	}
	top := &excelize.Alignment{Vertical: "top", WrapText: true}
	x.title = newStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	x.head = newStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: top,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEF1F4"}}})
	x.wrapped = newStyle(&excelize.Style{Alignment: top})
	x.pct = newStyle(&excelize.Style{NumFmt: 9, Alignment: &excelize.Alignment{Horizontal: "center"}})
	x.tone = map[Tone]int{
		Good:   newStyle(&excelize.Style{Alignment: top, Font: &excelize.Font{Color: "2E7D32"}}),
		Info:   newStyle(&excelize.Style{Alignment: top, Font: &excelize.Font{Color: "2F5F9E"}}),
		Warn:   newStyle(&excelize.Style{Alignment: top, Font: &excelize.Font{Color: "9A5B00", Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF4E0"}}}),
		Bad:    newStyle(&excelize.Style{Alignment: top, Font: &excelize.Font{Color: "B71C1C", Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FDECEC"}}}),
		Severe: newStyle(&excelize.Style{Alignment: top, Font: &excelize.Font{Color: "6D0F0F", Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F8D9D9"}}}),
	}
	return err
}

// sheetName makes s a valid, unused sheet name: no []:*?/\ and at most 31 characters.
func (x *workbook) sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, oneLine(s))
	if s == "" {
		s = "sheet"
	}
	base := []rune(s)
	if len(base) > 31 {
		base = base[:31]
	}
	name := string(base)
	for i := 2; x.names[strings.ToLower(name)]; i++ {
		suffix := " (" + strconv.Itoa(i) + ")"
		name = string(base[:min(len(base), 31-len(suffix))]) + suffix
	}
	x.names[strings.ToLower(name)] = true
	return name
}

// sheet adds a sheet named after s; the workbook's first sheet is renamed instead.
func (x *workbook) sheet(s string) (string, error) {
	name := x.sheetName(s)
	if len(x.names) == 1 {
		return name, x.f.SetSheetName("Sheet1", name)
	}
	_, err := x.f.NewSheet(name)
	return name, err
}

func cell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

func (x *workbook) summary(r *Report, l Lang) error {
	sh, err := x.sheet(sheetWords.summary.In(l))
	if err != nil {
		return err
	}
	f := x.f
	row := 1
	put := func(col int, v any, style int) {
		if err == nil {
			err = f.SetCellValue(sh, cell(col, row), v)
		}
		if err == nil && style != 0 {
			err = f.SetCellStyle(sh, cell(col, row), cell(col, row), style)
		}
	}
	put(1, r.Title.In(l), x.title)
	row++
	put(1, words.asOf.In(l), x.head)
	put(2, r.AsOf.String(), 0)
	row++
	if b := r.Basis.In(l); b != "" {
		put(1, words.basis.In(l), x.head)
		put(2, b, x.wrapped)
		row++
	}
	if len(r.Figures) > 0 {
		row++
		put(1, sheetWords.figure.In(l), x.head)
		put(2, sheetWords.value.In(l), x.head)
		row++
		for _, fig := range r.Figures {
			put(1, fig.Label.In(l), x.tone[fig.Tone])
			if n, e := strconv.Atoi(fig.Value); e == nil {
				put(2, n, x.tone[fig.Tone])
			} else {
				put(2, fig.Value, x.tone[fig.Tone])
			}
			row++
		}
	}
	if len(r.Attention) > 0 {
		row++
		put(1, words.attention.In(l), x.head)
		row++
		for _, a := range r.Attention {
			put(1, a.In(l), x.tone[Bad])
			row++
		}
	}
	if len(r.Notes) > 0 {
		row++
		put(1, words.notes.In(l), x.head)
		row++
		for _, n := range r.Notes {
			put(1, n.In(l), x.wrapped)
			row++
		}
	}
	if err != nil {
		return err
	}
	if err := f.SetColWidth(sh, "A", "A", 48); err != nil {
		return err
	}
	return f.SetColWidth(sh, "B", "B", 80)
}

// section writes s's columns and every row; a cell that is a whole number and has no
// code is written as a number.
func (x *workbook) section(s *Section, l Lang) error {
	sh, err := x.sheet(s.Title.In(l))
	if err != nil {
		return err
	}
	f := x.f
	widths := make([]int, len(s.Columns))
	for j, c := range s.Columns {
		if err := f.SetCellValue(sh, cell(j+1, 1), c.Label.In(l)); err != nil {
			return err
		}
		widths[j] = width(c.Label.In(l))
	}
	if len(s.Columns) > 0 {
		if err := f.SetCellStyle(sh, cell(1, 1), cell(len(s.Columns), 1), x.head); err != nil {
			return err
		}
	}
	for i, row := range s.Rows {
		for j, c := range row {
			ref := cell(j+1, i+2)
			text := c.Text.In(l)
			var v any = text
			if n, err := strconv.ParseInt(text, 10, 64); err == nil && c.Code == "" {
				v = n
			}
			if err := f.SetCellValue(sh, ref, v); err != nil {
				return err
			}
			style := x.wrapped
			if t, ok := x.tone[c.Tone]; ok {
				style = t
			}
			if err := f.SetCellStyle(sh, ref, ref, style); err != nil {
				return err
			}
			widths[j] = max(widths[j], width(text))
		}
	}
	for j, wd := range widths {
		col, _ := excelize.ColumnNumberToName(j + 1)
		if err := f.SetColWidth(sh, col, col, float64(min(max(wd, 6), 60))+2); err != nil {
			return err
		}
	}
	if len(s.Columns) == 0 {
		return nil
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.AutoFilter(sh, cell(1, 1)+":"+cell(len(s.Columns), max(len(s.Rows), 1)+1), nil)
}

// heat writes a heat map's shares as numbers (percent format, a red–amber–green colour
// scale); a cell with nothing judged is left empty.
func (x *workbook) heat(c *Chart, l Lang) error {
	sh, err := x.sheet(c.Title.In(l))
	if err != nil {
		return err
	}
	f := x.f
	if err := f.SetCellValue(sh, "A1", ""); err != nil {
		return err
	}
	for j, col := range c.Columns {
		if err := f.SetCellValue(sh, cell(j+2, 1), col.In(l)); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sh, "A1", cell(len(c.Columns)+1, 1), x.head); err != nil {
		return err
	}
	labelW := 10
	for i, row := range c.Rows {
		if err := f.SetCellValue(sh, cell(1, i+2), row.Label.In(l)); err != nil {
			return err
		}
		labelW = max(labelW, width(row.Label.In(l)))
		for j, v := range row.Cells {
			if v == nil {
				continue
			}
			if err := f.SetCellFloat(sh, cell(j+2, i+2), *v, 4, 64); err != nil {
				return err
			}
		}
	}
	if len(c.Rows) > 0 && len(c.Columns) > 0 {
		ref := cell(2, 2) + ":" + cell(len(c.Columns)+1, len(c.Rows)+1)
		if err := f.SetCellStyle(sh, cell(2, 2), cell(len(c.Columns)+1, len(c.Rows)+1), x.pct); err != nil {
			return err
		}
		if err := f.SetConditionalFormat(sh, ref, []excelize.ConditionalFormatOptions{{Type: "3_color_scale", Criteria: "=",
			MinType: "num", MinValue: "0", MinColor: "#C62828", MidType: "num", MidValue: "0.5", MidColor: "#F2B85C",
			MaxType: "num", MaxValue: "1", MaxColor: "#CEE9D0"}}); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sh, "A", "A", float64(min(labelW, 50))+2); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(c.Columns) + 1)
	if err := f.SetColWidth(sh, "B", last, 12); err != nil {
		return err
	}
	return f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"})
}
