package calendar

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// TestLibraryTableAgreesWithTheLibrary: the table read once from the library answers every
// day of the library's range as the library's own day lookup does (a table that dropped or
// misread a holiday would move deadlines).
func TestLibraryTableAgreesWithTheLibrary(t *testing.T) {
	c := Default()
	n := 0
	for d := libraryFrom; !libraryTo.Before(d); d = d.AddDays(1) {
		want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		if h := HolidayUtil.GetHolidayByYmd(d.Year, int(d.Month), d.Day); h != nil {
			want = h.IsWork()
			n++
		}
		got, err := c.IsWorkday(d)
		if err != nil || got != want {
			t.Fatalf("%s: IsWorkday %v, %v; the library says %v", d, got, err, want)
		}
	}
	if n < 500 {
		t.Fatalf("only %d listed days in the library's range", n)
	}
}

// TestYearTablesCountAsTheWalk: WorkdaysBetween from the year tables equals the
// day-by-day count for random spans (within a year, across years, across leap days and
// the Spring Festival and National Day holidays), on the library's calendar and on one
// whose operator file overrides days; spans touching a year without whole data fall back
// to the walk, which names the missing day.
func TestYearTablesCountAsTheWalk(t *testing.T) {
	over, err := Default().With(File{Years: []Year{{Year: 2028, DaysOff: []string{"2028-01-03"}, WorkingDays: []string{"2028-01-08"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	for _, c := range []*Calendar{Default(), over} {
		for i := 0; i < 3000; i++ {
			a := Date{2002, time.January, 1}.AddDays(r.IntN(27 * 366))
			b := a.AddDays(r.IntN(800) - 100)
			want, werr := c.walkBetween(a, b)
			got, gerr := c.WorkdaysBetween(a, b)
			if got != want || (werr == nil) != (gerr == nil) {
				t.Fatalf("WorkdaysBetween(%s, %s) = %d, %v; the walk says %d, %v", a, b, got, gerr, want, werr)
			}
		}
	}
	if n, err := Default().WorkdaysBetween(Date{2027, time.September, 1}, Date{2027, time.December, 1}); err == nil {
		t.Fatalf("a span past the library's data counted %d", n)
	}
}

// TestDateStringAsPrintf: the written-out String is fmt's "%04d-%02d-%02d" for every day
// of four centuries and for odd values.
func TestDateStringAsPrintf(t *testing.T) {
	check := func(d Date) {
		if got, want := d.String(), fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day); got != want {
			t.Fatalf("%#v: %q, want %q", d, got, want)
		}
	}
	for d := (Date{1900, time.January, 1}); d.Year < 2300; d = d.AddDays(1) {
		check(d)
	}
	for _, d := range []Date{{}, {9999, 12, 31}, {10000, 1, 1}, {-1, 1, 1}, {2026, 13, 40}, {2026, 100, 1}, {5, 1, 1}} {
		check(d)
	}
}
