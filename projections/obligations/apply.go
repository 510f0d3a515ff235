package obligations

import (
	"fmt"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
)

// act is the entry a handler folds and the ref the obligations cite it by.
type act struct {
	e   *ledger.Entry
	ref Ref
}

func (a act) actor() string { return a.e.Submission.Actor.Institution }

// handler folds one type: it opens deadlines, records acts on them, or both. An error
// says a due day could not be counted; the obligation is recorded anyway.
type handler func(f *Fold, a act) error

// handlers are the types that open or meet a deadline (D1–D12); every other type is
// skipped by one map lookup.
var handlers = map[string]handler{
	events.CatalogUpdateTriggeredV1:               (*Fold).updateTriggered,
	events.CatalogEntryUpdatedV1:                  (*Fold).entryUpdated,
	events.CatalogUpdateReportedV1:                (*Fold).updateReported,
	events.CorrectionRequestedV1:                  (*Fold).correctionRequested,
	events.CorrectionForwardedV1:                  (*Fold).correctionForwarded,
	events.CorrectionExtendedV1:                   (*Fold).correctionExtended,
	events.CorrectionCompletedV1:                  (*Fold).correctionCompleted,
	events.ShareApplicationSubmittedV1:            (*Fold).shareApplied,
	events.ShareGrantedV1:                         meets("D5", func(a act) string { return fold.Read[events.ShareRefused](a.e).Application }),
	events.ShareRefusedV1:                         meets("D5", func(a act) string { return fold.Read[events.ShareRefused](a.e).Application }),
	events.OpeningWithdrawalRequestedV1:           (*Fold).withdrawalRequested,
	events.OpeningWithdrawalAnsweredV1:            meets("D6", func(a act) string { return fold.Read[events.WithdrawalAnswered](a.e).Request }),
	events.OpeningSuspendedV1:                     (*Fold).openingSuspended,
	events.OpeningRiskFoundV1:                     (*Fold).riskFound,
	events.DataCollectedV1:                        (*Fold).collected,
	events.EmergencyEndedV1:                       (*Fold).emergencyEnded,
	events.EmergencyDataEvaluatedV1:               (*Fold).dataEvaluated,
	events.EmergencyDataSealedV1:                  (*Fold).dataDisposed,
	events.EmergencyDataDestroyedV1:               (*Fold).dataDisposed,
	events.EmergencyApplicationShutDownV1:         (*Fold).applicationShutDown,
	events.OutsourcingContractTerminatedV1:        (*Fold).contractTerminated,
	events.OutsourcingAccountsRevokedV1:           meets("D9", func(a act) string { return fold.Read[events.AccountsRevoked](a.e).Contract }),
	events.OutsourcingProviderDeletionEvidencedV1: meets("D10", func(a act) string { return fold.Read[events.ProviderDeletionEvidenced](a.e).Contract }),
	events.RectificationOrderedV1:                 (*Fold).rectificationOrdered,
	events.RectificationCompletedV1:               meets("D11", func(a act) string { return fold.Read[events.RectificationCompleted](a.e).Order }),
	events.SubjectRequestReceivedV1:               opens("D12", func(a act) string { return fold.Read[events.SubjectRequestReceived](a.e).Request }),
	events.SubjectRequestAnsweredV1:               meets("D12", func(a act) string { return fold.Read[events.SubjectRequestAnswered](a.e).Request }),
}

// meets is the handler of a type that completes the deadline of the subject its
// payload names.
func meets(deadline string, subject func(act) string) handler {
	return func(f *Fold, a act) error {
		f.act(f.byKey[deadline+"/"+subject(a)], a.ref, true)
		return nil
	}
}

// opens is the handler of a type that opens a deadline for its actor, counted from its
// own day, on the subject its payload names.
func opens(deadline string, subject func(act) string) handler {
	return func(f *Fold, a act) error {
		_, err := f.open(deadline, subject(a), a.actor(), a.ref, a.ref.Date)
		return err
	}
}

func (f *Fold) updateTriggered(a act) error {
	p := fold.Read[events.CatalogUpdateTriggered](a.e)
	o, err := f.open("D1", a.ref.ID, a.actor(), a.ref, dateOr(p.AroseOn, a.ref.Date))
	o.pending = map[string]bool{}
	for _, r := range p.Resources {
		o.pending[r] = true
	}
	return err
}

func (f *Fold) entryUpdated(a act) error {
	p := fold.Read[events.CatalogEntryUpdated](a.e)
	if o := f.byKey["D1/"+p.Trigger]; o != nil && p.Trigger != "" {
		delete(o.pending, p.Resource)
		f.act(o, a.ref, len(o.pending) == 0)
	}
	o, err := f.open("D2", a.ref.ID, a.actor(), a.ref, a.ref.Date)
	k := a.actor() + "/" + p.Resource
	f.d2[k] = append(f.d2[k], o)
	return err
}

func (f *Fold) updateReported(a act) error {
	for _, r := range fold.Read[events.CatalogUpdateReported](a.e).Resources {
		k := a.actor() + "/" + r
		for _, o := range f.d2[k] {
			f.act(o, a.ref, true)
		}
		delete(f.d2, k)
	}
	return nil
}

