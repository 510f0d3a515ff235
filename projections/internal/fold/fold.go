package fold

import (
	"encoding/json"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Read decodes the entry's payload into a new T. It is lenient on purpose: a field that
// does not fit (an encrypted personal field is an object where the type says string, an
// entry from before a check existed) is left zero and the rest is read, because a read
// model folds what the log says.
func Read[T any](e *ledger.Entry) *T {
	v := new(T)
	_ = json.Unmarshal(e.Submission.Payload, v)
	return v
}

// Day is the day (China Standard Time) the act happened, from occurred_at.
func Day(e *ledger.Entry) calendar.Date { return calendar.DateOf(e.Submission.Time()) }
