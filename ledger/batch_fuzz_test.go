package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzDecodeBatch: DecodeBatch never panics; it refuses a body whole with a *Problem, or
// answers every item, each either decoded exactly as DecodeRequest decodes it alone or
// refused with DecodeRequest's own refusal.
func FuzzDecodeBatch(f *testing.F) {
	one := seedRequest(seedSubmission, seedSignature)
	f.Add(append(append([]byte("["), one...), ']'))
	f.Add(append(append(append(append([]byte("["), one...), ','), one...), ']'))
	f.Add([]byte(`[{"submission":{}},1,"x",null]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[` + string(one)))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, errs, err := DecodeBatch(body, DefaultLimits, 8)
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || items != nil || errs != nil {
				t.Fatalf("a whole refusal that is no *Problem, or with items: %v", err)
			}
			return
		}
		if len(items) == 0 || len(items) > 8 || len(items) != len(errs) {
			t.Fatalf("%d items, %d answers (limit 8)", len(items), len(errs))
		}
		for i := range items {
			if (items[i] == nil) == (errs[i] == nil) {
				t.Fatalf("item %d: decoded %v and refused %v", i, items[i] != nil, errs[i])
			}
			if errs[i] != nil {
				var p *Problem
				if !errors.As(errs[i], &p) {
					t.Fatalf("item %d refused without a *Problem: %v", i, errs[i])
				}
				continue
			}
			again, err := DecodeRequest(requestOf(items[i]), DefaultLimits)
			if err != nil || !bytes.Equal(again.Canonical, items[i].Canonical) || !bytes.Equal(again.Signature, items[i].Signature) {
				t.Fatalf("item %d does not decode alone to the same submission: %v", i, err)
			}
		}
	})
}

// requestOf is the POST /v1/events body of a decoded submission.
func requestOf(s *Signed) []byte {
	return seedRequest(string(s.Canonical), base64.StdEncoding.EncodeToString(s.Signature))
}
