package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/projections/assessment"

	"github.com/rivo/uniseg"
	"github.com/xuri/excelize/v2"
)

// The demo the report tests read ends on demoEnd and is judged on reportAsOf, whatever
// the clock says: its deadlines fall across National Day 2025, the year 2025 has ended
// (so its security duties are judged), and the embedded policy and the calendar cover
// every day involved.
const (
	demoEnd    = "2025-12-31"
	reportAsOf = "2026-01-01"
)

// TestReportOnDemo runs `ledgerctl demo --end` once, small, and every report check
// against it.
func TestReportOnDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, _, errOut := ledgerctl(t, "demo", "--data", dir, "--events", "50", "--end", demoEnd); code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	t.Run("emergencies", func(t *testing.T) { testReportEmergencies(t, dir) })
	t.Run("accountability", func(t *testing.T) { testReportAccountability(t, dir) })
	t.Run("findings", func(t *testing.T) { testReportFindings(t, dir) })
	t.Run("every rule", func(t *testing.T) { testDemoPlantsEveryRule(t, dir) })
	t.Run("obligations", func(t *testing.T) { testReportObligations(t, dir) })
	t.Run("assessment", func(t *testing.T) { testReportAssessment(t, dir) })
	t.Run("formats", func(t *testing.T) { testReportAllFormats(t, dir) })
	t.Run("for people", func(t *testing.T) { testReportForPeople(t, dir) })
	t.Run("xlsx", func(t *testing.T) { testReportXLSX(t, dir) })
	t.Run("usage", func(t *testing.T) { testReportUsageErrors(t, dir) })
	t.Run("read models", func(t *testing.T) { testReportReadModels(t, dir) })
}

// A report read from the kind's read model (restored from its snapshot the second
// time) is the report folded from the whole log (--rebuild), for every kind; rebuild
// folds each model again and saves it.
func testReportReadModels(t *testing.T, dir string) {
	for _, kind := range []string{"findings", "obligations", "assessment", "accountability", "emergencies"} {
		folded := runReport(t, kind, "--data", dir, "--format", "json", "--rebuild")
		first := runReport(t, kind, "--data", dir, "--format", "json")
		again := runReport(t, kind, "--data", dir, "--format", "json")
		if first != folded || again != folded {
			t.Errorf("%s: the read model's report differs from the fold of the whole log", kind)
		}
		if _, err := os.Stat(filepath.Join(dir, "readmodels", kind+".snapshot")); err != nil {
			t.Errorf("%s: no snapshot saved: %v", kind, err)
		}
	}
	code, out, errOut := ledgerctl(t, "rebuild", "all", "--data", dir, "--json")
	var got []rebuilt
	if err := json.Unmarshal([]byte(out), &got); code != exitOK || err != nil || len(got) != 6 {
		t.Fatalf("rebuild all: exit %d, %q %s (%v)", code, out, errOut, err)
	}
	for _, r := range got {
		if r.Entries == 0 || r.Entries != got[0].Entries || r.Bytes <= 0 {
			t.Errorf("rebuilt %+v", r)
		}
	}
	if code, _, errOut := ledgerctl(t, "rebuild", "nothing", "--data", dir); code != exitUsage || !strings.Contains(errOut, "no read model") {
		t.Errorf("rebuild nothing: exit %d, %s", code, errOut)
	}
}

type reportJSON struct {
	Kind     string `json:"kind"`
	Lang     string `json:"lang"`
	Title    string `json:"title"`
	AsOf     string `json:"as_of"`
	Sections []struct {
		Key  string              `json:"key"`
		Rows []map[string]string `json:"rows"`
	} `json:"sections"`
}

func (r reportJSON) rows(key string) []map[string]string {
	for _, s := range r.Sections {
		if s.Key == key {
			return s.Rows
		}
	}
	return nil
}

