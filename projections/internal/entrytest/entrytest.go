// Package entrytest keeps the entries a projections test built, in order, on top of
// foldtest's entry builder: the tests look entries up by position and id.
package entrytest

import (
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/foldtest"
)

// Log hands out consecutive seqs and remembers every entry.
type Log struct {
	log     foldtest.Log
	Entries []*ledger.Entry
}

// Add appends an entry of type typ by inst (person "p-"+inst) occurring at at (RFC 3339,
// or a bare date meaning 10:00 China time that day) and returns it.
func (l *Log) Add(typ, inst, at string, payload any) *ledger.Entry {
	e := l.log.Add(at, inst, typ, payload)
	l.Entries = append(l.Entries, e)
	return e
}

// AddRecorded is Add for an act the ledger sealed at recorded (RFC 3339): a late
// record when recorded is past the policy's grace after at.
func (l *Log) AddRecorded(typ, inst, at, recorded string, payload any) *ledger.Entry {
	e := l.Add(typ, inst, at, payload)
	e.RecordedAt = recorded
	return e
}
