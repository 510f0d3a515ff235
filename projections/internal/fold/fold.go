package fold

import (
	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Read decodes the entry's payload into a new T. It is lenient on purpose: a field that
// does not fit (an encrypted personal field is an object where the type says string, an
// entry from before a check existed) is left zero and the rest is read, because a read
// model folds what the log says.
func Read[T any](e *ledger.Entry) *T { return events.Read[T](e.Submission.Payload) }

// When is when the act counts (acttime: its claimed day, bounded by when it was
// recorded, or its claimed day under a migration declaration), by reg's policy,
// calendar and the migrations reg has folded. reg must have folded the entries before e.
func When(reg *registry.State, e *ledger.Entry) acttime.Time { return reg.TimeOf(e) }

// Day is the day (China Standard Time) the act counts on: When(reg, e).Effective.
func Day(reg *registry.State, e *ledger.Entry) calendar.Date { return reg.TimeOf(e).Effective }
