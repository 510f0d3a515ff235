package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// ErrNoData is wrapped by every error about a date the calendar holds no schedule for.
var ErrNoData = errors.New("no working-day calendar data")

// NoDataError names the date (and so the year) a computation needed and the calendar lacks.
type NoDataError struct{ Date Date }

func (e *NoDataError) Error() string {
	return fmt.Sprintf("no working-day calendar data for %s (year %d): add the State Council holiday schedule for %d to the calendar file (无 %d 年工作日数据，请在日历文件中补充国务院节假日安排)",
		e.Date, e.Date.Year, e.Date.Year, e.Date.Year)
}

// Unwrap makes errors.Is(err, ErrNoData) true.
func (e *NoDataError) Unwrap() error { return ErrNoData }

// The library's data (HolidayUtil) starts with the 2002 New Year holiday and ends with the
// adjusted working day after National Day 2027.
var (
	libraryFrom = Date{2002, time.January, 1}
	libraryTo   = Date{2027, time.October, 9}
)

// libraryDays is the library's schedule as a table (a listed day → whether it is worked),
// read once per process: the library finds a day by searching its data as a string, which
// cost a third of the ledger's CPU per admitted act when asked day by day.
var libraryDays = sync.OnceValue(func() map[Date]bool {
	days := map[Date]bool{}
	for y := libraryFrom.Year; y <= libraryTo.Year; y++ {
		for e := HolidayUtil.GetHolidaysByYear(y).Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			if d, err := Parse(h.GetDay()); err == nil && d.Year == y {
				days[d] = h.IsWork()
			}
		}
	}
	return days
})

// Calendar answers working-day questions for the dates it has data for.
type Calendar struct {
	years    map[int]bool  // complete years supplied by the operator
	override map[Date]bool // operator's listed days: true = working day, false = day off
	tables   *sync.Map     // year → *yearTable (or errNoTable), built on first use
}

// yearTable counts a whole year's working days cumulatively: cum[i] is the number of
// working days among the year's first i days. WorkdaysBetween answers from it in two
// lookups instead of walking the days (a late record's lateness spans up to a year).
type yearTable struct{ cum [367]uint16 }

// table returns year y's table, or nil when some day of y has no data (the day-by-day
// walk then names it).
func (c *Calendar) table(y int) *yearTable {
	if c.tables == nil {
		return nil
	}
	if t, ok := c.tables.Load(y); ok {
		return t.(*yearTable)
	}
	t := &yearTable{}
	first := Date{y, time.January, 1}
	for i, d := 0, first; d.Year == y; i, d = i+1, d.AddDays(1) {
		w, err := c.IsWorkday(d)
		if err != nil {
			t = nil
			break
		}
		t.cum[i+1] = t.cum[i]
		if w {
			t.cum[i+1]++
		}
	}
	if t != nil && t.cum[366] == 0 { // a year of 365 days: the last slot counts the year
		t.cum[366] = t.cum[365]
	}
	c.tables.Store(y, t)
	return t
}

// Default is the calendar of the maintained library alone.
func Default() *Calendar {
	return &Calendar{years: map[int]bool{}, override: map[Date]bool{}, tables: &sync.Map{}}
}

// File is the operator's calendar file: one entry per year, transcribed from the State
// Council's notice (国务院办公厅关于 YYYY 年部分节假日安排的通知).
type File struct {
	Years []Year `json:"years"`
}

// Year is one year's schedule. Days not listed follow the week: Monday to Friday work,
// Saturday and Sunday off.
type Year struct {
	Year        int      `json:"year"`
	Source      string   `json:"source"`       // the notice, e.g. 国办发明电〔2027〕7号
	DaysOff     []string `json:"days_off"`     // statutory days off (YYYY-MM-DD)
	WorkingDays []string `json:"working_days"` // adjusted working days (调休), usually weekends
}

// LoadFile reads an operator calendar file and returns c extended with it.
func (c *Calendar) LoadFile(path string) (*Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading calendar file: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("calendar file %s: %w", path, err)
	}
	out, err := c.With(f)
	if err != nil {
		return nil, fmt.Errorf("calendar file %s: %w", path, err)
	}
	return out, nil
}

