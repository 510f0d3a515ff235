package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// ErrEmpty: the selection matches no entry. Nothing is recorded. The error Export returns
// also carries a *ledger.Problem of kind ledger.ErrNotFound for a server to answer with.
var ErrEmpty = errors.New("the selection matches no entry")

// refused is how Export refuses a request before recording anything: a *ledger.Problem,
// so that ledgerd answers it through its one error mapping (kind → status) in English
// and Simplified Chinese, and the CLI prints the same words.
func refused(kind error, code, field, en, zh string) *ledger.Problem {
	return &ledger.Problem{Kind: kind, Code: code, Field: field, Message: en, MessageZH: zh}
}

// Request says what to export, by whom and why.
type Request struct {
	Selection Selection
	// By is the exporting person's identifier (the actor.person of the export event).
	By string
	// Reason is why the evidence is copied out: case number, request, legal basis.
	Reason string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxEntries, if positive, refuses a selection of more entries (ledger.ErrTooLarge)
	// before anything is recorded: a bundle is built in memory, and a server must bound
	// what one request can make it hold.
	MaxEntries uint64
}

var streamRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._:/-]{0,199}$`)

// Export records the export as an event signed by the ledger key (through l, which must
// be open with that key as its Signer), signs a checkpoint covering it, and builds the
// bundle. The event is durable before the bundle exists: an export that fails after it
// is still on record as attempted. A selection that matches nothing, or a range beyond
// the log, is refused with nothing written.
func Export(ctx context.Context, l *ledger.Ledger, ledgerKey crypto.Signer, req Request) (*Bundle, error) {
	seq, err := Record(ctx, l, ledgerKey, req)
	if err != nil {
		return nil, err
	}
	c, err := l.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing the checkpoint for the bundle: %w", err)
	}
	return Build(ctx, l.Store(), c, seq)
}

// Record appends the ledger.bundle_exported.v1 event for req and returns its seq.
func Record(ctx context.Context, l *ledger.Ledger, ledgerKey crypto.Signer, req Request) (uint64, error) {
	sel := req.Selection
	if sel.Stream != "" && !streamRE.MatchString(sel.Stream) {
		return 0, refused(ledger.ErrInvalid, "bad_stream", "stream",
			fmt.Sprintf("stream %q is not a valid stream name", sel.Stream),
			fmt.Sprintf("流名称 %q 不合法", sel.Stream))
	}
	if len(sel.Seqs) > 0 {
		if sel.Stream != "" || sel.From != nil || sel.To != nil {
			return 0, refused(ledger.ErrInvalid, "bad_selection", "seqs",
				"an explicit list of positions is the whole selection: give no stream or range with it",
				"已给出序号列表时不得再给出流或序号范围")
		}
		if len(sel.Seqs) > MaxSeqs {
			return 0, refused(ledger.ErrTooLarge, "bundle_too_large", "seqs",
				fmt.Sprintf("%d positions; an export of listed positions holds at most %d: narrow the search", len(sel.Seqs), MaxSeqs),
				fmt.Sprintf("共 %d 个序号，按序号列表导出最多 %d 个：请缩小检索范围", len(sel.Seqs), MaxSeqs))
		}
		for i := 1; i < len(sel.Seqs); i++ {
			if sel.Seqs[i] <= sel.Seqs[i-1] {
				return 0, refused(ledger.ErrInvalid, "bad_selection", "seqs", "positions must be ascending and distinct", "序号须递增且不重复")
			}
		}
	}
	if sel.From != nil && sel.To != nil && *sel.From > *sel.To {
		return 0, refused(ledger.ErrInvalid, "bad_range", "from",
			fmt.Sprintf("seq range %d-%d is reversed", *sel.From, *sel.To),
			fmt.Sprintf("序号范围 %d-%d 起止颠倒", *sel.From, *sel.To))
	}
	if strings.TrimSpace(req.Reason) == "" {
		return 0, refused(ledger.ErrInvalid, "reason_required", "reason",
			"a reason for the export is required (case, request, legal basis)",
			"导出须说明理由（案件、请求或法律依据）")
	}
	if len(req.Reason) > MaxReasonBytes {
		return 0, refused(ledger.ErrInvalid, "reason_too_long", "reason",
			fmt.Sprintf("the reason is %d bytes; at most %d are recorded", len(req.Reason), MaxReasonBytes),
			fmt.Sprintf("导出理由为 %d 字节，最多 %d 字节", len(req.Reason), MaxReasonBytes))
	}
	st := l.Store()
	size := l.Size()
	if sel.From != nil && *sel.From >= size || sel.To != nil && *sel.To >= size || len(sel.Seqs) > 0 && sel.Seqs[len(sel.Seqs)-1] >= size {
		return 0, refused(ledger.ErrInvalid, "bad_range", "to",
			fmt.Sprintf("seq range reaches beyond the log's %d entries (positions 0-%d)", size, size-1),
			fmt.Sprintf("序号范围超出账本现有的 %d 条记录（序号 0-%d）", size, size-1))
	}
	n, err := count(ctx, st, sel, size)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("%w (%s): %w", ErrEmpty, sel, refused(ledger.ErrNotFound, "empty_selection", "",
			fmt.Sprintf("the selection (%s) matches no entry", sel),
			fmt.Sprintf("所选范围（%s）没有任何记录", sel)))
	}
	if req.MaxEntries > 0 && n > req.MaxEntries {
		return 0, refused(ledger.ErrTooLarge, "bundle_too_large", "",
			fmt.Sprintf("the selection holds %d entries; one bundle holds at most %d: split it by seq range", n, req.MaxEntries),
			fmt.Sprintf("所选范围有 %d 条记录，单个证据包最多 %d 条：请按序号范围拆分", n, req.MaxEntries))
	}
	var regVersion uint64
	if err := st.Stream(ctx, ledger.RegistryStream, 1, func(r ledger.RawEntry) error {
		if r.Seq < size {
			regVersion++
		}
		return nil
	}); err != nil {
		return 0, fmt.Errorf("counting registry acts: %w", err)
	}
	payload, err := json.Marshal(ExportPayload{Format: Format, Reason: req.Reason, Selection: sel, LogSize: size, Entries: n, RegistryVersion: regVersion})
	if err != nil {
		return 0, err
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	reg := l.Registry()
	s, err := ledger.SignSubmission(ledgerKey, ledger.Submission{
		ID: uuid.Must(uuid.NewV7()).String(), Stream: ExportStream, Type: TypeExported,
		OccurredAt: now().UTC().Format(time.RFC3339Nano),
		Actor:      ledger.Actor{Institution: reg.Authority, Person: req.By, KeyID: ledgerKey.Public().ID()},
		Payload:    payload,
	})
	if err != nil {
		return 0, err
	}
	r, err := l.Append(ctx, s)
	if err != nil {
		return 0, fmt.Errorf("recording the export: %w", err)
	}
	return r.Seq, nil
}

func count(ctx context.Context, st ledger.Store, sel Selection, size uint64) (uint64, error) {
	if len(sel.Seqs) > 0 {
		return uint64(len(sel.Seqs)), nil
	}
	var n uint64
	fn := func(r ledger.RawEntry) error {
		if r.Seq < size && sel.Match(r.Seq, sel.Stream) {
			n++
		}
		return nil
	}
	if sel.Stream != "" {
		if err := st.Stream(ctx, sel.Stream, 1, fn); err != nil {
			return 0, fmt.Errorf("reading stream %s: %w", sel.Stream, err)
		}
		return n, nil
	}
	from, to := uint64(0), size
	if sel.From != nil {
		from = *sel.From
	}
	if sel.To != nil {
		to = *sel.To + 1
	}
	return to - from, nil
}

// Build assembles the bundle for the export event at exportSeq against checkpoint c
// (which must cover it) from the store: the selected entries, the registry acts before
// the selection's log size, the export event, their inclusion proofs, and the keys.
func Build(ctx context.Context, st ledger.Store, c ledger.Checkpoint, exportSeq uint64) (*Bundle, error) {
	if exportSeq >= c.Size {
		return nil, fmt.Errorf("the checkpoint of size %d does not cover the export at %d", c.Size, exportSeq)
	}
	var exp *ledger.Entry
	if err := st.Entries(ctx, exportSeq, exportSeq+1, func(r ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(r.Bytes))
		exp = e
		return err
	}); err != nil || exp == nil {
		return nil, fmt.Errorf("reading the export event at %d: %v", exportSeq, err)
	}
	if exp.Submission.Type != TypeExported {
		return nil, fmt.Errorf("entry %d is %s, not an export event", exportSeq, exp.Submission.Type)
	}
	var p ExportPayload
	if err := json.Unmarshal(exp.Submission.Payload, &p); err != nil {
		return nil, fmt.Errorf("export payload: %w", err)
	}

	raw := map[uint64][]byte{exportSeq: exp.Bytes}
	keep := func(r ledger.RawEntry) error {
		if r.Seq < p.LogSize {
			raw[r.Seq] = bytes.Clone(r.Bytes)
		}
		return nil
	}
	if err := st.Stream(ctx, ledger.RegistryStream, 1, keep); err != nil {
		return nil, fmt.Errorf("reading the key registry: %w", err)
	}
	sel := p.Selection
	switch {
	case len(sel.Seqs) > 0:
		for _, seq := range sel.Seqs {
			if err := st.Entries(ctx, seq, seq+1, keep); err != nil {
				return nil, fmt.Errorf("reading entry %d: %w", seq, err)
			}
		}
	case sel.Stream != "":
		err := st.Stream(ctx, sel.Stream, 1, func(r ledger.RawEntry) error {
			if sel.Match(r.Seq, sel.Stream) {
				return keep(r)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading stream %s: %w", sel.Stream, err)
		}
	default:
		from, to := uint64(0), p.LogSize
		if sel.From != nil {
			from = *sel.From
		}
		if sel.To != nil {
			to = *sel.To + 1
		}
		if err := st.Entries(ctx, from, to, keep); err != nil {
			return nil, fmt.Errorf("reading entries %d-%d: %w", from, to-1, err)
		}
	}

	reg, err := ledger.LoadRegistry(ctx, st, exportSeq+1)
	if err != nil {
		return nil, err
	}
	keys := reg.Keys()
	b := &Bundle{Format: Format, Checkpoint: string(c.Note), Keys: map[string]string{}, LedgerKey: reg.LedgerKey, ExportSeq: exportSeq}
	addKey := func(id string) error {
		k, ok := keys[id]
		if !ok {
			return fmt.Errorf("key %s is not in the registry", id)
		}
		b.Keys[id] = string(crypto.MarshalPublicKeyPEM(k.Key))
		return nil
	}
	if err := addKey(reg.LedgerKey); err != nil {
		return nil, err
	}
	seqs := make([]uint64, 0, len(raw))
	for s := range raw {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for _, seq := range seqs {
		e, err := ledger.ParseEntry(raw[seq])
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", seq, err)
		}
		proof, err := ledger.InclusionProof(ctx, st, seq, c.Size)
		if err != nil {
			return nil, fmt.Errorf("inclusion proof for %d: %w", seq, err)
		}
		if err := addKey(e.Submission.Actor.KeyID); err != nil {
			return nil, fmt.Errorf("entry %d: %w", seq, err)
		}
		b.Entries = append(b.Entries, Entry{
			Seq: seq, Entry: e.Bytes, Hash: e.Hash, Submission: e.SubmissionRaw,
			Signature: e.Signature, KeyID: e.Submission.Actor.KeyID, InclusionProof: proof,
		})
	}
	return b, nil
}
