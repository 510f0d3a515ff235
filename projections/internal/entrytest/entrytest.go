// Package entrytest builds ledger entries for the projections' table-driven tests: a
// fold reads only an entry's seq and submission, so tests need no signing or store.
package entrytest

import (
	"encoding/json"
	"fmt"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Log hands out consecutive seqs and readable event ids.
type Log struct {
	Entries []*ledger.Entry
}

// Add appends an entry of type typ by inst (person "p-"+inst) occurring at at (RFC 3339,
// or a bare date meaning 10:00 China time that day) and returns it.
func (l *Log) Add(typ, inst, at string, payload any) *ledger.Entry {
	if len(at) == len("2006-01-02") {
		at += "T10:00:00+08:00"
	}
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err) // test payloads are plain maps and structs
	}
	seq := uint64(len(l.Entries))
	e := &ledger.Entry{Seq: seq, Submission: ledger.Submission{
		ID: fmt.Sprintf("ev-%04d", seq), Type: typ, OccurredAt: at,
		Actor: ledger.Actor{Institution: inst, Person: "p-" + inst}, Payload: b,
	}}
	l.Entries = append(l.Entries, e)
	return e
}
