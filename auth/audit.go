package auth

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aba-prefecture/dataledger/internal/strictjson"

	"github.com/aba-prefecture/dataledger/crypto"
)

// AuditFormat names the audit log's line format.
const AuditFormat = "dataledger-read-audit/v1"

// Outcomes of an audited read.
const (
	OutcomeAllowed         = "allowed"         // data was served
	OutcomeDenied          = "denied"          // 403: wrong role or another institution's data
	OutcomeUnauthenticated = "unauthenticated" // 401: no or bad credential
	OutcomeNotFound        = "not_found"       // 404: nothing to disclose
	OutcomeInvalid         = "invalid"         // 4xx other than the above
	OutcomeFailed          = "failed"          // 5xx
)

// AuditRecord is one line of the read-audit log: who read what, when, and with what
// outcome. It never holds payloads or credentials' secrets.
type AuditRecord struct {
	Format      string   `json:"format"`
	Seq         uint64   `json:"seq"`  // line number, from 0
	Time        string   `json:"time"` // RFC 3339 UTC, nanoseconds
	Person      string   `json:"person"`
	Role        Role     `json:"role"`
	Institution string   `json:"institution,omitempty"`
	Credential  string   `json:"credential,omitempty"` // credential id, never a secret
	Remote      string   `json:"remote,omitempty"`     // client address
	Method      string   `json:"method"`
	Route       string   `json:"route"` // the route pattern, e.g. /v1/events/{id}
	Path        string   `json:"path"`  // the requested path
	IDs         []string `json:"ids,omitempty"`
	Seqs        []uint64 `json:"seqs,omitempty"`
	Streams     []string `json:"streams,omitempty"`
	Decrypted   []string `json:"decrypted,omitempty"` // protected fields served in clear
	Outcome     string   `json:"outcome"`
	Status      int      `json:"status"`
	Prev        string   `json:"prev"` // hex SM3 of the previous line's body; 64 zeros first
}

// Bounds on what one audit line copies from a request, whatever the request carried: a
// line is at most a few KiB, so the log grows with the number of reads, not with what
// clients choose to send.
const (
	MaxAuditText  = 256 // bytes of a path, route, method or remote address
	MaxAuditItems = 16  // ids, seqs, streams or fields listed
)

// bound cuts the record's request-derived fields to the bounds, marking each cut.
func (r *AuditRecord) bound() {
	for _, f := range []*string{&r.Path, &r.Route, &r.Method, &r.Remote, &r.Person, &r.Institution, &r.Credential} {
		*f = cut(*f)
	}
	r.IDs, r.Streams, r.Decrypted = cutList(r.IDs), cutList(r.Streams), cutList(r.Decrypted)
	if len(r.Seqs) > MaxAuditItems {
		r.Seqs = r.Seqs[:MaxAuditItems]
	}
}

func cut(s string) string {
	if len(s) <= MaxAuditText {
		return s
	}
	i := MaxAuditText
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + fmt.Sprintf("…(+%d bytes)", len(s)-i)
}

func cutList(l []string) []string {
	if len(l) > MaxAuditItems {
		l = append(l[:MaxAuditItems:MaxAuditItems], fmt.Sprintf("…(+%d more)", len(l)-MaxAuditItems))
	}
	for i := range l {
		l[i] = cut(l[i])
	}
	return l
}

// AuditOptions tune an AuditLog.
type AuditOptions struct {
	// NoSync skips the fsync after each line. Only for tests and benchmarks: an
	// acknowledged read must leave a durable trace.
	NoSync bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// AuditLog appends hash-chained records to a JSON-lines file. Each line is the record's
// JSON with a last member "hash": hex SM3 of the line up to and excluding
// `,"hash":"…"` followed by the closing brace (that is, of the record's JSON without the
// hash). Methods are safe for concurrent use.
type AuditLog struct {
	mu   sync.Mutex
	f    *os.File
	path string
	opts AuditOptions
	seq  uint64
	last [32]byte
	err  error // sticky write error: once the log could not be written, reads stop
}

var zeroHash [32]byte

// OpenAuditLog opens (creating if needed, mode 0600) the log at path, verifies the
// existing chain and continues it. A broken chain is refused: the operator must look at
// the file (it is evidence) and move it aside; ledgerd does not silently start a new one.
func OpenAuditLog(path string, opts AuditOptions) (*AuditLog, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the audit log: %w", err)
	}
	n, last, err := VerifyAudit(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("the audit log %s does not verify; move it aside to keep it as evidence before starting: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, err
	}
	return &AuditLog{f: f, path: path, opts: opts, seq: n, last: last}, nil
}

// Head returns the number of records and the hash of the last one, for anchoring the
// log elsewhere (ledgerd logs it on start and stop).
func (l *AuditLog) Head() (uint64, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq, hex.EncodeToString(l.last[:])
}

// Append writes one record durably, filling Format, Seq, Time and Prev. After a failed
// write every later Append fails too: a gap in the chain must not be papered over.
func (l *AuditLog) Append(rec AuditRecord) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	rec.bound()
	rec.Format = AuditFormat
	rec.Seq = l.seq
	rec.Time = l.opts.Now().UTC().Format(time.RFC3339Nano)
	rec.Prev = hex.EncodeToString(l.last[:])
	line, h, err := encodeAudit(&rec)
	if err != nil {
		return err
	}
	if _, err := l.f.Write(line); err != nil {
		l.err = fmt.Errorf("writing the audit log: %w", err)
		return l.err
	}
	if !l.opts.NoSync {
		if err := l.f.Sync(); err != nil {
			l.err = fmt.Errorf("syncing the audit log: %w", err)
			return l.err
		}
	}
	l.seq++
	l.last = h
	return nil
}

