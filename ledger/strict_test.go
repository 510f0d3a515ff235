package ledger

import (
	"errors"
	"strings"
	"testing"
)

// TestEnvelopeNamesAreCaseSensitive: a member differing from an envelope member only by
// case is refused, alone or beside the real one, so that the institution a token check
// reads and the one the ledger records can never differ (issue "Trusted acts").
func TestEnvelopeNamesAreCaseSensitive(t *testing.T) {
	sig := `"MAYCAQECAQE="`
	cases := map[string]string{
		"INSTITUTION beside institution": strings.Replace(seedSubmission, `"institution":"aba-stats-bureau"`, `"institution":"aba-stats-bureau","INSTITUTION":"aba-health"`, 1),
		"INSTITUTION alone":              strings.Replace(seedSubmission, `"institution":`, `"INSTITUTION":`, 1),
		"Actor":                          strings.Replace(seedSubmission, `"actor":`, `"Actor":`, 1),
		"Type":                           strings.Replace(seedSubmission, `"type":`, `"Type":`, 1),
	}
	for name, sub := range cases {
		t.Run(name, func(t *testing.T) {
			for _, body := range []string{`{"submission":` + sub + `,"signature":` + sig + `}`, `{"signature":` + sig + `,"submission":` + sub + `}`} {
				_, err := DecodeRequest([]byte(body), DefaultLimits)
				var p *Problem
				if !errors.As(err, &p) || p.Code != "unknown_field" {
					t.Fatalf("DecodeRequest = %v, want unknown_field", err)
				}
			}
		})
	}
	for _, body := range []string{`{"Submission":` + seedSubmission + `,"signature":` + sig + `}`, `{"submission":` + seedSubmission + `,"signature":` + sig + `,"SIGNATURE":"x"}`} {
		if _, err := DecodeRequest([]byte(body), DefaultLimits); err == nil {
			t.Fatalf("DecodeRequest accepted %.60s…", body)
		}
	}
}
