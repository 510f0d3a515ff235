package ledger

import (
	"errors"
	"fmt"
)

// Sentinels that callers (the HTTP layer, the CLI) branch on with errors.Is. Every refusal
// the ledger returns wraps exactly one of them inside a *Problem.
var (
	// ErrInvalid: the submission is malformed or breaks an envelope rule. Nothing written.
	ErrInvalid = errors.New("invalid submission")
	// ErrTooLarge: the request or payload exceeds the configured size limit.
	ErrTooLarge = errors.New("submission too large")
	// ErrUnauthorized: the key is unknown, revoked, bound to another institution, or
	// not allowed to sign this type of event; or the signature does not verify.
	ErrUnauthorized = errors.New("submission not authorised")
	// ErrConflict: the id was already used for a different submission, or the stream is
	// not at the expected version.
	ErrConflict = errors.New("conflict")
	// ErrNotFound: no entry with that id or position.
	ErrNotFound = errors.New("not found")
	// ErrClosed: the ledger is draining or closed and takes no more submissions.
	ErrClosed = errors.New("ledger closed")
	// ErrHeadMoved is returned by a Store when another writer appended first; the
	// sequencer catches up and re-seals. It never reaches a client.
	ErrHeadMoved = errors.New("store head moved")
	// ErrCorrupt: stored data fails verification. Wrapped by *ChainError.
	ErrCorrupt = errors.New("ledger data corrupt")
)

// Problem is a refusal a person can act on: a stable code, the field at fault (a JSON
// path such as "submission.actor.key_id"), and the same message in English and Chinese.
type Problem struct {
	Kind      error  // one of the sentinels above
	Code      string // stable machine-readable code, e.g. "unknown_key"
	Field     string // JSON path of the offending field, if one is at fault
	Message   string // English
	MessageZH string // Simplified Chinese
}

func (p *Problem) Error() string {
	if p.Field != "" {
		return fmt.Sprintf("%s: %s: %s", p.Code, p.Field, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Code, p.Message)
}

// Unwrap exposes the sentinel so errors.Is works.
func (p *Problem) Unwrap() error { return p.Kind }

func invalid(code, field, en, zh string) *Problem {
	return &Problem{Kind: ErrInvalid, Code: code, Field: field, Message: en, MessageZH: zh}
}

func unauthorized(code, field, en, zh string) *Problem {
	return &Problem{Kind: ErrUnauthorized, Code: code, Field: field, Message: en, MessageZH: zh}
}

func conflict(code, field, en, zh string) *Problem {
	return &Problem{Kind: ErrConflict, Code: code, Field: field, Message: en, MessageZH: zh}
}

// ChainError is what verification finds: the first position at which the stored ledger
// stops being provably intact, and why.
type ChainError struct {
	Seq    uint64 // the first bad position
	Reason string // stable code: "bad_entry_hash", "bad_prev_hash", "bad_signature", …
	Detail string
}

func (e *ChainError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("seq %d: %s: %s", e.Seq, e.Reason, e.Detail)
	}
	return fmt.Sprintf("seq %d: %s", e.Seq, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) true.
func (e *ChainError) Unwrap() error { return ErrCorrupt }