// runReport runs `ledgerctl report ARGS`, judged on reportAsOf unless ARGS name a day,
// and returns its standard output; anything but exit 0 fails the test.
func runReport(t *testing.T, args ...string) string {
	t.Helper()
	if !slices.Contains(args, "--as-of") {
		args = append(args, "--as-of", reportAsOf)
	}
	code, out, errOut := ledgerctl(t, append([]string{"report"}, args...)...)
	if code != exitOK {
		t.Fatalf("report %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// The demo's two emergencies (storyline.go): the flood handled on time; the quake whose
// personal data was evaluated to be sealed and never sealed, whose volunteer phones were
// destroyed late and whose application was never shut down.
func testReportEmergencies(t *testing.T, dir string) {
	var r reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "emergencies", "--data", dir, "--format", "json", "--lang", "en")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != "emergencies" || r.Lang != "en" || r.AsOf == "" {
		t.Fatalf("header %+v", r)
	}
	state := map[string]string{}
	for _, row := range r.rows("emergencies") {
		state[row["emergency"]] = row["state_code"]
	}
	if state["emg-2025-flood-01"] != "done" || state["emg-2025-quake-02"] != "overdue" || len(state) != 2 {
		t.Errorf("emergency states %v", state)
	}
	data := map[string]string{}
	for _, row := range r.rows("data") {
		data[row["resource"]] = row["state_code"]
	}
	for res, want := range map[string]string{
		"emg-2025-flood-01.affected-persons": "done", "emg-2025-flood-01.volunteer-phones": "done",
		"emg-2025-quake-02.affected-persons": "overdue", "emg-2025-quake-02.volunteer-phones": "late",
	} {
		if data[res] != want {
			t.Errorf("%s: %q, want %q", res, data[res], want)
		}
	}
	apps := map[string]string{}
	for _, row := range r.rows("applications") {
		apps[row["emergency"]] = row["state_code"]
	}
	if apps["emg-2025-flood-01"] != "done" || apps["emg-2025-quake-02"] != "overdue" {
		t.Errorf("applications %v", apps)
	}

	// Judged as of the day the quake ended, nothing of it is overdue yet.
	var ended string
	for _, row := range r.rows("emergencies") {
		if row["emergency"] == "emg-2025-quake-02" {
			ended = row["ended_on"]
		}
	}
	var early reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "emergencies", "--data", dir, "--format", "json", "--as-of", ended)), &early); err != nil {
		t.Fatal(err)
	}
	for _, row := range early.rows("emergencies") {
		if row["emergency"] == "emg-2025-quake-02" && row["state_code"] != "pending" {
			t.Errorf("as of %s the quake is %q, want pending", ended, row["state_code"])
		}
	}
}

func testReportAccountability(t *testing.T, dir string) {
	var r reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "accountability", "--data", dir, "--format", "json")), &r); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"collected", "held", "used", "run", "institutions"} {
		if len(r.rows(key)) == 0 {
			t.Errorf("section %s is empty", key)
		}
	}
	// The demo's outsourcing contract ctr-2025-007 (maerkang-city, provider sc-xueyu-info)
	// runs sys.gov-services.
	found := false
	for _, row := range r.rows("run") {
		if row["operator"] == "sc-xueyu-info" && row["contract"] == "ctr-2025-007" && row["role_code"] == "provider" && row["client"] == "maerkang-city" {
			found = true
		}
	}
	if !found {
		t.Error("the outsourced provider is not among who runs the systems")
	}
	// Every registered institution has its first responsible person.
	for _, row := range r.rows("institutions") {
		if row["responsible_code"] == "missing" {
			t.Errorf("%s: no first responsible person", row["institution"])
		}
	}
	// A use outside the grant's purposes shows as such (the demo's F10 violation).
	outside := 0
	for _, row := range r.rows("used") {
		if row["within_grant_code"] == "outside_grant" {
			outside++
		}
	}
	if outside == 0 {
		t.Error("no use outside its grant shown")
	}

	// --resource adds the custody timeline of that resource, in seq order.
	var one reportJSON
	res := "emg-2025-quake-02.affected-persons"
	if err := json.Unmarshal([]byte(runReport(t, "accountability", "--data", dir, "--format", "json", "--resource", res)), &one); err != nil {
		t.Fatal(err)
	}
	tl := one.rows("timeline")
	if len(tl) < 5 {
		t.Fatalf("timeline of %d entries", len(tl))
	}
	for _, row := range one.rows("held") {
		if row["resource"] != res {
			t.Errorf("--resource %s shows %s", res, row["resource"])
		}
	}
}

