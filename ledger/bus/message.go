package bus

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Topic is the default topic. (JetStream stream names allow no dots.)
const Topic = "ledger-entries"

// Batch is a message's payload: consecutive committed entries.
type Batch struct {
	Entries []Item `json:"entries"`
}

// Item is one entry as committed: position, hash, and the exact canonical bytes.
type Item struct {
	Seq   uint64      `json:"seq"`
	Hash  ledger.Hash `json:"hash"`
	Entry []byte      `json:"entry"` // base64 in JSON
}

// Metadata keys set on every message, for filtering without decoding.
const (
	MetaFirst = "ledger_first_seq"
	MetaLast  = "ledger_last_seq"
)

// idSpace namespaces message UUIDs (UUIDv5 of first hash ‖ count).
var idSpace = uuid.MustParse("6f1b1c3e-2b1d-5c52-9a0e-6c6564676572")

// Encode turns consecutive entries into one message.
func Encode(es []*ledger.Entry) (*message.Message, error) {
	if len(es) == 0 {
		return nil, errors.New("bus: empty batch")
	}
	b := Batch{Entries: make([]Item, len(es))}
	for i, e := range es {
		if i > 0 && e.Seq != es[i-1].Seq+1 {
			return nil, fmt.Errorf("bus: batch not consecutive at %d", e.Seq)
		}
		b.Entries[i] = Item{Seq: e.Seq, Hash: e.Hash, Entry: e.Bytes}
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	first, last := es[0], es[len(es)-1]
	id := uuid.NewSHA1(idSpace, append(first.Hash[:], strconv.Itoa(len(es))...))
	m := message.NewMessage(id.String(), payload)
	m.Metadata.Set(MetaFirst, strconv.FormatUint(first.Seq, 10))
	m.Metadata.Set(MetaLast, strconv.FormatUint(last.Seq, 10))
	return m, nil
}

// Decode parses a message into entries. It checks what can be checked without the
// chain: each entry's bytes hash to the hash given, parse, name their seq, and follow
// one another. Whether they extend the reader's chain is the reader's check.
func Decode(m *message.Message) ([]*ledger.Entry, error) {
	var b Batch
	if err := json.Unmarshal(m.Payload, &b); err != nil {
		return nil, fmt.Errorf("bus: message %s is not a batch: %w", m.UUID, err)
	}
	if len(b.Entries) == 0 {
		return nil, fmt.Errorf("bus: message %s is empty", m.UUID)
	}
	out := make([]*ledger.Entry, len(b.Entries))
	for i, it := range b.Entries {
		if ledger.SumEntry(it.Entry) != it.Hash {
			return nil, fmt.Errorf("bus: message %s: entry %d does not hash to its hash", m.UUID, it.Seq)
		}
		e, err := ledger.ParseEntry(it.Entry)
		if err != nil {
			return nil, fmt.Errorf("bus: message %s: entry %d: %w", m.UUID, it.Seq, err)
		}
		if e.Seq != it.Seq || (i > 0 && e.Seq != out[i-1].Seq+1) {
			return nil, fmt.Errorf("bus: message %s: entries out of order at %d", m.UUID, e.Seq)
		}
		out[i] = e
	}
	return out, nil
}
