package registry

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/acttime"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"time"
)

// Institution is a registered public institution.
type Institution struct {
	ID            string
	NameZH        string
	NameEN        string
	Level         domain.Level
	Kind          domain.InstitutionKind
	County        string // county (city) code at county level; "" at prefecture level
	DataAuthority bool
	// Responsible is the first responsible person (第一责任人, Art. 7, 37) the institution
	// last designated; findings name this person.
	Responsible string
}

// Resource is a catalog entry's current custody and attributes.
type Resource struct {
	ID      string
	Holder  string // responsible institution (责任主体)
	Sharing domain.SharingAttribute
	Opening domain.OpeningAttribute
	Source  string // designated collecting institution, if designated (一数一源)
	// Holders is the custody history: each holder from the seq of the catalog act that
	// made it one. A holder reads its resource's stream from then on, never before.
	Holders []Span
}

// Span is one holder of a resource from a position on.
type Span struct {
	Holder string
	From   uint64 // seq of the catalog act that made Holder the holder
}

// Case is an application or request someone must answer: who asked, who must answer,
// about what, and whether it is closed.
type Case struct {
	ID        string
	Type      string // the type that opened it
	By        string // institution that opened it (for a project: its owner)
	Answerer  string // institution that must answer or act
	Resource  string
	Party     string
	Closed    bool
	OpenedSeq uint64
	// Parties are every institution the case has named (opener, answerers over time,
	// a provider): they read its stream.
	Parties []string
}

func (c *Case) addParty(inst string) {
	if inst != "" && !slices.Contains(c.Parties, inst) {
		c.Parties = append(c.Parties, inst)
	}
}

// Suspension is an Art. 42 suspension.
type Suspension struct {
	ID        string
	Party     string
	PartyKind domain.PartyKind
	Resources []string // empty: all public data
	Seq       uint64
	Issuer    string // the institution that suspended
	// From is the day it took effect (the suspension act's effective day, acttime);
	// Until the day access was restored (exclusive), zero while in force.
	From, Until calendar.Date
}

// On reports whether the suspension was in force on day d: from its own day up to, not
// including, the day of the restoration.
func (s Suspension) On(d calendar.Date) bool {
	return !d.Before(s.From) && (!s.Until.Valid() || d.Before(s.Until))
}

// Covers reports whether the suspension closes access to resource ("" = any act).
func (s Suspension) Covers(resource string) bool {
	return len(s.Resources) == 0 || resource == "" || slices.Contains(s.Resources, resource)
}

// State is the folded registry. The zero value is not usable; call New.
type State struct {
	mu           sync.RWMutex
	next         uint64 // next seq to apply
	authority    string
	institutions map[string]Institution
	resources    map[string]Resource
	cases        map[string]*Case // by kind + "/" + id
	suspensions  map[string]map[string]Suspension
	issuers      map[string][]string            // party → institutions that ever suspended it
	persons      map[string]map[string]bool     // institution → people it registered (Art. 7)
	collectors   map[string]map[string][]string // emergency → resource → institutions that collected it under the emergency
	history      map[string][]Suspension        // party → every suspension, restored ones with Until set
	migrations   []acttime.Migration
	pol          *policy.Set
	cal          *calendar.Calendar
}

// New returns an empty state that counts the days of acts (acttime) with the embedded
// policy and the default calendar.
func New() *State {
	pol, _ := policy.Default()
	return NewWith(pol, calendar.Default())
}

// NewWith returns an empty state that counts the days of acts with pol and cal: a read
// model judging with an operator's policy passes the same set here, so that the day an
// act counts is the same in the registry and in the fold.
func NewWith(pol *policy.Set, cal *calendar.Calendar) *State {
	return &State{institutions: map[string]Institution{}, resources: map[string]Resource{},
		cases: map[string]*Case{}, suspensions: map[string]map[string]Suspension{}, issuers: map[string][]string{},
		persons: map[string]map[string]bool{}, collectors: map[string]map[string][]string{}, history: map[string][]Suspension{},
		pol: pol, cal: cal}
}

