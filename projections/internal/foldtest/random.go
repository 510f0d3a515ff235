package foldtest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Random is a log of about n entries for property tests, the same for the same seed: a
// genesis, the registry of a few institutions (one the authority), their people and
// catalog, then acts of every catalogue type drawn at random, each payload the
// catalogue's example with its ids, dates and flags redrawn from small pools, so that acts
// meet each other (a grant answers an application, an evaluation an emergency, an order
// a finding). Time moves forward over about a year and a half from 2025-01-06; some acts
// are late records, some are migrated history under a declaration, some name days no
// policy covers (problems a fold keeps as notes). The entries carry only what folds read
// (seq, ids, type, times, actor, payload).
func Random(seed uint64, n int) []*ledger.Entry {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), at: time.Date(2025, 1, 6, 9, 0, 0, 0, calendar.CST)}
	g.prelude()
	types := events.All()
	for len(g.log) < n {
		g.tick()
		t := types[g.r.IntN(len(types))]
		if t.Name == events.MigrationDeclaredV1 && g.r.IntN(4) > 0 {
			continue // a few declarations are enough
		}
		g.act(t)
	}
	return g.log
}

// The pools ids are drawn from: small, so that acts name each other.
var (
	institutions = []string{"aba-data-bureau", "aba-health", "aba-police", "aba-civil", "wenchuan-gov", "wenchuan-water", "maerkang-data"}
	resources    = []string{"health.records", "health.stats", "police.households", "civil.aid", "water.meters", "tax.records", "open.weather"}
	persons      = []string{"p-1", "p-2", "p-3", "p-head"}
	purposes     = []string{"低保核验", "医保核验", "统计", "marketing"}
	rules        = []string{"F1", "F3", "F5", "F7", "F9", "F10", "F12", "F14", "F16", "F17", "F18", "F19"}
	// idFields are payload fields naming a case or record, with the pool's prefix.
	idFields = map[string]string{"application": "app", "approval": "apv", "case": "inc", "contract": "ctr", "emergency": "emg",
		"grant": "grt", "order": "rect", "project": "prj", "request": "req", "risk": "req", "cause": "req", "suspension": "sus",
		"party": "np", "migration": "mig", "amendment": "amd", "incident": "sec"}
	// instFields are payload fields naming an institution.
	instFields = []string{"institution", "provider", "approver", "owner", "responsible", "actor_institution", "decided_by"}
	// dateFields are payload fields holding a day.
	dateFields = []string{"arose_on", "ended_on", "held_on", "since", "deadline", "valid_until", "term_until"}
	// flags are payload booleans redrawn at random.
	flags = []string{"passed", "confirmed", "catalog_on_platform", "renewal", "verified"}
	// optional are payload objects dropped at random (an agreement not signed).
	optional = []string{"confidentiality_agreement", "security_commitment", "use_agreement"}
)

type gen struct {
	r        *rand.Rand
	at       time.Time // the recording time, never going back
	log      []*ledger.Entry
	triggers []string // ids of catalog.update_triggered.v1 entries
	migrated []string // institutions a migration declaration covers
}

func (g *gen) pick(pool []string) string { return pool[g.r.IntN(len(pool))] }

func (g *gen) some(pool []string) []string {
	var out []string
	for _, x := range pool {
		if g.r.IntN(3) == 0 {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		out = append(out, g.pick(pool))
	}
	return out
}

func (g *gen) id(prefix string) string { return fmt.Sprintf("%s-%d", prefix, g.r.IntN(6)) }

// tick moves time on: most acts share a day with the one before.
func (g *gen) tick() {
	switch d := g.r.IntN(100); {
	case d < 30:
		g.at = g.at.Add(24 * time.Hour)
	case d < 32:
		g.at = g.at.Add(10 * 24 * time.Hour)
	default:
		g.at = g.at.Add(time.Duration(g.r.IntN(40)) * time.Minute)
	}
}

// eventID is a UUIDv7-like id, and now and then one that is not a UUID.
func (g *gen) eventID() string {
	if g.r.IntN(50) == 0 {
		return fmt.Sprintf("odd-id-%d", len(g.log))
	}
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	b[6], b[8] = 0x70|b[6]&0x0f, 0x80|b[8]&0x3f
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// add appends an act by inst recorded now and claiming claimed.
func (g *gen) add(typ, inst string, claimed time.Time, payload any) *ledger.Entry {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("foldtest: %v", err)) // the generator's own values: a bug here
	}
	e := &ledger.Entry{Seq: uint64(len(g.log)), RecordedAt: g.at.UTC().Format(time.RFC3339Nano), StreamVersion: 1,
		Submission: ledger.Submission{ID: g.eventID(), Stream: "random/" + typ, Type: typ, OccurredAt: claimed.Format(time.RFC3339Nano),
			Actor: ledger.Actor{Institution: inst, Person: g.pick(persons), KeyID: "k-" + inst}, Payload: raw}}
	g.log = append(g.log, e)
	return e
}

// prelude registers the institutions, their people and the catalog.
func (g *gen) prelude() {
	g.add(ledger.TypeInitialized, "aba-data-bureau", g.at, ledger.GenesisPayload{Authority: institutions[0], Origin: "random"})
	for i, inst := range institutions {
		level, county := "prefecture", ""
		if strings.HasPrefix(inst, "wenchuan") || strings.HasPrefix(inst, "maerkang") {
			level, county = "county", strings.Split(inst, "-")[0]
		}
		g.add(events.InstitutionRegisteredV1, institutions[0], g.at, map[string]any{"institution": inst, "name_zh": inst + "（中文）", "name_en": inst,
			"level": level, "kind": "organ", "county": county, "data_authority": i == 0 || inst == "maerkang-data"})
	}
	for _, inst := range institutions {
		for _, p := range persons {
			g.add(events.PersonRegisteredV1, inst, g.at, map[string]any{"person": p, "name": "某某", "title": "科员 " + p})
		}
	}
	for i, res := range resources {
		g.add(events.CatalogEntryRegisteredV1, institutions[1+i%(len(institutions)-1)], g.at, map[string]any{"resource": res, "title_zh": res, "title_en": res,
			"responsible": institutions[1+i%(len(institutions)-1)], "sharing": map[string]any{"attribute": g.pick([]string{"unconditional", "conditional", "none"})},
			"opening": map[string]any{"attribute": "none"}, "system": "sys." + res})
	}
}

