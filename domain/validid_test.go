package domain_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain"
)

// idRE is the identifier form as the catalogue documents it; ValidID must agree.
var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._:-]{0,99}$`)

func TestValidID(t *testing.T) {
	for _, c := range []struct {
		id string
		ok bool
	}{
		{"aba-stats", true}, {"0", true}, {"aba-stats.county-economy", true}, {"emg-2026:quake_02", true},
		{strings.Repeat("a", 100), true}, {strings.Repeat("a", 101), false},
		{"", false}, {"-aba", false}, {".aba", false}, {"Aba", false}, {"aba stats", false},
		{"aba/stats", false}, {"aba\n", false}, {"统计局", false}, {"aba-stats\x00", false},
	} {
		if got := domain.ValidID(c.id); got != c.ok || idRE.MatchString(c.id) != c.ok {
			t.Errorf("ValidID(%q) = %v, regexp %v, want %v", c.id, got, idRE.MatchString(c.id), c.ok)
		}
	}
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"aba-stats", "-x", "a\n", strings.Repeat("z", 100), "A", "a_b:c.d-e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := domain.ValidID(s), idRE.MatchString(s); got != want {
			t.Fatalf("ValidID(%q) = %v, the documented form says %v", s, got, want)
		}
	})
}
