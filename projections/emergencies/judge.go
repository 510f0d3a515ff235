package emergencies

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
)

// State is where a duty of Art. 21 para 2 stands on the as-of day.
type State string

// States, worst first where they are combined.
const (
	StateOverdue State = "overdue" // D8 has passed and the duty is not done
	StateUnknown State = "unknown" // D8 cannot be counted: no policy or calendar for the day
	StatePending State = "pending" // the emergency ended, D8 has not passed, the duty is not done
	StateLate    State = "late"    // done, after D8
	StateActive  State = "active"  // the emergency has not ended: no deadline runs yet
	StateDone    State = "done"    // done by D8
)

var rank = map[State]int{StateOverdue: 0, StateUnknown: 1, StatePending: 2, StateLate: 3, StateActive: 4, StateDone: 5}

func worst(a, b State) State {
	if rank[b] < rank[a] {
		return b
	}
	return a
}

// Deadline is D8 for one emergency: the last on-time day, counted from the day the
// emergency ended under the policy version in force on that day.
type Deadline struct {
	Due      calendar.Date
	Policy   string // the policy version's id
	Workdays int
}

// D8 counts the emergency's deadline. It fails when the emergency has not ended, no
// policy version holds the end day, or the calendar has no data for the days counted.
func D8(em *Emergency, pol *policy.Set, cal *calendar.Calendar) (Deadline, error) {
	if em.Ended == nil {
		return Deadline{}, fmt.Errorf("emergency %s has not ended", em.ID)
	}
	v, err := pol.At(em.EndedOn)
	if err != nil {
		return Deadline{}, fmt.Errorf("emergency %s ended %s: %w", em.ID, em.EndedOn, err)
	}
	dl := v.Deadline("D8")
	due, err := dl.Due(cal, em.EndedOn, false)
	if err != nil {
		return Deadline{}, fmt.Errorf("emergency %s: D8: %w", em.ID, err)
	}
	n := 0
	if dl.Workdays != nil {
		n = *dl.Workdays
	}
	return Deadline{Due: due, Policy: v.ID, Workdays: n}, nil
}

// Done returns the day the data's duty was done: the evaluation, and then the sealing or
// destruction it decided (destruction also satisfies a decision to seal: the data is
// gone). Data evaluated as carrying nothing sensitive is done when evaluated. Without an
// evaluation nothing is done: Art. 21 para 2 asks for the classified evaluation first.
func (d *Data) Done() (calendar.Date, bool) {
	if d.Evaluation == nil {
		return calendar.Date{}, false
	}
	var act *Act
	switch d.Disposition {
	case domain.DispositionRetain:
		return d.Evaluation.On, true
	case domain.DispositionDestroy:
		act = d.Destroyed
	default:
		act = d.Sealed
		if act == nil || d.Destroyed != nil && d.Destroyed.On.Before(act.On) {
			act = d.Destroyed
		}
	}
	if act == nil {
		return calendar.Date{}, false
	}
	if act.On.Before(d.Evaluation.On) {
		return d.Evaluation.On, true
	}
	return act.On, true
}

// judge places a duty done on done (ok) against due on asOf.
func judge(done calendar.Date, ok bool, due, asOf calendar.Date) State {
	switch {
	case ok && due.Before(done):
		return StateLate
	case ok:
		return StateDone
	case due.Before(asOf):
		return StateOverdue
	}
	return StatePending
}

// Judgement is an emergency's standing on one day.
type Judgement struct {
	State        State
	Deadline     Deadline
	Err          error   // why D8 could not be counted (State unknown)
	Data         []State // per Data, same order
	Applications State   // the shutdown duty: done, late, or, with none recorded, pending/overdue
}

// Judge places every duty of em on asOf.
func Judge(em *Emergency, pol *policy.Set, cal *calendar.Calendar, asOf calendar.Date) Judgement {
	j := Judgement{State: StateDone, Data: make([]State, len(em.Data))}
	if em.Ended == nil {
		for i, d := range em.Data {
			j.Data[i] = StateActive
			if _, ok := d.Done(); ok {
				j.Data[i] = StateDone
			}
		}
		j.State, j.Applications = StateActive, StateActive
		return j
	}
	dl, err := D8(em, pol, cal)
	if err != nil {
		for i := range j.Data {
			j.Data[i] = StateUnknown
		}
		j.State, j.Applications, j.Err = StateUnknown, StateUnknown, err
		return j
	}
	j.Deadline = dl
	for i, d := range em.Data {
		done, ok := d.Done()
		j.Data[i] = judge(done, ok, dl.Due, asOf)
		j.State = worst(j.State, j.Data[i])
	}
	// The ledger cannot know of an application no one recorded, so an emergency with no
	// shutdown recorded stays open, then overdue: see docs/reports.md.
	if len(em.Applications) == 0 {
		j.Applications = judge(calendar.Date{}, false, dl.Due, asOf)
	} else {
		j.Applications = StateDone
		for _, a := range em.Applications {
			j.Applications = worst(j.Applications, judge(a.On, true, dl.Due, asOf))
		}
	}
	j.State = worst(j.State, j.Applications)
	return j
}

// AppState is one recorded shutdown's state against the deadline.
func (j Judgement) AppState(a Application) State {
	if j.Deadline.Due == (calendar.Date{}) {
		return StateDone // before the end, or uncountable: recorded, not judged
	}
	return judge(a.On, true, j.Deadline.Due, a.On)
}