// act records one act of type t: its example payload with ids, days and flags redrawn,
// by a random institution (the authority for the authority's acts), claiming a day as an
// official would: the same day mostly, sometimes too late (a late record) or as
// declared history (migrated).
func (g *gen) act(t *events.Type) {
	var p map[string]any
	raw, _ := json.Marshal(t.Example)
	_ = json.Unmarshal(raw, &p)
	inst := g.pick(institutions[1:])
	if t.Authority || t.Signer == ledger.RoleRoot || g.r.IntN(10) == 0 {
		inst = institutions[0]
	}
	claimed := g.at.Add(-time.Duration(g.r.IntN(90)) * time.Minute)
	switch d := g.r.IntN(100); {
	case d < 6:
		claimed = g.at.Add(-time.Duration(3+g.r.IntN(40)) * 24 * time.Hour) // a late record
	case d < 10 && len(g.migrated) > 0:
		inst = g.pick(g.migrated)
		claimed = time.Date(2025, 1, 2+g.r.IntN(20), 10, 0, 0, 0, calendar.CST) // history under a declaration
	case d < 11 && g.r.IntN(5) == 0:
		claimed = time.Date(2024, 12, 2, 10, 0, 0, 0, calendar.CST) // before any policy
	}
	g.redraw(t.Name, p, claimed)
	if t.Name == events.MigrationDeclaredV1 {
		g.migrated = g.some(institutions[1:])
		p["institutions"], p["claimed_from"], p["claimed_until"] = g.migrated, "2025-01-01", "2025-01-31"
		p["window_from"], p["window_until"] = g.at.Add(-time.Hour).Format(time.RFC3339), g.at.Add(20*24*time.Hour).Format(time.RFC3339)
		inst = institutions[0]
	}
	e := g.add(t.Name, inst, claimed, p)
	if t.Name == events.CatalogUpdateTriggeredV1 {
		g.triggers = append(g.triggers, e.Submission.ID)
	}
}

// redraw replaces the example's ids, days and flags with draws from the pools.
func (g *gen) redraw(typ string, p map[string]any, claimed time.Time) {
	day := calendar.DateOf(claimed)
	for k, v := range p {
		switch {
		case k == "resource" || k == "other_resource" || k == "output" && g.r.IntN(2) == 0:
			p[k] = g.pick(resources)
		case k == "resources" || k == "duplicates" || k == "data":
			p[k] = g.some(resources)
		case idFields[k] != "":
			p[k] = g.id(idFields[k])
		case slices.Contains(instFields, k) || k == "source" && typ == events.CatalogSourceDesignatedV1 || k == "to" && typ == events.DataTransmittedV1:
			p[k] = g.pick(institutions)
		case k == "person" || k == "approved_by" || k == "actor_person":
			p[k] = g.pick(persons)
		case slices.Contains(dateFields, k):
			p[k] = g.day(day).String()
		case slices.Contains(flags, k):
			p[k] = g.r.IntN(3) > 0
		case slices.Contains(optional, k) && g.r.IntN(3) == 0:
			delete(p, k)
		case k == "records" || k == "provider_staff":
			p[k] = 1 + g.r.IntN(500)
		case k == "purposes":
			p[k] = g.some(purposes)
		case k == "purpose":
			p[k] = g.pick(purposes)
		case k == "disposition":
			p[k] = g.pick([]string{"seal", "destroy", "retain"})
		case k == "acts":
			p[k] = g.some([]string{"copy", "export", "desensitise", "modify", "delete"})
		case k == "findings":
			p[k] = g.some(rules)
		case k == "verification":
			p[k] = g.some([]string{"id_document", "biometric"})
		case k == "trigger" && typ == events.CatalogEntryUpdatedV1 && len(g.triggers) > 0:
			p[k] = g.pick(g.triggers)
		case k == "evidence" && typ == events.RectificationOrderedV1 && len(g.log) > 0:
			p[k] = []string{g.log[g.r.IntN(len(g.log))].Submission.ID}
		case k == "sharing":
			if m, ok := v.(map[string]any); ok {
				m["attribute"] = g.pick([]string{"unconditional", "conditional", "none"})
			}
		}
	}
}

// day is a day near d as a payload names one (a deadline ahead, a start behind), now
// and then one no policy or calendar covers, or none at all.
func (g *gen) day(d calendar.Date) calendar.Date {
	switch x := g.r.IntN(100); {
	case x < 2:
		return calendar.Date{Year: 2024, Month: 3, Day: 1}
	case x < 3:
		return calendar.Date{Year: 2031, Month: 1, Day: 1}
	case x < 4:
		return calendar.Date{}
	}
	return d.AddDays(g.r.IntN(30) - 8)
}

// Checksummed is data with its last four bytes replaced by the CRC-32C a model's
// snapshot closes with, so that a fuzzer's bytes reach the decoders behind the check.
func Checksummed(data []byte) []byte {
	if len(data) < 4 {
		return data
	}
	body := data[:len(data)-4]
	return binary.BigEndian.AppendUint32(slices.Clone(body), crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}
