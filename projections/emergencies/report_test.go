package emergencies

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
	"github.com/aba-prefecture/dataledger/projections/report"
)

func TestReportRows(t *testing.T) {
	pol, _ := policy.Default()
	opts := report.Options{AsOf: calendar.MustParse("2025-10-20"), Policy: pol, Calendar: calendar.Default()}
	b, err := Kind.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l := &foldtest.Log{}
	for _, e := range append(ended(l), evaluated(l, "2025-09-30", domain.DispositionSeal)) {
		b.Apply(e)
	}
	r, err := b.Report(opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, r, report.FormatJSON, report.EN); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Sections []struct {
			Key  string
			Rows []map[string]string
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for _, s := range out.Sections {
		if len(s.Rows) > 0 {
			got[s.Key] = s.Rows[0]
		}
	}
	if e := got["emergencies"]; e["state_code"] != "overdue" || e["ended_on"] != "2025-09-26" || e["due"] != "2025-10-16 (10 WD, aba-2024-trial)" {
		t.Errorf("emergency row %v", e)
	}
	if d := got["data"]; d["state_code"] != "overdue" || d["evaluation_code"] != "seal" || d["collected_by"] != "county-a, county-b" || d["evidence"] != "1, 2, 5" {
		t.Errorf("data row %v", d)
	}
	if a := got["applications"]; a["state_code"] != "overdue" {
		t.Errorf("application row %v", a)
	}
}

func TestKindNeedsPolicy(t *testing.T) {
	if _, err := Kind.New(report.Options{}); err == nil {
		t.Fatal("built without a policy and calendar")
	}
}