// Every kind built here renders in every format and both languages.
func testReportAllFormats(t *testing.T, dir string) {
	titles := map[string]map[string]string{
		"accountability": {"zh": "第三十七条", "en": "Accountability"},
		"emergencies":    {"zh": "紧急情况数据封存登记簿", "en": "Emergency-data sealing register"},
		"findings":       {"zh": "违规发现", "en": "Findings"},
		"obligations":    {"zh": "义务与期限", "en": "Obligations and deadlines"},
		"assessment":     {"zh": "年度考核", "en": "Annual assessment"},
	}
	for _, kind := range []string{"accountability", "emergencies", "findings", "obligations", "assessment"} {
		for _, lang := range []string{"zh", "en"} {
			title := titles[kind][lang]
			t.Run(kind+"/"+lang, func(t *testing.T) {
				if out := runReport(t, kind, "--data", dir, "--lang", lang); !strings.Contains(out, title) {
					t.Errorf("table without %q:\n%s", title, out)
				}
				if out := runReport(t, kind, "--data", dir, "--lang", lang, "--format", "html"); !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, title) {
					t.Errorf("html:\n%.300s", out)
				}
				out := runReport(t, kind, "--data", dir, "--lang", lang, "--format", "csv")
				if !strings.HasPrefix(out, "\uFEFF") {
					t.Errorf("csv without a byte-order mark: %.20q", out)
				}
				cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
				cr.FieldsPerRecord = -1
				recs, err := cr.ReadAll()
				if err != nil || len(recs) < 3 || recs[0][0] != map[string]string{"zh": "数据表", "en": "table"}[lang] {
					t.Errorf("csv: %v, %d records", err, len(recs))
				}
				var r reportJSON
				if err := json.Unmarshal([]byte(runReport(t, kind, "--data", dir, "--lang", lang, "--format", "json")), &r); err != nil || r.Kind != kind || !strings.Contains(r.Title, title) {
					t.Errorf("json: %v %+v", err, r)
				}
			})
		}
	}
}

func testReportUsageErrors(t *testing.T, dir string) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no kind", []string{"report", "--data", dir}, "give one KIND"},
		{"unknown kind", []string{"report", "bogus", "--data", dir}, "unknown report kind"},
		{"bad format", []string{"report", "emergencies", "--data", dir, "--format", "xml"}, "unknown report format"},
		{"bad language", []string{"report", "emergencies", "--data", dir, "--lang", "fr"}, "unknown report language"},
		{"bad date", []string{"report", "emergencies", "--data", dir, "--as-of", "yesterday"}, "--as-of"},
		{"no data flag", []string{"report", "emergencies"}, "--data DIR"},
		{"no ledger in dir", []string{"report", "emergencies", "--data", t.TempDir()}, "holds no ledger"},
		{"unknown resource", []string{"report", "accountability", "--data", dir, "--resource", "nope"}, "not found"},
		{"bad year", []string{"report", "assessment", "--data", dir, "--year", "-1"}, "--year"},
		{"bad width", []string{"report", "findings", "--data", dir, "--width", "20"}, "--width"},
		{"bad out", []string{"report", "findings", "--data", dir, "--out", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html")}, "--out"},
		{"demo: bad end", []string{"demo", "--data", filepath.Join(t.TempDir(), "d"), "--end", "soon"}, "--end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LEDGER_DATA", "")
			code, out, errOut := ledgerctl(t, tc.args...)
			if code != exitUsage || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errOut, tc.want)
			}
		})
	}
}

