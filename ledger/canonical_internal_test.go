package ledger

import "testing"

func TestSubmissionCanonical(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{`{"a":1,"b":"x"}`, true},
		{`{"a":1e3}`, false},      // RFC 8785 writes 1000
		{`{"b":1,"a":2}`, false},  // keys out of order
		{`{"a": 1}`, false},       // whitespace
		{`{"a":"\u00e9"}`, false}, // needless escape
		{`{"a":"é"}`, true},
		{`{"a":12345678901234567}`, false}, // beyond the quick scan; not an exact double either
	}
	for _, c := range cases {
		if got := submissionCanonical([]byte(c.in)); got != c.want {
			t.Errorf("submissionCanonical(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
