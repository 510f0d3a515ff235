package policy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
)

//go:embed aba-2024-trial.json
var embedded []byte

// ErrNoPolicy: no policy version is in force on the day asked about.
var ErrNoPolicy = errors.New("no policy in force")

// DeadlineIDs are the deadlines obligations.md defines; every version defines each.
var DeadlineIDs = []string{"D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9", "D10", "D11", "D12"}

// FindingIDs are the finding rules obligations.md defines; every version defines each.
var FindingIDs = []string{"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12", "F13", "F14", "F15", "F16", "F17", "F18", "F19"}

// ParameterNames are the parameters the projections read; every version defines each.
var ParameterNames = []string{"training_min_per_year", "drill_min_per_year", "stress_test_min_per_year", "backup_max_interval_days", "aggregation_grace_workdays",
	"late_record_grace_workdays", "migration_window_max_days"}

// Basis says where a number comes from.
const (
	BasisMeasures = "measures" // the text of the Measures gives it
	BasisPolicy   = "policy"   // a documented default where the text says "immediately", "regularly", …
)

// Deadline is one working-day deadline: counted from the day of a trigger event, met by
// a completion event.
type Deadline struct {
	// Workdays after the trigger day (0: the same working day). Nil when the act itself
	// sets the deadline (FromAct).
	Workdays *int `json:"workdays,omitempty"`
	// ExtendedWorkdays applies when an authorised extension was recorded (D3).
	ExtendedWorkdays *int `json:"extended_workdays,omitempty"`
	// FromAct names the trigger's payload field holding the deadline date (D11).
	FromAct    string   `json:"from_act,omitempty"`
	Basis      string   `json:"basis"`
	Articles   []string `json:"articles"`
	Trigger    []string `json:"trigger"`
	Completion []string `json:"completion"`
	DescZH     string   `json:"desc_zh"`
	DescEN     string   `json:"desc_en"`
}

// Due returns the last on-time day for an act triggered on day d, or ErrNoData from the
// calendar. extended selects ExtendedWorkdays when the deadline has one. A deadline set
// by the act (FromAct) has no Due: read it from the act.
func (dl Deadline) Due(cal *calendar.Calendar, d calendar.Date, extended bool) (calendar.Date, error) {
	n := dl.Workdays
	if extended && dl.ExtendedWorkdays != nil {
		n = dl.ExtendedWorkdays
	}
	if n == nil {
		return calendar.Date{}, fmt.Errorf("deadline is set by the act's %s, not by policy", dl.FromAct)
	}
	return cal.Due(d, *n)
}

// Parameter is one numeric setting.
type Parameter struct {
	Value    int      `json:"value"`
	Unit     string   `json:"unit"` // count_per_year | calendar_days | workdays
	Basis    string   `json:"basis"`
	Articles []string `json:"articles"`
	DescZH   string   `json:"desc_zh"`
	DescEN   string   `json:"desc_en"`
}

// Finding is one penalty-trigger rule: what it cites and which deadlines it watches.
type Finding struct {
	Cites     []string `json:"cites"`
	Deadlines []string `json:"deadlines,omitempty"`
	TitleZH   string   `json:"title_zh"`
	TitleEN   string   `json:"title_en"`
}

// Version is the policy in force over a range of days.
type Version struct {
	ID             string        `json:"id"`
	Extends        string        `json:"extends,omitempty"`
	TitleZH        string        `json:"title_zh"`
	TitleEN        string        `json:"title_en"`
	Note           string        `json:"note,omitempty"`
	EffectiveFrom  calendar.Date `json:"effective_from"`
	EffectiveUntil calendar.Date `json:"effective_until"` // exclusive
	// ClaimsFrom is the earliest day an act may claim (occurred_at) outside a migration
	// declaration: the door refuses an earlier claim, so that history enters the ledger
	// only declared as such (docs/domain-decisions.md, "Time that can be trusted").
	ClaimsFrom calendar.Date        `json:"claims_from"`
	Deadlines  map[string]Deadline  `json:"deadlines"`
	Parameters map[string]Parameter `json:"parameters"`
	Findings   map[string]Finding   `json:"findings"`
	// Source is where the version was read from ("embedded" or a file path); not in files.
	Source string `json:"-"`
}

// Deadline returns deadline id (D1…D12); loading guarantees every known id is present.
func (v *Version) Deadline(id string) Deadline { return v.Deadlines[id] }

// Param returns a parameter's value; loading guarantees every known name is present.
func (v *Version) Param(name string) int { return v.Parameters[name].Value }

// Finding returns finding rule id (F1…F18).
func (v *Version) Finding(id string) Finding { return v.Findings[id] }