// Policy and Calendar are what the state counts days with.
func (s *State) Policy() *policy.Set { return s.pol }

// Calendar is the working-day calendar the state counts days with.
func (s *State) Calendar() *calendar.Calendar { return s.cal }

// Migrations lists the migration declarations folded so far, oldest first.
func (s *State) Migrations() []acttime.Migration {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.migrations)
}

// TimeOf is when an act counts (acttime.Of) with the state's policy, calendar and the
// migrations folded so far. For the ledger's record of a refused attempt
// (ledger.access_refused.v1) it is the attempt's institution a migration must name.
func (s *State) TimeOf(e *ledger.Entry) acttime.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.timeOf(&e.Submission, e.RecordedAt)
}

// TimeOfClaim is when e would count had it claimed claimed instead of its occurred_at:
// for a date an act's payload names (a training's held_on), which is a claim like
// occurred_at and bounded the same way.
func (s *State) TimeOfClaim(e *ledger.Entry, claimed time.Time) acttime.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec, _ := time.Parse(time.RFC3339Nano, e.RecordedAt)
	return acttime.Of(claimed, rec, actingInstitution(&e.Submission), s.pol, s.cal, s.migrations)
}

// TimeAt is when a submission not yet sealed would count if recorded at recorded (the
// door's view of an act it is admitting).
func (s *State) TimeAt(sub *ledger.Submission, recorded time.Time) acttime.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return acttime.Of(sub.Time(), recorded, actingInstitution(sub), s.pol, s.cal, s.migrations)
}

func (s *State) timeOf(sub *ledger.Submission, recordedAt string) acttime.Time {
	rec, _ := time.Parse(time.RFC3339Nano, recordedAt)
	return acttime.Of(sub.Time(), rec, actingInstitution(sub), s.pol, s.cal, s.migrations)
}

// actingInstitution is whose act a submission records: its actor, or for the ledger's
// record of a refused attempt the institution that submitted the attempt.
func actingInstitution(sub *ledger.Submission) string {
	if sub.Type == events.LedgerAccessRefusedV1 {
		if p := read[events.AccessRefused](sub.Payload); p.ActorInstitution != "" {
			return p.ActorInstitution
		}
	}
	return sub.Actor.Institution
}

// Position is the number of entries folded (the next seq expected).
func (s *State) Position() uint64 { s.mu.RLock(); defer s.mu.RUnlock(); return s.next }

// CatchUp folds every entry committed after Position.
func (s *State) CatchUp(ctx context.Context, st ledger.Store) error {
	h, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("registry: reading head: %w", err)
	}
	// Parsing dominates a catch-up over a long log, and entries parse independently:
	// read a chunk, parse it on every core, fold it in order.
	const chunk = 4096
	workers := runtime.GOMAXPROCS(0)
	for from := s.Position(); from < h.Size; from += chunk {
		to := min(from+chunk, h.Size)
		raws := make([][]byte, 0, to-from)
		if err := st.Entries(ctx, from, to, func(r ledger.RawEntry) error {
			raws = append(raws, bytes.Clone(r.Bytes))
			return nil
		}); err != nil {
			return fmt.Errorf("registry: reading entries from %d: %w", from, err)
		}
		es := make([]*ledger.Entry, len(raws))
		errs := make([]error, len(raws))
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < len(raws); i = int(next.Add(1)) - 1 {
					if !folds(raws[i]) {
						continue // es[i] stays nil: only the position moves
					}
					es[i], errs[i] = ledger.ParseEntry(raws[i])
				}
			}()
		}
		wg.Wait()
		for i, e := range es {
			if errs[i] != nil {
				return fmt.Errorf("registry: entry %d: %w", from+uint64(i), errs[i])
			}
			if e == nil {
				s.pass(from + uint64(i))
				continue
			}
			s.Apply(e)
		}
	}
	return nil
}

