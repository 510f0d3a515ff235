package scenario

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/aba-prefecture/dataledger/ledger"
)

// Config chooses a timeline.
type Config struct {
	Events int       // data events wanted (the fixed storyline is always included)
	Seed   uint64    // same seed, same timeline
	End    time.Time // every event occurs before End (usually now)
	Span   time.Duration
}

// Event is one act of the timeline, not yet signed.
type Event struct {
	Type        string
	Stream      string
	Institution string // acting institution; Authority with Root for registry acts
	Person      string
	At          time.Time
	Payload     map[string]any
	Parent      int  // index in Timeline.Events of the event this one refers to, or -1 (always set)
	Root        bool // signed by the authority's root key
}

// Violation marks an event the scenario makes break an obligation on purpose.
type Violation struct {
	Event   int    // index in Timeline.Events (-1: an act that never happened)
	Finding string // finding id (obligations.md), e.g. "F9"
	Note    string
}

// Timeline is a generated scenario.
type Timeline struct {
	Registry   []Event // institution registrations, signed by the root key
	Events     []Event // everything else, ordered by occurred_at
	Violations []Violation
}

// zone is the time zone officials write occurred_at in.
var zone = time.FixedZone("CST", 8*3600)

// Submission turns the event into an unsigned submission with the given id and key.
func (e *Event) Submission(id, keyID string) (ledger.Submission, error) {
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
	inst  map[string]*Institution
	seq   map[string]int // per-prefix counters for readable ids
}

// Generate builds a timeline: the registry, the catalog, a fixed storyline (catalog
// updates, corrections, conditional shares answered on time, late and never, an
// emergency with collections and sealing, an outsourcing contract from signing to
// deletion, security duties, deliberate violations), then routine flows until about
// cfg.Events events exist.
func Generate(cfg Config) *Timeline {
	if cfg.End.IsZero() {
		cfg.End = time.Now()
	}
	if cfg.Span <= 0 {
		cfg.Span = 180 * 24 * time.Hour
	}
	g := &gen{r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), end: cfg.End.Add(-time.Hour),
		inst: map[string]*Institution{}, seq: map[string]int{}}
	g.start = g.end.Add(-cfg.Span)
	for i := range Institutions {
		g.inst[Institutions[i].ID] = &Institutions[i]
	}
	g.registry()
	catalog := g.catalog()
	g.storyline(catalog)
	for len(g.tl.Events) < cfg.Events {
		g.routine(catalog, cfg.Events-len(g.tl.Events))
	}
	g.sort()
	return &g.tl
}

func (g *gen) id(prefix string) string {
	g.seq[prefix]++
	return fmt.Sprintf("%s-%05d", prefix, g.seq[prefix])
}

// at is a moment d after the start of the span, during office hours, never after end.
func (g *gen) at(d time.Duration) time.Time {
	t := g.start.Add(d)
	day := time.Date(t.In(zone).Year(), t.In(zone).Month(), t.In(zone).Day(), 9, 0, 0, 0, zone)
	t = day.Add(time.Duration(g.r.Int64N(int64(8 * time.Hour))))
	if t.After(g.end) {
		t = g.end.Add(-time.Duration(g.r.Int64N(int64(time.Hour))))
	}
	if t.Before(g.start) {
		t = g.start
	}
	return t
}

// later is a moment days (plus some hours) after t, never after end.
func (g *gen) later(t time.Time, days float64) time.Time {
	u := t.Add(time.Duration(days*24*float64(time.Hour)) + time.Duration(g.r.Int64N(int64(3*time.Hour))))
	if u.After(g.end) {
		u = g.end
	}
	return u
}

func (g *gen) day(frac float64) time.Duration {
	return time.Duration(frac * float64(g.end.Sub(g.start)))
}

func (g *gen) staff(inst string) string {
	s := g.inst[inst].Staff
	return s[g.r.IntN(len(s))]
}