// The demo's deliberate violations (storyline.go) as the findings report lists them:
// Wenchuan's collection outside its catalog (F3), ordered rectified, refused past the
// order's time limit and escalated, the refusal itself (F17) escalated too; Civil
// Affairs' unapproved export (F12) rectified. Every finding cites its articles in both
// languages, names a first responsible person and gives evidence seqs that
// `ledgerctl prove` proves.
func testReportFindings(t *testing.T, dir string) {
	var r reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "findings", "--data", dir, "--format", "json", "--lang", "en")), &r); err != nil {
		t.Fatal(err)
	}
	rows := r.rows("findings")
	if len(rows) == 0 {
		t.Fatal("no findings")
	}
	state := map[string]string{}
	for _, row := range rows {
		state[row["rule"]+"/"+row["institution"]] = row["state_code"]
		if row["rule"] == "F18" { // held against the suspended party (Art. 42), which has no responsible person
			if !strings.HasPrefix(row["citation"], "Art. 42") || row["institution"] != scenario.SuspendedParty.Party || row["evidence"] == "" {
				t.Errorf("F18: %v", row)
			}
			continue
		}
		if !strings.HasPrefix(row["citation"], "Art. 41") || row["responsible_person"] == "—" || row["evidence"] == "" && row["rule"] != "F16" {
			t.Errorf("%s against %s: citation %q, responsible %q, evidence %q", row["rule"], row["institution"], row["citation"], row["responsible_person"], row["evidence"])
		}
	}
	for k, want := range map[string]string{"F3/wenchuan-county": "referred", "F17/wenchuan-county": "referred", "F12/aba-civil-affairs": "rectified"} {
		if state[k] != want {
			t.Errorf("%s: %q, want %q", k, state[k], want)
		}
	}
	// The summary's totals add up to the list.
	for _, row := range r.rows("summary") {
		if row["rule"] == "all" && row["total"] != strconv.Itoa(len(rows)) {
			t.Errorf("summary total %s for %d findings", row["total"], len(rows))
		}
	}
	// The first piece of evidence of the escalated F3 is provable.
	for _, row := range rows {
		if row["rule"] == "F3" && row["institution"] == "wenchuan-county" {
			seq, _, _ := strings.Cut(row["evidence"], ",")
			if code, _, errOut := ledgerctl(t, "prove", "--data", dir, "--seq", seq); code != exitOK {
				t.Errorf("prove --seq %s: exit %d: %s", seq, code, errOut)
			}
		}
	}
	// In Chinese the articles are cited as 第N条.
	var zh reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "findings", "--data", dir, "--format", "json")), &zh); err != nil {
		t.Fatal(err)
	}
	if c := zh.rows("findings")[0]["citation"]; !strings.HasPrefix(c, "第四十一条") {
		t.Errorf("zh citation %q", c)
	}
}

// The demo's missed deadlines: the housing fund's share application never answered
// (D5) and the quake's data never sealed (D8); nothing is undetermined, and the
// per-deadline summary agrees with the list.
func testReportObligations(t *testing.T, dir string) {
	var r reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "obligations", "--data", dir, "--format", "json", "--lang", "en")), &r); err != nil {
		t.Fatal(err)
	}
	missed := map[string]bool{}
	for _, row := range r.rows("obligations") {
		switch row["state_code"] {
		case "missed":
			missed[row["deadline"]+"/"+row["subject"]] = true
			if row["late_workdays"] == "" || row["late_workdays"] == "0" || row["met_seq"] != "—" {
				t.Errorf("missed without working days late: %v", row)
			}
		case "undetermined":
			t.Errorf("undetermined: %v", row)
		}
		if row["due"] == "—" || row["policy"] == "" || row["trigger_seq"] == "" {
			t.Errorf("row without due day, policy or trigger: %v", row)
		}
	}
	if !missed["D8/emg-2025-quake-02"] || len(missed) < 2 {
		t.Errorf("missed obligations %v", missed)
	}
	n := 0
	for _, row := range r.rows("summary") {
		m, _ := strconv.Atoi(row["missed"])
		n += m
	}
	if n != len(missed) {
		t.Errorf("summary counts %d missed, the list %d", n, len(missed))
	}
}

// The 2025 scorecards (--year; the as-of day is in 2026): the institution that held no
// drill has not done its security duties, Wenchuan's escalated findings make its
// rectification 0 of those ordered, and every measure is explained.
func testReportAssessment(t *testing.T, dir string) {
	var r reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "assessment", "--data", dir, "--format", "json", "--lang", "en", "--year", "2025")), &r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Title, "2025") {
		t.Errorf("title %q", r.Title)
	}
	inst := map[string]map[string]string{}
	for _, row := range r.rows("institutions") {
		inst[row["institution"]] = row
	}
	if got := inst["ruoergai-county"]["security_duties_code"]; got != "0.0000" {
		t.Errorf("ruoergai-county security duties %q", got)
	}
	if got := inst["wenchuan-county"]["findings_rectification"]; !strings.HasPrefix(got, "0/") {
		t.Errorf("wenchuan-county rectification %q", got)
	}
	if len(r.rows("counties")) < 2 || len(r.rows("measures")) != len(assessment.Definitions) {
		t.Errorf("%d counties, %d measures", len(r.rows("counties")), len(r.rows("measures")))
	}
}