// folds reports whether an entry's bytes may hold an act the state folds: its type has
// a handler, and a collection names an emergency. Most of a busy log is neither, and is
// passed over without being parsed; bytes whose type cannot be read from their end are
// parsed.
func folds(raw []byte) bool {
	t, ok := ledger.SealedType(raw)
	if !ok {
		return true
	}
	if _, ok := handlers[t]; !ok {
		return false
	}
	return t != events.DataCollectedV1 || bytes.Contains(raw, emergencyKey)
}

// pass moves the position past seq, an entry the state does not fold.
func (s *State) pass(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq >= s.next {
		s.next = seq + 1
	}
}

// ApplyBatch folds committed entries in order (the ledger's OnCommit signature).
func (s *State) ApplyBatch(es []*ledger.Entry) {
	for _, e := range es {
		s.Apply(e)
	}
}

// Apply folds one entry; entries below Position are ignored.
func (s *State) Apply(e *ledger.Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Seq < s.next {
		return
	}
	s.next = e.Seq + 1
	if h, ok := handlers[e.Submission.Type]; ok {
		h(s, act{seq: e.Seq, sub: &e.Submission, recordedAt: e.RecordedAt})
	}
}

// Authority is the data authority named at genesis.
func (s *State) Authority() string { s.mu.RLock(); defer s.mu.RUnlock(); return s.authority }

// IsAuthority reports whether inst is a public data authority: the one named at genesis,
// or an institution registered with data_authority (Art. 6: county authorities).
func (s *State) IsAuthority(inst string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return inst == s.authority || s.institutions[inst].DataAuthority
}

// Institution returns a registered institution.
func (s *State) Institution(id string) (Institution, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.institutions[id]
	return i, ok
}

// Institutions lists every registered institution, ordered by id.
func (s *State) Institutions() []Institution {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Institution, 0, len(s.institutions))
	for _, in := range s.institutions {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Institution) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Resource returns a catalog entry's custody and attributes.
func (s *State) Resource(id string) (Resource, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.resources[id]
	return r, ok && r.Holder != ""
}

// Case returns an application or request by kind (share, verification, opening,
// development, correction, subject, rectification, emergency, contract) and id.
func (s *State) Case(kind, id string) (Case, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.get(kind, id)
	if c == nil {
		return Case{}, false
	}
	return *c, true
}

// Suspended returns the active suspension closing party's access to resource ("" for
// any), if any.
func (s *State) Suspended(party, resource string) (Suspension, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.suspensions[party]))
	for id := range s.suspensions[party] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if sp := s.suspensions[party][id]; sp.Covers(resource) {
			return sp, true
		}
	}
	return Suspension{}, false
}

// SuspendedOn returns a suspension of party covering resource ("" for any) that was in
// force on any of days (Art. 42 judged on the act's own day: its claimed day and the day
// it counts), if any. Only suspensions folded so far are known: an act recorded before
// a suspension was is never judged against it.
func (s *State) SuspendedOn(party, resource string, days ...calendar.Date) (Suspension, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sp := range s.history[party] {
		if !sp.Covers(resource) {
			continue
		}
		for _, d := range days {
			if d.Valid() && sp.On(d) {
				return sp, true
			}
		}
	}
	return Suspension{}, false
}

// Suspensions lists every suspension of party folded so far, restored ones with Until.
func (s *State) Suspensions(party string) []Suspension {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.history[party])
}

// SuspendedParties counts the parties with at least one suspension in force now, by
// party kind (Art. 42): what the security dashboard shows without naming anyone.
func (s *State) SuspendedParties() map[domain.PartyKind]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[domain.PartyKind]int{}
	for _, sps := range s.suspensions {
		for _, sp := range sps {
			out[sp.PartyKind]++
			break
		}
	}
	return out
}

// ActiveSuspension returns party's suspension id if it is still in force.
func (s *State) ActiveSuspension(party, id string) (Suspension, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp, ok := s.suspensions[party][id]
	return sp, ok
}

// Registered reports whether the root registered inst as an institution (Art. 3).
func (s *State) Registered(inst string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.institutions[inst]
	return ok
}

// HasPerson reports whether inst registered person as one of its officials
// (person.registered.v1, Art. 7); People reports how many it registered.
func (s *State) HasPerson(inst, person string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.persons[inst][person]
}

