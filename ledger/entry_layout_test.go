package ledger

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestParseEntryLayouts pins which inputs the sealed-layout scanner takes and that the
// general decoder gives the same entry for each (FuzzParseEntry explores the rest).
func TestParseEntryLayouts(t *testing.T) {
	s, err := DecodeSubmission([]byte(seedSubmission), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	s.Signature = []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}
	sealed := sealEntry(7, time.Date(2026, 3, 2, 0, 15, 0, 123, time.UTC), 3, Hash{0xab}, s).Bytes
	s2, err := DecodeSubmission([]byte(strings.Replace(seedSubmission, `"id":`, `"expected_version":4,"id":`, 1)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	s2.Signature = s.Signature
	withEV := sealEntry(7, time.Date(2026, 3, 2, 0, 15, 0, 123, time.UTC), 3, Hash{0xab}, s2).Bytes
	cases := []struct {
		name      string
		b         []byte
		fast      bool
		canonical bool // Entry.Canonical: the entry members as sealed (the submission is taken verbatim)
	}{
		{"sealed", sealed, true, true},
		{"sealed_expected_version", withEV, true, true},
		{"signature_base64_nonzero_padding_bits", bytes.Replace(sealed, []byte(`"MAYCAQECAQE="`), []byte(`"MAYCAQECAQF="`), 1), true, false},
		{"spaced", bytes.Replace(sealed, []byte(`"seq":7`), []byte(`"seq": 7`), 1), false, false},
		{"escaped_envelope_string", bytes.Replace(sealed, []byte(`"person":"p-0001"`), []byte(`"person":"p-\u0030001"`), 1), false, true},
		{"payload_members_reordered", bytes.Replace(sealed, []byte(`"purpose":"年度统计","ratio":0.25`), []byte(`"ratio":0.25,"purpose":"年度统计"`), 1), true, true},
	}
	// A submission member no reader knows, or one differing from a known member only by
	// case, is refused by the general decoder: admission never stores one, and two readers
	// could disagree on what it means.
	for _, bad := range []string{`"zz":1,"stream":`, `"STREAM":"x","stream":`} {
		b := bytes.Replace(sealed, []byte(`"stream":`), []byte(bad), 1)
		if parseSealedLayout(b) != nil {
			t.Fatalf("scanner took %s", b)
		}
		if _, err := ParseEntry(b); err == nil {
			t.Fatalf("ParseEntry accepted a submission with %s", bad)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parseSealedLayout(c.b) != nil; got != c.fast {
				t.Fatalf("scanner took it: %v, want %v\n%s", got, c.fast, c.b)
			}
			e, err := ParseEntry(c.b)
			slow, serr := parseEntryJSON(c.b)
			if err != nil || serr != nil {
				t.Fatalf("refused: %v / %v", err, serr)
			}
			if e.Canonical() != c.canonical || e.Canonical() != slow.Canonical() {
				t.Fatalf("canonical: %v (scanner) / %v (decoder)", e.Canonical(), slow.Canonical())
			}
			if e.Submission.Actor.Person != slow.Submission.Actor.Person || !bytes.Equal(e.SubmissionRaw, slow.SubmissionRaw) || e.Seq != 7 || e.StreamVersion != 3 {
				t.Fatalf("decoders disagree: %+v / %+v", e, slow)
			}
		})
	}
}

// TestSealedTypeAgreesWithTheParse: the type read from a sealed entry's end is the one
// its parse finds, whatever the payload holds (a member named type, a string spelling
// the frame); bytes that do not end as the sealed layout does are not read.
func TestSealedTypeAgreesWithTheParse(t *testing.T) {
	for _, sub := range []string{
		seedSubmission,
		strings.Replace(seedSubmission, `"type":"data.collected.v1"`, `"type":"key.registered.v1"`, 1),
		strings.Replace(seedSubmission, `"purpose":"年度统计"`, `"purpose":",\"type\":\"x.y.v1\"}}","type":"z.v1"`, 1),
	} {
		s, err := DecodeSubmission([]byte(sub), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		s.Signature = []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}
		b := sealEntry(7, time.Date(2026, 3, 2, 0, 15, 0, 0, time.UTC), 3, Hash{0xab}, s).Bytes
		e, err := ParseEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := SealedType(b); !ok || got != e.Submission.Type {
			t.Errorf("SealedType %q %v, parsed %q\n%s", got, ok, e.Submission.Type, b)
		}
	}
	for _, b := range []string{``, `{}`, `{"type":"x"}}`, `{"submission":{"type":"Data.collected.v1"}}`, `{"submission":{"type":"data.collected.v1"}} `} {
		if typ, ok := SealedType([]byte(b)); ok {
			t.Errorf("%q: read type %q", b, typ)
		}
	}
}
