package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/rivo/uniseg"
)

// sample has what renderers must get right: both languages, CJK widths, a coded cell,
// characters special to CSV and HTML, and an empty section.
func sample() *report.Report {
	return &report.Report{
		Kind:  "sample",
		Title: report.T("示例报告", "Sample report"),
		AsOf:  calendar.MustParse("2025-10-17"),
		Basis: report.T("第二十一条", "Art. 21"),
		Sections: []report.Section{
			{Key: "things", Title: report.T("事项", "Things"), Columns: []report.Column{
				{Key: "id", Label: report.T("编号", "id")},
				{Key: "state", Label: report.T("状态", "state")},
				{Key: "note", Label: report.T("备注", "note")},
			}, Rows: []report.Row{
				{report.V("emg-1"), report.Coded("overdue", report.T("逾期未完成", "overdue")).As(report.Bad), report.V(`<script>alert("x")</script>`)},
				{report.V("r,2"), report.L("按期完成", "done"), report.V("line\nbreak \"quoted\"")},
			}, Notes: []report.Text{report.T("节注", "section note")}},
			{Key: "empty", Title: report.T("空", "Empty"), Columns: []report.Column{{Key: "x", Label: report.T("甲", "x")}}},
		},
		Notes: []report.Text{report.T("报告注", "report note")},
	}
}

func render(t *testing.T, f report.Format, l report.Lang) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Render(&b, sample(), f, l); err != nil {
		t.Fatalf("%s/%s: %v", f, l, err)
	}
	return b.String()
}

func TestRenderEveryFormatBothLanguages(t *testing.T) {
	for _, f := range report.Formats {
		if f.Binary() {
			continue // TestXLSX
		}
		for _, tc := range []struct {
			lang      report.Lang
			want, not []string
		}{
			{report.ZH, []string{"示例报告", "逾期未完成", "编号"}, []string{"Sample report", "overdue\n"}},
			{report.EN, []string{"Sample report", "overdue", "id"}, []string{"示例报告", "逾期未完成"}},
		} {
			t.Run(string(f)+"/"+string(tc.lang), func(t *testing.T) {
				out := render(t, f, tc.lang)
				want := tc.want
				if f == report.FormatCSV {
					want = want[1:] // data only: no title (docs/reports.md)
				}
				for _, w := range want {
					if !strings.Contains(out, w) {
						t.Errorf("missing %q in\n%s", w, out)
					}
				}
				for _, n := range tc.not {
					if strings.Contains(out, n) {
						t.Errorf("other language's %q in\n%s", n, out)
					}
				}
			})
		}
	}
}

func TestTableAlignsWideCharacters(t *testing.T) {
	out := render(t, report.FormatTable, report.ZH)
	var block []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "编号") || strings.HasPrefix(line, "emg-1") || strings.HasPrefix(line, "r,2") {
			block = append(block, line)
		}
	}
	if len(block) != 3 {
		t.Fatalf("table lines %q", block)
	}
	// The third column starts at the same display column on every line.
	col := func(line, cell string) int { return uniseg.StringWidth(line[:strings.Index(line, cell)]) }
	h, a, b := col(block[0], "备注"), col(block[1], "<script>"), col(block[2], "line break")
	if h != a || a != b {
		t.Errorf("third column at %d, %d, %d:\n%s", h, a, b, strings.Join(block, "\n"))
	}
	if !strings.Contains(out, "（无）") {
		t.Error("empty section not marked")
	}
}