// With returns c extended with the years in f. A listed year becomes complete; its listed
// days override the library's. A day may not be both off and working, nor lie outside its
// year, nor be listed twice.
func (c *Calendar) With(f File) (*Calendar, error) {
	out := &Calendar{years: make(map[int]bool, len(c.years)+len(f.Years)), override: make(map[Date]bool, len(c.override)), tables: &sync.Map{}}
	for y := range c.years {
		out.years[y] = true
	}
	for d, w := range c.override {
		out.override[d] = w
	}
	seenYear := map[int]bool{}
	for i, y := range f.Years {
		if y.Year < 1949 || y.Year > 9999 {
			return nil, fmt.Errorf("years[%d].year: %d is not a plausible year", i, y.Year)
		}
		if seenYear[y.Year] {
			return nil, fmt.Errorf("years[%d].year: %d listed twice", i, y.Year)
		}
		seenYear[y.Year] = true
		seen := map[Date]string{}
		for _, l := range []struct {
			name string
			days []string
			work bool
		}{{"days_off", y.DaysOff, false}, {"working_days", y.WorkingDays, true}} {
			for j, s := range l.days {
				d, err := Parse(s)
				if err != nil {
					return nil, fmt.Errorf("years[%d].%s[%d]: %w", i, l.name, j, err)
				}
				if d.Year != y.Year {
					return nil, fmt.Errorf("years[%d].%s[%d]: %s is not in %d", i, l.name, j, d, y.Year)
				}
				if prev, dup := seen[d]; dup {
					return nil, fmt.Errorf("years[%d].%s[%d]: %s already listed in %s", i, l.name, j, d, prev)
				}
				seen[d] = l.name
				out.override[d] = l.work
			}
		}
		out.years[y.Year] = true
	}
	return out, nil
}

// Covered reports whether the calendar holds schedule data for d.
func (c *Calendar) Covered(d Date) bool {
	if c.years[d.Year] {
		return true
	}
	return !d.Before(libraryFrom) && !libraryTo.Before(d)
}

// CoveredYears lists the years with complete data, for operators' status pages.
func (c *Calendar) CoveredYears() []int {
	var ys []int
	for y := libraryFrom.Year; y < libraryTo.Year; y++ {
		ys = append(ys, y)
	}
	for y := range c.years {
		if !slices.Contains(ys, y) {
			ys = append(ys, y)
		}
	}
	slices.Sort(ys)
	return ys
}

// IsWorkday reports whether d is a working day: a weekday that is not a statutory day
// off, or an adjusted working weekend. It refuses a date without data.
func (c *Calendar) IsWorkday(d Date) (bool, error) {
	if !d.Valid() {
		return false, fmt.Errorf("invalid date %v", d)
	}
	if !c.Covered(d) {
		return false, &NoDataError{Date: d}
	}
	if w, ok := c.override[d]; ok {
		return w, nil
	}
	if w, ok := libraryDays()[d]; ok {
		return w, nil
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// AddWorkdays returns the day n working days after d (n > 0) or before it (n < 0): the
// Measures' "within N working days from the day it happened" ends on AddWorkdays(d, N).
// d itself need not be a working day and is never counted; n == 0 returns d. Every day
// walked over must have data, or the count is refused.
func (c *Calendar) AddWorkdays(d Date, n int) (Date, error) {
	if !d.Valid() {
		return Date{}, fmt.Errorf("invalid date %v", d)
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		w, err := c.IsWorkday(d)
		if err != nil {
			return Date{}, err
		}
		if w {
			n--
		}
	}
	return d, nil
}

// OnOrAfter returns the first working day on or after d: the deadline of an act the
// policy says must happen "immediately" (the same working day).
func (c *Calendar) OnOrAfter(d Date) (Date, error) {
	for {
		w, err := c.IsWorkday(d)
		if err != nil {
			return Date{}, err
		}
		if w {
			return d, nil
		}
		d = d.AddDays(1)
	}
}

// Due returns the last day on which an act due n working days after the trigger day d is
// on time: AddWorkdays for n > 0, the same working day (OnOrAfter) for n == 0.
func (c *Calendar) Due(d Date, n int) (Date, error) {
	if n < 0 {
		return Date{}, fmt.Errorf("a deadline of %d working days is negative", n)
	}
	if n == 0 {
		return c.OnOrAfter(d)
	}
	return c.AddWorkdays(d, n)
}

// WorkdaysBetween counts the working days after a up to and including b (0 if b <= a):
// how late an act was, in the regulation's unit.
func (c *Calendar) WorkdaysBetween(a, b Date) (int, error) {
	if n, ok := c.fastBetween(a, b); ok {
		return n, nil
	}
	return c.walkBetween(a, b)
}

// walkBetween is WorkdaysBetween day by day: the reference, and the path that names the
// first day without data.
func (c *Calendar) walkBetween(a, b Date) (int, error) {
	n := 0
	for d := a.AddDays(1); !b.Before(d); d = d.AddDays(1) {
		w, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if w {
			n++
		}
	}
	return n, nil
}

// fastBetween is WorkdaysBetween from the year tables, when a and b are valid, a < b and
// every year from a's to b's is wholly covered; ok is false otherwise.
func (c *Calendar) fastBetween(a, b Date) (n int, ok bool) {
	if !a.Valid() || !b.Valid() || !a.Before(b) {
		return 0, false
	}
	count := func(d Date) (int, bool) { // working days of d's year up to and including d
		t := c.table(d.Year)
		if t == nil {
			return 0, false
		}
		return int(t.cum[d.time().YearDay()]), true
	}
	for y := a.Year; y < b.Year; y++ {
		t := c.table(y)
		if t == nil {
			return 0, false
		}
		n += int(t.cum[366])
	}
	na, okA := count(a)
	nb, okB := count(b)
	if !okA || !okB {
		return 0, false
	}
	return n + nb - na, true
}
