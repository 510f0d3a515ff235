package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/aba-prefecture/dataledger/internal/strictjson"
	"strconv"
	"time"
)

// Entry is the ledger's half of the record: the signed submission placed at a position in
// the log, after the entry before it.
//
// Its canonical encoding (RFC 8785: keys sorted, no spaces) is
//
//	{"prev_hash":"<hex>","recorded_at":"<RFC 3339 UTC>","seq":N,"signature":"<base64 DER>",
//	 "stream_version":V,"submission":<the canonical submission bytes, verbatim>}
//
// and the entry hash is SM3 over exactly those bytes. Because RFC 8785 canonicalises
// nested objects independently, the submission's signed bytes appear unchanged inside the
// entry, so the actor's signature can be checked against a slice of the stored bytes.
type Entry struct {
	Seq           uint64
	RecordedAt    string
	StreamVersion uint64 // 1 for the first entry of a stream
	PrevHash      Hash
	Signature     []byte
	Submission    Submission
	SubmissionRaw []byte // the canonical submission bytes the actor signed
	Bytes         []byte // the canonical entry bytes
	Hash          Hash   // SM3(Bytes)

	// sealedLayout: Bytes are exactly appendEntry's output for the fields above (read by
	// the layout scanner with a canonical base64 signature), so Canonical need not
	// re-encode them.
	sealedLayout bool
}

// entryJSON mirrors the canonical entry for decoding.
type entryJSON struct {
	PrevHash      Hash            `json:"prev_hash"`
	RecordedAt    string          `json:"recorded_at"`
	Seq           *uint64         `json:"seq"`
	Signature     []byte          `json:"signature"`
	StreamVersion *uint64         `json:"stream_version"`
	Submission    json.RawMessage `json:"submission"`
}

// sealEntry builds the entry for s at seq, with its canonical bytes and hash.
func sealEntry(seq uint64, recordedAt time.Time, version uint64, prev Hash, s *Signed) *Entry {
	rec := recordedAt.UTC().Format(time.RFC3339Nano)
	// The members around the submission take ~290 bytes (hex prev hash, base64
	// signature, time, numbers, names): size the buffer once instead of growing it.
	b, subStart := appendEntry(make([]byte, 0, len(s.Canonical)+base64.StdEncoding.EncodedLen(len(s.Signature))+256), seq, rec, version, prev, s.Signature, s.Canonical)
	return &Entry{
		Seq: seq, RecordedAt: rec, StreamVersion: version, PrevHash: prev,
		Signature: s.Signature, Submission: s.Submission,
		SubmissionRaw: b[subStart : len(b)-1 : len(b)-1], Bytes: b, Hash: SumEntry(b),
	}
}

// appendEntry writes the canonical entry members in RFC 8785 order by hand (a fuzz test
// checks the result against a general canonicaliser), keeping sealing off the reflection
// path. It returns where the submission bytes start.
func appendEntry(b []byte, seq uint64, rec string, version uint64, prev Hash, sig, canon []byte) ([]byte, int) {
	b = append(b, `{"prev_hash":"`...)
	b = hexAppend(b, prev[:])
	b = append(b, `","recorded_at":"`...)
	b = append(b, rec...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, sig)
	b = append(b, `","stream_version":`...)
	b = strconv.AppendUint(b, version, 10)
	b = append(b, `,"submission":`...)
	subStart := len(b)
	b = append(b, canon...)
	b = append(b, '}')
	return b, subStart
}