// Holds reports whether d lies in the version's range.
func (v *Version) Holds(d calendar.Date) bool {
	return !d.Before(v.EffectiveFrom) && d.Before(v.EffectiveUntil)
}

// Set is a validated collection of versions. It is immutable and safe for concurrent use.
type Set struct {
	versions []*Version // sorted by EffectiveFrom
}

// file is the on-disk form: raw versions, so that "extends" can merge-patch.
type file struct {
	Versions []json.RawMessage `json:"versions"`
}

var (
	defaultOnce sync.Once
	defaultSet  *Set
	defaultErr  error
)

// Default returns the embedded policy. The embedded file is checked by tests; an error
// here means the binary was built from a broken file.
func Default() (*Set, error) {
	defaultOnce.Do(func() { defaultSet, defaultErr = Parse(nil, embedded, "embedded") })
	return defaultSet, defaultErr
}

// At returns the embedded policy version in force on d.
func At(d calendar.Date) (*Version, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.At(d)
}

// AtTime returns the embedded policy version in force on the China day of t.
func AtTime(t time.Time) (*Version, error) { return At(calendar.DateOf(t)) }

// Load returns the embedded policy extended with the operator's file at path.
func Load(path string) (*Set, error) {
	base, err := Default()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy file: %w", err)
	}
	return Parse(base, b, path)
}

