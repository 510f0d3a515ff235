package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// act is the entry a handler folds.
type act struct {
	seq        uint64
	sub        *ledger.Submission
	recordedAt string
}

func (a act) actor() string        { return a.sub.Actor.Institution }
func (a act) raw() json.RawMessage { return a.sub.Payload }

// handlers fold each type the registry reads, one small function per type (or per
// family of types that fold alike); every other type is skipped by one map lookup.
var handlers = func() map[string]func(*State, act) {
	m := map[string]func(*State, act){
		ledger.TypeInitialized:                   (*State).initialized,
		events.InstitutionRegisteredV1:           (*State).institutionRegistered,
		events.InstitutionUpdatedV1:              (*State).institutionRegistered,
		events.PersonRegisteredV1:                (*State).personRegistered,
		events.PersonResponsibleDesignatedV1:     (*State).responsibleDesignated,
		events.CatalogEntryRegisteredV1:          (*State).catalogEntry,
		events.CatalogEntryUpdatedV1:             (*State).catalogEntry,
		events.CatalogOpeningReclassifiedV1:      (*State).openingReclassified,
		events.CatalogSourceDesignatedV1:         (*State).sourceDesignated,
		events.ProjectApprovedV1:                 (*State).projectApproved,
		events.CorrectionForwardedV1:             (*State).correctionForwarded,
		events.DataCollectedV1:                   (*State).collected,
		events.AccessSuspendedV1:                 (*State).suspended,
		events.AccessRestoredV1:                  (*State).restored,
		events.MigrationDeclaredV1:               (*State).migrationDeclared,
		events.ShareGrantedV1:                    closes("share", func(r json.RawMessage) string { return events.FieldString(read[events.ShareGranted](r), "application") }),
		events.ShareRefusedV1:                    closes("share", func(r json.RawMessage) string { return events.FieldString(read[events.ShareGranted](r), "application") }),
		events.ShareVerificationAnsweredV1:       closes("verification", func(r json.RawMessage) string { return read[events.ShareVerificationAnswered](r).Request }),
		events.OpeningGrantedV1:                  closes("opening", func(r json.RawMessage) string { return read[events.OpeningRefused](r).Application }),
		events.OpeningRefusedV1:                  closes("opening", func(r json.RawMessage) string { return read[events.OpeningRefused](r).Application }),
		events.DataInconsistencyResolvedV1:       closes("inconsistency", func(r json.RawMessage) string { return read[events.InconsistencyResolved](r).Case }),
		events.DevelopmentQualificationGrantedV1: closes("development", qualificationApplication),
		events.DevelopmentQualificationRefusedV1: closes("development", qualificationApplication),
		events.CorrectionCompletedV1:             closes("correction", func(r json.RawMessage) string { return read[events.CorrectionCompleted](r).Request }),
		events.SubjectRequestAnsweredV1:          closes("subject", func(r json.RawMessage) string { return read[events.SubjectRequestAnswered](r).Request }),
		events.RectificationCompletedV1:          closes("rectification", func(r json.RawMessage) string { return read[events.RectificationCompleted](r).Order }),
		events.EmergencyEndedV1:                  closes("emergency", func(r json.RawMessage) string { return read[events.EmergencyEnded](r).Emergency }),
		events.OutsourcingContractTerminatedV1:   closes("contract", func(r json.RawMessage) string { return read[events.ContractTerminated](r).Contract }),
	}
	for typ, o := range openers {
		m[typ] = opens(o.kind, o.open)
	}
	return m
}()

// opener is how a type opens a case: its kind and the case it names (id and all).
type opener struct {
	kind string
	open func(a act) Case
}

