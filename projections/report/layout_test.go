package report_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/rivo/uniseg"
	"github.com/xuri/excelize/v2"
)

// wide is a report that does not fit anywhere as it is: a register with long CJK and
// Latin texts in many columns, a layout that merges them, rows met on time to count
// instead of list, figures, attention lines and charts.
func wide() *report.Report {
	long := "阿坝州公共数据管理办法第四十一条第(十)项规定的服务外包未经安全审查或未签保密协议 outsourcing without security review or confidentiality agreement emg-2026-quake-02.affected-persons"
	s := report.Section{Key: "items", Title: report.T("义务", "Obligations")}
	for _, k := range []string{"deadline", "title", "institution", "institution_name", "due", "state", "note", "evidence"} {
		s.Columns = append(s.Columns, report.Column{Key: k, Label: report.T("列"+k, "column "+k)})
	}
	states := []struct{ code, zh, en string }{{"missed", "逾期未完成", "missed"}, {"met_on_time", "按期完成", "met on time"}}
	for i := range 12 {
		st := states[min(i%3, 1)]
		s.Rows = append(s.Rows, report.Row{report.V(fmt.Sprintf("D%d", 12-i)), report.L(long, long), report.V("aba-health-commission"),
			report.L("阿坝州卫生健康委员会", "Aba Prefecture Health Commission"), report.V("2025-11-10"),
			report.Coded(st.code, report.T(st.zh, st.en)).As(report.Bad), report.L(long, long), report.V("1, 2, 3")})
	}
	plain := s
	plain.Key, plain.Title = "plain", report.T("无布局", "No layout")
	s.Layout = &report.Layout{
		Columns: []report.Merged{
			{Key: "deadline", Width: 1},
			{Key: "title", Sub: []report.Part{report.Sub("note")}, Width: 6},
			{Key: "institution_name", Sub: []report.Part{report.Sub("institution")}, Width: 4},
			{Key: "due", Width: 2},
			{Key: "state", Width: 2},
			{Key: "evidence", Width: 2, Drop: 1},
		},
		Collapse: &report.Collapse{Key: "state", Codes: []string{"met_on_time"}, By: "deadline", What: report.T("按期完成", "met on time")},
	}
	return &report.Report{
		Kind: "wide", Title: report.T("宽报告 "+long, "Wide report "+long), AsOf: calendar.MustParse("2026-01-01"), Basis: report.T(long, long),
		Sections:  []report.Section{s, plain},
		Notes:     []report.Text{report.T(long, long)},
		Figures:   []report.Figure{{Label: report.T("逾期未完成", "missed"), Value: "4", Tone: report.Bad}, {Label: report.T("义务", "obligations"), Value: "12"}},
		Attention: []report.Text{report.T(long, long)},
		Charts: []report.Chart{
			{Key: "bars", Title: report.T("条", "Bars"), Kind: report.Bars, Series: []report.Series{{Label: report.T("逾期", "missed"), Tone: report.Bad}, {Label: report.T("按期", "on time"), Tone: report.Good}},
				Bars: []report.Bar{{Label: report.T("<script>甲</script>", "<script>a</script>"), Values: []float64{1, 2}}, {Label: report.T(long, long), Values: []float64{0, 5}}, {Label: report.T("丙", "c"), Values: []float64{3, 0}}}},
			{Key: "months", Title: report.T("按月", "By month"), Kind: report.Months, Series: []report.Series{{Label: report.T("件", "items"), Tone: report.Info}},
				Bars: []report.Bar{{Label: report.T("2025-11", "2025-11"), Values: []float64{2}}, {Label: report.T("2025-12", "2025-12"), Values: []float64{0}}}},
			{Key: "heat", Title: report.T("热力", "Heat"), Kind: report.Heat, Columns: []report.Text{report.T("指标一", "measure one"), report.T("指标二", "measure two")},
				Rows: []report.HeatRow{{Label: report.T("甲局", "Bureau A"), Cells: []*float64{ptr(0), nil}}, {Label: report.T("乙局", "Bureau B"), Cells: []*float64{ptr(0.5), ptr(1)}}}},
		},
	}
}