// Parse reads a policy file and returns base (which may be nil) extended with its versions.
func Parse(base *Set, data []byte, source string) (*Set, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("policy %s: %w", source, err)
	}
	out := &Set{}
	raws := map[string]json.RawMessage{}
	if base != nil {
		out.versions = slices.Clone(base.versions)
		for _, v := range base.versions {
			b, _ := json.Marshal(v)
			raws[v.ID] = b
		}
	}
	for i, raw := range f.Versions {
		var head struct {
			ID      string `json:"id"`
			Extends string `json:"extends"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("policy %s: versions[%d]: %w", source, i, err)
		}
		if head.ID == "" {
			return nil, fmt.Errorf("policy %s: versions[%d].id is required", source, i)
		}
		if _, dup := raws[head.ID]; dup {
			return nil, fmt.Errorf("policy %s: versions[%d].id %q is already defined", source, i, head.ID)
		}
		merged := raw
		if head.Extends != "" {
			b, ok := raws[head.Extends]
			if !ok {
				return nil, fmt.Errorf("policy %s: versions[%d].extends: no version %q before it", source, i, head.Extends)
			}
			var err error
			if merged, err = mergePatch(b, raw); err != nil {
				return nil, fmt.Errorf("policy %s: versions[%d]: %w", source, i, err)
			}
		}
		var v Version
		dec := json.NewDecoder(bytes.NewReader(merged))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("policy %s: versions[%d] (%s): %w", source, i, head.ID, err)
		}
		v.Source = source
		if err := v.validate(); err != nil {
			return nil, fmt.Errorf("policy %s: version %s: %w", source, v.ID, err)
		}
		raws[v.ID] = merged
		out.versions = append(out.versions, &v)
	}
	slices.SortStableFunc(out.versions, func(a, b *Version) int {
		switch {
		case a.EffectiveFrom.Before(b.EffectiveFrom):
			return -1
		case b.EffectiveFrom.Before(a.EffectiveFrom):
			return 1
		}
		return 0
	})
	for i := 1; i < len(out.versions); i++ {
		if out.versions[i].EffectiveFrom == out.versions[i-1].EffectiveFrom {
			return nil, fmt.Errorf("policy %s: versions %s and %s both start on %s: which is in force would be ambiguous",
				source, out.versions[i-1].ID, out.versions[i].ID, out.versions[i].EffectiveFrom)
		}
	}
	return out, nil
}

// At returns the version in force on d: of those whose range holds d, the one that
// started last.
func (s *Set) At(d calendar.Date) (*Version, error) {
	for i := len(s.versions) - 1; i >= 0; i-- {
		if s.versions[i].Holds(d) {
			return s.versions[i], nil
		}
	}
	return nil, fmt.Errorf("%w on %s (无 %s 适用的策略版本): add the revised policy to the policy file", ErrNoPolicy, d, d)
}

// Latest returns the version that started last on or before d, whether or not it still
// holds on d: the rule an act recorded after every version ended is checked against
// (its claim's lower bound, its grace), so that the end of a trial version never
// leaves the door without a bound. ErrNoPolicy when no version started by d.
func (s *Set) Latest(d calendar.Date) (*Version, error) {
	for i := len(s.versions) - 1; i >= 0; i-- {
		if !d.Before(s.versions[i].EffectiveFrom) {
			return s.versions[i], nil
		}
	}
	return nil, fmt.Errorf("%w on or before %s (%s 之前无策略版本)", ErrNoPolicy, d, d)
}

// Versions lists every version, oldest first.
func (s *Set) Versions() []*Version { return slices.Clone(s.versions) }

func (v *Version) validate() error {
	var errs []error
	if !v.EffectiveFrom.Valid() || !v.EffectiveUntil.Valid() {
		errs = append(errs, errors.New("effective_from and effective_until are required dates"))
	} else if !v.EffectiveFrom.Before(v.EffectiveUntil) {
		errs = append(errs, errors.New("effective_until must be after effective_from"))
	}
	if !v.ClaimsFrom.Valid() {
		errs = append(errs, errors.New("claims_from is a required date (the earliest day an act may claim outside a migration)"))
	}
	if v.TitleZH == "" || v.TitleEN == "" {
		errs = append(errs, errors.New("title_zh and title_en are required"))
	}
	basis := func(where, b string) {
		if b != BasisMeasures && b != BasisPolicy {
			errs = append(errs, fmt.Errorf("%s.basis must be %q or %q", where, BasisMeasures, BasisPolicy))
		}
	}
	for _, id := range DeadlineIDs {
		d, ok := v.Deadlines[id]
		w := "deadlines." + id
		if !ok {
			errs = append(errs, fmt.Errorf("%s is missing", w))
			continue
		}
		if (d.Workdays == nil) == (d.FromAct == "") {
			errs = append(errs, fmt.Errorf("%s needs exactly one of workdays and from_act", w))
		}
		if d.Workdays != nil && *d.Workdays < 0 || d.ExtendedWorkdays != nil && (d.Workdays == nil || *d.ExtendedWorkdays < *d.Workdays) {
			errs = append(errs, fmt.Errorf("%s: workdays must be >= 0 and extended_workdays >= workdays", w))
		}
		basis(w, d.Basis)
		if len(d.Articles) == 0 || len(d.Trigger) == 0 || len(d.Completion) == 0 || d.DescZH == "" || d.DescEN == "" {
			errs = append(errs, fmt.Errorf("%s needs articles, trigger, completion, desc_zh and desc_en", w))
		}
	}
	for _, n := range ParameterNames {
		p, ok := v.Parameters[n]
		w := "parameters." + n
		if !ok {
			errs = append(errs, fmt.Errorf("%s is missing", w))
			continue
		}
		if p.Value < 0 || p.Unit == "" || len(p.Articles) == 0 {
			errs = append(errs, fmt.Errorf("%s needs a value >= 0, a unit and articles", w))
		}
		basis(w, p.Basis)
	}
	for _, id := range FindingIDs {
		f, ok := v.Findings[id]
		w := "findings." + id
		if !ok {
			errs = append(errs, fmt.Errorf("%s is missing", w))
			continue
		}
		if len(f.Cites) == 0 || f.TitleZH == "" || f.TitleEN == "" {
			errs = append(errs, fmt.Errorf("%s needs cites, title_zh and title_en", w))
		}
		for _, d := range f.Deadlines {
			if _, ok := v.Deadlines[d]; !ok {
				errs = append(errs, fmt.Errorf("%s names unknown deadline %s", w, d))
			}
		}
	}
	for _, c := range []struct {
		section string
		have    map[string]bool
		known   []string
	}{{"deadlines", keys(v.Deadlines), DeadlineIDs}, {"parameters", keys(v.Parameters), ParameterNames}, {"findings", keys(v.Findings), FindingIDs}} {
		for k := range c.have {
			if !slices.Contains(c.known, k) {
				errs = append(errs, fmt.Errorf("%s.%s is not a known %s entry", c.section, k, c.section))
			}
		}
	}
	return errors.Join(errs...)
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range maps.Keys(m) {
		out[k] = true
	}
	return out
}

// mergePatch applies an RFC 7386 JSON merge patch: objects merge member by member, null
// deletes, anything else replaces. "extends" itself is dropped from the result.
func mergePatch(target, patch []byte) ([]byte, error) {
	var t, p any
	if err := json.Unmarshal(target, &t); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	out := merge(t, p)
	if m, ok := out.(map[string]any); ok {
		delete(m, "extends")
		delete(m, "note")
		if pm, ok := p.(map[string]any); ok {
			if n, ok := pm["note"]; ok {
				m["note"] = n
			}
		}
	}
	return json.Marshal(out)
}

func merge(t, p any) any {
	pm, ok := p.(map[string]any)
	if !ok {
		return p
	}
	tm, ok := t.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = merge(tm[k], v)
	}
	return tm
}

// Cite formats a list of citations for messages: "第四十一条第(一)项、第十六条".
func Cite(arts []string) string { return strings.Join(arts, "、") }