// openers are the types that open a case, with the case each opens; the handler fills
// in the type and position.
var openers = map[string]opener{
	events.ShareApplicationSubmittedV1: {"share", func(a act) Case {
		p := read[events.ShareApplicationSubmitted](a.raw())
		return Case{ID: p.Application, By: a.actor(), Answerer: p.Provider, Resource: p.Resource}
	}},
	events.ShareVerificationRequestedV1: {"verification", func(a act) Case {
		p := read[events.ShareVerificationRequested](a.raw())
		return Case{ID: p.Request, By: a.actor(), Answerer: p.Provider, Resource: p.Resource}
	}},
	events.OpeningApplicationSubmittedV1: {"opening", func(a act) Case {
		p := read[events.OpeningApplicationSubmitted](a.raw())
		return Case{ID: p.Application, By: a.actor(), Answerer: a.actor(), Resource: p.Resource, Party: p.Party.Party}
	}},
	events.DevelopmentQualificationAppliedV1: {"development", func(a act) Case {
		p := read[events.QualificationApplied](a.raw())
		return Case{ID: p.Application, By: a.actor(), Party: p.Party.Party}
	}},
	events.ProjectCatalogDraftedV1: {"project", func(a act) Case {
		return Case{ID: read[events.ProjectCatalogDrafted](a.raw()).Project, By: a.actor(), Answerer: a.actor()}
	}},
	events.ProjectPreliminaryReviewedV1: {"project", func(a act) Case {
		p := read[events.ProjectPreliminaryReviewed](a.raw())
		return Case{ID: p.Project, By: p.Owner, Answerer: p.Owner}
	}},
	events.DataInconsistencyReportedV1: {"inconsistency", func(a act) Case {
		p := read[events.InconsistencyReported](a.raw())
		return Case{ID: p.Case, By: a.actor(), Answerer: p.Provider, Resource: p.Resource}
	}},
	events.CorrectionRequestedV1: {"correction", func(a act) Case {
		p := read[events.CorrectionRequested](a.raw())
		return Case{ID: p.Request, By: a.actor(), Answerer: a.actor(), Resource: p.Resource, Party: p.Party.Party}
	}},
	events.SubjectRequestReceivedV1: {"subject", func(a act) Case {
		p := read[events.SubjectRequestReceived](a.raw())
		return Case{ID: p.Request, By: a.actor(), Answerer: a.actor(), Resource: p.Resource, Party: p.Party.Party}
	}},
	events.RectificationOrderedV1: {"rectification", func(a act) Case {
		p := read[events.RectificationOrdered](a.raw())
		return Case{ID: p.Order, By: a.actor(), Answerer: p.Institution}
	}},
	events.EmergencyDeclaredV1: {"emergency", func(a act) Case {
		return Case{ID: read[events.EmergencyDeclared](a.raw()).Emergency, By: a.actor(), Answerer: a.actor()}
	}},
	events.OutsourcingSecurityReviewedV1: {"contract", contractCase},
	events.OutsourcingContractSignedV1:   {"contract", contractCase},
}

func contractCase(a act) Case {
	return Case{ID: read[events.ContractSigned](a.raw()).Contract, By: a.actor(), Answerer: a.actor()}
}

func qualificationApplication(r json.RawMessage) string {
	return read[events.QualificationRefused](r).Application
}

// opens is the handler of a type that opens a case of kind.
func opens(kind string, open func(act) Case) func(*State, act) {
	return func(s *State, a act) {
		c := open(a)
		c.Type, c.OpenedSeq = a.sub.Type, a.seq
		s.open(kind, c.ID, &c)
	}
}

// closes is the handler of a type that closes the case of kind its payload names.
func closes(kind string, id func(json.RawMessage) string) func(*State, act) {
	return func(s *State, a act) { s.close(kind, id(a.raw())) }
}

func read[T any](raw json.RawMessage) *T { return events.Read[T](raw) } // lenient: fold what is there

func (s *State) open(kind, id string, c *Case) {
	if id == "" {
		return
	}
	if _, exists := s.cases[kind+"/"+id]; exists {
		return
	}
	c.addParty(c.By)
	c.addParty(c.Answerer)
	s.cases[kind+"/"+id] = c
}

func (s *State) get(kind, id string) *Case { return s.cases[kind+"/"+id] }

func (s *State) close(kind, id string) {
	if c := s.get(kind, id); c != nil {
		c.Closed = true
	}
}

func (s *State) initialized(a act) {
	s.authority = read[ledger.GenesisPayload](a.raw()).Authority
}

func (s *State) institutionRegistered(a act) {
	p := read[events.InstitutionRegistered](a.raw())
	s.institutions[p.Institution] = Institution{ID: p.Institution, NameZH: p.NameZH, NameEN: p.NameEN, Level: p.Level, Kind: p.Kind,
		County: p.County, DataAuthority: p.DataAuthority, Responsible: s.institutions[p.Institution].Responsible}
}

func (s *State) personRegistered(a act) {
	if s.persons[a.actor()] == nil {
		s.persons[a.actor()] = map[string]bool{}
	}
	s.persons[a.actor()][read[events.PersonRegistered](a.raw()).Person] = true
}

func (s *State) responsibleDesignated(a act) {
	if in, ok := s.institutions[a.actor()]; ok {
		in.Responsible = read[events.ResponsibleDesignated](a.raw()).Person
		s.institutions[a.actor()] = in
	}
}