func ptr(f float64) *float64 { return &f }

func renderWith(t *testing.T, r *report.Report, f report.Format, l report.Lang, opts ...report.Option) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Render(&b, r, f, l, opts...); err != nil {
		t.Fatalf("%s/%s: %v", f, l, err)
	}
	return b.String()
}

// The table form fits the terminal: no line is wider than --width (CJK characters
// count two), long cells are wrapped and cut with an ellipsis, and at widths too narrow
// for every column the layout's droppable ones go first and a note says so.
func TestTableFitsWidth(t *testing.T) {
	for _, w := range []int{200, 120, 80, 40} {
		for _, l := range []report.Lang{report.ZH, report.EN} {
			out := renderWith(t, wide(), report.FormatTable, l, report.Width(w))
			for i, line := range strings.Split(out, "\n") {
				if got := uniseg.StringWidth(line); got > w {
					t.Errorf("width %d, %s: line %d is %d wide: %q", w, l, i+1, got, line)
				}
			}
			if w <= 120 && !strings.Contains(out, "…") {
				t.Errorf("width %d, %s: nothing cut with an ellipsis", w, l)
			}
			if w == 40 && !strings.Contains(out, map[report.Lang]string{report.ZH: "未显示", report.EN: "left out"}[l]) {
				t.Errorf("width 40, %s: no note of the columns left out:\n%s", l, out)
			}
		}
	}
}

// Rows a layout counts are summed up, by the value of its By column in natural order
// (D2 before D10), and listed with All; JSON and CSV always list them.
func TestCollapse(t *testing.T) {
	out := renderWith(t, wide(), report.FormatTable, report.EN)
	if !strings.Contains(out, "8 met on time not listed (D1 1, D2 1, D4 1, D5 1, D7 1, D8 1, D10 1, D11 1)") {
		t.Errorf("no count of the rows met on time:\n%s", out)
	}
	html := renderWith(t, wide(), report.FormatHTML, report.ZH)
	items := html[strings.Index(html, `data-section="items"`):strings.Index(html, `data-section="plain"`)]
	if n := strings.Count(items, "met_on_time"); n != 0 {
		t.Errorf("%d rows met on time listed in the page", n)
	}
	if !strings.Contains(html, `<p class="collapsed">按期完成 8 项未逐条列出（D1 1、D2 1、D4 1、D5 1、D7 1、D8 1、D10 1、D11 1）；`) {
		t.Error("the page does not count the rows met on time")
	}
	all := renderWith(t, wide(), report.FormatHTML, report.ZH, report.All())
	items = all[strings.Index(all, `data-section="items"`):strings.Index(all, `data-section="plain"`)]
	if n := strings.Count(items, "met_on_time"); n != 8 {
		t.Errorf("All lists %d rows met on time, want 8", n)
	}
	if js := renderWith(t, wide(), report.FormatJSON, report.EN); strings.Count(js, `"state_code": "met_on_time"`) != 16 {
		t.Error("JSON does not list every row")
	}
}

// Every chart is one inline SVG with a bar (or heat-map row) per category, its texts
// escaped; a 0% heat-map cell is marked bad; failures in tables carry their tone's
// class and mark their row.
func TestHTMLCharts(t *testing.T) {
	html := renderWith(t, wide(), report.FormatHTML, report.EN)
	if strings.Contains(html, "<script") {
		t.Fatal("unescaped chart label")
	}
	svg := regexp.MustCompile(`(?s)<svg [^>]*data-chart="([a-z]+)" data-bars="(\d+)".*?</svg>`)
	got := map[string]string{}
	for _, m := range svg.FindAllStringSubmatch(html, -1) {
		n := strings.Count(m[0], `<g class="bar">`) + strings.Count(m[0], `<g class="row">`)
		got[m[1]] = fmt.Sprintf("%s/%d", m[2], n)
	}
	if want := map[string]string{"bars": "3/3", "months": "2/2", "heat": "2/2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("charts %v, want %v", got, want)
	}
	for _, w := range []string{`<rect class="cell bad"`, `<tr class="row-bad">`, `<td class="bad missed">`, `<div class="fig bad"><dt>missed</dt><dd>4</dd></div>`,
		`@page { size: A4;`, `"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC"`, `"Microsoft YaHei"`, `"SimSun", sans-serif`} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "http://") && !strings.Contains(html, `xmlns="http://www.w3.org/2000/svg"`) {
		t.Error("the page loads something or runs a script")
	}
}

