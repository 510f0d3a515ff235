package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

const (
	authority = ledgertest.Authority
	health    = "aba-health"
	police    = "aba-police"
	civil     = "aba-civil"
)

type world struct {
	f   *ledgertest.Fixture
	st  ledger.Store
	l   *ledger.Ledger
	chk *commands.Checker
	h   *commands.Handler
}

// newWorld opens a real ledger on a bbolt store with the commands' checker wired in as
// ledgerd wires it, and registers keys for the authority and three institutions.
func newWorld(t *testing.T) *world {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	chk := commands.NewChecker(registry.New(), f.LedgerKey, nil)
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	for _, inst := range []string{authority, health, police, civil} {
		f.Enrol(t, l, inst)
	}
	return &world{f: f, st: st, l: l, chk: chk, h: &commands.Handler{Ledger: l, Checker: chk}}
}

func (w *world) submit(t *testing.T, inst, typ string, p events.Payload) (ledger.Receipt, error) {
	t.Helper()
	return w.h.Submit(context.Background(), w.f.Key(inst), commands.Command{Type: typ, Institution: inst, Person: "p-0001", Payload: p})
}

func (w *world) must(t *testing.T, inst, typ string, p events.Payload) {
	t.Helper()
	if _, err := w.submit(t, inst, typ, p); err != nil {
		t.Fatalf("%s by %s: %v", typ, inst, err)
	}
}

func (w *world) size(t *testing.T) uint64 {
	h, err := w.st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}

func entry(resource, holder string) *events.CatalogEntryRegistered {
	e := events.All()[6].Example.(*events.CatalogEntryRegistered) // catalog.entry_registered.v1
	c := *e
	c.Resource, c.Responsible = resource, holder
	return &c
}

// seed: a catalog entry held by health and a share application by police.
func (w *world) seed(t *testing.T) {
	w.must(t, health, "catalog.entry_registered.v1", entry("health.appointments", health))
	w.must(t, police, "share.application_submitted.v1", &events.ShareApplicationSubmitted{Application: "shr-1", Resource: "health.appointments",
		Provider: health, Purposes: []string{"户籍核验"}, Duty: "户籍管理"})
}

