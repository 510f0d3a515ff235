package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportOnDemo runs `ledgerctl demo` once, small, and every report check against it.
func TestReportOnDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, _, errOut := ledgerctl(t, "demo", "--data", dir, "--events", "50"); code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	t.Run("emergencies", func(t *testing.T) { testReportEmergencies(t, dir) })
	t.Run("accountability", func(t *testing.T) { testReportAccountability(t, dir) })
	t.Run("formats", func(t *testing.T) { testReportAllFormats(t, dir) })
	t.Run("usage", func(t *testing.T) { testReportUsageErrors(t, dir) })
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

func runReport(t *testing.T, args ...string) string {
	t.Helper()
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
	if state["emg-2026-flood-01"] != "done" || state["emg-2026-quake-02"] != "overdue" || len(state) != 2 {
		t.Errorf("emergency states %v", state)
	}
	data := map[string]string{}
	for _, row := range r.rows("data") {
		data[row["resource"]] = row["state_code"]
	}
	for res, want := range map[string]string{
		"emg-2026-flood-01.affected-persons": "done", "emg-2026-flood-01.volunteer-phones": "done",
		"emg-2026-quake-02.affected-persons": "overdue", "emg-2026-quake-02.volunteer-phones": "late",
	} {
		if data[res] != want {
			t.Errorf("%s: %q, want %q", res, data[res], want)
		}
	}
	apps := map[string]string{}
	for _, row := range r.rows("applications") {
		apps[row["emergency"]] = row["state_code"]
	}
	if apps["emg-2026-flood-01"] != "done" || apps["emg-2026-quake-02"] != "overdue" {
		t.Errorf("applications %v", apps)
	}

	// Judged as of the day the quake ended, nothing of it is overdue yet.
	var ended string
	for _, row := range r.rows("emergencies") {
		if row["emergency"] == "emg-2026-quake-02" {
			ended = row["ended_on"]
		}
	}
	var early reportJSON
	if err := json.Unmarshal([]byte(runReport(t, "emergencies", "--data", dir, "--format", "json", "--as-of", ended)), &early); err != nil {
		t.Fatal(err)
	}
	for _, row := range early.rows("emergencies") {
		if row["emergency"] == "emg-2026-quake-02" && row["state_code"] != "pending" {
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
	// The demo's outsourcing contract ctr-2026-007 (maerkang-city, provider sc-xueyu-info)
	// runs sys.gov-services.
	found := false
	for _, row := range r.rows("run") {
		if row["operator"] == "sc-xueyu-info" && row["contract"] == "ctr-2026-007" && row["role_code"] == "provider" && row["client"] == "maerkang-city" {
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
	res := "emg-2026-quake-02.affected-persons"
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
	for _, kind := range []string{"accountability", "emergencies"} {
		for _, lang := range []string{"zh", "en"} {
			title := map[string]string{"zh": "第三十七条", "en": "Accountability"}[lang]
			if kind == "emergencies" {
				title = map[string]string{"zh": "紧急情况数据封存登记簿", "en": "Emergency-data sealing register"}[lang]
			}
			t.Run(kind+"/"+lang, func(t *testing.T) {
				if out := runReport(t, kind, "--data", dir, "--lang", lang); !strings.Contains(out, title) {
					t.Errorf("table without %q:\n%s", title, out)
				}
				if out := runReport(t, kind, "--data", dir, "--lang", lang, "--format", "html"); !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, title) {
					t.Errorf("html:\n%.300s", out)
				}
				cr := csv.NewReader(strings.NewReader(runReport(t, kind, "--data", dir, "--lang", lang, "--format", "csv")))
				cr.FieldsPerRecord = -1
				recs, err := cr.ReadAll()
				if err != nil || len(recs) < 3 || recs[0][0] != "section" {
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
		{"findings not built yet", []string{"report", "findings", "--data", dir}, "not available yet"},
		{"obligations not built yet", []string{"report", "obligations", "--data", dir}, "not available yet"},
		{"assessment not built yet", []string{"report", "assessment", "--data", dir}, "not available yet"},
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
