package kinds_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/report"
	"github.com/aba-prefecture/dataledger/projections/report/kinds"
)

// The acceptance contract's five kinds are all registered and all build; a placeholder
// says "not available yet".
func TestDefault(t *testing.T) {
	reg := kinds.Default()
	if got, want := reg.Names(), []string{"accountability", "assessment", "emergencies", "findings", "obligations"}; !slices.Equal(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	pol, _ := policy.Default()
	o := report.Options{AsOf: calendar.MustParse("2025-06-30"), Policy: pol, Calendar: calendar.Default()}
	for _, name := range reg.Names() {
		k, err := reg.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if k.Title.ZH == "" || k.Title.EN == "" {
			t.Errorf("%s: title %+v", name, k.Title)
		}
		b, err := k.New(o)
		if err != nil || b == nil {
			t.Errorf("%s: %v", name, err)
		}
		// Every kind but accountability judges deadlines or rules: it refuses to start blind.
		if _, err := k.New(report.Options{AsOf: o.AsOf}); err == nil && name != "accountability" {
			t.Errorf("%s: built without a policy and a calendar", name)
		}
	}
	reg.Register(report.Unavailable("later", report.T("以后", "later")))
	k, err := reg.Lookup("later")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.New(o); !errors.Is(err, report.ErrNotAvailable) {
		t.Errorf("placeholder: %v", err)
	}
}
