package bundle

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/aba-prefecture/dataledger/internal/strictjson"
	"io"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Format is the value of the "format" member of bundles this package writes and reads.
const Format = "aba-ledger-bundle/v1"

// The export event.
const (
	// ExportStream holds one ledger.bundle_exported.v1 entry per export.
	ExportStream = "ledger/exports"
	// TypeExported records that evidence was copied out of the ledger (Art. 37(5)).
	TypeExported = "ledger.bundle_exported.v1"
)

var (
	// ErrTampered: the bundle does not verify. Every *Finding wraps it.
	ErrTampered = errors.New("evidence bundle does not verify")
	// ErrUnsupported: the input is not JSON or not a bundle of Format.
	ErrUnsupported = errors.New("not an evidence bundle of a supported format")
)

// Finding is why a bundle does not verify: the member at fault (a JSON path such as
// "entries[3].signature") and a stable reason code.
type Finding struct {
	Field  string
	Reason string
	Detail string
}

func (f *Finding) Error() string {
	s := f.Reason
	if f.Field != "" {
		s = f.Field + ": " + s
	}
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	return s
}

// Unwrap makes errors.Is(err, ErrTampered) true.
func (f *Finding) Unwrap() error { return ErrTampered }

func finding(field, reason, format string, a ...any) *Finding {
	return &Finding{Field: field, Reason: reason, Detail: fmt.Sprintf(format, a...)}
}

// Bytes is binary data as standard, padded base64 in JSON; decoding is strict (no
// newlines, zero padding bits), so one value has exactly one spelling.
type Bytes []byte

// MarshalText implements encoding.TextMarshaler.
func (b Bytes) MarshalText() ([]byte, error) {
	return base64.StdEncoding.AppendEncode(nil, b), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Bytes) UnmarshalText(t []byte) error {
	out, err := base64.StdEncoding.Strict().AppendDecode(nil, t)
	if err != nil {
		return fmt.Errorf("not strict standard base64: %w", err)
	}
	*b = out
	return nil
}

// Bundle is the JSON document. Field order is the order written.
type Bundle struct {
	Format string `json:"format"`
	// Checkpoint is the signed note (C2SP tlog-checkpoint) every proof is against.
	Checkpoint string `json:"checkpoint"`
	// Keys maps key IDs to PKIX PEM SM2 public keys: every key that signed an entry here
	// and the ledger key.
	Keys map[string]string `json:"keys"`
	// LedgerKey is the ID of the key that signs checkpoints (named by the genesis entry).
	LedgerKey string `json:"ledger_key"`
	// Witnesses maps witness names to PKIX PEM keys of cosignatures on the checkpoint.
	Witnesses map[string]string `json:"witnesses,omitempty"`
	// ExportSeq is the position of the ledger.bundle_exported.v1 entry for this bundle.
	ExportSeq uint64 `json:"export_seq"`
	// Entries in increasing seq order: the selection, the registry acts before it, and
	// the export event.
	Entries []Entry `json:"entries"`
}

// Entry is one ledger entry with its proof.
type Entry struct {
	Seq uint64 `json:"seq"`
	// Entry is the exact canonical entry bytes that were hashed.
	Entry Bytes `json:"entry"`
	// Hash is SM3(Entry), lowercase hex.
	Hash ledger.Hash `json:"hash"`
	// Submission is the exact canonical submission bytes the actor signed (a slice of
	// Entry).
	Submission Bytes `json:"submission"`
	// Signature is the DER SM2 signature over Submission (SM3, default user ID).
	Signature Bytes `json:"signature"`
	// KeyID names the signing key in Keys.
	KeyID string `json:"key_id"`
	// InclusionProof is the RFC 6962 audit path of leaf Seq in the checkpoint's tree,
	// leaf side first, lowercase hex.
	InclusionProof []ledger.Hash `json:"inclusion_proof"`
}

// Selection says which entries an export covers. Zero fields select everything before
// the export.
type Selection struct {
	Stream string  `json:"stream,omitempty"`
	From   *uint64 `json:"from,omitempty"` // first seq, inclusive
	To     *uint64 `json:"to,omitempty"`   // last seq, inclusive
	// Seqs, when set, is the selection itself: these positions, ascending, and nothing
	// else (Stream, From and To are then unset). An export of a search's results records
	// them so that the bundle proves it holds every one; Query says what was searched for.
	Seqs  []uint64          `json:"seqs,omitempty"`
	Query map[string]string `json:"query,omitempty"`
}

