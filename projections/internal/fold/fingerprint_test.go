package fold

import (
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
)

// An operator calendar that moves one day inside a covered year changes the
// fingerprint, so read models folded under the old calendar are rebuilt, not reused.
func TestFingerprintSeesCalendarOverrides(t *testing.T) {
	pol, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	cal := calendar.Default()
	y := cal.CoveredYears()[0]
	d, err := cal.OnOrAfter(calendar.Date{Year: y, Month: 3, Day: 3}) // a working day, made a day off
	if err != nil {
		t.Fatal(err)
	}
	moved, err := cal.With(calendar.File{Years: []calendar.Year{{Year: y, Source: "test", DaysOff: []string{d.String()}}}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := Fingerprint(pol, cal), Fingerprint(pol, moved)
	if a == b || a != Fingerprint(pol, calendar.Default()) {
		t.Fatalf("fingerprints %s and %s", a, b)
	}
}
