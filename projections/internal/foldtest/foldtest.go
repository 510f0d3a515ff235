package foldtest

import (
	"encoding/json"
	"fmt"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Log hands out consecutive seqs.
type Log struct{ next uint64 }

// Add returns the next entry: on is a day (YYYY-MM-DD, 10:00 China time) or an RFC 3339
// instant; actor is "institution" or "institution/person".
func (l *Log) Add(on, actor, typ string, payload any) *ledger.Entry {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("foldtest: %v", err)) // a test's own literal: a bug in the test
	}
	if len(on) == len("2006-01-02") {
		on += "T10:00:00+08:00"
	}
	inst, person := actor, "p-"+actor
	for i := range actor {
		if actor[i] == '/' {
			inst, person = actor[:i], actor[i+1:]
		}
	}
	e := &ledger.Entry{Seq: l.next, Submission: ledger.Submission{
		ID: fmt.Sprintf("00000000-0000-7000-8000-%012d", l.next), Type: typ, OccurredAt: on,
		Stream: "test/" + typ, Actor: ledger.Actor{Institution: inst, Person: person}, Payload: raw}}
	l.next++
	return e
}