// MaxSeqs bounds an explicit selection: its positions are recorded in the export act,
// whose payload the ledger keeps small.
const MaxSeqs = 4000

// ServerRequest is the JSON body of ledgerd's POST /v1/bundles, the flags of
// "ledgerctl export --server": what to export and why. Who exports is not in it: the
// server records the person its credential was issued to.
type ServerRequest struct {
	Selection
	// The investigation filters of GET /v1/events: the server exports what that search
	// finds, as listed positions (Selection.Seqs), and records the filters.
	Institution string `json:"institution,omitempty"`
	Person      string `json:"person,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Type        string `json:"type,omitempty"`
	FromDay     string `json:"from_day,omitempty"`
	ToDay       string `json:"to_day,omitempty"`
	Reason      string `json:"reason"`
}

// SearchFilters returns the request's investigation filters by their GET /v1/events
// names, or nil when it selects by stream and range only.
func (r ServerRequest) SearchFilters() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"institution": r.Institution, "person": r.Person, "resource": r.Resource, "type": r.Type, "from": r.FromDay, "to": r.ToDay} {
		if v != "" {
			m[k] = v
		}
	}
	if len(m) == 0 {
		return nil
	}
	if r.Stream != "" {
		m["stream"] = r.Stream
	}
	return m
}

// MaxReasonBytes bounds an export's reason: it is recorded on the log in the export act,
// and a case number, a request and a legal basis fit in far less.
const MaxReasonBytes = 2048

// Match reports whether the entry at seq on stream is selected.
func (s Selection) Match(seq uint64, stream string) bool {
	if len(s.Seqs) > 0 {
		_, found := slices.BinarySearch(s.Seqs, seq)
		return found
	}
	if s.Stream != "" && stream != s.Stream {
		return false
	}
	if s.From != nil && seq < *s.From {
		return false
	}
	if s.To != nil && seq > *s.To {
		return false
	}
	return true
}

// String renders the selection as the CLI flags that make it.
func (s Selection) String() string {
	var parts []string
	if len(s.Seqs) > 0 {
		keys := make([]string, 0, len(s.Query))
		for k := range s.Query {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			parts = append(parts, "--"+strings.ReplaceAll(k, "_", "-")+" "+s.Query[k])
		}
		return fmt.Sprintf("%d entries found by %s", len(s.Seqs), strings.Join(parts, " "))
	}
	if s.Stream != "" {
		parts = append(parts, "--stream "+s.Stream)
	}
	if s.From != nil || s.To != nil {
		var a, b string
		if s.From != nil {
			a = fmt.Sprint(*s.From)
		}
		if s.To != nil {
			b = fmt.Sprint(*s.To)
		}
		parts = append(parts, "--seq "+a+"-"+b)
	}
	if len(parts) == 0 {
		return "all entries"
	}
	return strings.Join(parts, " ")
}

// ExportPayload is the payload of ledger.bundle_exported.v1.
type ExportPayload struct {
	Format    string    `json:"format"`
	Reason    string    `json:"reason"`
	Selection Selection `json:"selection"`
	// LogSize is the log size the selection was taken at: it covers entries before it.
	LogSize uint64 `json:"log_size"`
	// Entries is how many entries before LogSize the selection matched.
	Entries uint64 `json:"entries"`
	// RegistryVersion is how many registry acts (genesis included) precede LogSize; the
	// bundle carries all of them.
	RegistryVersion uint64 `json:"registry_version"`
}

// Write encodes b as indented JSON.
func Write(w io.Writer, b *Bundle) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("writing bundle: %w", err)
	}
	return nil
}

// Read decodes a bundle. Input that is not JSON, or names another format, is
// ErrUnsupported; a bundle of this format that does not decode strictly (unknown members,
// bad base64 or hex, trailing data) is a *Finding.
func Read(r io.Reader) (*Bundle, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading bundle: %w", err)
	}
	var head struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	if head.Format != Format {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrUnsupported, head.Format, Format)
	}
	var b Bundle
	if err := strictjson.Unmarshal(data, &b); err != nil {
		return nil, finding("", "malformed", "%v", err)
	}
	return &b, nil
}
