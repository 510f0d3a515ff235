package ledger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	b, subStart := appendEntry(make([]byte, 0, len(s.Canonical)+220), seq, rec, version, prev, s.Signature, s.Canonical)
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
func ParseEntry(b []byte) (*Entry, error) {
	var ej entryJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ej); err != nil {
		return nil, fmt.Errorf("entry is not a valid record: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("entry has trailing data")
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
	if err := json.Unmarshal(e.SubmissionRaw, &e.Submission); err != nil {
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
	re, _ := appendEntry(make([]byte, 0, len(e.Bytes)), e.Seq, e.RecordedAt, e.StreamVersion, e.PrevHash, e.Signature, e.SubmissionRaw)
	return bytes.Equal(re, e.Bytes)
}
