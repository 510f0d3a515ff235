package livetest

import (
	"strings"
	"testing"
	"time"
)

// The script's acts reach the series: the probe's F3 and the F18 from 0 to 1, the
// refusals by code, the integrity failure; the public listener carries no
// per-institution series.
func TestActsReachTheSeries(t *testing.T) {
	s := Start(t)
	// The series come from read models, which apply commits a moment after they are
	// made (at most every 50 ms under load): the probe's registration is waited for.
	wantBefore := []string{
		`ledger_findings_raised_total{article="17",institution="mon-probe",rule="F3"} 0`,
		`ledger_read_audit_records_total 2`,
	}
	var before string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if before = s.Scrape(t); containsAll(before, wantBefore) {
			break
		}
	}
	for _, want := range wantBefore {
		if !strings.Contains(before, want) {
			t.Errorf("before Act: no %s", want)
		}
	}
	s.Act(t)
	want := []string{
		`ledger_findings_raised_total{article="17",institution="mon-probe",rule="F3"} 2`,
		`ledger_appends_total{code="malformed_json",outcome="refused"} 3`,
		`ledger_appends_total{code="bad_signature",outcome="refused"} 3`,
		`ledger_appends_total{code="unknown_key",outcome="refused"} 3`,
		`ledger_appends_total{code="key_not_bound",outcome="refused"} 3`,
		`ledger_appends_total{code="access_suspended",outcome="refused"} 1`,
		`ledger_verify_failures_total{reason="rewritten"} 1`,
		`ledger_suspended_parties{party_kind="legal_person"} 1`,
	}
	var m string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if m = s.Scrape(t); containsAll(m, want) {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(m, w) {
			t.Errorf("after Act: no %s", w)
		}
	}
	if pub := s.ScrapePublic(t); strings.Contains(pub, "institution=") || !strings.Contains(pub, "ledger_entries ") {
		t.Errorf("public /metrics carries per-institution series or lacks the rest")
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
