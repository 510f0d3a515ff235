package commands

import (
	"context"
	"errors"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Command is one regulated act to record: its type (a catalogue name), when it happened,
// who did it, and its typed payload (one of the domain/events payload structs).
type Command struct {
	ID          string // optional UUIDv7; a fresh one if empty (re-sending the same ID is idempotent)
	Type        string
	OccurredAt  time.Time // zero: now
	Institution string
	Person      string
	Payload     events.Payload
}

// Validate checks the command on its own: a known type, the payload's rules. Every
// problem is returned (errors.Join of *ledger.Problem), each naming the JSON field and
// the article.
func (c *Command) Validate() error {
	t, ok := events.Lookup(c.Type)
	if !ok {
		return &ledger.Problem{Kind: ledger.ErrInvalid, Code: "unknown_type", Field: "type",
			Message: "not a type of the event catalogue", MessageZH: "不是事件目录中的类型"}
	}
	if c.Payload == nil {
		return &ledger.Problem{Kind: ledger.ErrInvalid, Code: "missing_field", Field: "payload", Message: "required", MessageZH: "必填"}
	}
	// Round-trip through JSON so that Go callers get exactly the checks a POST gets.
	raw, err := events.Encode(c.Payload)
	if err != nil {
		return err
	}
	_, err = events.Decode(t, raw)
	return ledger.WithPrefix(err, "payload.")
}

// Handler records commands: validate, authorise (through the ledger's Check), sign with
// the actor's key, append with the stream's expected version, and retry a bounded number
// of times when another act moved the stream first.
type Handler struct {
	Ledger  *ledger.Ledger
	Checker *Checker // the checker the ledger was opened with
	Retries int      // on expected-version conflicts (default 3)
}

// Submit records c signed by key, which must be registered to c.Institution.
func (h *Handler) Submit(ctx context.Context, key crypto.Signer, c Command) (ledger.Receipt, error) {
	if err := c.Validate(); err != nil {
		return ledger.Receipt{}, err
	}
	t, _ := events.Lookup(c.Type)
	stream, err := t.StreamFor(c.Institution, c.Payload)
	if err != nil {
		return ledger.Receipt{}, err
	}
	raw, _ := events.Encode(c.Payload)
	if c.ID == "" {
		c.ID = uuid.Must(uuid.NewV7()).String()
	}
	if c.OccurredAt.IsZero() {
		c.OccurredAt = time.Now()
	}
	retries := h.Retries
	if retries <= 0 {
		retries = 3
	}
	for attempt := 0; ; attempt++ {
		vs, err := h.Ledger.Store().StreamVersions(ctx, []string{stream})
		if err != nil {
			return ledger.Receipt{}, err
		}
		v := vs[stream]
		s, err := ledger.SignSubmission(key, ledger.Submission{
			ID: c.ID, Stream: stream, Type: c.Type, OccurredAt: c.OccurredAt.UTC().Format(time.RFC3339Nano),
			Actor:   ledger.Actor{Institution: c.Institution, Person: c.Person, KeyID: key.Public().ID()},
			Payload: raw, ExpectedVersion: &v,
		})
		if err != nil {
			return ledger.Receipt{}, err
		}
		r, err := h.Ledger.Append(ctx, s)
		var p *ledger.Problem
		if err == nil || attempt >= retries || !errors.As(err, &p) || p.Code != "wrong_expected_version" {
			return r, err
		}
		// Another act moved the stream: fold it, then re-check and re-sign against it.
		if h.Checker != nil {
			if err := h.Checker.CatchUp(ctx, h.Ledger.Store()); err != nil {
				return ledger.Receipt{}, err
			}
		}
	}
}
