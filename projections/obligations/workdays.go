package obligations

import "github.com/aba-prefecture/dataledger/domain/calendar"

// workdays answers the calendar's WorkdaysBetween for one report from one walk over the
// days the report spans: a report judges many obligations against the same days, and
// the calendar looks each day up slowly. It lives for one call, so a model stays
// read-only while reports are drawn from it.
type workdays struct {
	cal   *calendar.Calendar
	first calendar.Date
	work  []int // work[i]: working days among the i days from first
	gaps  []int // gaps[i]: days without calendar data among them
}

// newWorkdays walks the days from first through last (none when last is before first).
func newWorkdays(cal *calendar.Calendar, first, last calendar.Date) *workdays {
	w := &workdays{cal: cal, first: first, work: []int{0}, gaps: []int{0}}
	if !first.Valid() || !last.Valid() {
		return w
	}
	for d := first; !last.Before(d); d = d.AddDays(1) {
		isWork, err := cal.IsWorkday(d)
		n, g := w.work[len(w.work)-1], w.gaps[len(w.gaps)-1]
		switch {
		case err != nil:
			g++
		case isWork:
			n++
		}
		w.work, w.gaps = append(w.work, n), append(w.gaps, g)
	}
	return w
}

// between is cal.WorkdaysBetween(a, b): the working days after a up to and including b
// (0 if b is not after a), refused when a day among them has no data.
func (w *workdays) between(a, b calendar.Date) (int, error) {
	if !a.Before(b) {
		return 0, nil
	}
	i, j := w.index(a.AddDays(1)), w.index(b)+1
	if !a.Valid() || !b.Valid() || i < 0 || j >= len(w.work) {
		return w.cal.WorkdaysBetween(a, b) // outside the days walked
	}
	if w.gaps[j] > w.gaps[i] {
		return w.cal.WorkdaysBetween(a, b) // the calendar's own refusal
	}
	return w.work[j] - w.work[i], nil
}

// index is d's position among the days walked (negative before first).
func (w *workdays) index(d calendar.Date) int {
	return int(d.Start().Sub(w.first.Start()).Hours() / 24)
}
