package bundle

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/witness"
	"golang.org/x/mod/sumdb/note"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// LedgerKey pins the key that must sign the checkpoint and the genesis. Without it
	// the bundle proves it is consistent with the ledger key it names, which the reader
	// must compare with the published one (the report gives its ID).
	LedgerKey *crypto.PublicKey
	// Workers check signatures in parallel (default GOMAXPROCS).
	Workers int
}

// Report is what a verified bundle shows.
type Report struct {
	Origin    string
	Size      uint64 // the checkpoint's tree size
	Root      ledger.Hash
	LedgerKey string // ID of the key that signed the checkpoint
	Pinned    bool   // LedgerKey was pinned by the caller
	Cosigners []string
	Entries   int      // entries carried
	Selected  []uint64 // seqs of the selected entries
	Export    ExportInfo
}

// ExportInfo describes the recorded export act.
type ExportInfo struct {
	Seq         uint64
	At          string // occurred_at
	Institution string
	By          string
	Reason      string
	Selection   Selection
}

// Verify checks everything the bundle claims (see the package documentation), cheapest
// checks first, and returns the first problem as a *Finding.
func Verify(b *Bundle, opts VerifyOptions) (*Report, error) {
	if b.Format != Format {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrUnsupported, b.Format, Format)
	}
	keys, err := parseKeys(b.Keys, "keys", func(id string, k *crypto.PublicKey) error {
		if k.ID() != id {
			return finding("keys."+id, "key_id_mismatch", "the key's ID is %s", k.ID())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	wits, err := parseKeys(b.Witnesses, "witnesses", nil)
	if err != nil {
		return nil, err
	}
	lk, ok := keys[b.LedgerKey]
	if !ok {
		return nil, finding("ledger_key", "unknown_key", "ledger key %q is not among the keys", b.LedgerKey)
	}
	if opts.LedgerKey != nil && !opts.LedgerKey.Equal(lk) {
		return nil, finding("ledger_key", "not_pinned_key", "the bundle's ledger key %s is not the pinned key %s", lk.ID(), opts.LedgerKey.ID())
	}
	rep := &Report{LedgerKey: lk.ID(), Pinned: opts.LedgerKey != nil, Entries: len(b.Entries)}

	c, err := openCheckpoint([]byte(b.Checkpoint), lk, wits, rep)
	if err != nil {
		return nil, err
	}
	rep.Size, rep.Root = c.Size, c.Root

	ents, err := checkEntries(b, c)
	if err != nil {
		return nil, err
	}
	signers, err := replay(b, ents, keys, lk, rep)
	if err != nil {
		return nil, err
	}
	if err := checkSignatures(b, ents, signers, opts.Workers); err != nil {
		return nil, err
	}
	return rep, nil
}

// parseKeys reads a map of PEM keys; each must be exactly the canonical PEM encoding of
// its key, so no byte of it can change unnoticed.
func parseKeys(m map[string]string, field string, check func(string, *crypto.PublicKey) error) (map[string]*crypto.PublicKey, error) {
	out := make(map[string]*crypto.PublicKey, len(m))
	for id, text := range m {
		k, err := crypto.ParsePublicKeyPEM([]byte(text))
		if err != nil {
			return nil, finding(field+"."+id, "bad_key", "%v", err)
		}
		if string(crypto.MarshalPublicKeyPEM(k)) != text {
			return nil, finding(field+"."+id, "bad_key", "not the canonical PEM encoding of the key")
		}
		if check != nil {
			if err := check(id, k); err != nil {
				return nil, err
			}
		}
		out[id] = k
	}
	return out, nil
}

// openCheckpoint verifies the signed note: signed by the ledger key under the origin it
// names, every other signature line a valid cosignature of a listed witness, every line
// in its one canonical spelling.
func openCheckpoint(text []byte, lk *crypto.PublicKey, wits map[string]*crypto.PublicKey, rep *Report) (ledger.Checkpoint, error) {
	bad := func(reason, format string, a ...any) (ledger.Checkpoint, error) {
		return ledger.Checkpoint{}, finding("checkpoint", reason, format, a...)
	}
	origin, _, _ := strings.Cut(string(text), "\n")
	lines := ledger.NoteSignatures(text)
	if len(lines) == 0 {
		return bad("malformed", "no signature lines")
	}
	seen := map[string]bool{}
	for _, l := range lines {
		rest, ok := strings.CutPrefix(string(l), "— ")
		name, b64, ok2 := strings.Cut(strings.TrimSuffix(rest, "\n"), " ")
		raw, err := base64.StdEncoding.Strict().DecodeString(b64)
		if !ok || !ok2 || err != nil || len(raw) < 5 || base64.StdEncoding.EncodeToString(raw) != b64 {
			return bad("malformed", "signature line %q is not in canonical form", strings.TrimSpace(string(l)))
		}
		id := fmt.Sprintf("%s+%08x", name, binary.BigEndian.Uint32(raw))
		if seen[id] {
			return bad("malformed", "two signatures by %s", id)
		}
		seen[id] = true
	}
	verifiers := []note.Verifier{ledger.NewNoteVerifier(origin, lk)}
	names := make([]string, 0, len(wits))
	for n := range wits {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		verifiers = append(verifiers, witness.NewVerifier(n, wits[n]))
	}
	n, err := note.Open(text, note.VerifierList(verifiers...))
	if err != nil {
		return bad("bad_checkpoint_signature", "%v", err)
	}
	if len(n.UnverifiedSigs) > 0 {
		return bad("bad_checkpoint_signature", "signature by %s is by no key in the bundle", n.UnverifiedSigs[0].Name)
	}
	c, _, err := ledger.OpenCheckpoint(text, origin, lk)
	if err != nil {
		return bad("bad_checkpoint_signature", "%v", err)
	}
	for _, s := range n.Sigs {
		if s.Name != origin || s.Hash != verifiers[0].KeyHash() {
			rep.Cosigners = append(rep.Cosigners, s.Name)
		}
	}
	rep.Origin = origin
	return c, nil
}

// checkEntries checks each entry's own bytes and proof; it returns the parsed entries.
func checkEntries(b *Bundle, c ledger.Checkpoint) ([]*ledger.Entry, error) {
	if len(b.Entries) == 0 {
		return nil, finding("entries", "empty", "the bundle carries no entries")
	}
	// Cheapest first: one SM3 pass names a changed entry at its own position.
	for i := range b.Entries {
		be := &b.Entries[i]
		if ledger.SumEntry(be.Entry) != be.Hash {
			return nil, finding(fmt.Sprintf("entries[%d]", i), "bad_entry_hash", "seq %d: SM3 of the entry bytes is not the hash given", be.Seq)
		}
	}
	ents := make([]*ledger.Entry, len(b.Entries))
	for i := range b.Entries {
		be := &b.Entries[i]
		field := fmt.Sprintf("entries[%d]", i)
		if i > 0 && be.Seq <= b.Entries[i-1].Seq {
			return nil, finding(field+".seq", "out_of_order", "seq %d after %d", be.Seq, b.Entries[i-1].Seq)
		}
		if be.Seq >= c.Size {
			return nil, finding(field+".seq", "beyond_checkpoint", "seq %d is not below the checkpoint's size %d", be.Seq, c.Size)
		}
		e, err := ledger.ParseEntry(be.Entry)
		if err != nil {
			return nil, finding(field+".entry", "malformed_entry", "%v", err)
		}
		switch {
		case !e.Canonical():
			return nil, finding(field+".entry", "not_canonical", "the entry bytes are not in the sealed canonical form")
		case e.Seq != be.Seq:
			return nil, finding(field+".seq", "bad_seq", "the entry says it is seq %d", e.Seq)
		case !bytes.Equal(e.SubmissionRaw, be.Submission):
			return nil, finding(field+".submission", "submission_mismatch", "not the submission bytes inside the entry")
		case !bytes.Equal(e.Signature, be.Signature):
			return nil, finding(field+".signature", "signature_mismatch", "not the signature inside the entry")
		case e.Submission.Actor.KeyID != be.KeyID:
			return nil, finding(field+".key_id", "key_id_mismatch", "the submission names key %s", e.Submission.Actor.KeyID)
		}
		if err := ledger.VerifyInclusion(be.Entry, be.Seq, c.Size, be.InclusionProof, c.Root); err != nil {
			return nil, finding(field+".inclusion_proof", "bad_inclusion_proof", "seq %d is not proven in the tree of %d: %v", be.Seq, c.Size, err)
		}
		if i > 0 && be.Seq == b.Entries[i-1].Seq+1 && e.PrevHash != b.Entries[i-1].Hash {
			return nil, finding(field+".entry", "bad_prev_hash", "prev_hash is not the hash of seq %d", be.Seq-1)
		}
		ents[i] = e
	}
	return ents, nil
}

// replay rebuilds the key registry from the genesis and the registry acts carried, checks
// who could sign each entry, and checks the export event's completeness claims. It
// returns the key that must have signed each entry.
func replay(b *Bundle, ents []*ledger.Entry, keys map[string]*crypto.PublicKey, lk *crypto.PublicKey, rep *Report) ([]*crypto.PublicKey, error) {
	if b.Entries[0].Seq != 0 {
		return nil, finding("entries[0]", "missing_genesis", "the bundle must carry the genesis entry (seq 0)")
	}
	reg, err := ledger.GenesisRegistry(&ents[0].Submission)
	if err != nil {
		return nil, finding("entries[0].entry", "bad_genesis", "%v", err)
	}
	if reg.LedgerKey != lk.ID() {
		return nil, finding("ledger_key", "bad_genesis", "the genesis names ledger key %s", reg.LedgerKey)
	}
	if reg.Origin != rep.Origin {
		return nil, finding("checkpoint", "bad_origin", "the genesis names origin %q", reg.Origin)
	}
	expIdx := sort.Search(len(b.Entries), func(i int) bool { return b.Entries[i].Seq >= b.ExportSeq })
	if expIdx == len(b.Entries) || b.Entries[expIdx].Seq != b.ExportSeq {
		return nil, finding("export_seq", "missing_export", "no entry at seq %d", b.ExportSeq)
	}
	exp := &ents[expIdx].Submission
	var p ExportPayload
	if exp.Type != TypeExported || exp.Stream != ExportStream || exp.Actor.KeyID != lk.ID() {
		return nil, finding("export_seq", "not_an_export", "entry %d is %s on %s", b.ExportSeq, exp.Type, exp.Stream)
	}
	if err := json.Unmarshal(exp.Payload, &p); err != nil || p.Format != Format {
		return nil, finding(fmt.Sprintf("entries[%d].entry", expIdx), "bad_export_payload", "the export event's payload is not a %s record", Format)
	}
	if p.LogSize > b.ExportSeq {
		return nil, finding(fmt.Sprintf("entries[%d].entry", expIdx), "bad_export_payload", "log_size %d is beyond the export event", p.LogSize)
	}

	signers := make([]*crypto.PublicKey, len(ents))
	signers[0] = lk
	var regSeen, selected uint64 = 1, 0
	for i := range ents {
		e, be := ents[i], &b.Entries[i]
		field := fmt.Sprintf("entries[%d]", i)
		sub := &e.Submission
		inSel := be.Seq < p.LogSize && p.Selection.Match(be.Seq, sub.Stream)
		if inSel {
			selected++
			rep.Selected = append(rep.Selected, be.Seq)
		}
		if i == 0 {
			if ents[0].StreamVersion != 1 {
				return nil, finding(field+".entry", "bad_genesis", "genesis stream version %d", ents[0].StreamVersion)
			}
			if k := keys[be.KeyID]; k == nil || !k.Equal(lk) {
				return nil, finding(field+".key_id", "bad_genesis", "the genesis must be signed by the ledger key")
			}
			continue
		}
		isReg := sub.Stream == ledger.RegistryStream
		if !inSel && !(isReg && be.Seq < p.LogSize) && be.Seq != b.ExportSeq {
			return nil, finding(field, "unexplained_entry", "seq %d is neither selected, a registry act before the selection, nor the export", be.Seq)
		}
		if isReg {
			regSeen++
			if e.StreamVersion != regSeen {
				return nil, finding(field+".entry", "missing_registry_act", "registry act %d follows %d: an act in between is missing", e.StreamVersion, regSeen-1)
			}
		}
		// The registry's part of the one rule for every position (ledger.Registry.Step):
		// the key in force may sign this act, and a registry act applies.
		next, key, ce := reg.Step(be.Seq, sub)
		if ce != nil {
			return nil, finding(field+".entry", ce.Reason, "seq %d: %s", be.Seq, ce.Detail)
		}
		if k := keys[be.KeyID]; k == nil || !k.Equal(key) {
			return nil, finding(field+".key_id", "unknown_key", "seq %d: key %s is missing from the bundle's keys or differs from the registered key", be.Seq, be.KeyID)
		}
		signers[i], reg = key, next
	}
	regBefore := uint64(0)
	for i := range ents {
		if b.Entries[i].Seq < p.LogSize && ents[i].Submission.Stream == ledger.RegistryStream {
			regBefore++
		}
	}
	if regBefore != p.RegistryVersion {
		return nil, finding("entries", "missing_registry_act", "the export event says %d registry acts preceded it; the bundle carries %d", p.RegistryVersion, regBefore)
	}
	if selected != p.Entries {
		return nil, finding("entries", "incomplete_selection", "the export event says the selection held %d entries; the bundle carries %d", p.Entries, selected)
	}
	rep.Export = ExportInfo{Seq: b.ExportSeq, At: exp.OccurredAt, Institution: exp.Actor.Institution, By: exp.Actor.Person, Reason: p.Reason, Selection: p.Selection}
	return signers, nil
}

// checkSignatures verifies every actor signature over the submission bytes, in parallel,
// and reports the first bad one in entry order.
func checkSignatures(b *Bundle, ents []*ledger.Entry, signers []*crypto.PublicKey, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var first atomic.Int64
	first.Store(int64(len(ents)))
	var wg sync.WaitGroup
	for range min(workers, len(ents)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(ents)) {
					return
				}
				if !signers[i].Verify(ents[i].SubmissionRaw, ents[i].Signature) {
					for {
						f := first.Load()
						if i >= f || first.CompareAndSwap(f, i) {
							break
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if i := first.Load(); i < int64(len(ents)) {
		return finding(fmt.Sprintf("entries[%d].signature", i), "bad_signature", "seq %d: the actor's SM2 signature does not verify over the submission", b.Entries[i].Seq)
	}
	return nil
}