// TestBadInput: each payload is refused at the door with a problem naming the field and
// the article, and nothing is written.
func TestBadInput(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	cat := `"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[{"name":"n","format":"string"}],"update_period":"daily","usage_requirements":"u"`
	sharing := `"sharing":{"attribute":"unconditional","method":"api"}`
	opening := `"opening":{"attribute":"unconditional"}`
	tests := []struct {
		name, typ, stream, body, field, article string
	}{
		{"conditional sharing without reason", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,"sharing":{"attribute":"conditional","method":"api","conditions":"c"},` + opening + `}`, "sharing.reason", "第二十四条"},
		{"conditional sharing without conditions", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,"sharing":{"attribute":"conditional","method":"api","reason":"r"},` + opening + `}`, "sharing.conditions", "第二十四条"},
		{"no sharing without legal basis", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,"sharing":{"attribute":"none"},` + opening + `}`, "sharing.legal_basis", "第二十四条"},
		{"sharing attribute outside the set", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,"sharing":{"attribute":"sometimes"},` + opening + `}`, "sharing.attribute", "第二十四条"},
		{"sharing method missing", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,"sharing":{"attribute":"unconditional"},` + opening + `}`, "sharing.method", "第十四条"},
		{"opening attribute missing", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,` + sharing + `,"opening":{}}`, "opening.attribute", "第三十条"},
		{"conditional opening without conditions", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,` + sharing + `,"opening":{"attribute":"conditional"}}`, "opening.conditions", "第三十条"},
		{"personal data opened", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[{"name":"id","format":"string","sensitive":["personal_information"]}],"update_period":"daily","usage_requirements":"u",` + sharing + `,` + opening + `}`, "opening.attribute", "第三十条"},
		{"classification missing", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","responsible":"aba-health","formats":["json"],"items":[{"name":"n","format":"s"}],"update_period":"daily","usage_requirements":"u",` + sharing + `,` + opening + `}`, "classification", "第十四条"},
		{"update period missing", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[{"name":"n","format":"s"}],"usage_requirements":"u",` + sharing + `,` + opening + `}`, "update_period", "第十四条"},
		{"update period outside the set", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[{"name":"n","format":"s"}],"update_period":"fortnightly","usage_requirements":"u",` + sharing + `,` + opening + `}`, "update_period", "第十四条"},
		{"attributes missing", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[],"update_period":"daily","usage_requirements":"u",` + sharing + `,` + opening + `}`, "items", "第十四条"},
		{"formats missing", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","items":[{"name":"n","format":"s"}],"update_period":"daily","usage_requirements":"u",` + sharing + `,` + opening + `}`, "formats", "第十四条"},
		{"unknown field", "catalog.entry_registered.v1", "resource/r1", `{` + cat + `,` + sharing + `,` + opening + `,"colour":"red"}`, "colour", "第十四条"},
		{"bad resource id", "catalog.entry_registered.v1", "resource/r1", `{"resource":"Bad ID","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[{"name":"n","format":"s"}],"update_period":"daily","usage_requirements":"u",` + sharing + `,` + opening + `}`, "resource", "第十四条"},
		{"usage requirements missing", "catalog.entry_registered.v1", "resource/r1", `{"resource":"r1","title_zh":"t","classification":"c","responsible":"aba-health","formats":["json"],"items":[{"name":"n","format":"s"}],"update_period":"daily",` + sharing + `,` + opening + `}`, "usage_requirements", "第十四条"},
		{"reclassify none without desensitisation or consent", "catalog.opening_reclassified.v1", "resource/health.appointments", `{"resource":"health.appointments","from":"none","to":"conditional","reason":"r"}`, "desensitisation", "第三十条第二款"},
		{"reclassify to the same", "catalog.opening_reclassified.v1", "resource/health.appointments", `{"resource":"health.appointments","from":"none","to":"none","reason":"r"}`, "to", "第三十条"},
		{"update trigger without day", "catalog.update_triggered.v1", "catalog/aba-health", `{"trigger":"law_changed","description":"d"}`, "arose_on", "第十六条"},
		{"update trigger outside the set", "catalog.update_triggered.v1", "catalog/aba-health", `{"trigger":"whim","arose_on":"2025-01-02","description":"d"}`, "trigger", "第十六条"},
		{"update report without report", "catalog.update_reported.v1", "catalog/aba-health", `{"resources":["r1"],"authority":"aba-data-bureau"}`, "report", "第十六条"},
		{"designation lists itself", "catalog.source_designated.v1", "resource/r1", `{"resource":"r1","source":"aba-police","duplicates":["r1"],"description":"d"}`, "duplicates", "第十四条第二款"},
		{"collection of no records", "data.collected.v1", "resource/r1", `{"resource":"r1","records":0,"purpose":"p","legal_basis":"b"}`, "records", "第十七条"},
		{"collection without purpose", "data.collected.v1", "resource/r1", `{"resource":"r1","records":1,"legal_basis":"b"}`, "purpose", "第十七条"},
		{"collection records as text", "data.collected.v1", "resource/r1", `{"resource":"r1","records":"many","purpose":"p","legal_basis":"b"}`, "records", "第十七条"},
		{"collection without legal basis", "data.collected.v1", "resource/r1", `{"resource":"r1","records":1,"purpose":"p"}`, "legal_basis", "第十七条"},
		{"verification outside the set", "data.collected.v1", "resource/r1", `{"resource":"r1","records":1,"purpose":"p","legal_basis":"b","verification":["palm"]}`, "verification[0]", "第十八条"},
		{"aggregation target outside the set", "data.aggregated.v1", "resource/r1", `{"resource":"r1","records":1,"target":"lake","database":"d"}`, "target", "第十八条"},
		{"export without destination", "data.exported.v1", "resource/r1", `{"resource":"r1","records":1,"reason":"r","format":"csv"}`, "destination", "第三十七条第(五)项"},
		{"export of no records", "data.exported.v1", "resource/r1", `{"resource":"r1","records":0,"reason":"r","format":"csv","destination":"d"}`, "records", "第三十七条第(五)项"},
		{"desensitisation without method", "data.desensitised.v1", "resource/r1", `{"resource":"r1","records":1,"reason":"r"}`, "method", "第三十七条第(五)项"},
		{"copy without reason", "data.copied.v1", "resource/r1", `{"resource":"r1","records":1,"destination":"d"}`, "reason", "第三十七条第(五)项"},
		{"deletion without reason", "data.deleted.v1", "resource/r1", `{"resource":"r1","records":1}`, "reason", "第四十一条第(八)项"},
		{"modification with bad approval id", "data.modified.v1", "resource/r1", `{"resource":"r1","records":1,"reason":"r","approval":"APV 1"}`, "approval", "第四十一条第(八)项"},
		{"more corrected than found", "data.quality_checked.v1", "resource/r1", `{"resource":"r1","errors_found":1,"corrected":2}`, "corrected", "第二十条"},
		{"transmission without receiver", "data.transmitted.v1", "resource/r1", `{"resource":"r1","records":1,"system":"s","purpose":"p","encrypted":true}`, "to", "第二条"},
		{"share application without purposes", "share.application_submitted.v1", "share/a1", `{"application":"a1","resource":"r1","provider":"aba-health","purposes":[],"duty":"d"}`, "purposes", "第二十七条"},
		{"share application with a blank purpose", "share.application_submitted.v1", "share/a1", `{"application":"a1","resource":"r1","provider":"aba-health","purposes":[" "],"duty":"d"}`, "purposes[0]", "第二十七条"},
		{"share grant without grant id", "share.granted.v1", "share/shr-1", `{"application":"shr-1","purposes":["p"]}`, "grant", "第二十五条"},
		{"share grant with bad date", "share.granted.v1", "share/shr-1", `{"application":"shr-1","grant":"g1","purposes":["p"],"valid_until":"next year"}`, "valid_until", "第二十五条"},
		{"share refusal without reason", "share.refused.v1", "share/shr-1", `{"application":"shr-1"}`, "reason", "第二十五条"},
		{"use of shared data without purpose", "share.data_used.v1", "resource/r1", `{"resource":"r1","grant":"g1","records":1}`, "purpose", "第二十七条"},
		{"offline sharing without reason", "share.data_obtained.v1", "resource/r1", `{"resource":"r1","records":1,"channel":"offline"}`, "offline_reason", "第二十五条第三款"},
		{"sharing channel outside the set", "share.data_obtained.v1", "resource/r1", `{"resource":"r1","records":1,"channel":"carrier-pigeon"}`, "channel", "第二十五条"},
		{"publishing data classed none", "opening.published.v1", "resource/health.appointments", `{"resource":"health.appointments","attribute":"none","zone":"prefecture","dataset":"d"}`, "attribute", "第三十条"},
		{"applicant kind outside the set", "opening.application_submitted.v1", "opening/o1", `{"application":"o1","resource":"r1","party":"org-1","party_kind":"robot","purpose":"p"}`, "party_kind", "第四十二条"},
		{"commitment with bad digest", "opening.granted.v1", "opening/o1", `{"application":"o1","party":"org-1","security_commitment":{"id":"sc","sm3":"abc"}}`, "security_commitment.sm3", "第三十二条"},
		{"withdrawal outcome outside the set", "opening.withdrawal_answered.v1", "resource/health.appointments", `{"request":"w1","resource":"health.appointments","outcome":"ignored","notified":true}`, "outcome", "第三十三条"},
		{"suspension of opening without cause", "opening.suspended.v1", "resource/health.appointments", `{"resource":"health.appointments","reason":"r"}`, "cause", "第三十三条"},
		{"development by a natural person", "development.qualification_applied.v1", "development/d1", `{"application":"d1","party":"np-1","party_kind":"natural_person","purpose":"p","technical_capacity":"t","security_management":"s"}`, "party_kind", "第三十五条"},
		{"qualification without revenue agreement", "development.qualification_granted.v1", "development/d1", `{"application":"d1","party":"org-1","security_agreement":{"id":"s"}}`, "revenue_agreement", "第三十五条"},
		{"emergency kind outside the set", "emergency.declared.v1", "emergency/e1", `{"emergency":"e1","kind":"drought-ish","title":"t","legal_basis":"b"}`, "kind", "第二十一条"},
		{"sensitive emergency data retained", "emergency.data_evaluated.v1", "emergency/e1", `{"emergency":"e1","resource":"r1","categories":["privacy"],"disposition":"retain"}`, "disposition", "第二十一条第二款"},
		{"emergency end with bad date", "emergency.ended.v1", "emergency/e1", `{"emergency":"e1","ended_on":"2025-13-01"}`, "ended_on", "第二十一条第二款"},
		{"contract end reason outside the set", "outsourcing.contract_terminated.v1", "outsourcing/c1", `{"contract":"c1","provider":"p1","reason":"bored","ended_on":"2025-01-02"}`, "reason", "第三十九条"},
		{"no accounts revoked", "outsourcing.accounts_revoked.v1", "outsourcing/c1", `{"contract":"c1","action":"revoked","accounts":0}`, "accounts", "第三十九条"},
		{"deletion method outside the set", "outsourcing.provider_deletion_evidenced.v1", "outsourcing/c1", `{"contract":"c1","method":"recycle-bin","evidence":{"id":"e"}}`, "method", "第三十九条"},
		{"deletion without evidence", "outsourcing.provider_deletion_evidenced.v1", "outsourcing/c1", `{"contract":"c1","method":"overwrite"}`, "evidence", "第三十九条第二款"},
		{"security review without report", "outsourcing.security_reviewed.v1", "outsourcing/c1", `{"contract":"c1","provider":"p1","passed":true}`, "report", "第三十九条"},
		{"contract without systems", "outsourcing.contract_signed.v1", "outsourcing/c1", `{"contract":"c1","provider":"p1","scope":"s","systems":[],"liability_defined":true}`, "systems", "第三十九条"},
		{"correction outcome outside the set", "correction.completed.v1", "correction/c1", `{"request":"c1","outcome":"maybe","result":"r","notified":true}`, "outcome", "第二十条"},
		{"extension without approver", "correction.extended.v1", "correction/c1", `{"request":"c1","reason":"r"}`, "approved_by", "第二十条第二款"},
		{"subject request kind outside the set", "subject_request.received.v1", "subject_request/s1", `{"request":"s1","kind":"gossip","party":"np-1","party_kind":"natural_person"}`, "kind", "第二十二条"},
		{"rectification for an unknown finding", "rectification.ordered.v1", "rectification/o1", `{"order":"o1","institution":"aba-health","findings":["F99"],"items":[9],"deadline":"2025-07-01"}`, "findings[0]", "第四十一条"},
		{"rectification item beyond Art. 41", "rectification.ordered.v1", "rectification/o1", `{"order":"o1","institution":"aba-health","findings":["F12"],"items":[12],"deadline":"2025-07-01"}`, "items[0]", "第四十一条"},
		{"rectification without deadline", "rectification.ordered.v1", "rectification/o1", `{"order":"o1","institution":"aba-health","findings":["F12"],"items":[9]}`, "deadline", "第四十一条"},
		{"suspension ground outside Art. 42", "access.suspended.v1", "access/org-1", `{"suspension":"s1","party":"org-1","party_kind":"legal_person","ground":"dislike","reason":"r","correction":"c"}`, "ground", "第四十二条"},
		{"suspension without correction", "access.suspended.v1", "access/org-1", `{"suspension":"s1","party":"org-1","party_kind":"legal_person","ground":"no_security_measures","reason":"r"}`, "correction", "第四十二条"},
		{"approval for an act outside the set", "security.approval_granted.v1", "security/aba-health", `{"approval":"a1","resource":"r1","acts":["print"],"approved_by":"p","purpose":"x","valid_until":"2025-12-31"}`, "acts[0]", "第三十七条第(五)项"},
		{"training with nobody", "security.training_held.v1", "security/aba-health", `{"held_on":"2025-04-01","topic":"t","participants":0}`, "participants", "第三十七条第(四)项"},
		{"drill without plan", "security.drill_held.v1", "security/aba-health", `{"held_on":"2025-04-01","scenario":"s","participants":3}`, "plan", "第三十七条第(八)项"},
		{"incident with bad time", "security.incident_reported.v1", "security/aba-health", `{"incident":"i1","severity":"s","description":"d","discovered_at":"yesterday"}`, "discovered_at", "第三十七条第(六)项"},
		{"post outside the set", "person.post_assigned.v1", "institution/aba-health", `{"person":"p1","post":"janitor","since":"2025-01-01"}`, "post", "第三十七条第(三)项"},
		{"acceptance without report", "project.accepted.v1", "project/pr1", `{"project":"pr1","report_filed":true,"catalog_on_platform":true}`, "report", "第十三条"},
		{"approval without document number", "project.approved.v1", "project/pr1", `{"project":"pr1","approver":"aba-drc"}`, "approval_ref", "第十二条"},
	}
	if len(tests) < 60 {
		t.Fatalf("only %d bad-input cases", len(tests))
	}
	k := w.f.Key(health)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.size(t)
			sub := ledgertest.Submission(health, k.Public().ID(), tt.stream, tt.typ, map[string]any{})
			sub.Payload = []byte(tt.body)
			_, err := w.l.Append(context.Background(), ledgertest.Sign(t, k, sub))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ledger.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid (HTTP 400)", err)
			}
			found := false
			for _, p := range ledger.Problems(err) {
				if p.Field == commands.PayloadPrefix+tt.field {
					found = true
					if en, zh := p.Text(); !strings.Contains(en, tt.article) || !strings.Contains(zh, tt.article) {
						t.Errorf("problem on %s does not cite %s: %q / %q", p.Field, tt.article, en, zh)
					}
				}
			}
			if !found {
				t.Errorf("no problem names submission.payload.%s: %v", tt.field, err)
			}
			if after := w.size(t); after != before {
				t.Errorf("%d entries written", after-before)
			}
		})
	}
	ledgertest.MustVerify(t, w.st)
}