func TestJSON(t *testing.T) {
	var got struct {
		Kind, Lang, Title, AsOf string `json:"-"`
		AsOfJSON                string `json:"as_of"`
		Sections                []struct {
			Key     string
			Columns []struct{ Key, Label string }
			Rows    []map[string]string
		}
		Notes []string
	}
	if err := json.Unmarshal([]byte(render(t, report.FormatJSON, report.EN)), &got); err != nil {
		t.Fatal(err)
	}
	if got.AsOfJSON != "2025-10-17" || len(got.Sections) != 2 || got.Notes[0] != "report note" {
		t.Fatalf("%+v", got)
	}
	row := got.Sections[0].Rows[0]
	if row["state"] != "overdue" || row["state_code"] != "overdue" || row["note"] != `<script>alert("x")</script>` {
		t.Errorf("row %v", row)
	}
	if _, ok := got.Sections[0].Rows[1]["state_code"]; ok {
		t.Error("an uncoded cell got a code")
	}
	if got.Sections[1].Rows == nil || len(got.Sections[1].Rows) != 0 {
		t.Errorf("empty section rows %v, want []", got.Sections[1].Rows)
	}
}

// The CSV form starts with a UTF-8 byte-order mark (Excel on Windows reads it as UTF-8,
// not GBK), names every table and column in the chosen language, and reads back as
// written.
func TestCSVReadsBack(t *testing.T) {
	out := render(t, report.FormatCSV, report.ZH)
	if !strings.HasPrefix(out, "\xEF\xBB\xBF") {
		t.Fatalf("no byte-order mark: % x", out[:min(len(out), 8)])
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, report.BOM)))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"数据表", "编号", "状态", "备注"},
		{"事项", "emg-1", "逾期未完成", `<script>alert("x")</script>`},
		{"事项", "r,2", "按期完成", "line\nbreak \"quoted\""},
		{"数据表", "甲"},
	}
	if len(recs) != len(want) {
		t.Fatalf("records %q", recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d = %q, want %q", i, recs[i], want[i])
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	out := render(t, report.FormatHTML, report.ZH)
	if strings.Contains(out, "<script>") {
		t.Fatalf("unescaped cell in HTML:\n%s", out)
	}
	for _, w := range []string{"&lt;script&gt;", `<html lang="zh-CN">`, `<td class="bad overdue"><span class="v">逾期未完成</span></td>`, "<title>示例报告</title>"} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in\n%s", w, out)
		}
	}
	if en := render(t, report.FormatHTML, report.EN); !strings.Contains(en, `<html lang="en">`) {
		t.Error("English page not marked lang=en")
	}
}

func TestRenderRefusesRaggedRows(t *testing.T) {
	r := sample()
	r.Sections[0].Rows[1] = r.Sections[0].Rows[1][:2]
	if err := report.Render(&bytes.Buffer{}, r, report.FormatTable, report.ZH); err == nil {
		t.Fatal("rendered a row with a missing cell")
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		f    report.Format
		l    report.Lang
		fErr bool
		lErr bool
	}{
		{in: "json", f: report.FormatJSON, lErr: true},
		{in: "HTML", f: report.FormatHTML, lErr: true},
		{in: "zh-CN", fErr: true, l: report.ZH},
		{in: "en", fErr: true, l: report.EN},
		{in: "xml", fErr: true, lErr: true},
	} {
		f, err := report.ParseFormat(tc.in)
		if (err != nil) != tc.fErr || f != tc.f || err != nil && !errors.Is(err, report.ErrBadFormat) {
			t.Errorf("ParseFormat(%q) = %q, %v", tc.in, f, err)
		}
		l, err := report.ParseLang(tc.in)
		if (err != nil) != tc.lErr || l != tc.l || err != nil && !errors.Is(err, report.ErrBadLang) {
			t.Errorf("ParseLang(%q) = %q, %v", tc.in, l, err)
		}
	}
}

func TestTextFallsBack(t *testing.T) {
	if got := report.T("", "only English").In(report.ZH); got != "only English" {
		t.Errorf("zh fallback %q", got)
	}
	if got := report.T("仅中文", "").In(report.EN); got != "仅中文" {
		t.Errorf("en fallback %q", got)
	}
}

