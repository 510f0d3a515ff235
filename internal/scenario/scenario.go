package scenario

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Config chooses a timeline.
type Config struct {
	Events int       // timeline events wanted (the fixed storyline is always included)
	Seed   uint64    // same seed, same timeline
	End    time.Time // every event occurs before End (usually now)
	Span   time.Duration
}

// Event is one act of the timeline, not yet signed.
type Event struct {
	ID          string // UUIDv7, fixed by Generate (its time is At), so that acts can name each other
	Type        string
	Stream      string
	Institution string // acting institution; Authority with Root for registry acts
	Person      string
	At          time.Time
	// Payload is a domain/events payload struct for catalogue types; for the key registry
	// a ledger payload (or nil for key.rotated.v1, which the signer fills in).
	Payload any
	Parent  int  // index in Timeline.Events of the event this one depends on, or -1 (always set)
	Root    bool // signed by the authority's root key
	// KeyGen is which of the institution's keys signs: 0 its first, 1 the key it rotated to.
	KeyGen int
	// Rotates names the institution whose key a key.rotated.v1 event replaces.
	Rotates string
	// Refused is the refusal code the ledger must answer with ("" for an act it admits):
	// the storyline's act by a suspended party (Art. 42).
	Refused string
	// Barrier: everything before the event is committed before it is sent, and nothing
	// after it is sent before it is committed (a key rotation).
	Barrier bool
}

// Violation marks an event the scenario makes break an obligation on purpose.
type Violation struct {
	Event   int    // index in Timeline.Events (-1: an act that never happened)
	Finding string // finding id of obligations.md (F1–F18), or the deadline (D12) where no finding names it
	Note    string
}

// Timeline is a generated scenario.
type Timeline struct {
	Registry   []Event // institution registrations, signed by the root key (before any key exists)
	Setup      []Event // people, posts and the catalog, by each institution once its key is registered
	Events     []Event // everything else, ordered by occurred_at
	Violations []Violation
}

// zone is the time zone officials write occurred_at in.
var zone = time.FixedZone("CST", 8*3600)

// Submission turns the event into an unsigned submission signed by keyID; id "" keeps
// the event's own ID.
func (e *Event) Submission(id, keyID string) (ledger.Submission, error) {
	if id == "" {
		id = e.ID
	}
	p, err := json.Marshal(e.Payload)
	if err != nil {
		return ledger.Submission{}, fmt.Errorf("encoding %s payload: %w", e.Type, err)
	}
	return ledger.Submission{
		ID: id, Stream: e.Stream, Type: e.Type,
		OccurredAt: e.At.In(zone).Format(time.RFC3339Nano),
		Actor:      ledger.Actor{Institution: e.Institution, Person: e.Person, KeyID: keyID},
		Payload:    p,
	}, nil
}

type gen struct {
	r     *rand.Rand
	end   time.Time
	start time.Time
	tl    Timeline
	seq   map[string]int // per-prefix counters for readable ids
}

// Generate builds a timeline: the registry and the catalog, a fixed storyline in which
// every type of the event catalogue occurs (deadlines met and missed by the working-day
// calendar and the policy in force, two emergencies, two outsourcing contracts, a
// suspended party, a key rotation, deliberate violations of every finding rule), then
// routine flows across institutions and resources until about cfg.Events events exist.
func Generate(cfg Config) *Timeline {
	if cfg.End.IsZero() {
		cfg.End = time.Now()
	}
	if cfg.Span <= 0 {
		cfg.Span = 180 * 24 * time.Hour
	}
	g := &gen{r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), end: cfg.End.Add(-time.Hour), seq: map[string]int{}}
	g.start = g.end.Add(-cfg.Span)
	g.registry()
	g.setup()
	g.storyline()
	for len(g.tl.Events) < cfg.Events {
		g.routine(cfg.Events - len(g.tl.Events))
	}
	g.sort()
	g.keyGenerations()
	return &g.tl
}

func (g *gen) id(prefix string) string {
	g.seq[prefix]++
	return fmt.Sprintf("%s-%04d", prefix, g.seq[prefix])
}

// uuid is a UUIDv7 whose time is at and whose random bits come from the seed.
func (g *gen) uuid(at time.Time) string {
	var u uuid.UUID
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(at.UnixMilli()))
	copy(u[:6], ms[2:])
	binary.BigEndian.PutUint64(u[6:14], g.r.Uint64())
	binary.BigEndian.PutUint16(u[14:], uint16(g.r.Uint32()))
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}

// at is a moment during office hours on the day a fraction frac into the span.
func (g *gen) at(frac float64) time.Time {
	t := g.start.Add(time.Duration(frac * float64(g.end.Sub(g.start)))).In(zone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, zone)
	return g.clamp(day.Add(time.Duration(g.r.Int64N(int64(8 * time.Hour)))))
}

// year is the year (China time) of the moment a fraction frac into the span: the year
// the storyline's ids carry, so that an id agrees with the dates of its acts
// (ctr-2025-007 for a contract of 2025).
func (g *gen) year(frac float64) string {
	return strconv.Itoa(g.start.Add(time.Duration(frac * float64(g.end.Sub(g.start)))).In(zone).Year())
}

