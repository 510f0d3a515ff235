package ledger

import (
	"fmt"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/google/uuid"
)

// Chain is what the rule for the next position depends on: how many entries precede it,
// the hash and recording time of the last, and the key registry in force after them.
// Next takes a Chain and an entry and returns the Chain after it; it never changes its
// receiver, so a caller that refuses an entry still holds the state before it.
type Chain struct {
	Size         uint64
	Last         Hash
	LastRecorded time.Time
	Registry     *Registry // nil before the genesis entry
}

// History answers what the rule needs to know about all earlier entries: the version
// each stream has reached and whether an event id was used. A verifier walking the whole
// log keeps both in memory; the sequencer asks the store. Next only reads it: a caller
// records an entry's stream version and id once Next has admitted it.
type History interface {
	StreamVersion(stream string) uint64
	Seen(id uuid.UUID) bool
}

// Pins are keys a verifier insists the genesis entry names: a verifier that takes the
// keys from the log itself proves consistency, not identity.
type Pins struct {
	LedgerKey, RootKey *crypto.PublicKey
}

// Next is the one rule for every position, used by full verification (parallel and
// sequential) and, through its parts, by ingest, catch-up and bundle verification: the
// entry e, recorded at rec (e.RecordedAt, parsed), may stand at position c.Size if its
// seq is that position, it links to the entry before, it is not recorded before it, its
// submission is well formed with an id not used before, the key registry in force lets
// the named key sign it, a registry act applies, and its stream version follows the
// stream's (and the version the submitter expected). Next returns the chain after e and
// the key whose signature over the submission the caller must check, or the first rule
// e breaks, as a *ChainError at its position. Hashes, canonical form and signatures are
// the caller's: they need no order, and are checked in parallel.
func (c Chain) Next(e *Entry, rec time.Time, h History, pins Pins) (Chain, *crypto.PublicKey, *ChainError) {
	seq := c.Size
	bad := func(reason, detail string) (Chain, *crypto.PublicKey, *ChainError) {
		return c, nil, &ChainError{Seq: seq, Reason: reason, Detail: detail}
	}
	if err := c.Links(e, rec); err != nil {
		return c, nil, err
	}
	sub := &e.Submission
	if err := sub.Validate(); err != nil {
		return bad("bad_submission", err.Error())
	}
	u, _ := uuid.Parse(sub.ID)
	if h.Seen(u) {
		return bad("duplicate_id", "the event id was already recorded")
	}
	next := Chain{Size: seq + 1, Last: e.Hash, LastRecorded: rec, Registry: c.Registry}
	var key *crypto.PublicKey
	if seq == 0 {
		reg, lk, err := genesisRegistry(sub)
		if err != nil {
			return bad("bad_genesis", err.Error())
		}
		if pins.LedgerKey != nil && !pins.LedgerKey.Equal(lk) {
			return bad("bad_genesis", "the genesis names a different ledger key than the one pinned")
		}
		if rk, _ := reg.Key(reg.RootKey); pins.RootKey != nil && !pins.RootKey.Equal(rk.Key) {
			return bad("bad_genesis", "the genesis names a different root key than the one pinned")
		}
		next.Registry, key = reg, lk
	} else {
		reg, k, err := c.Registry.Step(seq, sub)
		if err != nil {
			return c, nil, err
		}
		next.Registry, key = reg, k
	}
	if want := h.StreamVersion(sub.Stream) + 1; e.StreamVersion != want {
		return bad("bad_stream_version", fmt.Sprintf("stream %s version %d, want %d", sub.Stream, e.StreamVersion, want))
	}
	if ev := sub.ExpectedVersion; ev != nil && *ev != e.StreamVersion-1 {
		return bad("bad_stream_version", "the entry was recorded against a different expected version")
	}
	return next, key, nil
}

// Links is the part of the rule that ties an entry to the one before: its seq is the
// position, its prev_hash the last hash, and it is not recorded earlier than the last.
// A follower reading entries another process wrote, and the catch-up of a writer
// sharing a database, check this much before they fold an entry.
func (c Chain) Links(e *Entry, rec time.Time) *ChainError {
	if e.Seq != c.Size {
		return &ChainError{Seq: c.Size, Reason: "bad_seq", Detail: fmt.Sprintf("the entry at position %d says it is seq %d", c.Size, e.Seq)}
	}
	if e.PrevHash != c.Last {
		return &ChainError{Seq: c.Size, Reason: "bad_prev_hash", Detail: "prev_hash is not the hash of the entry before"}
	}
	// Compared as instants, not as strings: RFC 3339 drops trailing zeros of the
	// fraction, so "…:33.12Z" sorts after "…:33.123Z" although it is earlier.
	if rec.Before(c.LastRecorded) {
		return &ChainError{Seq: c.Size, Reason: "recorded_at_backwards", Detail: "recorded_at is earlier than the entry before"}
	}
	return nil
}

// Step is the registry's part of the rule for the submission at seq: the key registry
// in force lets the named key sign it (the key it returns), and a registry act applies.
// r is not changed: a registry act gives a new registry, anything else returns r. Ingest,
// catch-up, verification and offline bundle verification all admit acts through it.
func (r *Registry) Step(seq uint64, sub *Submission) (*Registry, *crypto.PublicKey, *ChainError) {
	next, k, err := r.admit(seq, sub)
	if err != nil {
		reason := "unauthorised"
		if k != nil {
			reason = "bad_registry_act"
		}
		return r, nil, &ChainError{Seq: seq, Reason: reason, Detail: err.Error()}
	}
	return next, k.Key, nil
}

// admit is Step with the refusal as the registry gave it (a *Problem a submitter can
// act on): the sequencer answers it to the client, verifiers name it at the position.
// A refused registry act returns the key that signed it with the error.
func (r *Registry) admit(seq uint64, sub *Submission) (*Registry, *KeyInfo, error) {
	k, err := r.authorize(sub)
	if err != nil {
		return r, nil, err
	}
	if sub.Stream != RegistryStream {
		return r, k, nil
	}
	next := r.clone()
	if err := next.apply(seq, sub); err != nil {
		return r, k, err
	}
	return next, k, nil
}
