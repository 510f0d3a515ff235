package events

import (
	"time"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
)

// MigrationDeclared is an authority's declaration that the institutions it names will
// record acts of an earlier period (their historical records, kept before they joined
// the ledger or in a system being retired) during a recording window. Acts recorded in
// the window that claim a day in the period count on the day they claim and are shown as
// migrated; every other act recorded later than the grace after its claimed day is a late
// record (操作留痕, Art. 37(6)). The window opens no earlier than the declaration is
// recorded, so a declaration never re-judges what is already on the record.
type MigrationDeclared struct {
	Migration    string   `json:"migration"`
	Institutions []string `json:"institutions" jsonschema:"description=the institutions whose historical records the window takes"`
	ClaimedFrom  string   `json:"claimed_from" jsonschema:"format=date,description=first day a migrated act may claim"`
	ClaimedUntil string   `json:"claimed_until" jsonschema:"format=date,description=last day a migrated act may claim; before the window opens"`
	WindowFrom   string   `json:"window_from" jsonschema:"format=date-time,description=start of the recording window; not before the declaration is recorded"`
	WindowUntil  string   `json:"window_until" jsonschema:"format=date-time,description=end of the recording window (exclusive); at most the policy's migration_window_max_days after its start"`
	Source       string   `json:"source" jsonschema:"description=where the records come from (system, archive)"`
	Reason       string   `json:"reason"`
}

// Validate implements Payload.
func (x *MigrationDeclared) Validate(p *domain.Problems) {
	a := art(37).ItemOf(6)
	p.ID("migration", x.Migration, a)
	p.IDs("institutions", x.Institutions, a)
	okFrom, okUntil := p.Date("claimed_from", x.ClaimedFrom, a), p.Date("claimed_until", x.ClaimedUntil, a)
	okWF := p.Required("window_from", x.WindowFrom != "", a) && p.Time("window_from", x.WindowFrom, a)
	okWU := p.Required("window_until", x.WindowUntil != "", a) && p.Time("window_until", x.WindowUntil, a)
	p.Text("source", x.Source, a)
	p.Text("reason", x.Reason, a)
	if okFrom && okUntil {
		from, _ := calendar.Parse(x.ClaimedFrom)
		until, _ := calendar.Parse(x.ClaimedUntil)
		if until.Before(from) {
			p.Add("claimed_until", "bad_period", a, "the claimed period ends before it starts", "声明期间的结束日早于开始日")
		}
		if from.Before(calendar.Date{Year: 2000, Month: 1, Day: 1}) {
			p.Add("claimed_from", "before_floor", a, "no act may claim a day before 2000-01-01", "任何行为均不得声明 2000-01-01 之前的日期")
		}
		if okWF {
			wf, _ := time.Parse(time.RFC3339Nano, x.WindowFrom)
			if !until.Before(calendar.DateOf(wf)) {
				p.Add("claimed_until", "period_not_past", a, "the claimed period must end before the recording window opens: a migration brings in history",
					"声明期间须在录入时间窗开始之前结束：迁移只适用于历史记录")
			}
		}
	}
	if okWF && okWU {
		wf, _ := time.Parse(time.RFC3339Nano, x.WindowFrom)
		wu, _ := time.Parse(time.RFC3339Nano, x.WindowUntil)
		if !wf.Before(wu) {
			p.Add("window_until", "bad_window", a, "the recording window ends before it starts", "录入时间窗的结束早于开始")
		}
	}
}
