// Package calendar is the PRC working-day calendar the Measures' deadlines are counted in
// (工作日: statutory days off and the adjusted working weekends, 调休).
//
// It guarantees that a working-day count is either computed from real schedule data or
// refused: a date in a year for which neither the maintained library nor the operator's
// file holds the State Council's schedule is an error (ErrNoData), never a silent
// Monday-to-Friday guess. A deadline counted wrongly is a finding raised wrongly.
//
// # Basics
//
// Default returns the calendar built from github.com/6tail/lunar-go's HolidayUtil, which
// covers 2002-01-01 to 2027-10-09. An operator extends it with a file (LoadFile, JSON)
// that lists, per year, the days off and adjusted working days of the State Council
// notice published each November; a year in the file is complete from then on, and its
// listed days override the library's.
//
//	cal, err := calendar.Default().WithFile("/etc/dataledger/calendar.json")
//	due, err := cal.AddWorkdays(calendar.MustParse("2026-09-30"), 1) // 2026-10-08
//
// Days are civil dates in China Standard Time (UTC+8, no daylight saving): DateOf turns
// an event's instant into the day it happened on there.
//
// # Caveats
//
// The library's data past 2027-10-09 is absent; it would answer Monday to Friday for
// them, which is why coverage is tracked here, not inferred from the library's answers.
// A Calendar is immutable and safe for concurrent use; WithFile returns a new one.
package calendar