func (s *State) catalogEntry(a act) {
	p := read[events.CatalogEntry](a.raw())
	r := s.resources[p.Resource]
	holder := p.Responsible
	if holder == "" {
		holder = a.actor()
	}
	spans := r.Holders
	if r.Holder != holder {
		spans = append(slices.Clone(spans), Span{Holder: holder, From: a.seq})
	}
	s.resources[p.Resource] = Resource{ID: p.Resource, Holder: holder, Sharing: p.Sharing.Attribute, Opening: p.Opening.Attribute, Source: r.Source, Holders: spans}
}

func (s *State) openingReclassified(a act) {
	p := read[events.OpeningReclassified](a.raw())
	if r, ok := s.resources[p.Resource]; ok {
		r.Opening = p.To
		s.resources[p.Resource] = r
	}
}

func (s *State) sourceDesignated(a act) {
	p := read[events.SourceDesignated](a.raw())
	r := s.resources[p.Resource]
	r.ID, r.Source = p.Resource, p.Source
	s.resources[p.Resource] = r
}

// projectApproved opens the project when no draft did (an approval without a catalog:
// the F2 fact) and names the approver a party either way.
func (s *State) projectApproved(a act) {
	p := read[events.ProjectApproved](a.raw())
	s.open("project", p.Project, &Case{ID: p.Project, Type: a.sub.Type, By: a.actor(), Answerer: a.actor(), OpenedSeq: a.seq})
	if c := s.get("project", p.Project); c != nil {
		c.addParty(p.Approver)
	}
}

func (s *State) correctionForwarded(a act) {
	p := read[events.CorrectionForwarded](a.raw())
	if c := s.get("correction", p.Request); c != nil {
		c.Answerer = p.Institution
		c.addParty(p.Institution)
	}
}

// emergencyKey is how the emergency member begins in a payload: entries hold their
// payloads as canonical JSON (RFC 8785: no whitespace, no needless escapes), so a
// collection without it does not contain these bytes.
var emergencyKey = []byte(`"emergency":`)

func (s *State) collected(a act) {
	if !bytes.Contains(a.raw(), emergencyKey) {
		return // most collections are not under an emergency: no need to decode them
	}
	p := read[events.DataCollected](a.raw())
	if p.Emergency == "" || p.Resource == "" {
		return
	}
	if s.collectors[p.Emergency] == nil {
		s.collectors[p.Emergency] = map[string][]string{}
	}
	if cs := s.collectors[p.Emergency][p.Resource]; !slices.Contains(cs, a.actor()) {
		s.collectors[p.Emergency][p.Resource] = append(cs, a.actor())
	}
}

func (s *State) suspended(a act) {
	p := read[events.AccessSuspended](a.raw())
	if s.suspensions[p.Party] == nil {
		s.suspensions[p.Party] = map[string]Suspension{}
	}
	sp := Suspension{ID: p.Suspension, Party: p.Party, PartyKind: p.PartyKind, Resources: p.Resources, Seq: a.seq, Issuer: a.actor(),
		From: s.timeOf(a.sub, a.recordedAt).Effective}
	s.suspensions[p.Party][p.Suspension] = sp
	s.history[p.Party] = append(s.history[p.Party], sp)
	if !slices.Contains(s.issuers[p.Party], a.actor()) {
		s.issuers[p.Party] = append(s.issuers[p.Party], a.actor())
	}
}

func (s *State) restored(a act) {
	p := read[events.AccessRestored](a.raw())
	if _, ok := s.suspensions[p.Party][p.Suspension]; ok {
		until := s.timeOf(a.sub, a.recordedAt).Effective
		h := s.history[p.Party]
		for i := len(h) - 1; i >= 0; i-- {
			if h[i].ID == p.Suspension && !h[i].Until.Valid() {
				if until.Before(h[i].From) {
					until = h[i].From // restored before it began: in force for no day
				}
				h[i].Until = until
				break
			}
		}
	}
	delete(s.suspensions[p.Party], p.Suspension)
}

func (s *State) migrationDeclared(a act) {
	p := read[events.MigrationDeclared](a.raw())
	from, err1 := calendar.Parse(p.ClaimedFrom)
	until, err2 := calendar.Parse(p.ClaimedUntil)
	wf, err3 := time.Parse(time.RFC3339Nano, p.WindowFrom)
	wu, err4 := time.Parse(time.RFC3339Nano, p.WindowUntil)
	if errors.Join(err1, err2, err3, err4) == nil && !slices.ContainsFunc(s.migrations, func(m acttime.Migration) bool { return m.ID == p.Migration }) {
		s.migrations = append(s.migrations, acttime.Migration{ID: p.Migration, Institutions: slices.Clone(p.Institutions),
			From: from, Until: until, WindowFrom: wf, WindowUntil: wu, By: a.actor(), Seq: a.seq})
	}
}
