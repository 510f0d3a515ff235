package obligations

import (
	"fmt"
	"slices"
	"sync"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
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
		return fmt.Sprintf("声明 %s，记录 %s（补录，按 %s 计）", r.Claimed, r.Recorded, r.Date),
			fmt.Sprintf("claimed %s, recorded %s (late record, counted on %s)", r.Claimed, r.Recorded, r.Date)
	case r.Migration != "":
		return fmt.Sprintf("声明 %s，记录 %s（迁移 %s）", r.Claimed, r.Recorded, r.Migration),
			fmt.Sprintf("claimed %s, recorded %s (migrated, %s)", r.Claimed, r.Recorded, r.Migration)
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
	s := &e.Submission
	ref := RefOf(e, f.reg.TimeOf(e))
	actor := s.Actor.Institution
	switch s.Type {
	case "catalog.update_triggered.v1":
		p := fold.Read[events.CatalogUpdateTriggered](e)
		o, err := f.open("D1", ref.ID, actor, ref, dateOr(p.AroseOn, ref.Date))
		o.pending = map[string]bool{}
		for _, r := range p.Resources {
			o.pending[r] = true
		}
		return err
	case "catalog.entry_updated.v1":
		p := fold.Read[events.CatalogEntryUpdated](e)
		if o := f.byKey["D1/"+p.Trigger]; o != nil && p.Trigger != "" {
			delete(o.pending, p.Resource)
			f.act(o, ref, len(o.pending) == 0)
		}
		o, err := f.open("D2", ref.ID, actor, ref, ref.Date)
		k := actor + "/" + p.Resource
		f.d2[k] = append(f.d2[k], o)
		return err
	case "catalog.update_reported.v1":
		for _, r := range fold.Read[events.CatalogUpdateReported](e).Resources {
			k := actor + "/" + r
			for _, o := range f.d2[k] {
				f.act(o, ref, true)
			}
			delete(f.d2, k)
		}
	case "correction.requested.v1":
		p := fold.Read[events.CorrectionRequested](e)
		res, ok := f.reg.Resource(p.Resource)
		if f.reg.IsAuthority(actor) && ok && res.Holder != actor {
			_, err := f.open("D4", p.Request, actor, ref, ref.Date)
			return err
		}
		_, err := f.open("D3", p.Request, actor, ref, ref.Date)
		return err
	case "correction.forwarded.v1":
		p := fold.Read[events.CorrectionForwarded](e)
		f.act(f.byKey["D4/"+p.Request], ref, true)
		_, err := f.open("D3", p.Request, p.Institution, ref, ref.Date)
		return err
	case "correction.extended.v1":
		o := f.byKey["D3/"+fold.Read[events.CorrectionExtended](e).Request]
		if o == nil || o.metAt >= 0 || o.Extended || o.version == nil || o.Due.Before(ref.Date) {
			return nil // an extension after the deadline has passed does not revive it
		}
		due, err := o.version.Deadline("D3").Due(f.cal, o.Start, true)
		if err != nil {
			return fmt.Errorf("obligations: D3 extension of %s: %w", o.Subject, err)
		}
		o.Due, o.Extended = due, true
	case "correction.completed.v1":
		req := fold.Read[events.CorrectionCompleted](e).Request
		if o := f.byKey["D3/"+req]; o != nil {
			f.act(o, ref, true)
		} else {
			f.act(f.byKey["D4/"+req], ref, true) // answered directly, never forwarded
		}
	case "share.application_submitted.v1":
		p := fold.Read[events.ShareApplicationSubmitted](e)
		res, _ := f.reg.Resource(p.Resource)
		if res.Sharing == domain.SharingUnconditional {
			return nil // obtained directly, no answer due (第二十五条)
		}
		provider := p.Provider
		if provider == "" {
			provider = res.Holder
		}
		_, err := f.open("D5", p.Application, provider, ref, ref.Date)
		return err
	case "share.granted.v1", "share.refused.v1":
		f.act(f.byKey["D5/"+fold.Read[events.ShareRefused](e).Application], ref, true)
	case "opening.withdrawal_requested.v1":
		p := fold.Read[events.WithdrawalRequested](e)
		_, err := f.open("D6", p.Request, f.holder(p.Resource, actor), ref, ref.Date)
		return err
	case "opening.withdrawal_answered.v1":
		f.act(f.byKey["D6/"+fold.Read[events.WithdrawalAnswered](e).Request], ref, true)
	case "opening.suspended.v1":
		c := fold.Read[events.OpeningSuspended](e).Cause
		f.act(f.byKey["D6/"+c], ref, true)
		f.act(f.byKey["D7/"+c], ref, true)
	case "opening.risk_found.v1":
		p := fold.Read[events.OpeningRiskFound](e)
		_, err := f.open("D7", p.Risk, f.holder(p.Resource, actor), ref, ref.Date)
		return err
	case "data.collected.v1":
		if p := fold.Read[events.DataCollected](e); p.Emergency != "" {
			f.emergency(p.Emergency).collected[p.Resource] = true
		}
	case "emergency.ended.v1":
		p := fold.Read[events.EmergencyEnded](e)
		em := f.emergency(p.Emergency)
		o, err := f.open("D8", p.Emergency, actor, ref, dateOr(p.EndedOn, ref.Date))
		em.ended = o
		f.checkD8(em, nil)
		return err
	case "emergency.data_evaluated.v1":
		p := fold.Read[events.EmergencyDataEvaluated](e)
		em := f.emergency(p.Emergency)
		em.evaluated[p.Resource] = p.Disposition
		f.checkD8(em, &ref)
	case "emergency.data_sealed.v1", "emergency.data_destroyed.v1":
		p := fold.Read[events.EmergencyDataSealed](e)
		em := f.emergency(p.Emergency)
		em.disposed[p.Resource] = true
		f.checkD8(em, &ref)
	case "emergency.application_shut_down.v1":
		em := f.emergency(fold.Read[events.EmergencyApplicationShutDown](e).Emergency)
		em.shutdowns++
		f.checkD8(em, &ref)
	case "outsourcing.contract_terminated.v1":
		p := fold.Read[events.ContractTerminated](e)
		start := dateOr(p.EndedOn, ref.Date)
		_, err1 := f.open("D9", p.Contract, actor, ref, start)
		_, err2 := f.open("D10", p.Contract, actor, ref, start)
		if err1 != nil {
			return err1
		}
		return err2
	case "outsourcing.accounts_revoked.v1":
		f.act(f.byKey["D9/"+fold.Read[events.AccountsRevoked](e).Contract], ref, true)
	case "outsourcing.provider_deletion_evidenced.v1":
		f.act(f.byKey["D10/"+fold.Read[events.ProviderDeletionEvidenced](e).Contract], ref, true)
	case "rectification.ordered.v1":
		p := fold.Read[events.RectificationOrdered](e)
		_, err := f.open("D11", p.Order, p.Institution, ref, ref.Date, p.Deadline)
		return err
	case "rectification.completed.v1":
		f.act(f.byKey["D11/"+fold.Read[events.RectificationCompleted](e).Order], ref, true)
	case "subject_request.received.v1":
		_, err := f.open("D12", fold.Read[events.SubjectRequestReceived](e).Request, actor, ref, ref.Date)
		return err
	case "subject_request.answered.v1":
		f.act(f.byKey["D12/"+fold.Read[events.SubjectRequestAnswered](e).Request], ref, true)
	}
	return nil
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

// judge is o as it stood on asOf.
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
		r.State = MetLate
		r.LateWorkdays, _ = f.cal.WorkdaysBetween(o.Due, r.Met.Date)
	case o.Due.Before(asOf):
		r.State = Missed
		r.LateWorkdays, _ = f.cal.WorkdaysBetween(o.Due, asOf)
	default:
		r.State = Open
	}
	r.StateZH, r.StateEN = r.State.ZH(), r.State.EN()
	return r
}