func (g *gen) add(e Event) int {
	if e.Person == "" {
		e.Person = g.staff(e.Institution)
	}
	if e.Parent >= 0 && !e.At.After(g.tl.Events[e.Parent].At) {
		e.At = g.tl.Events[e.Parent].At.Add(time.Minute)
	}
	g.tl.Events = append(g.tl.Events, e)
	return len(g.tl.Events) - 1
}

func (g *gen) registry() {
	for _, in := range Institutions {
		g.tl.Registry = append(g.tl.Registry, Event{
			Type: TypeInstitutionRegistered, Stream: "institution/" + in.ID, Institution: Authority, Person: g.inst[Authority].Responsible,
			At: g.at(0), Root: true, Parent: -1,
			Payload: map[string]any{"institution": in.ID, "name_zh": in.NameZH, "name_en": in.NameEN, "level": in.Level, "kind": in.Kind,
				"first_responsible_person": in.Responsible, "staff": in.Staff},
		})
	}
}

// catalog registers every resource and returns the index of each registration.
func (g *gen) catalog() map[string]int {
	idx := map[string]int{}
	for i, r := range Resources {
		p := map[string]any{"resource": r.ID, "name_zh": r.NameZH, "classification": r.Class, "format": r.Format,
			"update_period_days": r.Period, "sharing": map[string]any{"attribute": r.Sharing}, "opening": map[string]any{"attribute": r.Opening},
			"fields": r.Fields, "holder": r.Holder}
		switch r.Sharing {
		case "conditional":
			p["sharing"] = map[string]any{"attribute": "conditional", "reason": "含个人信息", "conditions": "限于申请用途，不得向第三方提供"}
		case "none":
			p["sharing"] = map[string]any{"attribute": "none", "basis": "《中华人民共和国道路交通安全法》及公安机关执法信息管理规定"}
		}
		idx[r.ID] = g.add(Event{Type: TypeCatalogEntryRegistered, Stream: "catalog/" + r.ID, Institution: r.Holder,
			Person: g.inst[r.Holder].Responsible, At: g.at(g.day(0.01 + 0.002*float64(i))), Parent: -1, Payload: p})
	}
	return idx
}

func resource(id string) *Resource {
	for i := range Resources {
		if Resources[i].ID == id {
			return &Resources[i]
		}
	}
	panic("scenario: unknown resource " + id)
}