// What people read (issue 13): every kind's table fits 120 terminal columns; its CSV
// starts with a byte-order mark and, in Chinese, heads every column in Chinese; the
// HTML draws a bar per category in its charts, lists only the obligations not met on
// time (and every one with --all), marks a 0% score as a failure and names counties.
func testReportForPeople(t *testing.T, dir string) {
	kinds := [][]string{{"findings"}, {"obligations"}, {"assessment", "--year", "2025"}, {"emergencies"}, {"accountability"},
		{"accountability", "--resource", "emg-2025-quake-02.affected-persons"}}
	for _, k := range kinds {
		for _, lang := range []string{"zh", "en"} {
			args := append(slices.Clone(k), "--data", dir, "--lang", lang)
			table := runReport(t, args...)
			for i, line := range strings.Split(table, "\n") {
				if w := uniseg.StringWidth(line); w > 120 {
					t.Errorf("%v %s: table line %d is %d columns wide: %q", k, lang, i+1, w, line)
				}
			}
			out := runReport(t, append(args, "--format", "csv")...)
			if !strings.HasPrefix(out, "\xEF\xBB\xBF") {
				t.Errorf("%v %s: CSV does not start with EF BB BF", k, lang)
			}
			cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF")))
			cr.FieldsPerRecord = -1
			recs, err := cr.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range recs {
				if rec[0] != map[string]string{"zh": "数据表", "en": "table"}[lang] {
					continue // a data record
				}
				for _, h := range rec {
					if lang == "zh" && !strings.ContainsFunc(h, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
						t.Errorf("%v: CSV header %q is not in Chinese (%q)", k, h, rec)
					}
				}
			}
		}
	}

	// findings: one bar per rule raised and per institution concerned.
	var f reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "findings", "--data", dir, "--format", "json")), &f); err != nil {
		t.Fatal(err)
	}
	html := runReport(t, "findings", "--data", dir, "--format", "html")
	bars := map[string]int{}
	for _, m := range regexp.MustCompile(`(?s)<svg [^>]*data-chart="([a-z_]+)" data-bars="(\d+)".*?</svg>`).FindAllStringSubmatch(html, -1) {
		n, _ := strconv.Atoi(m[2])
		if got := strings.Count(m[0], `<g class="bar">`); got != n {
			t.Errorf("chart %s says %d bars and draws %d", m[1], n, got)
		}
		bars[m[1]] = n
	}
	if bars["by_rule"] != len(f.rows("summary"))-1 || bars["by_institution"] != len(f.rows("by_institution")) || bars["by_month"] == 0 {
		t.Errorf("findings charts %v for %d rules and %d institutions", bars, len(f.rows("summary"))-1, len(f.rows("by_institution")))
	}

	// obligations: what is missed, late or open is listed; what was met on time is counted.
	var o reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "obligations", "--data", dir, "--format", "json")), &o); err != nil {
		t.Fatal(err)
	}
	onTime, missed := 0, 0
	for _, row := range o.rows("obligations") {
		switch row["state_code"] {
		case "met_on_time":
			onTime++
		case "missed":
			missed++
		}
	}
	html = runReport(t, "obligations", "--data", dir, "--format", "html")
	list := html[strings.Index(html, `data-section="obligations"`):]
	if n := strings.Count(list, " met_on_time"); n != 0 || strings.Count(list, `class="bad missed"`) != missed ||
		!strings.Contains(html, fmt.Sprintf(`<p class="collapsed">按期完成 %d 项未逐条列出`, onTime)) {
		t.Errorf("page lists %d met on time and %d of %d missed", n, strings.Count(list, `class="bad missed"`), missed)
	}
	all := runReport(t, "obligations", "--data", dir, "--format", "html", "--all")
	if n := strings.Count(all[strings.Index(all, `data-section="obligations"`):], " met_on_time"); n != onTime {
		t.Errorf("--all lists %d met on time of %d", n, onTime)
	}

	// assessment: 0% is a failure, counties by name in both languages.
	html = runReport(t, "assessment", "--data", dir, "--format", "html", "--year", "2025")
	if !regexp.MustCompile(`<td class="bad narrow"><span class="v">0%</span>`).MatchString(html) {
		t.Error("no 0% cell marked bad")
	}
	for lang, want := range map[string]string{"zh": "汶川县", "en": "Wenchuan County"} {
		var a reportJSON
		if err := json.Unmarshal([]byte(runReport(t, "assessment", "--data", dir, "--format", "json", "--year", "2025", "--lang", lang)), &a); err != nil {
			t.Fatal(err)
		}
		for _, row := range a.rows("counties") {
			if row["county"] == "wenchuan" && row["name"] != want {
				t.Errorf("%s: county wenchuan named %q, want %q", lang, row["name"], want)
			}
		}
		for _, row := range a.rows("institutions") {
			if row["institution"] == "wenchuan-county" && row["county_name"] != want {
				t.Errorf("%s: wenchuan-county's county named %q", lang, row["county_name"])
			}
		}
		page := runReport(t, "assessment", "--data", dir, "--format", "html", "--year", "2025", "--lang", lang)
		if !strings.Contains(page, ">"+want+"<") {
			t.Errorf("%s: the page does not name %s", lang, want)
		}
	}
}

