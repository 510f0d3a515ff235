package calendar_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
)

func TestIsWorkday(t *testing.T) {
	cal := calendar.Default()
	tests := []struct {
		name string
		date string
		want bool
	}{
		{"2025 spring festival eve off", "2025-01-28", false},
		{"2025 spring festival off", "2025-02-04", false},
		{"2025 adjusted sunday before spring festival", "2025-01-26", true},
		{"2025 adjusted saturday after spring festival", "2025-02-08", true},
		{"2025 back to work after spring festival", "2025-02-05", true},
		{"2026 spring festival first day off (sunday)", "2026-02-15", false},
		{"2026 spring festival monday off", "2026-02-16", false},
		{"2026 spring festival last day off", "2026-02-23", false},
		{"2026 adjusted saturday before spring festival", "2026-02-14", true},
		{"2026 adjusted saturday after spring festival", "2026-02-28", true},
		{"2026 national day off", "2026-10-01", false},
		{"2026 national day off, wednesday", "2026-10-07", false},
		{"2026 adjusted sunday before national day", "2026-09-20", true},
		{"2026 adjusted saturday after national day", "2026-10-10", true},
		{"ordinary saturday", "2026-03-07", false},
		{"ordinary monday", "2026-03-09", true},
		{"last library day, adjusted saturday", "2027-10-09", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cal.IsWorkday(calendar.MustParse(tt.date))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("IsWorkday(%s) = %v, want %v", tt.date, got, tt.want)
			}
		})
	}
}

func TestAddWorkdays(t *testing.T) {
	cal := calendar.Default()
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"across national day 2026", "2026-09-30", 1, "2026-10-08"},
		{"national day 2026 then adjusted saturday", "2026-09-30", 3, "2026-10-10"},
		// 09-25..27 mid-autumn off, 28-30 three, 10-01..07 off, 08, 09, 10 (Sat, adjusted) six, 12..15 ten.
		{"national day 2026: 10 WD (D1)", "2026-09-25", 10, "2026-10-15"},
		{"from the adjusted sunday", "2026-09-19", 1, "2026-09-20"},
		{"across spring festival 2026: 7 WD (D5)", "2026-02-12", 7, "2026-02-28"},
		{"across spring festival 2025: 5 WD (D3)", "2025-01-24", 5, "2025-02-07"},
		{"2025 spring: adjusted sunday counts", "2025-01-24", 1, "2025-01-26"},
		{"counted from a day off", "2026-10-03", 1, "2026-10-08"},
		{"zero is the day itself", "2026-10-03", 0, "2026-10-03"},
		{"backwards across national day", "2026-10-08", -1, "2026-09-30"},
		{"ordinary week", "2026-03-06", 5, "2026-03-13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cal.AddWorkdays(calendar.MustParse(tt.from), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestRefusesYearWithoutData(t *testing.T) {
	cal := calendar.Default()
	tests := []struct {
		name string
		from string
		n    int
	}{
		{"2028 entirely", "2028-03-01", 1},
		{"crossing into 2028", "2027-12-30", 5},
		{"end of 2027 beyond the library", "2027-10-09", 1},
		{"before the library", "2001-06-01", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cal.AddWorkdays(calendar.MustParse(tt.from), tt.n)
			if !errors.Is(err, calendar.ErrNoData) {
				t.Fatalf("AddWorkdays(%s, %d) error = %v, want ErrNoData", tt.from, tt.n, err)
			}
		})
	}
	if _, err := cal.IsWorkday(calendar.MustParse("2028-01-03")); !errors.Is(err, calendar.ErrNoData) {
		t.Errorf("IsWorkday(2028-01-03) error = %v, want ErrNoData", err)
	}
}

func TestOperatorFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "calendar.json")
	// A made-up 2028 schedule: New Year on Monday 01-03 off, Saturday 01-08 worked.
	if err := os.WriteFile(path, []byte(`{"years":[
	  {"year":2028,"source":"test notice","days_off":["2028-01-03"],"working_days":["2028-01-08"]},
	  {"year":2027,"source":"test notice","days_off":["2027-12-31"],"working_days":[]}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Default().LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    string
		want bool
	}{{"2028-01-03", false}, {"2028-01-04", true}, {"2028-01-08", true}, {"2028-01-09", false}, {"2027-12-31", false}, {"2027-12-30", true}, {"2027-10-01", false}} {
		got, err := cal.IsWorkday(calendar.MustParse(tc.d))
		if err != nil || got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v", tc.d, got, err, tc.want)
		}
	}
	got, err := cal.AddWorkdays(calendar.MustParse("2027-12-30"), 2)
	if err != nil || got.String() != "2028-01-05" {
		t.Errorf("AddWorkdays(2027-12-30, 2) = %s, %v; want 2028-01-05", got, err)
	}
	if _, err := calendar.Default().IsWorkday(calendar.MustParse("2028-01-04")); err == nil {
		t.Error("the default calendar was changed by loading a file")
	}
}

func TestOperatorFileRefused(t *testing.T) {
	tests := []struct {
		name string
		f    calendar.File
	}{
		{"day outside its year", calendar.File{Years: []calendar.Year{{Year: 2028, DaysOff: []string{"2029-01-01"}}}}},
		{"day both off and working", calendar.File{Years: []calendar.Year{{Year: 2028, DaysOff: []string{"2028-01-01"}, WorkingDays: []string{"2028-01-01"}}}}},
		{"not a date", calendar.File{Years: []calendar.Year{{Year: 2028, DaysOff: []string{"2028-02-30"}}}}},
		{"year twice", calendar.File{Years: []calendar.Year{{Year: 2028}, {Year: 2028}}}},
		{"implausible year", calendar.File{Years: []calendar.Year{{Year: 28}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := calendar.Default().With(tt.f); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestDueAndBetween(t *testing.T) {
	cal := calendar.Default()
	d, err := cal.Due(calendar.MustParse("2026-10-03"), 0)
	if err != nil || d.String() != "2026-10-08" {
		t.Errorf("Due(2026-10-03, 0) = %s, %v; want 2026-10-08 (same working day rule)", d, err)
	}
	d, err = cal.Due(calendar.MustParse("2026-10-09"), 0)
	if err != nil || d.String() != "2026-10-09" {
		t.Errorf("Due(2026-10-09, 0) = %s, %v", d, err)
	}
	n, err := cal.WorkdaysBetween(calendar.MustParse("2026-09-30"), calendar.MustParse("2026-10-10"))
	if err != nil || n != 3 {
		t.Errorf("WorkdaysBetween = %d, %v; want 3", n, err)
	}
}

func TestDateOf(t *testing.T) {
	// 16:30 UTC on 30 September is 00:30 on 1 October in China.
	got := calendar.DateOf(time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC))
	if got.String() != "2026-10-01" {
		t.Errorf("DateOf = %s, want 2026-10-01", got)
	}
}

func ExampleCalendar_AddWorkdays() {
	cal := calendar.Default()
	due, err := cal.AddWorkdays(calendar.MustParse("2026-09-30"), 1)
	fmt.Println(due, err)
	_, err = cal.AddWorkdays(calendar.MustParse("2028-03-01"), 1)
	fmt.Println(errors.Is(err, calendar.ErrNoData))
	// Output:
	// 2026-10-08 <nil>
	// true
}

func BenchmarkAddWorkdays10(b *testing.B) {
	cal := calendar.Default()
	d := calendar.MustParse("2026-09-25")
	for b.Loop() {
		if _, err := cal.AddWorkdays(d, 10); err != nil {
			b.Fatal(err)
		}
	}
}