// storyline adds the fixed acts every demo shows, met and missed deadlines included.
func (g *gen) storyline(cat map[string]int) {
	// D1/D2 catalog updates: one on time, one late (F1).
	for _, c := range []struct {
		res          string
		at, upd, rep float64
		trigger, why string
		late         string
	}{
		{"aba-stats-bureau.county-economy", 0.40, 4, 1, "information_system_updated", "统计业务系统升级完成，新增指标", ""},
		{"aba-civil-affairs.subsistence-allowance", 0.50, 28, 2, "law_changed", "《社会救助暂行办法》修订，认定标准调整", "F1"},
	} {
		r := resource(c.res)
		t := g.add(Event{Type: TypeCatalogUpdateTriggered, Stream: "catalog/" + r.ID, Institution: r.Holder, At: g.at(g.day(c.at)), Parent: cat[r.ID],
			Payload: map[string]any{"resource": r.ID, "trigger": c.trigger, "description": c.why}})
		u := g.add(Event{Type: TypeCatalogEntryUpdated, Stream: "catalog/" + r.ID, Institution: r.Holder, At: g.later(g.tl.Events[t].At, c.upd), Parent: t,
			Payload: map[string]any{"resource": r.ID, "changes": []string{"fields"}, "fields": append(append([]string{}, r.Fields...), "updated_at")}})
		g.add(Event{Type: TypeCatalogUpdateReported, Stream: "catalog/" + r.ID, Institution: r.Holder, At: g.later(g.tl.Events[u].At, c.rep), Parent: u,
			Payload: map[string]any{"resource": r.ID, "reported_to": Authority, "basis": "业务系统更新完成"}})
		if c.late != "" {
			g.tl.Violations = append(g.tl.Violations, Violation{u, c.late, "catalog updated 28 days after its trigger (D1: 10 working days)"})
		}
	}

	// D3 corrections: on time and late (F7).
	for _, c := range []struct {
		inst, res string
		at, done  float64
		late      bool
	}{
		{"aba-public-security", "aba-public-security.household-registration", 0.55, 3, false},
		{"aba-hr-social-security", "aba-hr-social-security.social-insurance", 0.70, 18, true},
	} {
		rid := g.id("cr")
		q := g.add(Event{Type: TypeCorrectionRequested, Stream: "correction/" + rid, Institution: c.inst, At: g.at(g.day(c.at)), Parent: cat[c.res],
			Payload: map[string]any{"request": rid, "resource": c.res, "requester_kind": "natural_person", "field": "address", "channel": "window"}})
		d := g.add(Event{Type: TypeCorrectionCompleted, Stream: "correction/" + rid, Institution: c.inst, At: g.later(g.tl.Events[q].At, c.done), Parent: q,
			Payload: map[string]any{"request": rid, "outcome": "corrected", "notified": true}})
		if c.late {
			g.tl.Violations = append(g.tl.Violations, Violation{d, "F7", "correction finished 18 days after the request (D3: 5 working days)"})
		}
	}

	// D5 conditional shares: answered on time, late (F9), never (F9).
	for _, c := range []struct {
		applicant, res string
		at, answer     float64 // answer < 0: never answered
	}{
		{"aba-civil-affairs", "aba-public-security.household-registration", 0.30, 3},
		{"maerkang-city", "aba-health-commission.vaccination-records", 0.60, 21},
		{"jiuzhaigou-county", "aba-hr-social-security.social-insurance", 0.93, -1},
	} {
		r := resource(c.res)
		app := g.id("app")
		a := g.add(Event{Type: TypeShareApplicationSubmitted, Stream: "share/" + app, Institution: c.applicant, At: g.at(g.day(c.at)), Parent: cat[r.ID],
			Payload: map[string]any{"application": app, "resource": r.ID, "provider": r.Holder, "purpose": r.Purposes[0], "fields": r.Fields[:2], "sharing_attribute": r.Sharing}})
		switch {
		case c.answer < 0:
			g.tl.Violations = append(g.tl.Violations, Violation{a, "F9", "conditional share application never answered (D5: 7 working days)"})
		default:
			gr := g.add(Event{Type: TypeShareGranted, Stream: "share/" + app, Institution: r.Holder, Person: g.inst[r.Holder].Responsible,
				At: g.later(g.tl.Events[a].At, c.answer), Parent: a,
				Payload: map[string]any{"application": app, "grant": "g-" + app, "resource": r.ID, "grantee": c.applicant, "purpose": r.Purposes[0],
					"fields": r.Fields[:2], "valid_until": g.end.AddDate(1, 0, 0).In(zone).Format("2006-01-02")}})
			if c.answer > 10 {
				g.tl.Violations = append(g.tl.Violations, Violation{gr, "F9", "conditional share application answered after 21 days (D5: 7 working days)"})
			}
		}
	}

	// Art. 21: an emergency, collections under it, its end, evaluation, sealing, shut-down.
	emg := "emg-2026-001"
	ed := g.add(Event{Type: TypeEmergencyDeclared, Stream: "emergency/" + emg, Institution: "aba-emergency-management", Person: "yjj-ze.ren", At: g.at(g.day(0.55)), Parent: -1,
		Payload: map[string]any{"emergency": emg, "name_zh": "九寨沟县强降雨山洪灾害", "level": "III", "counties": []string{"jiuzhaigou-county", "wenchuan-county"}}})
	last := ed
	for i, in := range []string{"jiuzhaigou-county", "aba-health-commission", "wenchuan-county", "aba-civil-affairs"} {
		last = g.add(Event{Type: TypeDataCollected, Stream: "emergency/" + emg, Institution: in, At: g.later(g.tl.Events[ed].At, float64(i)*0.5+0.2), Parent: ed,
			Payload: map[string]any{"resource": emg + ".affected-persons", "records": 50 + g.r.IntN(800), "purpose": "受灾群众转移安置与医疗救治",
				"basis": "emergency", "emergency": emg, "fields": []string{"name", "id_no", "phone", "shelter"}, "personal": true}})
	}
	end := g.add(Event{Type: TypeEmergencyEnded, Stream: "emergency/" + emg, Institution: "aba-emergency-management", Person: "yjj-ze.ren",
		At: g.later(g.tl.Events[last].At, 12), Parent: last, Payload: map[string]any{"emergency": emg}})
	ev := g.add(Event{Type: TypeEmergencyDataEvaluated, Stream: "emergency/" + emg, Institution: "aba-emergency-management", At: g.later(g.tl.Events[end].At, 2), Parent: end,
		Payload: map[string]any{"emergency": emg, "holds_personal_information": true, "decision": "seal"}})
	g.add(Event{Type: TypeEmergencyDataSealed, Stream: "emergency/" + emg, Institution: "aba-emergency-management", At: g.later(g.tl.Events[ev].At, 3), Parent: ev,
		Payload: map[string]any{"emergency": emg, "datasets": []string{emg + ".affected-persons"}, "custodian": Authority}})
	g.add(Event{Type: TypeEmergencyAppsShutDown, Stream: "emergency/" + emg, Institution: "jiuzhaigou-county", At: g.later(g.tl.Events[ev].At, 4), Parent: ev,
		Payload: map[string]any{"emergency": emg, "applications": []string{"受灾群众信息登记小程序"}}})

	// Art. 39: an outsourcing contract from signing to the provider's deletion (late, F14).
	ct := "oc-2026-007"
	s := g.add(Event{Type: TypeOutsourcingSigned, Stream: "outsourcing/" + ct, Institution: "maerkang-city", Person: "mek-yang.jin", At: g.at(g.day(0.05)), Parent: -1,
		Payload: map[string]any{"contract": ct, "provider": "四川雪域信息技术有限公司", "provider_uscc": "91513200MA6XXXXX7Q", "scope": "政务服务平台运维",
			"security_review": true, "confidentiality_agreement": true, "systems": []string{"maerkang-city.government-services"}}})
	tm := g.add(Event{Type: TypeOutsourcingTerminated, Stream: "outsourcing/" + ct, Institution: "maerkang-city", Person: "mek-yang.jin", At: g.at(g.day(0.78)), Parent: s,
		Payload: map[string]any{"contract": ct, "reason": "合同期满"}})
	g.add(Event{Type: TypeOutsourcingAccountsRevoked, Stream: "outsourcing/" + ct, Institution: "maerkang-city", At: g.later(g.tl.Events[tm].At, 1), Parent: tm,
		Payload: map[string]any{"contract": ct, "accounts": 6, "method": "revoked"}})
	del := g.add(Event{Type: TypeOutsourcingDeletionEvidenced, Stream: "outsourcing/" + ct, Institution: "maerkang-city", At: g.later(g.tl.Events[tm].At, 27), Parent: tm,
		Payload: map[string]any{"contract": ct, "evidence": "服务商出具的数据删除证明及第三方核验报告", "irreversible": true}})
	g.tl.Violations = append(g.tl.Violations, Violation{del, "F14", "provider's deletion evidenced 27 days after termination (D10: 10 working days)"})

	// Art. 37: security duties; one institution holds no drill this year (F16).
	for i, in := range Institutions {
		st := "institution/" + in.ID
		g.add(Event{Type: TypeSecurityTraining, Stream: st, Institution: in.ID, Person: in.Responsible, At: g.at(g.day(0.2 + 0.01*float64(i))), Parent: -1,
			Payload: map[string]any{"topic": "数据安全与个人信息保护", "attendees": 10 + g.r.IntN(40), "hours": 4}})
		g.add(Event{Type: TypeSecurityBackup, Stream: st, Institution: in.ID, At: g.at(g.day(0.3 + 0.01*float64(i))), Parent: -1,
			Payload: map[string]any{"systems": 1 + g.r.IntN(4), "site": "阿坝州政务云灾备中心", "restore_tested": true}})
		if in.ID == "ruoergai-county" {
			g.tl.Violations = append(g.tl.Violations, Violation{-1, "F16", "ruoergai-county held no incident drill"})
			continue
		}
		g.add(Event{Type: TypeSecurityDrill, Stream: st, Institution: in.ID, At: g.at(g.day(0.6 + 0.01*float64(i))), Parent: -1,
			Payload: map[string]any{"scenario": "数据泄露应急处置", "participants": 5 + g.r.IntN(20)}})
	}

	// F12: an export with no approval; F10: a use outside the granted purpose.
	r := resource("aba-civil-affairs.subsistence-allowance")
	x := g.add(Event{Type: TypeDataExported, Stream: "resource/" + r.ID, Institution: r.Holder, At: g.at(g.day(0.65)), Parent: cat[r.ID],
		Payload: map[string]any{"resource": r.ID, "records": 1320, "destination": "U盘", "format": "xlsx", "reason": "报送上级部门"}})
	g.tl.Violations = append(g.tl.Violations, Violation{x, "F12", "export without the supervising approval"})
	u := g.shareFlow(resource("aba-power-supply.residential-electricity"), "aba-civil-affairs", 0.45, 1)
	g.tl.Events[u].Payload["purpose"] = "商业营销分析"
	g.tl.Violations = append(g.tl.Violations, Violation{u, "F10", "shared data used for a purpose other than the one granted"})
}

