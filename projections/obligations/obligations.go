package obligations

import (
	"fmt"
	"slices"
	"sync"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

// State is where an obligation stands on a given day.
type State string

// States. An obligation is open until its due day has passed; after that it is missed
// unless an act met it.
const (
	Open         State = "open"
	MetOnTime    State = "met_on_time"
	MetLate      State = "met_late"
	Missed       State = "missed"
	Undetermined State = "undetermined" // no policy or calendar data for the day: see Problem
)

var stateLabels = map[State][2]string{
	Open:         {"未到期", "open"},
	MetOnTime:    {"按期完成", "met on time"},
	MetLate:      {"逾期完成", "met late"},
	Missed:       {"逾期未完成", "missed (overdue)"},
	Undetermined: {"无法判定", "undetermined"},
}

// ZH is the state's Simplified Chinese label.
func (s State) ZH() string { return stateLabels[s][0] }

// EN is the state's English label.
func (s State) EN() string { return stateLabels[s][1] }

// Breached reports whether the state breaks the deadline (what findings raise).
func (s State) Breached() bool { return s == MetLate || s == Missed }

// Ref names one ledger entry: the evidence a report cites and an inclusion proof proves.
type Ref struct {
	Seq         uint64 `json:"seq"`
	ID          string `json:"id"`
	Type        string `json:"type"`
	Institution string `json:"institution"`
	Person      string `json:"person,omitempty"`
	// Date is the day the act counts on (acttime): the day it claims, or for a late
	// record the day it was recorded less the grace. Claimed and Recorded are both days
	// as the record shows them; Late marks a late record, Migration the declaration under
	// which a historical record counts on its claimed day.
	Date      calendar.Date `json:"date"`
	Claimed   calendar.Date `json:"claimed"`
	Recorded  calendar.Date `json:"recorded"`
	Late      bool          `json:"late_record,omitempty"`
	Migration string        `json:"migration,omitempty"`
}

// RefOf describes entry e counted at t (registry.State.TimeOf).
func RefOf(e *ledger.Entry, t acttime.Time) Ref {
	s := &e.Submission
	return Ref{Seq: e.Seq, ID: s.ID, Type: s.Type, Institution: s.Actor.Institution, Person: s.Actor.Person,
		Date: t.Effective, Claimed: t.Claimed, Recorded: t.Recorded, Late: t.Late, Migration: t.Migration}
}

// Dates says a ref's day in words when it is not simply the day it claims: "claimed
// 2025-03-03, recorded 2025-03-20 (late record)" or "(migrated, mig-…)", else "".
func (r Ref) Dates() (zh, en string) {
	switch {
	case r.Late:
		c, rec, on := r.Claimed.String(), r.Recorded.String(), r.Date.String()
		return "声明 " + c + "，记录 " + rec + "（补录，按 " + on + " 计）",
			"claimed " + c + ", recorded " + rec + " (late record, counted on " + on + ")"
	case r.Migration != "":
		c, rec := r.Claimed.String(), r.Recorded.String()
		return "声明 " + c + "，记录 " + rec + "（迁移 " + r.Migration + "）",
			"claimed " + c + ", recorded " + rec + " (migrated, " + r.Migration + ")"
	}
	return "", ""
}

// Obligation is one deadline an event opened.
type Obligation struct {
	Deadline    string   `json:"deadline"` // D1…D12
	TitleZH     string   `json:"title_zh"`
	TitleEN     string   `json:"title_en"`
	Articles    []string `json:"articles"`
	Policy      string   `json:"policy"`      // the policy version that set the due day
	Institution string   `json:"institution"` // who must act
	// Subject is what the obligation is about: the request, application, contract,
	// emergency or order id, or for D1/D2 the trigger or update event's id.
	Subject  string        `json:"subject"`
	Trigger  Ref           `json:"trigger"`
	Start    calendar.Date `json:"start"` // the day counting starts from (情形发生之日, ended_on, …)
	Due      calendar.Date `json:"due"`   // last day on time
	Extended bool          `json:"extended,omitempty"`
	// Met is the act that completed the obligation, if any by the day asked about.
	Met *Ref `json:"met,omitempty"`
	// Acts are the completion acts recorded by that day (several for D1 with several
	// resources, and for D8).
	Acts         []Ref  `json:"acts,omitempty"`
	State        State  `json:"state"`
	StateZH      string `json:"state_zh"`
	StateEN      string `json:"state_en"`
	LateWorkdays int    `json:"late_workdays,omitempty"` // working days after Due it was met, or has been overdue
	Problem      string `json:"problem,omitempty"`
}

// ob is an obligation being folded.
type ob struct {
	Obligation
	version *policy.Version
	pending map[string]bool // D1: resources still to update
	metAt   int             // index in Acts of the completing act, -1 while not complete
}

// emergency is what D8 needs of an emergency: what was collected under it, evaluated
// and disposed of.
type emergency struct {
	collected map[string]bool
	evaluated map[string]domain.Disposition
	disposed  map[string]bool
	shutdowns int // applications shut down (第二十一条第二款: 关停相关数据应用)
	ended     *ob
}

// Fold folds ledger entries into obligations. Create it with New.
type Fold struct {
	mu     sync.RWMutex
	next   uint64
	pol    *policy.Set
	cal    *calendar.Calendar
	reg    *registry.State
	obs    []*ob
	byKey  map[string]*ob
	d2     map[string][]*ob // institution/resource → D2 obligations still unreported
	emerg  map[string]*emergency
	ownReg bool
}

// New returns an empty fold that judges with pol and cal. It folds its own registry
// (who holds a resource, which institutions are authorities).
func New(pol *policy.Set, cal *calendar.Calendar) *Fold {
	return NewWithRegistry(pol, cal, registry.NewWith(pol, cal), true)
}

// NewWithRegistry returns an empty fold reading reg. With apply true the fold applies
// each entry to reg before judging it; with false the caller keeps reg current (it must
// apply an entry to reg before passing it to Apply).
func NewWithRegistry(pol *policy.Set, cal *calendar.Calendar, reg *registry.State, apply bool) *Fold {
	return &Fold{pol: pol, cal: cal, reg: reg, ownReg: apply, byKey: map[string]*ob{}, d2: map[string][]*ob{}, emerg: map[string]*emergency{}}
}

// Registry is the registry the fold reads.
func (f *Fold) Registry() *registry.State { return f.reg }

// Position is the next seq the fold expects.
func (f *Fold) Position() uint64 { f.mu.RLock(); defer f.mu.RUnlock(); return f.next }

// dateOr is the day a deadline starts from when the act names it (情形发生之日
// arose_on, ended_on): the payload's date s if it is one, but never later than d, the
// day the act counts on: a date in the payload is a claim too, and may move a deadline's
// start earlier, never later than the record allows (acttime).
func dateOr(s string, d calendar.Date) calendar.Date {
	if p, err := calendar.Parse(s); err == nil && !d.Before(p) {
		return p
	}
	return d
}

// StartOf is dateOr for other folds that must count a deadline's start the same way (the
// emergency register's D8).
func StartOf(s string, d calendar.Date) calendar.Date { return dateOr(s, d) }

// Apply folds one entry (entries in seq order; one at or below the last applied seq is
// ignored). An error says an obligation's due day could not be computed (no policy
// version or no calendar data for its day); the obligation is still recorded, as
// undetermined, and folding may go on.
func (f *Fold) Apply(e *ledger.Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.Seq < f.next {
		return nil
	}
	f.next = e.Seq + 1
	if f.ownReg {
		f.reg.Apply(e)
	}
	return f.apply(e)
}

func (f *Fold) apply(e *ledger.Entry) error {
	h, ok := handlers[e.Submission.Type]
	if !ok {
		return nil
	}
	return h(f, act{e: e, ref: RefOf(e, f.reg.TimeOf(e))})
}

// holder is the institution holding resource, or fallback when it is not cataloged.
func (f *Fold) holder(resource, fallback string) string {
	if r, ok := f.reg.Resource(resource); ok {
		return r.Holder
	}
	return fallback
}

func (f *Fold) emergency(id string) *emergency {
	em := f.emerg[id]
	if em == nil {
		em = &emergency{collected: map[string]bool{}, evaluated: map[string]domain.Disposition{}, disposed: map[string]bool{}}
		f.emerg[id] = em
	}
	return em
}

// checkD8 records act (nil: none) on the emergency's D8 obligation and completes it when
// every resource collected under the emergency has been evaluated (at least one
// evaluation in all), each evaluated to be sealed or destroyed has been, and its data
// applications are shut down (第二十一条第二款: all of it). The ledger knows only the
// applications someone recorded, so at least one shutdown must be recorded, the reading
// the emergency register takes too (docs/reports.md): the two never disagree.
func (f *Fold) checkD8(em *emergency, act *Ref) {
	o := em.ended
	if o == nil || o.metAt >= 0 {
		return
	}
	done := len(em.evaluated) > 0 && em.shutdowns > 0
	for r := range em.collected {
		if _, ok := em.evaluated[r]; !ok {
			done = false
		}
	}
	for r, d := range em.evaluated {
		if d != domain.DispositionRetain && !em.disposed[r] {
			done = false
		}
	}
	if act == nil {
		if done && len(o.Acts) == 0 {
			o.Acts = append(o.Acts, o.Trigger) // everything was done before the end was declared
			o.metAt = 0
		}
		return
	}
	f.act(o, *act, done)
}

// open records a new obligation; fromAct is the payload date that sets the due day when
// the deadline is set by the act (D11).
func (f *Fold) open(id, subject, inst string, trig Ref, start calendar.Date, fromAct ...string) (*ob, error) {
	o := &ob{Obligation: Obligation{Deadline: id, Institution: inst, Subject: subject, Trigger: trig, Start: start}, metAt: -1}
	f.byKey[id+"/"+subject] = o // a later opening replaces an earlier one of the same subject
	f.obs = append(f.obs, o)
	v, err := f.pol.At(start)
	if err != nil {
		o.Problem = err.Error()
		return o, fmt.Errorf("obligations: %s for %s (seq %d): %w", id, subject, trig.Seq, err)
	}
	o.version = v
	dl := v.Deadline(id)
	o.Policy, o.TitleZH, o.TitleEN, o.Articles = v.ID, dl.DescZH, dl.DescEN, dl.Articles
	if dl.FromAct != "" {
		d := ""
		if len(fromAct) > 0 {
			d = fromAct[0]
		}
		due, err := calendar.Parse(d)
		if err != nil {
			o.Problem = fmt.Sprintf("the act sets no valid deadline (%s): %v", dl.FromAct, err)
			return o, fmt.Errorf("obligations: %s for %s (seq %d): %s", id, subject, trig.Seq, o.Problem)
		}
		o.Due = due
		return o, nil
	}
	due, err := dl.Due(f.cal, start, false)
	if err != nil {
		o.Problem = err.Error()
		return o, fmt.Errorf("obligations: %s for %s (seq %d): %w", id, subject, trig.Seq, err)
	}
	o.Due = due
	return o, nil
}

// act records a completion act on o; complete says it finishes the obligation.
func (f *Fold) act(o *ob, r Ref, complete bool) {
	if o == nil || o.metAt >= 0 {
		return
	}
	o.Acts = append(o.Acts, r)
	if complete {
		o.metAt = len(o.Acts) - 1
	}
}

// Obligations returns every obligation triggered on or before asOf, as it stood on
// asOf, in ledger order of the triggers.
func (f *Fold) Obligations(asOf calendar.Date) []Obligation {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Obligation, 0, len(f.obs))
	for _, o := range f.obs {
		if asOf.Before(o.Trigger.Date) {
			continue
		}
		out = append(out, f.judge(o, asOf))
	}
	f.lateness(out, asOf)
	slices.SortStableFunc(out, func(a, b Obligation) int {
		switch {
		case a.Trigger.Seq < b.Trigger.Seq:
			return -1
		case a.Trigger.Seq > b.Trigger.Seq:
			return 1
		}
		return 0
	})
	return out
}

