package emergencies

import (
	"slices"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

// Act is one recorded act of the register: who did it, on which day, at which position
// (the seq an inclusion proof is asked for).
type Act struct {
	By  string
	On  calendar.Date
	Seq uint64
}

// Data is one resource collected or disposed of under an emergency.
type Data struct {
	Resource    string
	Collectors  []string // institutions that collected it under the emergency, in order
	Records     int64    // records collected under the emergency
	Collections []uint64 // seqs of the collections
	Evaluation  *Act     // the classified evaluation (Art. 21 para 2), if recorded
	Categories  []domain.Sensitive
	Disposition domain.Disposition // what the evaluation decided
	Sealed      *Act
	Destroyed   *Act
}

// Application is a data application shut down after the emergency.
type Application struct {
	ID string
	Act
}

// Emergency is one entry of the register.
type Emergency struct {
	ID           string
	Title        string
	Kind         domain.EmergencyKind
	Declared     *Act // nil when only acts naming it are in the log
	Ended        *Act
	EndedOn      calendar.Date // the ended_on the end names (D8 runs from it)
	Data         []*Data
	Applications []Application
}

func (em *Emergency) data(resource string) *Data {
	for _, d := range em.Data {
		if d.Resource == resource {
			return d
		}
	}
	d := &Data{Resource: resource}
	em.Data = append(em.Data, d)
	return d
}

// Register is the fold: every emergency in the order it first appears. Apply entries in
// seq order; it is not safe for concurrent use.
type Register struct {
	byID  map[string]*Emergency
	order []*Emergency
	next  uint64
	reg   *registry.State // the day each act counts on (acttime), institutions' names
}

// New returns an empty register counting days with the embedded policy and calendar.
func New() *Register { return NewWith(registry.New()) }

// NewWith returns an empty register that folds reg itself and counts each act's day by
// it (pass registry.NewWith(policy, calendar) to judge with an operator's policy).
func NewWith(reg *registry.State) *Register {
	return &Register{byID: map[string]*Emergency{}, reg: reg}
}

func (r *Register) get(id string) *Emergency {
	em, ok := r.byID[id]
	if !ok {
		em = &Emergency{ID: id}
		r.byID[id] = em
		r.order = append(r.order, em)
	}
	return em
}

// Apply folds one entry. Entries below the position already folded are ignored, so a
// replay changes nothing.
func (r *Register) Apply(e *ledger.Entry) {
	if e.Seq < r.next {
		return
	}
	r.next = e.Seq + 1
	r.reg.Apply(e)
	if h, ok := handlers[e.Submission.Type]; ok {
		h(r, e, &Act{By: e.Submission.Actor.Institution, On: fold.Day(r.reg, e), Seq: e.Seq})
	}
}

// Registry is the registry the register counts days by (and names institutions from).
func (r *Register) Registry() *registry.State { return r.reg }

// handlers fold the types of the register, one small function each.
var handlers = map[string]func(r *Register, e *ledger.Entry, act *Act){
	events.EmergencyDeclaredV1: func(r *Register, e *ledger.Entry, act *Act) {
		if p := fold.Read[events.EmergencyDeclared](e); p.Emergency != "" {
			em := r.get(p.Emergency)
			em.Title, em.Kind, em.Declared = p.Title, p.Kind, act
		}
	},
	events.DataCollectedV1: func(r *Register, e *ledger.Entry, act *Act) {
		p := fold.Read[events.DataCollected](e)
		if p.Emergency == "" || p.Resource == "" {
			return
		}
		d := r.get(p.Emergency).data(p.Resource)
		if !slices.Contains(d.Collectors, act.By) {
			d.Collectors = append(d.Collectors, act.By)
		}
		d.Records += p.Records
		d.Collections = append(d.Collections, e.Seq)
	},
	events.EmergencyEndedV1: func(r *Register, e *ledger.Entry, act *Act) {
		if p := fold.Read[events.EmergencyEnded](e); p.Emergency != "" {
			em := r.get(p.Emergency)
			em.Ended = act
			em.EndedOn = obligations.StartOf(p.EndedOn, act.On) // as the obligations fold counts D8
		}
	},
	events.EmergencyDataEvaluatedV1: func(r *Register, e *ledger.Entry, act *Act) {
		if p := fold.Read[events.EmergencyDataEvaluated](e); p.Emergency != "" && p.Resource != "" {
			d := r.get(p.Emergency).data(p.Resource)
			d.Evaluation, d.Categories, d.Disposition = act, p.Categories, p.Disposition
		}
	},
	events.EmergencyDataSealedV1: func(r *Register, e *ledger.Entry, act *Act) {
		if p := fold.Read[events.EmergencyDataSealed](e); p.Emergency != "" && p.Resource != "" {
			r.get(p.Emergency).data(p.Resource).Sealed = act
		}
	},
	events.EmergencyDataDestroyedV1: func(r *Register, e *ledger.Entry, act *Act) {
		if p := fold.Read[events.EmergencyDataDestroyed](e); p.Emergency != "" && p.Resource != "" {
			r.get(p.Emergency).data(p.Resource).Destroyed = act
		}
	},
	events.EmergencyApplicationShutDownV1: func(r *Register, e *ledger.Entry, act *Act) {
		if p := fold.Read[events.EmergencyApplicationShutDown](e); p.Emergency != "" && p.Application != "" {
			em := r.get(p.Emergency)
			em.Applications = append(em.Applications, Application{ID: p.Application, Act: *act})
		}
	},
}

// Emergencies returns the register in the order each emergency first appeared.
func (r *Register) Emergencies() []*Emergency { return slices.Clone(r.order) }

// Emergency returns one emergency.
func (r *Register) Emergency(id string) (*Emergency, bool) { em, ok := r.byID[id]; return em, ok }