func (g *gen) clamp(t time.Time) time.Time {
	if t.After(g.end) {
		return g.end.Add(-time.Duration(g.r.Int64N(int64(time.Minute))))
	}
	if t.Before(g.start) {
		return g.start
	}
	return t
}

var cal = calendar.Default()

// fallbackWorkdays are obligations.md's defaults, for a day outside every policy version.
var fallbackWorkdays = map[string]int{"D1": 10, "D2": 3, "D3": 5, "D4": 2, "D5": 7, "D6": 0, "D7": 0, "D8": 10, "D9": 1, "D10": 10, "D12": 15}

// deadline is the number of working days deadline id allows, by the policy in force at t.
func deadline(id string, t time.Time) int {
	if v, err := policy.AtTime(t); err == nil {
		if w := v.Deadline(id).Workdays; w != nil {
			return *w
		}
	}
	return fallbackWorkdays[id]
}

// deadlineParam is a policy parameter in force at t, or fallback outside every version.
func deadlineParam(name string, t time.Time, fallback int) int {
	if v, err := policy.AtTime(t); err == nil {
		return v.Param(name)
	}
	return fallback
}

// wd is a moment in office hours n working days after t's day (by the PRC calendar with
// its adjusted working days); n = 0 is later on the same day. Outside the calendar's data
// it approximates (a demonstration must not stop for a missing year).
func (g *gen) wd(t time.Time, n int) time.Time {
	if n <= 0 {
		return t.Add(30*time.Minute + time.Duration(g.r.Int64N(int64(90*time.Minute))))
	}
	d, err := cal.AddWorkdays(calendar.DateOf(t), n)
	if err != nil {
		d = calendar.DateOf(t).AddDays(n*7/5 + 1)
	}
	u := d.Start().Add(9*time.Hour + time.Duration(g.r.Int64N(int64(7*time.Hour))))
	if u.After(g.end) {
		u = t.Add(time.Duration(g.r.Int64N(int64(time.Hour))) + time.Minute)
	}
	return u
}

func date(t time.Time) string { return t.In(zone).Format("2006-01-02") }

// add appends an event to the timeline and returns its index. The stream comes from the
// catalogue (the checker refuses any other); person "" picks one of the staff.
func (g *gen) add(parent int, at time.Time, inst, person, typ string, p events.Payload) int {
	t, ok := events.Lookup(typ)
	if !ok {
		panic("scenario: " + typ + " is not in the event catalogue")
	}
	stream, err := t.StreamFor(inst, p)
	if err != nil {
		panic("scenario: " + err.Error())
	}
	if person == "" {
		ps := institution(inst).People
		person = ps[1+g.r.IntN(len(ps)-1)].ID
	}
	if parent >= 0 && !at.After(g.tl.Events[parent].At) {
		at = g.tl.Events[parent].At.Add(time.Minute + time.Duration(g.r.Int64N(int64(time.Hour))))
	}
	if at.After(g.end) {
		// Nothing happens after the span: an act that would follow its parent past the
		// end follows it by seconds instead, so a chain of acts near the end never
		// reaches the hour before Config.End (the ledger refuses a claimed time in its
		// future).
		base := g.end
		if parent >= 0 && g.tl.Events[parent].At.After(base) {
			base = g.tl.Events[parent].At
		}
		at = base.Add(time.Second + time.Duration(g.r.Int64N(int64(time.Second))))
	}
	g.tl.Events = append(g.tl.Events, Event{ID: g.uuid(at), Type: typ, Stream: stream, Institution: inst, Person: person, At: at, Payload: p, Parent: parent})
	return len(g.tl.Events) - 1
}

func (g *gen) violate(i int, finding, note string) {
	g.tl.Violations = append(g.tl.Violations, Violation{Event: i, Finding: finding, Note: note})
}

// registry: every institution, registered by the authority's root key before anything else.
func (g *gen) registry() {
	base := g.start.Add(-72 * time.Hour)
	for i, in := range Institutions {
		p := &events.InstitutionRegistered{Institution: in.ID, NameZH: in.NameZH, NameEN: in.NameEN, Level: in.Level, Kind: in.Kind,
			County: in.County, DataAuthority: in.DataAuthority}
		at := base.Add(time.Duration(i) * time.Minute)
		g.tl.Registry = append(g.tl.Registry, Event{ID: g.uuid(at), Type: events.InstitutionRegisteredV1, Stream: "institution/" + in.ID,
			Institution: Authority, Person: Institutions[0].Responsible(), At: at, Payload: p, Parent: -1, Root: true})
	}
}

