package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"golang.org/x/mod/sumdb/note"
)

// Errors AddCheckpoint returns; the HTTP handler maps them to tlog-witness status codes.
var (
	// ErrUnknownLog: no log with the checkpoint's origin is configured (404).
	ErrUnknownLog = errors.New("unknown log")
	// ErrBadSignature: the checkpoint is not signed by the log's key (403).
	ErrBadSignature = errors.New("checkpoint not signed by the log's key")
	// ErrBadRequest: the request or checkpoint is malformed, or the new size is smaller
	// than the old one (400).
	ErrBadRequest = errors.New("bad request")
	// ErrBadProof: the consistency proof does not prove the checkpoint extends the
	// witness's state (422). For a log that is not lying this cannot happen.
	ErrBadProof = errors.New("consistency proof does not verify")
)

// ConflictError says the caller's old size is not the witness's: the caller should retry
// from Size (409 with a text/x.tlog.size body).
type ConflictError struct{ Size uint64 }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("witness state for this log is at size %d", e.Size)
}

// Log is a log a witness watches.
type Log struct {
	Origin string
	Key    *crypto.PublicKey // the ledger key that signs its checkpoints
}

// Witness checks and cosigns checkpoints. Methods are safe for concurrent use.
type Witness struct {
	name      string
	signer    note.Signer
	logs      map[string]*crypto.PublicKey
	statePath string

	mu sync.Mutex
}

// New makes a witness named name (the name its cosignature lines carry) with its key, its
// state file and the logs it watches.
func New(name string, key crypto.Signer, statePath string, logs ...Log) (*Witness, error) {
	if name == "" || strings.ContainsAny(name, " \n+") {
		return nil, fmt.Errorf("witness name %q must be non-empty, without spaces, newlines or '+'", name)
	}
	w := &Witness{name: name, signer: NewSigner(name, key, nil), logs: map[string]*crypto.PublicKey{}, statePath: statePath}
	for _, l := range logs {
		w.logs[l.Origin] = l.Key
	}
	if _, err := loadState(statePath); err != nil {
		return nil, err
	}
	return w, nil
}

// Name is the witness's name in cosignature lines.
func (w *Witness) Name() string { return w.name }

// State returns what the witness last cosigned for origin (zero if nothing).
func (w *Witness) State(origin string) (LogState, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s, err := loadState(w.statePath)
	return s.Logs[origin], err
}

// AddCheckpoint is tlog-witness's add-checkpoint: given the size the caller believes the
// witness last cosigned, a consistency proof from that size to the checkpoint's, and the
// signed checkpoint, it verifies the log's signature and the proof against its own state,
// records the new size and root, and returns the cosignature line ("— name base64\n").
func (w *Witness) AddCheckpoint(ctx context.Context, oldSize uint64, proof []ledger.Hash, checkpoint []byte) ([]byte, error) {
	origin, _, _ := strings.Cut(string(checkpoint), "\n")
	key, ok := w.logs[origin]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, origin)
	}
	c, n, err := ledger.OpenCheckpoint(checkpoint, origin, key)
	if err != nil {
		var ue *note.UnverifiedNoteError
		var ie *note.InvalidSignatureError
		if errors.As(err, &ue) || errors.As(err, &ie) {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if oldSize > c.Size {
		return nil, fmt.Errorf("%w: old size %d is beyond the checkpoint's %d", ErrBadRequest, oldSize, c.Size)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := loadState(w.statePath)
	if err != nil {
		return nil, err
	}
	prev := st.Logs[origin]
	if prev.Size != oldSize {
		return nil, &ConflictError{Size: prev.Size}
	}
	switch {
	case oldSize == 0:
		if len(proof) != 0 {
			return nil, fmt.Errorf("%w: a proof from size 0 must be empty", ErrBadProof)
		}
	case oldSize == c.Size:
		if len(proof) != 0 || c.Root != prev.Root {
			return nil, fmt.Errorf("%w: same size %d with another root or a non-empty proof", ErrBadProof, c.Size)
		}
	default:
		if err := ledger.VerifyConsistency(oldSize, c.Size, proof, prev.Root, c.Root); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadProof, err)
		}
	}
	st.Logs[origin] = LogState{Size: c.Size, Root: c.Root}
	if err := st.save(w.statePath); err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, err
	}
	lines := ledger.NoteSignatures(signed)
	if len(lines) != 1 {
		return nil, errors.New("cosigning produced no signature line")
	}
	return lines[0], nil
}

// Cosign checks a checkpoint against the witness's own state (no caller-supplied old
// size: the pull mode of `ledgerctl witness`), fetching the proof it needs with
// getProof(from, to), and returns the cosignature line.
func (w *Witness) Cosign(ctx context.Context, checkpoint []byte, getProof func(from, to uint64) ([]ledger.Hash, error)) ([]byte, LogState, error) {
	origin, _, _ := strings.Cut(string(checkpoint), "\n")
	prev, err := w.State(origin)
	if err != nil {
		return nil, LogState{}, err
	}
	body, _, _ := bytes.Cut(checkpoint, []byte("\n\n"))
	c, err := ledger.ParseCheckpointBody(string(body) + "\n")
	if err != nil {
		return nil, prev, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if c.Size < prev.Size {
		return nil, prev, fmt.Errorf("%w: the log's checkpoint has size %d, smaller than the %d this witness cosigned: the log was rolled back",
			ErrBadProof, c.Size, prev.Size)
	}
	var proof []ledger.Hash
	if prev.Size > 0 && prev.Size < c.Size {
		if proof, err = getProof(prev.Size, c.Size); err != nil {
			return nil, prev, fmt.Errorf("fetching consistency proof %d→%d: %w", prev.Size, c.Size, err)
		}
	}
	line, err := w.AddCheckpoint(ctx, prev.Size, proof, checkpoint)
	return line, prev, err
}
