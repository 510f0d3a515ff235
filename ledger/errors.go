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
	// ErrUnavailable: the store cannot take writes now (its disk is full, or reported a
	// write or sync failure). Nothing of the batch was acknowledged; clients retry with
	// the same id. Servers answer it 503.
	ErrUnavailable = errors.New("store unavailable for writes")
	// ErrCorrupt: stored data fails verification. Wrapped by *ChainError.
	ErrCorrupt = errors.New("ledger data corrupt")
)

// Problem is a refusal a person can act on: a stable code, the field at fault (a JSON
// path such as "submission.actor.key_id"), the same message in English and Chinese, and
// the article of the Measures the rule comes from. It is the one refusal type: the
// domain's payload checks, the commands' rules and the ledger's own produce it, the
// transports render it (Text) and list it (Problems).
type Problem struct {
	Kind      error  // one of the sentinels above
	Code      string // stable machine-readable code, e.g. "unknown_key"
	Field     string // JSON path of the offending field, if one is at fault
	Message   string // English, without the citation
	MessageZH string // Simplified Chinese, without the citation
	// Cite and CiteEN are the article the rule enforces as the Measures write it
	// (第十六条) and in English (Art. 16); empty for the ledger's own rules.
	Cite, CiteEN string
}

// Text is the message as people read it, in English and in Chinese: with the citation,
// when there is one.
func (p *Problem) Text() (en, zh string) {
	if p.Cite == "" {
		return p.Message, p.MessageZH
	}
	return fmt.Sprintf("%s (%s, %s)", p.Message, p.Cite, p.CiteEN), fmt.Sprintf("%s（%s）", p.MessageZH, p.Cite)
}

func (p *Problem) Error() string {
	en, _ := p.Text()
	if p.Field != "" {
		return fmt.Sprintf("%s: %s: %s", p.Code, p.Field, en)
	}
	return fmt.Sprintf("%s: %s", p.Code, en)
}

// Problems returns every *Problem in err, single or joined (errors.Join), in order: the
// one walk every transport uses to report all of a submission's faults.
func Problems(err error) []*Problem {
	var out []*Problem
	var walk func(error)
	walk = func(e error) {
		if p, ok := e.(*Problem); ok {
			out = append(out, p)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// WithPrefix returns err with every Problem's field put under prefix (a payload's
// problems named from the request body's root: "submission.payload."); an error
// holding no Problem is returned as it is.
func WithPrefix(err error, prefix string) error {
	ps := Problems(err)
	if len(ps) == 0 {
		return err
	}
	out := make([]error, len(ps))
	for i, p := range ps {
		q := *p
		q.Field = prefix + q.Field
		out[i] = &q
	}
	return errors.Join(out...)
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