// shareFlow adds an application, its grant and uses uses; it returns the last use.
func (g *gen) shareFlow(r *Resource, applicant string, at float64, uses int) int {
	app := g.id("app")
	purpose := r.Purposes[g.r.IntN(len(r.Purposes))]
	fields := r.Fields[:1+g.r.IntN(len(r.Fields))]
	a := g.add(Event{Type: TypeShareApplicationSubmitted, Stream: "share/" + app, Institution: applicant, At: g.at(g.day(at)), Parent: -1,
		Payload: map[string]any{"application": app, "resource": r.ID, "provider": r.Holder, "purpose": purpose, "fields": fields, "sharing_attribute": r.Sharing}})
	wait := 0.1
	if r.Sharing == "conditional" {
		wait = 1 + float64(g.r.IntN(5))
	}
	grant := "g-" + app
	last := g.add(Event{Type: TypeShareGranted, Stream: "share/" + app, Institution: r.Holder, Person: g.inst[r.Holder].Responsible,
		At: g.later(g.tl.Events[a].At, wait), Parent: a,
		Payload: map[string]any{"application": app, "grant": grant, "resource": r.ID, "grantee": applicant, "purpose": purpose, "fields": fields,
			"valid_until": g.end.AddDate(1, 0, 0).In(zone).Format("2006-01-02")}})
	for range uses {
		last = g.add(Event{Type: TypeShareUsed, Stream: "share/" + app, Institution: applicant, At: g.later(g.tl.Events[last].At, 1+float64(g.r.IntN(10))), Parent: last,
			Payload: map[string]any{"grant": grant, "resource": r.ID, "purpose": purpose, "records": 1 + g.r.IntN(500), "system": applicant + ".business-system"}})
	}
	return last
}

