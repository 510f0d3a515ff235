package acttime_test

import (
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
)

func at(day string, hour int) time.Time {
	return calendar.MustParse(day).Start().Add(time.Duration(hour) * time.Hour)
}

// The effective day is max(claimed, recorded less the grace in working days), counted
// on the PRC calendar: a Friday act recorded on Monday is timely (one working day of
// grace), on Tuesday late and counted on Monday; National Day 2025 is not a working day.
func TestOf(t *testing.T) {
	pol, _ := policy.Default()
	cal := calendar.Default()
	for _, c := range []struct {
		claimed, recorded string
		late              bool
		effective         string
		lateWD            int
	}{
		{"2025-11-21", "2025-11-21", false, "2025-11-21", 0},
		{"2025-11-21", "2025-11-24", false, "2025-11-21", 0}, // Friday → Monday: within one working day
		{"2025-11-21", "2025-11-25", true, "2025-11-24", 1},  // Tuesday: late, counted on Monday
		{"2025-11-20", "2025-12-08", true, "2025-12-05", 11}, // the back-dated grant
		{"2025-09-30", "2025-10-09", false, "2025-09-30", 0}, // the holiday is not a working day
		{"2025-09-30", "2025-10-10", true, "2025-10-09", 1},
		{"2025-11-22", "2025-11-21", false, "2025-11-22", 0}, // a claim after the seal (clock skew) stays
	} {
		got := acttime.Of(at(c.claimed, 10), at(c.recorded, 11), "inst", pol, cal, nil)
		if got.Late != c.late || got.Effective.String() != c.effective || got.LateWorkdays != c.lateWD || got.Grace != 1 && c.late {
			t.Errorf("claimed %s recorded %s: %+v; want late=%v effective %s (%d WD)", c.claimed, c.recorded, got, c.late, c.effective, c.lateWD)
		}
	}
}

// A migration covers its institutions, claimed period and recording window, nothing else.
func TestMigration(t *testing.T) {
	pol, _ := policy.Default()
	m := acttime.Migration{ID: "mig", Institutions: []string{"a"}, From: calendar.MustParse("2025-01-01"), Until: calendar.MustParse("2025-06-30"),
		WindowFrom: at("2025-07-01", 0), WindowUntil: at("2025-07-10", 0)}
	for _, c := range []struct {
		inst, claimed, recorded string
		migrated                bool
	}{
		{"a", "2025-03-01", "2025-07-02", true},
		{"b", "2025-03-01", "2025-07-02", false},
		{"a", "2024-12-31", "2025-07-02", false}, // claim outside the period
		{"a", "2025-03-01", "2025-07-10", false}, // recorded after the window
	} {
		got := acttime.Of(at(c.claimed, 10), at(c.recorded, 11), c.inst, pol, calendar.Default(), []acttime.Migration{m})
		if got.Migrated() != c.migrated || c.migrated && (got.Late || got.Effective.String() != c.claimed) || !c.migrated && !got.Late {
			t.Errorf("%+v: %+v", c, got)
		}
	}
	if v, _ := acttime.CheckClaim(at("0001-01-01", 0), at("2025-07-02", 0), "a", pol, []acttime.Migration{m}); v != acttime.ClaimBeforeFloor {
		t.Errorf("year 0001: %v", v)
	}
	if v, d := acttime.CheckClaim(at("2024-01-01", 10), at("2025-07-02", 0), "a", pol, nil); v != acttime.ClaimTooEarly || d.String() != "2024-12-31" {
		t.Errorf("2024 without a migration: %v %s", v, d)
	}
}

// Without calendar data for the recording day the grace cannot be counted: the act
// counts on its recording day, never on a guess that favours the claim.
func TestNoCalendarNeverFavoursTheClaim(t *testing.T) {
	pol, _ := policy.Default()
	got := acttime.Of(at("2025-06-02", 10), at("2031-06-02", 10), "inst", pol, calendar.Default(), nil)
	if !got.Late || got.Effective.String() != "2031-06-02" || got.Problem == "" {
		t.Errorf("%+v", got)
	}
}
