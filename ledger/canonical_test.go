package ledger

import (
	"testing"

	"github.com/gowebpki/jcs"
)

// TestIsCanonicalJSON pins what the fast check takes (so that it is used) and what it
// leaves to the canonicaliser.
func TestIsCanonicalJSON(t *testing.T) {
	canonSeed, err := jcs.Transform([]byte(seedSubmission))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		want bool
	}{
		{string(canonSeed), false}, // holds 0.25: numbers with fractions take the general path
		{`{"actor":{"institution":"aba-stats-bureau","key_id":"0123456789abcdef0123456789abcdef","person":"p-0001"},"id":"01900000-0000-7000-8000-000000000001","occurred_at":"2026-03-02T08:15:00.123+08:00","payload":{"fields":["name","id_no"],"purpose":"年度统计","records":1200},"stream":"s","type":"a.v1"}`, true},
		{`{"a":"\u001f\\u001f"}`, true},
		{`{"a":"\u001F"}`, false},
		{`{"a":"\u000a"}`, false},
		{`{"a":"\n"}`, true},
		{`{"a":"\/"}`, false},
		{`{"b":1,"a":2}`, false},
		{`{"a":1,"a":1}`, false},
		{`{"a":-0}`, false},
		{`{"a":-10}`, true},
		{`{"a":01}`, false},
		{`{"a":1} `, false},
		{`{"é":1}`, false},
		{"\"\xff\"", false},
		{`[true,false,null,[],{}]`, true},
	}
	for _, c := range cases {
		if got := isCanonicalJSON([]byte(c.in)); got != c.want {
			t.Errorf("isCanonicalJSON(%s) = %v, want %v", c.in, got, c.want)
		}
	}
}
