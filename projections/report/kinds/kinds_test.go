package kinds_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aba-prefecture/dataledger/policy"
	"github.com/aba-prefecture/dataledger/projections/calendar"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
)

// The acceptance contract's five kinds are all registered; the two built here build, the
// three another projection provides say "not available yet".
func TestDefault(t *testing.T) {
	reg := kinds.Default()
	if got, want := reg.Names(), []string{"accountability", "assessment", "emergencies", "findings", "obligations"}; !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	pol, _ := policy.Default()
	o := report.Options{AsOf: calendar.MustParse("2025-06-30"), Policy: pol, Calendar: calendar.Default()}
	for name, available := range map[string]bool{"accountability": true, "emergencies": true, "findings": false, "obligations": false, "assessment": false} {
		k, err := reg.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if k.Title.ZH == "" || k.Title.EN == "" {
			t.Errorf("%s: title %+v", name, k.Title)
		}
		b, err := k.New(o)
		if available && (err != nil || b == nil) || !available && !errors.Is(err, report.ErrNotAvailable) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
