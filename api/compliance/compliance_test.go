package compliance_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/prometheus/client_golang/prometheus"
)

// serve starts the ledger's real HTTP handler with the compliance collector registered
// on the registry it serves, as ledgerd wires it, and returns a scrape function.
func serve(t *testing.T, src compliance.Source) func() string {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	reg := prometheus.NewRegistry()
	m, err := api.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := compliance.Register(reg, src); err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Ledger: l, Metrics: m, Gatherer: reg, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return func() string {
		t.Helper()
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
		return string(b)
	}
}

func TestScrape(t *testing.T) {
	src := &compliance.Static{}
	scrape := serve(t, src)
	for _, tc := range []struct {
		name     string
		overdue  []compliance.Overdue
		findings []compliance.Finding
		pos      uint64
		want     []string // lines the scrape must hold
		absent   []string // series names or lines it must not
	}{
		{
			name:   "nothing_due",
			pos:    1,
			want:   []string{"ledger_compliance_position 1", "# TYPE ledger_entries gauge"},
			absent: []string{"ledger_obligations_overdue{", "ledger_findings_open{"},
		},
		{
			name: "overdue_summed_per_group",
			overdue: []compliance.Overdue{
				{Deadline: "D1", Institution: "county-health", Article: "16", Count: 2},
				{Deadline: "D1", Institution: "county-health", Article: "16", Count: 1},
				{Deadline: "D3", Institution: "阿坝州卫健委", Article: "20", Count: 1},
			},
			pos: 40,
			want: []string{
				`ledger_obligations_overdue{article="16",deadline="D1",institution="county-health"} 3`,
				`ledger_obligations_overdue{article="20",deadline="D3",institution="阿坝州卫健委"} 1`,
				"ledger_compliance_position 40",
			},
		},
		{
			name: "findings_open_and_raised",
			findings: []compliance.Finding{
				{Rule: "F17", Institution: "county-health", Article: "41", Open: 1, Raised: 2},
				{Rule: "F18", Institution: "county-edu", Article: "42", Open: 0, Raised: 5},
			},
			want: []string{
				"# TYPE ledger_findings_raised_total counter",
				`ledger_findings_open{article="41",institution="county-health",rule="F17"} 1`,
				`ledger_findings_raised_total{article="41",institution="county-health",rule="F17"} 2`,
				`ledger_findings_open{article="42",institution="county-edu",rule="F18"} 0`,
				`ledger_findings_raised_total{article="42",institution="county-edu",rule="F18"} 5`,
			},
			absent: []string{"ledger_obligations_overdue{"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src.Set(tc.overdue, tc.findings, tc.pos)
			got := scrape()
			for _, w := range tc.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("scrape lacks %q", w)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(got, a) {
					t.Errorf("scrape holds %q", a)
				}
			}
		})
	}
}

// A label value Prometheus cannot carry fails the scrape with an error; it does not
// crash the server.
func TestInvalidLabelDoesNotPanic(t *testing.T) {
	src := &compliance.Static{}
	src.Set([]compliance.Overdue{{Deadline: "D1", Institution: "\xff", Article: "16", Count: 1}}, nil, 0)
	reg := prometheus.NewRegistry()
	if err := compliance.Register(reg, src); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err == nil {
		t.Fatal("invalid UTF-8 label gathered without error")
	}
}

// The standing: every institution's county, the closed label sets at 0 before anything
// happens (so that increase() and the panels per state see them), and emergency data
// summed per institution and state.
func TestScrapeStanding(t *testing.T) {
	src := &compliance.Static{}
	scrape := serve(t, src)
	before := scrape()
	for _, w := range []string{
		`ledger_suspended_parties{party_kind="natural_person"} 0`,
		`ledger_emergencies{state="overdue"} 0`,
	} {
		if !strings.Contains(before, w+"\n") {
			t.Errorf("empty standing lacks %q", w)
		}
	}
	src.SetStanding(compliance.Standing{
		Institutions: []compliance.Institution{{ID: "county-health", County: "wenchuan"}, {ID: "aba-stats", County: "prefecture"}},
		Suspended:    map[string]int{"legal_person": 2},
		Emergencies:  map[string]int{"pending": 1},
		EmergencyData: []compliance.EmergencyData{{Institution: "county-health", State: "pending"},
			{Institution: "county-health", State: "pending", Count: 1}, {Institution: "county-health", State: "pending", Count: 2}},
	})
	got := scrape()
	for _, w := range []string{
		`ledger_institution_info{county="wenchuan",institution="county-health"} 1`,
		`ledger_institution_info{county="prefecture",institution="aba-stats"} 1`,
		`ledger_suspended_parties{party_kind="legal_person"} 2`,
		`ledger_suspended_parties{party_kind="natural_person"} 0`,
		`ledger_emergencies{state="pending"} 1`,
		`ledger_emergencies{state="done"} 0`,
		`ledger_emergency_data{institution="county-health",state="pending"} 3`,
	} {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("scrape lacks %q", w)
		}
	}
}