func TestRegistry(t *testing.T) {
	reg := report.NewRegistry()
	reg.Register(report.Unavailable("findings", report.T("发现", "Findings")))
	if _, err := reg.Lookup("nope"); !errors.Is(err, report.ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	k, err := reg.Lookup("findings")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.New(report.Options{}); !errors.Is(err, report.ErrNotAvailable) {
		t.Errorf("placeholder: %v", err)
	}
	reg.Register(counting) // replaces nothing, adds
	reg.Register(report.Kind{Name: "findings", New: counting.New})
	k, _ = reg.Lookup("findings")
	if _, err := k.New(report.Options{}); err != nil {
		t.Errorf("a placeholder was not replaced: %v", err)
	}
	if got := strings.Join(reg.Names(), ","); got != "count,findings" {
		t.Errorf("names %s", got)
	}
}

// counter counts the entries a report was folded from, in order.
type counter struct{ seqs []uint64 }

func (c *counter) Apply(e *ledger.Entry)          { c.seqs = append(c.seqs, e.Seq) }
func (c *counter) Through() calendar.Date         { return calendar.Date{} }
func (c *counter) MarshalBinary() ([]byte, error) { return nil, nil }
func (c *counter) UnmarshalBinary(b []byte) error { return nil }
func (c *counter) Report(report.Options) (*report.Report, error) {
	r := &report.Report{Title: report.T("计数", "count"), Sections: []report.Section{{Key: "n", Columns: []report.Column{{Key: "n"}}}}}
	for _, s := range c.seqs {
		r.Sections[0].Rows = append(r.Sections[0].Rows, report.Row{report.V(time.Duration(s).String())})
	}
	return r, nil
}

var counting = report.Kind{Name: "count", New: func(report.Options) (report.Model, error) { return &counter{}, nil }}

// Build folds a real store in seq order and leaves out acts after the as-of day (China
// time: yesterday 20:00Z is already today there). The acts claim yesterday and are
// recorded today, within the late-record grace, so they count on the day they claim.
func TestBuildAsOf(t *testing.T) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	k := f.Register(t, l, "inst-a")
	day := calendar.DateOf(time.Now()).AddDays(-1)
	for _, at := range []string{day.String() + "T09:00:00+08:00", day.String() + "T20:00:00Z", day.String() + "T15:00:00Z"} {
		sub := ledgertest.Submission("inst-a", k.Public().ID(), "resource/r", "data.collected.v1",
			map[string]any{"resource": "r", "records": 1, "purpose": "p", "legal_basis": "l"})
		sub.OccurredAt = at
		if _, err := l.Append(ctx, ledgertest.Sign(t, k, sub)); err != nil {
			t.Fatal(err)
		}
	}
	var calls int
	r, err := report.Build(ctx, st, counting, report.Options{AsOf: day, Progress: func(done, total uint64) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range r.Sections[0].Rows {
		got = append(got, row[0].Text.EN)
	}
	// seq 0 genesis and 1 key registration happened now (today): left out; seq 2 and 4
	// are yesterday in China; seq 3 is today.
	if strings.Join(got, ",") != "2ns,4ns" || r.Kind != "count" || r.AsOf != day || calls == 0 {
		t.Errorf("folded %v (kind %q, as of %s, %d progress calls)", got, r.Kind, r.AsOf, calls)
	}
}

func ExampleRender() {
	r := &report.Report{Kind: "demo", Title: report.T("登记簿", "Register"), AsOf: calendar.MustParse("2025-10-17"),
		Sections: []report.Section{{Key: "items", Title: report.T("事项", "Items"),
			Columns: []report.Column{{Key: "id", Label: report.T("编号", "id")}, {Key: "state", Label: report.T("状态", "state")}},
			Rows:    []report.Row{{report.V("emg-1"), report.Coded("overdue", report.T("逾期", "overdue"))}}}}}
	_ = report.Render(os.Stdout, r, report.FormatTable, report.EN)
	// Output:
	// Register
	// as of 2025-10-17
	//
	// == Items ==
	// id     state
	// -----  -------
	// emg-1  overdue
}