// People is the number of officials inst has registered.
func (s *State) People(inst string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.persons[inst])
}

// Collected reports whether inst collected resource ("" for any) under emergency
// (data.collected.v1 naming the emergency, Art. 17 para 3, 21).
func (s *State) Collected(emergency, resource, inst string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if resource != "" {
		return slices.Contains(s.collectors[emergency][resource], inst)
	}
	for _, cs := range s.collectors[emergency] {
		if slices.Contains(cs, inst) {
			return true
		}
	}
	return false
}

// caseStreams maps a case stream's prefix to its case kind, from the catalogue: every
// type tied to a case names its stream by the case id.
var caseStreams = func() map[string]string {
	m := map[string]string{}
	for _, t := range events.All() {
		if t.Case == nil {
			continue
		}
		prefix, field, ok := strings.Cut(strings.TrimSuffix(t.Stream, "}"), "/{")
		if ok && field == t.Case.Field {
			m[prefix] = t.Case.Kind
		}
	}
	return m
}()

// StreamRule is one row of the stream-ownership rule, for documentation.
type StreamRule struct {
	Stream string // the stream's template
	Holds  string // who holds it, in English
	ZH     string // the same in Chinese
}

// StreamRules lists, per kind of stream, who holds it: the rule MayRead applies, in the
// form docs/access.md prints (a test keeps the document equal to it).
func StreamRules() []StreamRule {
	out := []StreamRule{
		{"institution/{I}, catalog/{I}, security/{I}", "institution I itself", "该机构本身"},
		{"resource/{R}", "R's holder (the catalog's responsible institution), for the entries from the catalog act that made it the holder on", "资源 R 的责任主体（目录所列），自其成为责任主体的目录记录起"},
		{"access/{P}", "the data authority, and each institution that suspended P", "公共数据主管部门，以及曾暂停 P 权限的机构"},
	}
	prefixes := make([]string, 0, len(caseStreams))
	for p := range caseStreams {
		prefixes = append(prefixes, p)
	}
	slices.Sort(prefixes)
	for _, p := range prefixes {
		en, zh := events.CaseName(caseStreams[p])
		out = append(out, StreamRule{p + "/{id}", "every institution the " + en + " names: its opener, whom it must answer, a provider or approver it names",
			"该" + zh + "所列各机构：提出单位、应答复单位、所列提供方或审批单位"})
	}
	return append(out, StreamRule{"migration/{M}, ledger/keys, ledger/exports", "no institution (the roles that read every entry only)", "任何机构均不持有（仅限可读取全部记录的角色）"})
}

// MayRead is the one rule for which streams an institution holds (docs/access.md, "its
// own data"): whom the domain says a stream belongs to, never its first writer. An
// institution holds
//
//   - institution/I, catalog/I and security/I when it is I;
//   - resource/R from the catalog act that made it R's holder on (entries before it are
//     not its data);
//   - a case's stream (share/, verification/, opening/, development/, correction/,
//     subject_request/, rectification/, emergency/, outsourcing/, project/,
//     inconsistency/) when the case names it: its opener, whom it must answer, a
//     provider or approver it names;
//   - access/P when it is the data authority or suspended P.
//
// Entries an institution signed are its own whatever the stream (the caller checks
// that); ledger/… streams belong to no institution.
func (s *State) MayRead(inst, stream string, seq uint64) bool {
	if inst == "" {
		return false
	}
	kind, id, ok := strings.Cut(stream, "/")
	if !ok {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch kind {
	case "institution", "catalog", "security":
		return id == inst
	case "resource":
		holder := ""
		for _, sp := range s.resources[id].Holders {
			if sp.From <= seq {
				holder = sp.Holder
			}
		}
		return holder == inst
	case "access":
		return inst == s.authority || slices.Contains(s.issuers[id], inst)
	}
	if ck, ok := caseStreams[kind]; ok {
		if c := s.get(ck, id); c != nil {
			return slices.Contains(c.Parties, inst)
		}
	}
	return false
}