func hexAppend(b, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range src {
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return b
}

// maxSafeSeq bounds positions and versions to what RFC 8785 numbers hold exactly.
const maxSafeSeq = maxSafeInteger

// ParseEntry decodes canonical entry bytes as stored or exported. It checks structure,
// not trust: the hash chain, signatures and key registry are verification's job. The
// returned entry aliases b.
//
// Entries in the exact layout the ledger seals (with plain ASCII envelope strings) are
// read by a scanner that does no reflection; anything else takes the general JSON path.
// Both give the same result for every input (FuzzParseEntry checks it).
func ParseEntry(b []byte) (*Entry, error) {
	if e := parseSealedLayout(b); e != nil {
		e.Hash = SumEntry(b)
		return e, nil
	}
	return parseEntryJSON(b)
}

// parseEntryJSON is the general decoder: any JSON spelling of an entry.
func parseEntryJSON(b []byte) (*Entry, error) {
	var ej entryJSON
	if err := strictjson.Unmarshal(b, &ej); err != nil {
		return nil, fmt.Errorf("entry is not a valid record: %w", err)
	}
	if ej.Seq == nil || ej.StreamVersion == nil || ej.RecordedAt == "" || len(ej.Signature) == 0 || len(ej.Submission) == 0 {
		return nil, fmt.Errorf("entry lacks a required member")
	}
	if *ej.Seq > maxSafeSeq || *ej.StreamVersion > maxSafeSeq {
		return nil, fmt.Errorf("entry position out of range")
	}
	e := &Entry{
		Seq: *ej.Seq, RecordedAt: ej.RecordedAt, StreamVersion: *ej.StreamVersion,
		PrevHash: ej.PrevHash, Signature: ej.Signature, Bytes: b, Hash: SumEntry(b),
	}
	// The submission must be the exact byte range of the stored entry, not a re-encoding.
	// It is the last member, and no earlier member (hex, time, numbers, base64) can hold
	// the marker, so its first occurrence is the top-level one.
	i := bytes.Index(b, []byte(`,"submission":`))
	if i < 0 || !bytes.Equal(b[i+len(`,"submission":`):len(b)-1], ej.Submission) {
		return nil, fmt.Errorf("entry is not in canonical form")
	}
	e.SubmissionRaw = b[i+len(`,"submission":`) : len(b)-1]
	if err := strictjson.Unmarshal(e.SubmissionRaw, &e.Submission); err != nil {
		return nil, fmt.Errorf("entry's submission is not valid: %w", err)
	}
	return e, nil
}

// Canonical reports whether e.Bytes is exactly the encoding the ledger seals for its
// fields: an entry that decodes but was re-encoded differently is not the signed record.
func (e *Entry) Canonical() bool {
	if _, err := time.Parse(time.RFC3339Nano, e.RecordedAt); err != nil {
		return false
	}
	if e.sealedLayout {
		return true
	}
	re, _ := appendEntry(make([]byte, 0, len(e.Bytes)), e.Seq, e.RecordedAt, e.StreamVersion, e.PrevHash, e.Signature, e.SubmissionRaw)
	return bytes.Equal(re, e.Bytes)
}

// parseSealedLayout reads b if it is laid out exactly as appendEntry writes it, around a
// submission laid out as RFC 8785 orders a Submission's members, with every envelope
// string plain printable ASCII (no escapes). It returns nil for anything else, including
// invalid input, which the general decoder then handles or refuses. Verification spends
// most of its non-signature time here, so it allocates only the entry, the signature and
// the envelope strings.
func parseSealedLayout(b []byte) *Entry {
	c := cursor{b: b}
	e := &Entry{Bytes: b}
	if !c.lit(`{"prev_hash":"`) || !c.hexHash(&e.PrevHash) || !c.lit(`","recorded_at":"`) {
		return nil
	}
	var ok bool
	if e.RecordedAt, ok = c.str(); !ok || e.RecordedAt == "" || !c.lit(`,"seq":`) {
		return nil
	}
	if e.Seq, ok = c.uint(); !ok || e.Seq > maxSafeSeq || !c.lit(`,"signature":"`) {
		return nil
	}
	sig, ok := c.until('"')
	if !ok || len(sig) == 0 || !isBase64(sig) {
		return nil
	}
	// Padded standard base64 with zero trailing bits has one spelling per byte string:
	// if the strict decoder takes it, every member is as appendEntry writes it.
	e.Signature = make([]byte, base64.StdEncoding.DecodedLen(len(sig)))
	n, err := base64.StdEncoding.Strict().Decode(e.Signature, sig)
	e.sealedLayout = err == nil
	if err != nil {
		n, err = base64.StdEncoding.Decode(e.Signature, sig)
	}
	if err != nil || n == 0 {
		return nil
	}
	e.Signature = e.Signature[:n]
	if !c.lit(`,"stream_version":`) {
		return nil
	}
	if e.StreamVersion, ok = c.uint(); !ok || e.StreamVersion > maxSafeSeq || !c.lit(`,"submission":`) {
		return nil
	}
	if len(b) < c.i+2 || b[len(b)-1] != '}' {
		return nil
	}
	e.SubmissionRaw = b[c.i : len(b)-1 : len(b)-1]
	if !parseSealedSubmission(e.SubmissionRaw, &e.Submission) {
		return nil
	}
	return e // Hash is the caller's: computed (ParseEntry) or as stored (the sequencer's catch-up)
}

// parseSealedSubmission reads a canonical submission:
//
//	{"actor":{"institution":S,"key_id":S,"person":S},["expected_version":N,]"id":S,
//	 "occurred_at":S,"payload":<JSON>,"stream":S,"type":S}
//
// The payload is found between its key and the last two members (whose plain strings
// cannot hide a quote) and checked to be valid JSON.
func parseSealedSubmission(b []byte, s *Submission) bool {
	c := cursor{b: b}
	var ok bool
	if !c.lit(`{"actor":{"institution":"`) {
		return false
	}
	if s.Actor.Institution, ok = c.str(); !ok || !c.lit(`,"key_id":"`) {
		return false
	}
	if s.Actor.KeyID, ok = c.str(); !ok || !c.lit(`,"person":"`) {
		return false
	}
	if s.Actor.Person, ok = c.str(); !ok || !c.lit(`},`) {
		return false
	}
	if c.lit(`"expected_version":`) {
		v, ok := c.uint()
		if !ok || !c.lit(`,`) {
			return false
		}
		s.ExpectedVersion = &v
	}
	if !c.lit(`"id":"`) {
		return false
	}
	if s.ID, ok = c.str(); !ok || !c.lit(`,"occurred_at":"`) {
		return false
	}
	if s.OccurredAt, ok = c.str(); !ok || !c.lit(`,"payload":`) {
		return false
	}
	// From the end: ,"stream":"S","type":"S"}
	end := len(b)
	if end < c.i+2 || b[end-1] != '}' || b[end-2] != '"' {
		return false
	}
	typ, j := plainBefore(b, end-2)
	if j < 0 || !bytes.HasSuffix(b[:j+1], []byte(`","type":"`)) {
		return false
	}
	stream, k := plainBefore(b, j+1-len(`","type":"`))
	if k < 0 || !bytes.HasSuffix(b[:k+1], []byte(`,"stream":"`)) {
		return false
	}
	k = k + 1 - len(`,"stream":"`)
	if k <= c.i {
		return false
	}
	payload := b[c.i:k]
	if isSpace(payload[0]) || isSpace(payload[len(payload)-1]) || !json.Valid(payload) {
		return false
	}
	s.Stream, s.Type = string(stream), string(typ)
	s.Payload = json.RawMessage(payload)
	return true
}

// plainBefore returns the plain string that ends just before b[end] (a closing quote)
// and the index of its opening quote, or -1 if the bytes are not a plain string.
func plainBefore(b []byte, end int) ([]byte, int) {
	for i := end - 1; i >= 0; i-- {
		switch c := b[i]; {
		case c == '"':
			return b[i+1 : end], i
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, -1
		}
	}
	return nil, -1
}

// cursor scans the fixed layout of sealed records.
type cursor struct {
	b []byte
	i int
}

func (c *cursor) lit(s string) bool {
	if len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		return false
	}
	c.i += len(s)
	return true
}

