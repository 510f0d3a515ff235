package obligations

import (
	"math/rand/v2"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
)

// The report's walk answers what the calendar answers, day pairs inside, around and
// outside the days walked, and across the end of the calendar's data.
func TestWorkdaysAgreesWithTheCalendar(t *testing.T) {
	cal := calendar.Default()
	first, last := calendar.MustParse("2025-09-20"), calendar.MustParse("2027-10-20") // past the library's data
	w := newWorkdays(cal, first, last)
	r := rand.New(rand.NewPCG(1, 2))
	base := calendar.MustParse("2025-09-01")
	for range 400 {
		a, b := base.AddDays(r.IntN(800)), base.AddDays(r.IntN(800))
		want, wantErr := cal.WorkdaysBetween(a, b)
		got, err := w.between(a, b)
		if got != want || (err == nil) != (wantErr == nil) {
			t.Fatalf("between(%s, %s) = %d, %v; the calendar says %d, %v", a, b, got, err, want, wantErr)
		}
	}
}
