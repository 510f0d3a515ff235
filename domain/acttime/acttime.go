package acttime

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
)

// Floor is the sanity floor: an act claiming a day before it is refused at the door
// whatever is declared (year 0001 is a forgotten field, not history). The working-day
// calendar has no data before 2002 either.
var Floor = calendar.Date{Year: 2000, Month: 1, Day: 1}

// GraceParam is the policy parameter giving the grace in working days.
const GraceParam = "late_record_grace_workdays"

// Migration is an authority's declaration (migration.declared.v1) that the institutions
// it names record acts of an earlier period, claiming days From–Until (inclusive), during
// the recording window [WindowFrom, WindowUntil). Acts it covers count on the day they
// claim, shown as migrated; it covers only acts recorded in its window, which opens no
// earlier than the declaration is recorded, so nothing recorded before it is re-judged.
type Migration struct {
	ID           string
	Institutions []string
	From, Until  calendar.Date
	WindowFrom   time.Time
	WindowUntil  time.Time
	By           string // the declaring authority
	Seq          uint64 // the declaration's position
}

// Covers reports whether an act of inst claiming day claimed and recorded at recorded is
// one the declaration covers.
func (m Migration) Covers(inst string, claimed calendar.Date, recorded time.Time) bool {
	return slices.Contains(m.Institutions, inst) && !claimed.Before(m.From) && !m.Until.Before(claimed) &&
		!recorded.Before(m.WindowFrom) && recorded.Before(m.WindowUntil)
}

// Time is when an act counts.
type Time struct {
	Claimed   calendar.Date `json:"claimed"`   // China day of occurred_at
	Recorded  calendar.Date `json:"recorded"`  // China day of recorded_at
	Effective calendar.Date `json:"effective"` // the day it counts: deadlines, findings, reports
	// Late: recorded after the grace; the effective day is the recording day less the
	// grace. LateWorkdays counts working days past the last timely recording day.
	Late         bool   `json:"late,omitempty"`
	LateWorkdays int    `json:"late_workdays,omitempty"`
	Grace        int    `json:"grace_workdays"`
	Migration    string `json:"migration,omitempty"` // the declaration covering it: counted on its claimed day
	Policy       string `json:"policy,omitempty"`    // the version that gave the grace
	// Problem says why the grace could not be counted (no policy version started by the
	// recording day, or no calendar data for it); the act then counts on its recording
	// day, the reading that never favours a back-dated claim.
	Problem string `json:"problem,omitempty"`
}

// Migrated reports whether a migration declaration covers the act.
func (t Time) Migrated() bool { return t.Migration != "" }

// Of computes when an act counts: claimed day = China day of occurred, recorded day =
// China day of recorded; an act a migration covers counts on its claimed day; otherwise
// effective = max(claimed, recorded day less the grace in working days), where the grace
// is the policy version in force on the recorded day (or the last that started by then).
// An act is late when that bound exceeds its claimed day. migs are the declarations
// recorded so far, oldest first.
func Of(occurred, recorded time.Time, inst string, pol *policy.Set, cal *calendar.Calendar, migs []Migration) Time {
	t := Time{Claimed: calendar.DateOf(occurred), Recorded: calendar.DateOf(recorded)}
	t.Effective = t.Claimed
	if recorded.IsZero() {
		return t // not sealed yet: nothing to bound
	}
	for i := len(migs) - 1; i >= 0; i-- {
		if migs[i].Covers(inst, t.Claimed, recorded) {
			t.Migration = migs[i].ID
			return t
		}
	}
	if !t.Claimed.Before(t.Recorded) {
		return t // recorded on (or, within the ledger's clock skew, before) the claimed day
	}
	bound, err := t.bound(pol, cal)
	if err != nil {
		t.Problem = err.Error()
		bound = t.Recorded
	}
	if t.Claimed.Before(bound) {
		t.Late, t.Effective = true, bound
		if due, err := cal.Due(t.Claimed, t.Grace); err == nil {
			t.LateWorkdays, _ = cal.WorkdaysBetween(due, t.Recorded)
		}
	}
	return t
}

// bound is the recording day less the grace.
func (t *Time) bound(pol *policy.Set, cal *calendar.Calendar) (calendar.Date, error) {
	if pol == nil || cal == nil {
		return calendar.Date{}, errors.New("no policy or calendar to count the grace")
	}
	v, err := pol.At(t.Recorded)
	if err != nil {
		if v, err = pol.Latest(t.Recorded); err != nil {
			return calendar.Date{}, fmt.Errorf("late-record grace: %w", err)
		}
	}
	t.Grace, t.Policy = v.Param(GraceParam), v.ID
	if t.Grace == 0 {
		return t.Recorded, nil
	}
	b, err := cal.AddWorkdays(t.Recorded, -t.Grace)
	if err != nil {
		return calendar.Date{}, fmt.Errorf("late-record grace: %w", err)
	}
	return b, nil
}

// Claim is the door's verdict on a claimed day.
type Claim int

// Verdicts.
const (
	ClaimOK          Claim = iota
	ClaimBeforeFloor       // before Floor: always refused
	ClaimTooEarly          // before the policy's claims_from and not covered by a migration
)

// CheckClaim judges the day an act claims at admission (recorded = the admission time):
// before the sanity floor it is refused whatever is declared; before the policy's
// claims_from (the version in force on the admission day, or the last that started by
// then) it is refused unless a migration covers it. It returns the earliest day allowed
// for the message.
func CheckClaim(occurred, recorded time.Time, inst string, pol *policy.Set, migs []Migration) (Claim, calendar.Date) {
	d := calendar.DateOf(occurred)
	if d.Before(Floor) {
		return ClaimBeforeFloor, Floor
	}
	if pol == nil {
		return ClaimOK, Floor
	}
	today := calendar.DateOf(recorded)
	v, err := pol.At(today)
	if err != nil {
		if v, err = pol.Latest(today); err != nil {
			return ClaimOK, Floor
		}
	}
	if !d.Before(v.ClaimsFrom) {
		return ClaimOK, v.ClaimsFrom
	}
	for _, m := range migs {
		if m.Covers(inst, d, recorded) {
			return ClaimOK, v.ClaimsFrom
		}
	}
	return ClaimTooEarly, v.ClaimsFrom
}