// The assessment as a workbook, written with --out: it opens, has the summary, a sheet
// per section and the heat maps as numbers.
func testReportXLSX(t *testing.T, dir string) {
	out := filepath.Join(t.TempDir(), "assessment.xlsx")
	if got := runReport(t, "assessment", "--data", dir, "--year", "2025", "--format", "xlsx", "--out", out); got != "" {
		t.Errorf("--out also wrote to standard output: %.40q", got)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"概要", "机构考核", "县（市）及州本级汇总", "指标说明", "机构 × 指标", "县（市） × 指标"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	rows, err := f.GetRows("机构考核")
	if err != nil || len(rows) < 10 || rows[0][0] != "机构" || rows[0][3] != "县（市）名称" {
		t.Fatalf("institutions sheet: %v, %q", err, rows[:min(len(rows), 1)])
	}
	heat, err := f.GetRows("机构 × 指标")
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(heat[0], "安全职责履行")
	found := false
	for _, r := range heat[1:] {
		if r[0] == "若尔盖县人民政府" {
			found = true
			if col < 0 || col >= len(r) || r[col] != "0%" {
				t.Errorf("若尔盖县人民政府's security duties in the heat sheet: %q (column %d)", r, col)
			}
		}
	}
	if !found {
		t.Errorf("若尔盖县人民政府 not in the heat sheet: %q", heat)
	}
	if stdout := runReport(t, "assessment", "--data", dir, "--year", "2025", "--format", "xlsx"); !strings.HasPrefix(stdout, "PK") {
		t.Errorf("xlsx to a redirected standard output: %.10q", stdout)
	}
}

// testDemoPlantsEveryRule: `ledgerctl demo --end 2025-12-31` then `report findings
// --as-of 2026-01-01` lists every rule F1–F18, each against the party the Measures hold
// to it (F2 the project owner, F8 the provider of the data, F18 the suspended party, not
// the institution that refused it), and the storyline's ids carry 2025, the year of
// their acts (issue 11).
func testDemoPlantsEveryRule(t *testing.T, dir string) {
	out := runReport(t, "findings", "--data", dir, "--format", "json", "--lang", "en")
	var r reportJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	against := map[string][]string{}
	for _, row := range r.rows("findings") {
		against[row["rule"]] = append(against[row["rule"]], row["institution"])
	}
	for i := 1; i <= 18; i++ {
		if rule := fmt.Sprintf("F%d", i); len(against[rule]) == 0 {
			t.Errorf("%s not raised by the demo", rule)
		}
	}
	for rule, want := range map[string]string{"F2": "wenchuan-county", "F8": "aba-public-security", "F13": "aba-emergency-management",
		"F16": "ruoergai-county", "F17": "wenchuan-county", "F18": scenario.SuspendedParty.Party} {
		for _, got := range against[rule] {
			if got != want {
				t.Errorf("%s against %s, want %s", rule, got, want)
			}
		}
	}
	if !strings.Contains(out, "ctr-2025-007") || !strings.Contains(out, "rect-2025-004") || strings.Contains(out, "ctr-2026-") || strings.Contains(out, "emg-2026-") {
		t.Error("the demo's ids do not carry the year of their acts (2025)")
	}
}