// until returns the bytes up to the delimiter and moves past it.
func (c *cursor) until(d byte) ([]byte, bool) {
	j := bytes.IndexByte(c.b[c.i:], d)
	if j < 0 {
		return nil, false
	}
	out := c.b[c.i : c.i+j]
	c.i += j + 1
	return out, true
}

// str reads a plain string (printable ASCII, no quote or backslash) and its closing
// quote; the opening quote is part of the preceding literal.
func (c *cursor) str() (string, bool) {
	for j := c.i; j < len(c.b); j++ {
		switch ch := c.b[j]; {
		case ch == '"':
			s := string(c.b[c.i:j])
			c.i = j + 1
			return s, true
		case ch < 0x20 || ch > 0x7e || ch == '\\':
			return "", false
		}
	}
	return "", false
}

// uint reads a JSON non-negative integer without leading zeros, up to 16 digits.
func (c *cursor) uint() (uint64, bool) {
	j := c.i
	for j < len(c.b) && j-c.i <= 16 && '0' <= c.b[j] && c.b[j] <= '9' {
		j++
	}
	d := c.b[c.i:j]
	if len(d) == 0 || len(d) > 16 || (len(d) > 1 && d[0] == '0') {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d), 10, 64)
	if err != nil {
		return 0, false
	}
	c.i = j
	return v, true
}

// hexHash reads 64 lowercase hex digits.
func (c *cursor) hexHash(h *Hash) bool {
	if len(c.b)-c.i < 2*len(h) {
		return false
	}
	for k := range h {
		hi, lo := unhex(c.b[c.i+2*k]), unhex(c.b[c.i+2*k+1])
		if hi > 15 || lo > 15 {
			return false
		}
		h[k] = hi<<4 | lo
	}
	c.i += 2 * len(h)
	return true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
}

// isBase64 reports whether b holds only standard base64 characters: the decoder itself
// skips newlines, which a JSON string cannot hold raw.
func isBase64(b []byte) bool {
	for _, c := range b {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// typeTail and typeKey frame the submission's type at the end of an entry in the sealed
// layout: the members are in canonical order, the submission is the entry's last and its
// type the submission's last, so the bytes end `,"type":"<type>"}}`.
var (
	typeTail = []byte(`"}}`)
	typeKey  = []byte(`,"type":"`)
)

// SealedType reads the type of the submission an entry's bytes hold from their end,
// without parsing them: a follower that folds only some types skips the others at a
// fraction of a parse. ok is false for bytes that do not end as the sealed layout does
// (parse those); the bytes are not otherwise checked.
func SealedType(b []byte) (string, bool) {
	if !bytes.HasSuffix(b, typeTail) {
		return "", false
	}
	end := len(b) - len(typeTail)
	i := bytes.LastIndex(b[:end], typeKey)
	if i < 0 {
		return "", false
	}
	t := string(b[i+len(typeKey) : end])
	if !isType(t) {
		return "", false
	}
	return t, true
}