// routine adds one everyday flow, chosen by weight, of at most budget events.
func (g *gen) routine(cat map[string]int, budget int) {
	r := &Resources[g.r.IntN(len(Resources))]
	at := 0.05 + 0.85*g.r.Float64()
	switch w := g.r.IntN(100); {
	case w < 40 || budget < 3:
		g.add(Event{Type: TypeDataCollected, Stream: "resource/" + r.ID, Institution: r.Holder, At: g.at(g.day(at)), Parent: cat[r.ID],
			Payload: map[string]any{"resource": r.ID, "records": 1 + g.r.IntN(5000), "purpose": "履行法定职责：" + r.NameZH + "更新",
				"basis": "catalog", "channel": []string{"window", "online", "system"}[g.r.IntN(3)], "identity_verification": "id_document"}})
	case w < 60:
		g.add(Event{Type: TypeDataAggregated, Stream: "resource/" + r.ID, Institution: r.Holder, At: g.at(g.day(at)), Parent: cat[r.ID],
			Payload: map[string]any{"resource": r.ID, "records": 1 + g.r.IntN(20000), "platform": Platform, "batch": g.id("agg"), "mode": "incremental"}})
	case w < 82:
		if r.Sharing == "none" {
			return
		}
		applicant := Institutions[1+g.r.IntN(len(Institutions)-1)].ID
		if applicant == r.Holder {
			return
		}
		g.shareFlow(r, applicant, at, min(1+g.r.IntN(4), budget-2))
	case w < 92:
		ap := g.id("exa")
		a := g.add(Event{Type: TypeExportApproved, Stream: "resource/" + r.ID, Institution: r.Holder, Person: g.inst[r.Holder].Responsible, At: g.at(g.day(at)), Parent: cat[r.ID],
			Payload: map[string]any{"approval": ap, "resource": r.ID, "records_max": 5000, "purpose": "向上级部门报送统计材料", "desensitised_first": r.Personal}})
		g.add(Event{Type: TypeDataExported, Stream: "resource/" + r.ID, Institution: r.Holder, At: g.later(g.tl.Events[a].At, 0.2), Parent: a,
			Payload: map[string]any{"approval": ap, "resource": r.ID, "records": 1 + g.r.IntN(5000), "destination": "政务外网文件交换", "format": "csv"}})
	default:
		if !r.Personal {
			return
		}
		g.add(Event{Type: TypeDataDesensitised, Stream: "resource/" + r.ID, Institution: r.Holder, At: g.at(g.day(at)), Parent: cat[r.ID],
			Payload: map[string]any{"resource": r.ID, "method": []string{"masking", "generalisation", "pseudonymisation"}[g.r.IntN(3)],
				"fields": r.Fields[:2], "records": 1 + g.r.IntN(10000), "approval": g.id("dsa")}})
	}
}

// sort orders events by time, keeping parents' indexes right.
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

// Waves splits events (ordered by time) into groups that may each be appended
// concurrently: an event never shares a wave with, or precedes, its parent. Waves are
// filled to size in time order; an event whose parent is in the wave being filled moves
// to the next one, so waves can exceed size and order within a few waves is by cause
// rather than strictly by time.
func Waves(events []Event, size int) [][]int {
	if size < 1 {
		size = 1
	}
	wave := make([]int, len(events))
	var out [][]int
	cur := 0
	for i, e := range events {
		w := cur
		if e.Parent >= 0 && wave[e.Parent] >= w {
			w = wave[e.Parent] + 1
		}
		for len(out) <= w {
			out = append(out, nil)
		}
		out[w] = append(out[w], i)
		wave[i] = w
		for len(out) > cur && len(out[cur]) >= size {
			cur++
		}
	}
	return out
}

// Summary counts events by type, for the demo's report.
func (tl *Timeline) Summary() map[string]int {
	m := map[string]int{}
	for _, e := range tl.Events {
		m[e.Type]++
	}
	return m
}
