package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/projections/assessment"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

// TestFindingsOfTheDemo writes the demo's scenario into a ledger exactly as `ledgerctl
// demo` does (signed, checked at the door, appended wave by wave), folds the ledger into
// findings and obligations, and holds them to the scenario's own list of deliberate
// violations: every planted violation is raised with its rule and the evidence seq of
// the act that breaks it, and nothing is raised that the scenario did not plant.
//
// The scenario ends on 31 December 2025 and is judged on 1 January 2026, so its
// deadlines fall across National Day 2025 and the year's security duties (F16) are
// judged for a year that has ended.
func TestFindingsOfTheDemo(t *testing.T) {
	const n, seed = 300, 11
	end := time.Date(2025, 12, 31, 0, 0, 0, 0, calendar.CST)
	asOf := calendar.MustParse("2026-01-01")
	dir := filepath.Join(t.TempDir(), "demo")
	ctx := context.Background()
	res, err := runDemo(ctx, dir, n, seed, 8, nil, end)
	if err != nil {
		t.Fatal(err)
	}
	tl := scenario.Generate(scenario.Config{Events: n, Seed: seed, End: end}) // the same timeline: ids come from the seed

	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	scores := assessment.New(pol, calendar.Default())
	fold := scores.Findings()
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seqOf := map[string]uint64{} // event id → seq; a refused act → its refusal's seq
	if err := st.Entries(ctx, 0, res.Entries, func(raw ledger.RawEntry) error {
		e, err := ledger.ParseEntry(raw.Bytes)
		if err != nil {
			return err
		}
		seqOf[e.Submission.ID] = e.Seq
		if e.Submission.Type == "ledger.access_refused.v1" {
			var p events.AccessRefused
			if err := json.Unmarshal(e.Submission.Payload, &p); err != nil {
				return err
			}
			seqOf[p.RefusedID] = e.Seq
		}
		if err := scores.Apply(e); err != nil {
			t.Errorf("seq %d: %v", e.Seq, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	got := fold.Findings(asOf)
	// The ledger records a refusal with the day the attempt claims (a migrated record of
	// the scenario's year): F18 is there as of the scenario's end, against the party.
	f18 := 0
	for _, f := range got {
		if f.Rule == "F18" {
			f18++
			if f.Institution != scenario.SuspendedParty.Party {
				t.Errorf("F18 against %s, want the suspended party %s", f.Institution, scenario.SuspendedParty.Party)
			}
		}
	}
	if f18 == 0 {
		t.Error("no F18 finding for the refused act")
	}
	obs := fold.Obligations().Obligations(asOf)
	type key struct {
		rule string
		seq  uint64
	}
	planted := map[key]bool{}
	var unplaced []scenario.Violation // violations of acts that never happened
	for _, v := range tl.Violations {
		if v.Event < 0 {
			unplaced = append(unplaced, v)
			continue
		}
		s, ok := seqOf[tl.Events[v.Event].ID]
		if !ok {
			t.Fatalf("planted %s (%s): event %s is not in the ledger", v.Finding, v.Note, tl.Events[v.Event].ID)
		}
		planted[key{v.Finding, s}] = true
	}

	// Every planted violation is raised, with its rule and evidence.
	for k := range planted {
		if strings.HasPrefix(k.rule, "D") { // a deadline without a finding rule (D12): the obligation shows it
			found := false
			for _, o := range obs {
				found = found || o.Deadline == k.rule && o.State.Breached() && o.Met != nil && o.Met.Seq == k.seq
			}
			if !found {
				t.Errorf("planted %s at seq %d: no breached obligation met by it", k.rule, k.seq)
			}
			continue
		}
		found := false
		for _, f := range got {
			for _, e := range f.Evidence {
				found = found || f.Rule == k.rule && e.Seq == k.seq
			}
		}
		if !found {
			t.Errorf("planted %s at seq %d: not raised", k.rule, k.seq)
		}
	}
	for _, v := range unplaced {
		found := false
		for _, f := range got {
			found = found || f.Rule == v.Finding && (strings.Contains(v.Note, f.Institution) || strings.Contains(v.Note, f.Subject))
		}
		if !found {
			t.Errorf("planted %s (%s): not raised", v.Finding, v.Note)
		}
	}

	// Nothing is raised that the scenario did not plant.
	for _, f := range got {
		ok := false
		for _, e := range f.Evidence {
			ok = ok || planted[key{f.Rule, e.Seq}]
		}
		for _, v := range unplaced {
			ok = ok || f.Rule == v.Finding && (strings.Contains(v.Note, f.Institution) || strings.Contains(v.Note, f.Subject))
		}
		if !ok {
			t.Errorf("false positive: %s %s %s %s evidence %v", f.Rule, f.Institution, f.Subject, f.NoteEN, f.Evidence)
		}
		if f.CiteZH == "" || !strings.HasPrefix(f.CiteEN, "Art. ") || f.Policy == "" || f.Responsible == "" && f.Rule != "F18" || f.StateZH == "" {
			t.Errorf("%s against %s lacks its citation, policy, responsible person or state: %+v", f.Rule, f.Institution, f)
		}
	}
	for _, o := range obs {
		if o.State == obligations.Undetermined {
			t.Errorf("undetermined obligation %+v", o)
		}
		if o.Deadline == "D12" && o.State.Breached() && (o.Met == nil || !planted[key{"D12", o.Met.Seq}]) {
			t.Errorf("D12 breached without being planted: %+v", o)
		}
	}

	// Enforcement: the export ordered rectified was rectified; the rectification refused
	// past its deadline escalated the findings it answered.
	states := map[string]findings.State{}
	for _, f := range got {
		states[f.Rule+"/"+f.Institution] = f.State
	}
	for k, want := range map[string]findings.State{"F12/aba-civil-affairs": findings.Rectified, "F3/wenchuan-county": findings.Referred, "F17/wenchuan-county": findings.Referred} {
		if states[k] != want {
			t.Errorf("%s: state %q, want %q", k, states[k], want)
		}
	}
	// The year's scorecard: only the institution that held no drill missed its duties.
	for _, sc := range scores.Institutions(2025, asOf) {
		for _, m := range sc.Measures {
			if m.Key == "security_duties" && (m.Ratio == nil || (*m.Ratio == 0) != (sc.ID == "ruoergai-county")) {
				t.Errorf("%s: security duties %+v", sc.ID, m)
			}
		}
	}
	t.Logf("%d findings, %d obligations, %d planted violations", len(got), len(obs), len(tl.Violations))
}