// setup: each institution's people, first responsible person and posts (Art. 7, 37(3)),
// then the catalog (Art. 14).
func (g *gen) setup() {
	base := g.start.Add(-48 * time.Hour)
	n := 0
	push := func(inst, person, typ string, p events.Payload) {
		t, _ := events.Lookup(typ)
		stream, err := t.StreamFor(inst, p)
		if err != nil {
			panic(err)
		}
		at := base.Add(time.Duration(n) * time.Minute)
		n++
		g.tl.Setup = append(g.tl.Setup, Event{ID: g.uuid(at), Type: typ, Stream: stream, Institution: inst, Person: person, At: at, Payload: p, Parent: -1})
	}
	since := date(base)
	for _, in := range Institutions {
		head := in.Responsible()
		for _, p := range in.People {
			push(in.ID, head, events.PersonRegisteredV1, &events.PersonRegistered{Person: p.ID, Name: p.Name, Title: p.Title})
		}
		push(in.ID, head, events.PersonResponsibleDesignatedV1, &events.ResponsibleDesignated{Person: head, Since: since})
		push(in.ID, head, events.PersonPostAssignedV1, &events.PostAssigned{Person: in.Security(), Post: postSecurityManager, Since: since})
		push(in.ID, head, events.PersonPostAssignedV1, &events.PostAssigned{Person: in.People[2].ID, Post: postDedicatedStaff, Since: since})
	}
	for i := range Resources {
		r := &Resources[i]
		push(r.Holder, institution(r.Holder).Responsible(), events.CatalogEntryRegisteredV1, &events.CatalogEntryRegistered{CatalogEntry: r.Entry()})
	}
}

// sort orders events by time (stable), keeping parents' and violations' indexes right.
func (g *gen) sort() {
	ev := g.tl.Events
	order := make([]int, len(ev))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ev[order[a]].At.Before(ev[order[b]].At) })
	pos := make([]int, len(ev))
	for newI, oldI := range order {
		pos[oldI] = newI
	}
	out := make([]Event, len(ev))
	for newI, oldI := range order {
		e := ev[oldI]
		if e.Parent >= 0 {
			e.Parent = pos[e.Parent]
		}
		out[newI] = e
	}
	for i := range g.tl.Violations {
		if v := &g.tl.Violations[i]; v.Event >= 0 {
			v.Event = pos[v.Event]
		}
	}
	g.tl.Events = out
}

// keyGenerations makes every act of a rotating institution after its rotation signed by
// the new key.
func (g *gen) keyGenerations() {
	for r, e := range g.tl.Events {
		if e.Rotates == "" {
			continue
		}
		for i := r + 1; i < len(g.tl.Events); i++ {
			if x := &g.tl.Events[i]; x.Institution == e.Rotates && !x.Root {
				x.KeyGen++
			}
		}
	}
}

// Waves splits events (ordered by time) into groups that may each be appended
// concurrently: an event never shares a wave with, or precedes, its parent; a barrier
// event has a wave of its own after everything before it, and everything after it comes
// in later waves. Waves are filled to size in time order; an event whose parent is in the
// wave being filled moves to the next one, so waves can exceed size and order within a
// few waves is by cause rather than strictly by time.
func Waves(evs []Event, size int) [][]int {
	if size < 1 {
		size = 1
	}
	wave := make([]int, len(evs))
	var out [][]int
	cur := 0
	for i, e := range evs {
		w := cur
		if e.Parent >= 0 && wave[e.Parent] >= w {
			w = wave[e.Parent] + 1
		}
		if e.Barrier {
			w = max(len(out), w)
		}
		for len(out) <= w {
			out = append(out, nil)
		}
		out[w] = append(out[w], i)
		wave[i] = w
		if e.Barrier {
			cur = w + 1
			continue
		}
		for len(out) > cur && len(out[cur]) >= size {
			cur++
		}
	}
	return out
}

// Migration is the authority's declaration that every institution's records of the
// scenario's days (up to yesterday: today's acts are not late anyway) are migrated during
// the next day from now: the demo's timeline, brought in as history.
func (tl *Timeline) Migration(now time.Time) Event {
	from, until := calendar.DateOf(tl.Events[0].At), calendar.DateOf(tl.Events[len(tl.Events)-1].At)
	if today := calendar.DateOf(now); !until.Before(today) {
		until = today.AddDays(-1)
	}
	insts := make([]string, len(Institutions))
	for i, in := range Institutions {
		insts[i] = in.ID
	}
	id := fmt.Sprintf("mig-%d-001", now.In(calendar.CST).Year())
	head := Institutions[0].Responsible()
	return Event{Type: events.MigrationDeclaredV1, Stream: "migration/" + id, Institution: Authority, Person: head, At: now, Parent: -1,
		Payload: &events.MigrationDeclared{Migration: id, Institutions: insts, ClaimedFrom: from.String(), ClaimedUntil: until.String(),
			WindowFrom: now.Format(time.RFC3339), WindowUntil: now.Add(24 * time.Hour).Format(time.RFC3339),
			Source: "演示场景：各机构上一年度办理记录 (the demo scenario's year of records)",
			Reason: "演示账本于今日补录各机构历史办理记录，按声明日期计 (the demo brings a year of history in today)"}}
}

// Summary counts events by type, for the demo's report.
func (tl *Timeline) Summary() map[string]int {
	m := map[string]int{}
	for _, es := range [][]Event{tl.Registry, tl.Setup, tl.Events} {
		for _, e := range es {
			m[e.Type]++
		}
	}
	return m
}