// judge is o as it stood on asOf, but for how late it is (lateness counts that for all
// at once).
func (f *Fold) judge(o *ob, asOf calendar.Date) Obligation {
	r := o.Obligation
	r.Acts, r.Met = nil, nil
	for i, a := range o.Acts {
		if asOf.Before(a.Date) {
			break
		}
		r.Acts = append(r.Acts, a)
		if i == o.metAt {
			m := a
			r.Met = &m
		}
	}
	switch {
	case o.Problem != "" || !o.Due.Valid():
		r.State = Undetermined
	case r.Met != nil && !o.Due.Before(r.Met.Date):
		r.State = MetOnTime
	case r.Met != nil:
		r.State = MetLate // LateWorkdays: lateness
	case o.Due.Before(asOf):
		r.State = Missed // LateWorkdays: lateness
	default:
		r.State = Open
	}
	r.StateZH, r.StateEN = r.State.ZH(), r.State.EN()
	return r
}

// lateness sets how many working days each obligation judged was late: met late, from
// its due day to the day it was met; missed, to asOf. Many share a due day and asOf, and
// the calendar answers each day slowly, so the days are walked once for the report.
func (f *Fold) lateness(obs []Obligation, asOf calendar.Date) {
	var lo, hi calendar.Date
	for i := range obs {
		a, b, ok := lateSpan(&obs[i], asOf)
		if !ok {
			continue
		}
		if !lo.Valid() || a.Before(lo) {
			lo = a
		}
		if !hi.Valid() || hi.Before(b) {
			hi = b
		}
	}
	if !lo.Valid() {
		return
	}
	w := newWorkdays(f.cal, lo.AddDays(1), hi)
	for i := range obs {
		if a, b, ok := lateSpan(&obs[i], asOf); ok {
			obs[i].LateWorkdays, _ = w.between(a, b)
		}
	}
}

// lateSpan is the days o was late over, if it was.
func lateSpan(o *Obligation, asOf calendar.Date) (from, to calendar.Date, late bool) {
	switch o.State {
	case MetLate:
		return o.Due, o.Met.Date, true
	case Missed:
		return o.Due, asOf, true
	}
	return calendar.Date{}, calendar.Date{}, false
}