// correctionRequested opens D4 when an authority receives a request about a resource
// another institution holds (it must forward it), else D3.
func (f *Fold) correctionRequested(a act) error {
	p := fold.Read[events.CorrectionRequested](a.e)
	res, ok := f.reg.Resource(p.Resource)
	if f.reg.IsAuthority(a.actor()) && ok && res.Holder != a.actor() {
		_, err := f.open("D4", p.Request, a.actor(), a.ref, a.ref.Date)
		return err
	}
	_, err := f.open("D3", p.Request, a.actor(), a.ref, a.ref.Date)
	return err
}

func (f *Fold) correctionForwarded(a act) error {
	p := fold.Read[events.CorrectionForwarded](a.e)
	f.act(f.byKey["D4/"+p.Request], a.ref, true)
	_, err := f.open("D3", p.Request, p.Institution, a.ref, a.ref.Date)
	return err
}

func (f *Fold) correctionExtended(a act) error {
	o := f.byKey["D3/"+fold.Read[events.CorrectionExtended](a.e).Request]
	if o == nil || o.metAt >= 0 || o.Extended || o.version == nil || o.Due.Before(a.ref.Date) {
		return nil // an extension after the deadline has passed does not revive it
	}
	due, err := o.version.Deadline("D3").Due(f.cal, o.Start, true)
	if err != nil {
		return fmt.Errorf("obligations: D3 extension of %s: %w", o.Subject, err)
	}
	o.Due, o.Extended = due, true
	return nil
}

func (f *Fold) correctionCompleted(a act) error {
	req := fold.Read[events.CorrectionCompleted](a.e).Request
	if o := f.byKey["D3/"+req]; o != nil {
		f.act(o, a.ref, true)
	} else {
		f.act(f.byKey["D4/"+req], a.ref, true) // answered directly, never forwarded
	}
	return nil
}

func (f *Fold) shareApplied(a act) error {
	p := fold.Read[events.ShareApplicationSubmitted](a.e)
	res, _ := f.reg.Resource(p.Resource)
	if res.Sharing == domain.SharingUnconditional {
		return nil // obtained directly, no answer due (第二十五条)
	}
	provider := p.Provider
	if provider == "" {
		provider = res.Holder
	}
	_, err := f.open("D5", p.Application, provider, a.ref, a.ref.Date)
	return err
}

func (f *Fold) withdrawalRequested(a act) error {
	p := fold.Read[events.WithdrawalRequested](a.e)
	_, err := f.open("D6", p.Request, f.holder(p.Resource, a.actor()), a.ref, a.ref.Date)
	return err
}

func (f *Fold) openingSuspended(a act) error {
	c := fold.Read[events.OpeningSuspended](a.e).Cause
	f.act(f.byKey["D6/"+c], a.ref, true)
	f.act(f.byKey["D7/"+c], a.ref, true)
	return nil
}

func (f *Fold) riskFound(a act) error {
	p := fold.Read[events.OpeningRiskFound](a.e)
	_, err := f.open("D7", p.Risk, f.holder(p.Resource, a.actor()), a.ref, a.ref.Date)
	return err
}

func (f *Fold) collected(a act) error {
	if p := fold.Read[events.DataCollected](a.e); p.Emergency != "" {
		f.emergency(p.Emergency).collected[p.Resource] = true
	}
	return nil
}

func (f *Fold) emergencyEnded(a act) error {
	p := fold.Read[events.EmergencyEnded](a.e)
	em := f.emergency(p.Emergency)
	o, err := f.open("D8", p.Emergency, a.actor(), a.ref, dateOr(p.EndedOn, a.ref.Date))
	em.ended = o
	f.checkD8(em, nil)
	return err
}

func (f *Fold) dataEvaluated(a act) error {
	p := fold.Read[events.EmergencyDataEvaluated](a.e)
	em := f.emergency(p.Emergency)
	em.evaluated[p.Resource] = p.Disposition
	f.checkD8(em, &a.ref)
	return nil
}

func (f *Fold) dataDisposed(a act) error {
	p := fold.Read[events.EmergencyDataSealed](a.e)
	em := f.emergency(p.Emergency)
	em.disposed[p.Resource] = true
	f.checkD8(em, &a.ref)
	return nil
}

func (f *Fold) applicationShutDown(a act) error {
	em := f.emergency(fold.Read[events.EmergencyApplicationShutDown](a.e).Emergency)
	em.shutdowns++
	f.checkD8(em, &a.ref)
	return nil
}

func (f *Fold) contractTerminated(a act) error {
	p := fold.Read[events.ContractTerminated](a.e)
	start := dateOr(p.EndedOn, a.ref.Date)
	_, err1 := f.open("D9", p.Contract, a.actor(), a.ref, start)
	_, err2 := f.open("D10", p.Contract, a.actor(), a.ref, start)
	if err1 != nil {
		return err1
	}
	return err2
}

func (f *Fold) rectificationOrdered(a act) error {
	p := fold.Read[events.RectificationOrdered](a.e)
	_, err := f.open("D11", p.Order, p.Institution, a.ref, a.ref.Date, p.Deadline)
	return err
}