// Close closes the file.
func (l *AuditLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if l.err == nil {
		l.err = errors.New("audit log closed")
	}
	return err
}

func encodeAudit(rec *AuditRecord) ([]byte, [32]byte, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return nil, zeroHash, err
	}
	h := crypto.SM3(body)
	line := make([]byte, 0, len(body)+80)
	line = append(line, body[:len(body)-1]...)
	line = append(line, `,"hash":"`...)
	line = hex.AppendEncode(line, h[:])
	line = append(line, "\"}\n"...)
	return line, h, nil
}

// AuditError names the first line at which an audit log stops verifying.
type AuditError struct {
	Line   uint64 // 1-based line number
	Reason string // "malformed", "bad_hash", "bad_prev", "bad_seq", "torn"
	Detail string
}

func (e *AuditError) Error() string {
	return fmt.Sprintf("audit log line %d: %s: %s", e.Line, e.Reason, e.Detail)
}

// VerifyAudit reads a whole audit log and checks every line's hash, its link to the line
// before and its sequence number. It returns the number of records and the last hash.
func VerifyAudit(r io.Reader) (uint64, [32]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var n uint64
	last := zeroHash
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return n, last, nil
		}
		if err != nil && err != io.EOF {
			return n, last, fmt.Errorf("reading the audit log: %w", err)
		}
		if err == io.EOF {
			return n, last, &AuditError{Line: n + 1, Reason: "torn", Detail: "the last line has no newline (a write was cut short, or the file was edited)"}
		}
		h, rec, perr := parseAuditLine(line[:len(line)-1])
		if perr != nil {
			return n, last, &AuditError{Line: n + 1, Reason: "malformed", Detail: perr.Error()}
		}
		want := crypto.SM3(recBody(line[:len(line)-1]))
		if h != want {
			return n, last, &AuditError{Line: n + 1, Reason: "bad_hash", Detail: "the line's hash does not match its content (edited)"}
		}
		if rec.Prev != hex.EncodeToString(last[:]) {
			return n, last, &AuditError{Line: n + 1, Reason: "bad_prev", Detail: "the line does not follow the line before it (a line was deleted, inserted or reordered)"}
		}
		if rec.Seq != n {
			return n, last, &AuditError{Line: n + 1, Reason: "bad_seq", Detail: fmt.Sprintf("seq %d at line %d", rec.Seq, n+1)}
		}
		last = h
		n++
	}
}

// hashSuffixLen is len(`,"hash":"` + 64 hex + `"}`).
const hashSuffixLen = 9 + 64 + 2

func recBody(line []byte) []byte {
	body := make([]byte, 0, len(line))
	body = append(body, line[:len(line)-hashSuffixLen]...)
	return append(body, '}')
}

func parseAuditLine(line []byte) ([32]byte, *AuditRecord, error) {
	var h [32]byte
	if len(line) < hashSuffixLen+2 || !bytes.HasPrefix(line[len(line)-hashSuffixLen:], []byte(`,"hash":"`)) || !bytes.HasSuffix(line, []byte(`"}`)) {
		return h, nil, errors.New("no trailing hash member")
	}
	if _, err := hex.Decode(h[:], line[len(line)-hashSuffixLen+9:len(line)-2]); err != nil {
		return h, nil, fmt.Errorf("hash: %v", err)
	}
	var rec AuditRecord
	if err := strictjson.Unmarshal(recBody(line), &rec); err != nil {
		return h, nil, err
	}
	if rec.Format != AuditFormat {
		return h, nil, fmt.Errorf("format %q", rec.Format)
	}
	return h, &rec, nil
}

// VerifyAuditFile is VerifyAudit on a file.
func VerifyAuditFile(path string) (uint64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	n, h, err := VerifyAudit(f)
	return n, hex.EncodeToString(h[:]), err
}