// TestCommandValidateCollectsEverything: Validate reports every problem, not the first.
func TestCommandValidateCollectsEverything(t *testing.T) {
	c := commands.Command{Type: "catalog.entry_registered.v1", Payload: &events.CatalogEntryRegistered{CatalogEntry: events.CatalogEntry{
		Resource: "r1", Sharing: events.Sharing{Attribute: domain.SharingConditional}}}}
	ps := ledger.Problems(c.Validate())
	fields := map[string]bool{}
	for _, p := range ps {
		fields[p.Field] = true
	}
	for _, f := range []string{"payload.sharing.reason", "payload.sharing.conditions", "payload.classification", "payload.opening.attribute", "payload.update_period"} {
		if !fields[f] {
			t.Errorf("no problem for %s among %d", f, len(ps))
		}
	}
}

func errCode(err error) string {
	var p *ledger.Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

// TestAuthorisationMatrix: acts only the authority may do, answers only the holder may
// give, and a suspended party's acts refused with the refusal recorded.
func TestAuthorisationMatrix(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	authorityOnly := []string{}
	for _, typ := range events.All() {
		if typ.Authority {
			authorityOnly = append(authorityOnly, typ.Name)
		}
	}
	if len(authorityOnly) < 7 {
		t.Fatalf("only %d authority-only types", len(authorityOnly))
	}
	for _, name := range authorityOnly {
		t.Run("authority only/"+name, func(t *testing.T) {
			typ, _ := events.Lookup(name)
			before := w.size(t)
			_, err := w.submit(t, health, name, typ.Example)
			if !errors.Is(err, ledger.ErrUnauthorized) || errCode(err) != "not_authority" {
				t.Fatalf("%s by an institution: %v", name, err)
			}
			if w.size(t) != before {
				t.Error("something was written")
			}
		})
	}
	t.Run("authority designates a source", func(t *testing.T) {
		w.must(t, authority, "catalog.source_designated.v1", &events.SourceDesignated{Resource: "health.appointments", Source: health, Duplicates: []string{"civil.appointments"}, Description: "d"})
	})
	t.Run("non-holder answers a share application", func(t *testing.T) {
		_, err := w.submit(t, civil, "share.granted.v1", &events.ShareGranted{Application: "shr-1", Grant: "g1", Purposes: []string{"户籍核验"}})
		if !errors.Is(err, ledger.ErrUnauthorized) || errCode(err) != "not_answerer" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("applicant answers its own application", func(t *testing.T) {
		_, err := w.submit(t, police, "share.granted.v1", &events.ShareGranted{Application: "shr-1", Grant: "g1", Purposes: []string{"户籍核验"}})
		if errCode(err) != "not_answerer" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("answer to an unknown application", func(t *testing.T) {
		_, err := w.submit(t, health, "share.refused.v1", &events.ShareRefused{Application: "shr-404", Reason: "r"})
		if !errors.Is(err, ledger.ErrInvalid) || errCode(err) != "unknown_share" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("holder answers, once", func(t *testing.T) {
		w.must(t, health, "share.granted.v1", &events.ShareGranted{Application: "shr-1", Grant: "g1", Purposes: []string{"户籍核验"}})
		_, err := w.submit(t, health, "share.refused.v1", &events.ShareRefused{Application: "shr-1", Reason: "r"})
		if !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("second answer: %v", err)
		}
	})
	t.Run("non-holder updates a catalog entry", func(t *testing.T) {
		e := entry("health.appointments", health)
		_, err := w.submit(t, civil, "catalog.entry_updated.v1", &events.CatalogEntryUpdated{CatalogEntry: e.CatalogEntry, Change: "c"})
		if errCode(err) != "not_holder" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("catalog entry registered twice", func(t *testing.T) {
		_, err := w.submit(t, health, "catalog.entry_registered.v1", entry("health.appointments", health))
		if !errors.Is(err, ledger.ErrConflict) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("opening none without reclassification", func(t *testing.T) {
		e := entry("health.appointments", health)
		e.Opening = events.Opening{Attribute: domain.OpeningUnconditional}
		e.Items = e.Items[:2]
		_, err := w.submit(t, health, "catalog.entry_updated.v1", &events.CatalogEntryUpdated{CatalogEntry: e.CatalogEntry, Change: "c"})
		if errCode(err) != "opening_change" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("late and out-of-catalog acts are recorded as facts", func(t *testing.T) {
		w.must(t, police, "data.collected.v1", &events.DataCollected{Resource: "not.in.catalog", Records: 3, Purpose: "p", LegalBasis: "b"})
		w.must(t, police, "share.data_used.v1", &events.ShareDataUsed{Resource: "health.appointments", Grant: "g1", Purpose: "另作他用", Records: 1})
		w.must(t, health, "data.exported.v1", &events.DataExported{Supervised: events.Supervised{Resource: "health.appointments", Records: 3, Reason: "r"}, Destination: "d", Format: "csv"})
	})

	// Suspensions: an institution, and an external party.
	w.must(t, authority, "access.suspended.v1", &events.AccessSuspended{Suspension: "sus-1", Party: police, PartyKind: domain.PartyLegalPerson, Ground: domain.GroundPlatformRules, Reason: "r", Correction: "c"})
	w.must(t, authority, "access.suspended.v1", &events.AccessSuspended{Suspension: "sus-2", Party: "org-1", PartyKind: domain.PartyLegalPerson, Ground: domain.GroundNoSecurity, Reason: "r", Correction: "c"})

	refusals := func() int {
		n := 0
		for _, party := range []string{police, "org-1"} {
			_ = w.st.Stream(context.Background(), commands.RefusalStream(party), 1, func(r ledger.RawEntry) error {
				e, err := ledger.ParseEntry(r.Bytes)
				if err == nil && e.Submission.Type == commands.TypeAccessRefused {
					n++
				}
				return nil
			})
		}
		return n
	}
	t.Run("suspended institution's act refused and recorded", func(t *testing.T) {
		k := w.f.Key(police)
		sub := ledgertest.Submission(police, k.Public().ID(), "resource/health.appointments", "share.data_used.v1",
			events.ShareDataUsed{Resource: "health.appointments", Grant: "g1", Purpose: "户籍核验", Records: 1})
		s := ledgertest.Sign(t, k, sub)
		_, err := w.l.Append(context.Background(), s)
		if !errors.Is(err, ledger.ErrUnauthorized) || errCode(err) != "access_suspended" {
			t.Fatalf("got %v", err)
		}
		if n := refusals(); n != 1 {
			t.Fatalf("%d refusal records, want 1", n)
		}
		// Re-sending the same refused submission records nothing more.
		if _, err := w.l.Append(context.Background(), s); errCode(err) != "access_suspended" {
			t.Fatalf("re-send: %v", err)
		}
		if n := refusals(); n != 1 {
			t.Fatalf("%d refusal records after re-send, want 1", n)
		}
	})
	t.Run("suspended party cannot obtain open data", func(t *testing.T) {
		_, err := w.submit(t, health, "opening.data_obtained.v1", &events.OpeningDataObtained{Resource: "health.appointments",
			Party: events.Party{Party: "org-1", PartyKind: domain.PartyLegalPerson}, Records: 1})
		if errCode(err) != "access_suspended" {
			t.Fatalf("got %v", err)
		}
		if n := refusals(); n != 2 {
			t.Fatalf("%d refusal records, want 2", n)
		}
	})
	t.Run("suspended institution may still do its duties", func(t *testing.T) {
		w.must(t, police, "security.training_held.v1", &events.TrainingHeld{HeldOn: "2025-04-01", Topic: "t", Participants: 3})
	})
	t.Run("access restored", func(t *testing.T) {
		_, err := w.submit(t, authority, "access.restored.v1", &events.AccessRestored{Suspension: "sus-9", Party: police, Reason: "r"})
		if errCode(err) != "unknown_suspension" {
			t.Fatalf("unknown suspension: %v", err)
		}
		w.must(t, authority, "access.restored.v1", &events.AccessRestored{Suspension: "sus-1", Party: police, Reason: "已改正"})
		w.must(t, police, "share.data_used.v1", &events.ShareDataUsed{Resource: "health.appointments", Grant: "g1", Purpose: "户籍核验", Records: 1})
	})
	t.Run("registry acts by the root key", func(t *testing.T) {
		if _, err := w.h.Submit(context.Background(), w.f.RootKey, commands.Command{Type: "institution.registered.v1", Institution: authority, Person: ledgertest.Person,
			Payload: &events.InstitutionRegistered{Institution: "maerkang-data", NameZH: "马尔康市数据局", Level: domain.LevelCounty, Kind: domain.KindOrgan, County: "maerkang", DataAuthority: true}}); err != nil {
			t.Fatal(err)
		}
		if !w.chk.State().IsAuthority("maerkang-data") {
			t.Error("a county authority registered with data_authority is not an authority")
		}
	})
	ledgertest.MustVerify(t, w.st)
}

// TestExpectedVersionRetry: concurrent acts on one stream all land, in some order, each
// with the stream version it was checked against.
func TestExpectedVersionRetry(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.h.Submit(context.Background(), w.f.Key(health), commands.Command{Type: "data.stored.v1", Institution: health, Person: ledgertest.Person,
				Payload: &events.DataStored{DataHandled: events.DataHandled{Resource: "health.appointments", Records: 1, System: "s", Purpose: "p"}}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if !errors.Is(err, ledger.ErrConflict) {
				t.Errorf("unexpected error: %v", err)
			}
		}
	}
	vs, _ := w.st.StreamVersions(context.Background(), []string{"resource/health.appointments"})
	if got := vs["resource/health.appointments"]; got != uint64(1+n-failed) {
		t.Errorf("stream at version %d with %d failures", got, failed)
	}
	if failed > n/2 {
		t.Errorf("%d of %d gave up after bounded retries", failed, n)
	}
}