// Check refuses a layout naming a column the section lacks and a chart whose bars do
// not match its series.
func TestCheckLayoutAndCharts(t *testing.T) {
	r := wide()
	r.Sections[0].Layout.Columns[1].Sub = append(r.Sections[0].Layout.Columns[1].Sub, report.Sub("nope"))
	if err := r.Check(); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("layout with an unknown column: %v", err)
	}
	r = wide()
	r.Charts[0].Bars[0].Values = r.Charts[0].Bars[0].Values[:1]
	if err := r.Check(); err == nil {
		t.Error("a bar without a value per series passed")
	}
}

// A value a spreadsheet would run as a formula is written as text.
func TestCSVInert(t *testing.T) {
	r := sample()
	r.Sections[0].Rows[1][2] = report.V(`=HYPERLINK("http://x","y")`)
	r.Sections[0].Rows[0][2] = report.V("-12")
	out := renderWith(t, r, report.FormatCSV, report.EN)
	if !strings.Contains(out, `"'=HYPERLINK(""http://x"",""y"")"`) || !strings.Contains(out, ",-12\n") {
		t.Errorf("csv:\n%s", out)
	}
}

// The workbook opens, has a summary sheet, a sheet per section and one per heat map
// with the shares as numbers, and fills failures.
func TestXLSX(t *testing.T) {
	f, err := excelize.OpenReader(strings.NewReader(renderWith(t, wide(), report.FormatXLSX, report.ZH)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), "|"); got != "概要|义务|无布局|热力" {
		t.Fatalf("sheets %s", got)
	}
	cell := func(sheet, ref string) string {
		v, err := f.GetCellValue(sheet, ref)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := cell("概要", "A1"); !strings.HasPrefix(v, "宽报告") {
		t.Errorf("title %q", v)
	}
	if cell("义务", "A1") != "列deadline" || cell("义务", "A2") != "D12" || cell("义务", "F2") != "逾期未完成" {
		t.Errorf("section sheet: %q %q %q", cell("义务", "A1"), cell("义务", "A2"), cell("义务", "F2"))
	}
	rows, _ := f.GetRows("义务")
	if len(rows) != 13 {
		t.Errorf("%d rows in the section sheet, want a header and every row (13)", len(rows))
	}
	style, _ := f.GetCellStyle("义务", "F2")
	st, err := f.GetStyle(style)
	if err != nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FDECEC" {
		t.Errorf("a missed deadline is not filled red: %+v, %v", st, err)
	}
	if cell("热力", "B2") != "0%" || cell("热力", "C2") != "" || cell("热力", "B3") != "50%" {
		t.Errorf("heat sheet: %q %q %q", cell("热力", "B2"), cell("热力", "C2"), cell("热力", "B3"))
	}
	raw, _ := f.GetCellValue("热力", "C3", excelize.Options{RawCellValue: true})
	if n, err := strconv.ParseFloat(raw, 64); err != nil || n != 1 {
		t.Errorf("heat share stored as %q, want the number 1", raw)
	}
}

func TestPercent(t *testing.T) {
	for r, want := range map[float64]string{0: "0%", 0.001: "1%", 0.3333: "33%", 0.9955: "99%", 1: "100%"} {
		if got := report.Percent(r); got != want {
			t.Errorf("Percent(%v) = %s, want %s", r, got, want)
		}
	}
}
