package ledger

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
)

// Seeds shared by the targets; more live in testdata/fuzz/<target>/.
const (
	seedSubmission = `{"id":"01900000-0000-7000-8000-000000000001","stream":"dataset/aba-stats-bureau/population",` +
		`"type":"data.collected.v1","occurred_at":"2026-03-02T08:15:00.123+08:00",` +
		`"actor":{"institution":"aba-stats-bureau","person":"p-0001","key_id":"0123456789abcdef0123456789abcdef"},` +
		`"payload":{"purpose":"年度统计","records":1200,"resource":"R-0001","fields":["name","id_no"],"ratio":0.25}}`
	seedSignature = "MEUCIQDx7bPrWQhZcI2eFvLHV1Sk0cGQ3qf2sdoK8I3u0Pf3lgIgQm2v3N5ZcA8Yx5x4cO1nJX0D8bH4tFv8a1zE3t2oXHw="
)

func seedRequest(sub, sig string) []byte {
	return []byte(`{"submission":` + sub + `,"signature":"` + sig + `"}`)
}

// FuzzDecodeRequest: DecodeRequest never panics, refuses with a *Problem, and what it
// accepts re-decodes, from its own canonical bytes, to exactly the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(seedRequest(seedSubmission, seedSignature))
	f.Add(seedRequest(`{"payload":{"a":[1,2,{"b":"\u00e9\ud83d\ude00"}],"big":1e300},"stream":"s","type":"a.v1","id":"01900000-0000-7000-8000-000000000002","occurred_at":"2026-01-01T00:00:00Z","actor":{"person":"x","institution":"y","key_id":"0123456789abcdef0123456789abcdef"}}`, seedSignature))
	f.Add(seedRequest(seedSubmission, "AAAA"))
	f.Add([]byte(`{"submission":null,"signature":""}`))
	f.Add([]byte(`{"submission":{"id":1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := DecodeRequest(body, DefaultLimits)
		var req Request
		slow, serr := (*Signed)(nil), decodeBody(body, &req)
		if serr == nil && len(body) <= DefaultLimits.MaxRequestBytes {
			slow, serr = decodeRequest(req.Submission, req.Signature, DefaultLimits)
		}
		if len(body) <= DefaultLimits.MaxRequestBytes {
			if (err == nil) != (serr == nil) || (err != nil && err.Error() != serr.Error()) {
				t.Fatalf("the fast and general request decoders disagree: %v vs %v", err, serr)
			}
			if err == nil && (!bytes.Equal(s.Canonical, slow.Canonical) || !bytes.Equal(s.Signature, slow.Signature)) {
				t.Fatal("the fast and general request decoders read different submissions")
			}
		}
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Kind == nil || p.Code == "" || p.Message == "" || p.MessageZH == "" {
				t.Fatalf("refusal is not a complete *Problem: %#v", err)
			}
			return
		}
		var ref Submission
		if err := strictUnmarshal(s.Canonical, &ref, "submission."); err != nil || !reflect.DeepEqual(normaliseSub(ref), normaliseSub(s.Submission)) {
			t.Fatalf("the scanner and the strict decoder read different submissions (%v):\n%+v\n%+v", err, ref, s.Submission)
		}
		if c, err := jcs.Transform(s.Canonical); err != nil || !bytes.Equal(c, s.Canonical) {
			t.Fatalf("accepted submission bytes are not canonical:\n%s\n%s", s.Canonical, c)
		}
		again, err := DecodeRequest(seedRequest(string(s.Canonical), base64.StdEncoding.EncodeToString(s.Signature)), DefaultLimits)
		if err != nil {
			t.Fatalf("canonical form of an accepted request is refused: %v", err)
		}
		if !bytes.Equal(again.Canonical, s.Canonical) || !bytes.Equal(again.Signature, s.Signature) {
			t.Fatalf("re-decoding changed the bytes:\n%s\n%s", s.Canonical, again.Canonical)
		}
		if again.Submission.ID != s.Submission.ID || again.Submission.Stream != s.Submission.Stream || !bytes.Equal(again.Submission.Payload, s.Submission.Payload) {
			t.Fatal("re-decoding changed the fields")
		}
	})
}

// FuzzCanonicalEntry: the hand-written entry encoding is RFC 8785 (equal to a general
// canonicaliser's output over itself), and ParseEntry gives back every sealed field and
// the exact submission bytes.
func FuzzCanonicalEntry(f *testing.F) {
	f.Add([]byte(`{"purpose":"年度统计","records":1200}`), "p-0001", uint64(0), int64(1767225600123456789), uint64(1), []byte{}, []byte{0x30, 0x44, 0x02})
	f.Add([]byte(`{"n":[1e21,-0,5e-324,0.1,1e-7,123456789012345],"s":"\u0000\"\\/\ud83d\ude00<>&\u2028"}`), "a@b", uint64(1<<53), int64(0), uint64(1<<53), bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xfb}, 72))
	f.Fuzz(func(t *testing.T, payload []byte, person string, seq uint64, ns int64, version uint64, prev, sig []byte) {
		raw := append([]byte(`{"id":"01900000-0000-7000-8000-000000000001","stream":"dataset/x","type":"data.collected.v1",`+
			`"occurred_at":"2026-03-02T08:15:00.123+08:00","actor":{"institution":"aba-stats-bureau","person":`+strconv.Quote(person)+
			`,"key_id":"0123456789abcdef0123456789abcdef"},"payload":`), payload...)
		raw = append(raw, '}')
		s, err := DecodeSubmission(raw, Limits{})
		if err != nil {
			return
		}
		s.Signature = sig
		seq, version = seq%(maxSafeSeq+1), version%(maxSafeSeq+1)
		var ph Hash
		copy(ph[:], prev)
		e := sealEntry(seq, time.Unix(0, ns), version, ph, s)
		c, err := jcs.Transform(e.Bytes)
		if err != nil || !bytes.Equal(c, e.Bytes) {
			t.Fatalf("sealed entry is not RFC 8785 canonical (%v):\n%s\n%s", err, e.Bytes, c)
		}
		if e.Hash != SumEntry(e.Bytes) || !bytes.Equal(e.SubmissionRaw, s.Canonical) {
			t.Fatal("sealed entry's hash or submission bytes are wrong")
		}
		if len(sig) == 0 {
			return // ParseEntry requires a signature
		}
		p, err := ParseEntry(e.Bytes)
		if err != nil {
			t.Fatalf("ParseEntry refuses a sealed entry: %v\n%s", err, e.Bytes)
		}
		if p.Seq != e.Seq || p.RecordedAt != e.RecordedAt || p.StreamVersion != e.StreamVersion || p.PrevHash != e.PrevHash ||
			!bytes.Equal(p.Signature, e.Signature) || !bytes.Equal(p.SubmissionRaw, s.Canonical) || p.Hash != e.Hash || !p.Canonical() {
			t.Fatalf("ParseEntry round trip differs:\n%+v\n%+v", p, e)
		}
		if p.Submission.ID != s.Submission.ID || !bytes.Equal(p.Submission.Payload, s.Submission.Payload) {
			t.Fatal("ParseEntry decoded a different submission")
		}
	})
}

// FuzzParseEntry: ParseEntry never panics on stored or exported bytes; what it accepts
// aliases the input, hashes to SumEntry, and — when it claims to be canonical and its
// submission is canonical — is byte-for-byte RFC 8785.
func FuzzParseEntry(f *testing.F) {
	f.Add([]byte(`{"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","recorded_at":"2026-03-02T00:15:00.123Z","seq":0,"signature":"MEQC","stream_version":1,"submission":` + seedSubmission + `}`))
	f.Add([]byte(`{"prev_hash":"00","recorded_at":"x","seq":-1,"signature":"!","stream_version":1.5,"submission":{}}`))
	f.Add([]byte(`{"seq":1,"submission":{"a":1},"submission":{"a":2}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		slow, serr := parseEntryJSON(b)
		if (err == nil) != (serr == nil) {
			t.Fatalf("the sealed-layout scanner and the JSON decoder disagree: %v vs %v", err, serr)
		}
		if err != nil {
			return
		}
		if e.Canonical() != slow.Canonical() {
			t.Fatalf("the decoders disagree on canonical form: %v vs %v", e.Canonical(), slow.Canonical())
		}
		if !reflect.DeepEqual(normalise(e), normalise(slow)) {
			t.Fatalf("the sealed-layout scanner and the JSON decoder read different entries:\n%+v\n%+v", e, slow)
		}
		if !bytes.Equal(e.Bytes, b) || e.Hash != SumEntry(b) {
			t.Fatal("parsed entry does not alias its input or has the wrong hash")
		}
		if !bytes.Contains(b, e.SubmissionRaw) || len(e.SubmissionRaw) == 0 {
			t.Fatal("submission bytes are not a range of the entry")
		}
		if !e.Canonical() {
			return
		}
		cs, err := jcs.Transform(e.SubmissionRaw)
		if err != nil || !bytes.Equal(cs, e.SubmissionRaw) {
			return
		}
		if c, err := jcs.Transform(b); err != nil || !bytes.Equal(c, b) {
			t.Fatalf("entry claims canonical form but is not RFC 8785 (%v):\n%s\n%s", err, b, c)
		}
	})
}

// normalise makes two decodings of one entry comparable: empty and nil slices alike.
func normalise(e *Entry) Entry {
	c := *e
	c.sealedLayout = false
	if len(c.Submission.Payload) == 0 {
		c.Submission.Payload = nil
	}
	if len(c.Signature) == 0 {
		c.Signature = nil
	}
	return c
}

// FuzzEnvelopeSyntax holds the hand-written syntax checks equal to the regular
// expressions (and the UUID library) they replace.
func FuzzEnvelopeSyntax(f *testing.F) {
	for _, s := range []string{"", "a", "data.collected.v1", "a.v0", "a.v10", "a..v1", "A.v1", "x.y_z9.v2", ".v1", "v1",
		"dataset/aba-stats-bureau/population", "ledger/keys", "0123456789abcdef0123456789abcdef", "p-0001", "a@b.c:d_e-f",
		"01900000-0000-7000-8000-000000000001", "01900000-0000-4000-8000-000000000001", "01900000-0000-7000-8000-00000000000A",
		"{01900000-0000-7000-8000-000000000001}", "é.v1", strings.Repeat("a", 200), strings.Repeat("a", 201)} {
		f.Add(s)
	}
	streamRE := regexp.MustCompile(`^[a-z0-9][a-z0-9._:/-]{0,199}$`)
	typeRE := regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*$`)
	keyIDRE := regexp.MustCompile(`^[0-9a-f]{32}$`)
	nameRE := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []struct {
			name      string
			got, want bool
		}{
			{"stream", isStream(s), streamRE.MatchString(s)},
			{"type", isType(s), typeRE.MatchString(s)},
			{"key id", isKeyID(s), keyIDRE.MatchString(s)},
			{"name", isName(s), nameRE.MatchString(s)},
		} {
			if c.got != c.want {
				t.Fatalf("%s %q: hand-written %v, regexp %v", c.name, s, c.got, c.want)
			}
		}
		u, err := uuid.Parse(s)
		if want := err == nil && u.Version() == 7 && u.String() == s; isUUIDv7(s) != want {
			t.Fatalf("uuid %q: hand-written %v, library %v", s, isUUIDv7(s), want)
		}
	})
}

func normaliseSub(s Submission) Submission {
	if len(s.Payload) == 0 {
		s.Payload = nil
	}
	return s
}

// FuzzCanonicalCheck: whatever isCanonicalJSON accepts, the general canonicaliser leaves
// byte for byte unchanged.
func FuzzCanonicalCheck(f *testing.F) {
	for _, s := range []string{seedSubmission, `{}`, `[]`, `0`, `-0`, `-12`, `1.5`, `1e3`, `"a\u001fb\u00e9"`, `"\u0008"`,
		`{"a":1,"b":[true,false,null,"\\\"\b\f\n\r\t"]}`, `{"b":1,"a":2}`, `{"a":1,"a":1}`, `"\ud83d\ude00"`, "\"\xff\"",
		"\"\xed\xa0\x80\"", `"é😀"`, `{"a":{"b":{"c":[[]]}}}`, `123456789012345`, `1234567890123456`, `{"é":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !isCanonicalJSON(b) {
			return
		}
		c, err := jcs.Transform(b)
		if err != nil || !bytes.Equal(c, b) {
			t.Fatalf("judged canonical but the canonicaliser gives %q (%v) for %q", c, err, b)
		}
	})
}
