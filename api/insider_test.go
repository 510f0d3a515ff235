package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/privacy"
)

// The insider-attack suite (issue "Trusted acts"): an institution holding only its own
// valid key and tokens tries, over real HTTP on a real ledger wired as ledgerd wires it,
// every attack found against the earlier write side. Each case asserts the status and
// code, that nothing was written, and that the victim's data still reads.

const (
	victim   = "aba-health-commission"
	attacker = "aba-civil-affairs"
)

type insiderEnv struct {
	t      *testing.T
	f      *ledgertest.Fixture
	st     ledger.Store
	l      *ledger.Ledger
	ks     *privacy.DirStore
	sh     *privacy.Shredder
	srv    *httptest.Server
	tokens map[string]string
}

func newInsiderEnv(t *testing.T, writeToken bool) *insiderEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kek, _ := privacy.GenerateKEKFile(filepath.Join(dir, "kek"))
	ks, err := privacy.OpenDirStore(filepath.Join(dir, "ks"), kek)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := privacy.NewShredder(privacy.ShredderConfig{Keys: ks, Store: st, PositionFile: filepath.Join(dir, "shred.pos"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	chk := commands.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{Limits: testLimits}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	for _, inst := range []string{ledgertest.Authority, victim, attacker} {
		f.Enrol(t, l, inst)
	}
	e := &insiderEnv{t: t, f: f, st: st, l: l, ks: ks, sh: sh, tokens: map[string]string{}}
	file := &auth.File{}
	for _, c := range []struct {
		who  string
		role auth.Role
		inst string
	}{{"officer", auth.RoleSecurityOfficer, ""}, {victim, auth.RoleInstitution, victim}, {attacker, auth.RoleInstitution, attacker}} {
		tok, cred, err := auth.NewToken(c.role, c.inst, "p-"+c.who, time.Time{}, cheapKDF)
		if err != nil {
			t.Fatal(err)
		}
		file.Add(cred)
		e.tokens[c.who] = tok
	}
	credPath := filepath.Join(dir, "tokens.json")
	if err := auth.WriteFile(credPath, file); err != nil {
		t.Fatal(err)
	}
	authn, _ := auth.OpenAuthenticator(credPath, nil)
	audit, _ := auth.OpenAuditLog(filepath.Join(dir, "audit.jsonl"), auth.AuditOptions{NoSync: true})
	t.Cleanup(func() { audit.Close() })
	mw, err := api.NewAccess(api.Access{Ledger: l, Authenticator: authn, Audit: audit, RequireWriteToken: writeToken,
		Streams: chk.State(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler), Middleware: []api.Middleware{mw}, KeyStore: ks, LedgerKey: f.LedgerKey})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(a)
	t.Cleanup(e.srv.Close)
	return e
}

// act is one submission an institution signs with its own key.
type act struct {
	inst, person, typ string
	payload           map[string]any
	encrypt           map[string]string // field → subject
	key               crypto.Signer     // default: inst's key
}

func (e *insiderEnv) signed(a act) *ledger.Signed {
	e.t.Helper()
	ty, ok := events.Lookup(a.typ)
	if !ok {
		e.t.Fatalf("%s is not a catalogue type", a.typ)
	}
	p := ty.New()
	_ = json.Unmarshal(mustJSON(a.payload), p)
	stream, err := ty.StreamFor(a.inst, p)
	if err != nil {
		e.t.Fatal(err)
	}
	key := a.key
	if key == nil {
		key = e.f.Key(a.inst)
	}
	sub := ledgertest.Submission(a.inst, key.Public().ID(), stream, a.typ, a.payload)
	if a.person != "" {
		sub.Actor.Person = a.person
	}
	var fields []privacy.Field
	for f, subject := range a.encrypt {
		fields = append(fields, privacy.Field{Path: f, Subject: subject})
	}
	if len(fields) > 0 {
		if sub.Payload, err = privacy.EncryptPayload(context.Background(), e.ks, sub.ID, sub.Payload, fields); err != nil {
			e.t.Fatal(err)
		}
	}
	return ledgertest.Sign(e.t, key, sub)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func bodyOf(s *ledger.Signed) []byte {
	return []byte(`{"submission":` + string(s.Canonical) + `,"signature":"` + base64.StdEncoding.EncodeToString(s.Signature) + `"}`)
}

// post sends a body with the token of who ("" for none) and returns the status and the
// error code.
func (e *insiderEnv) post(path, who string, body []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok := e.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var eb api.ErrorBody
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb.Error.Code
}

func (e *insiderEnv) get(path, who string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if tok := e.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// must records a legitimate act and returns it.
func (e *insiderEnv) must(a act) *ledger.Signed {
	e.t.Helper()
	s := e.signed(a)
	if status, code := e.post("/v1/events", a.inst, bodyOf(s)); status != http.StatusCreated {
		e.t.Fatalf("%s by %s: %d %s", a.typ, a.inst, status, code)
	}
	return s
}

func (e *insiderEnv) size() uint64 {
	e.t.Helper()
	h, err := e.st.Head(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return h.Size
}

// refused sends an attack and checks its status and code, and that nothing was written.
func (e *insiderEnv) refused(s *ledger.Signed, who string, status int, code string) {
	e.t.Helper()
	before := e.size()
	got, gotCode := e.post("/v1/events", who, bodyOf(s))
	if got != status || gotCode != code {
		e.t.Errorf("%s by %s: %d %s, want %d %s", s.Submission.Type, s.Submission.Actor.Institution, got, gotCode, status, code)
	}
	if after := e.size(); after != before {
		e.t.Errorf("%s by %s: refused, yet %d entries were written", s.Submission.Type, s.Submission.Actor.Institution, after-before)
	}
}

// decrypts reports whether the officer reads every protected field of event id in clear.
func (e *insiderEnv) decrypts(id string) bool {
	e.t.Helper()
	if _, err := e.sh.RunToEnd(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	status, b := e.get("/v1/events/"+id+"/plaintext", "officer")
	var pl struct {
		Fields []privacy.FieldStatus `json:"fields"`
	}
	if status != 200 || json.Unmarshal(b, &pl) != nil || len(pl.Fields) == 0 {
		e.t.Fatalf("plaintext of %s: %d %s", id, status, b)
	}
	for _, f := range pl.Fields {
		if f.Status != privacy.StatusDecrypted {
			return false
		}
	}
	return true
}

func correction(request, party string) map[string]any {
	return map[string]any{"request": request, "resource": "population.households", "party": party, "party_kind": "natural_person", "description": "户籍地址有误"}
}

func TestInsiderAttacks(t *testing.T) {
	e := newInsiderEnv(t, false)
	// The victim's data: a correction about a person, encrypted under its own key for them.
	victimCorr := e.must(act{inst: victim, typ: "correction.requested.v1", payload: correction("cor-v-1", "np-81aa"),
		encrypt: map[string]string{"description": victim + "/party/np-81aa"}})
	e.must(act{inst: victim, typ: "emergency.declared.v1", payload: map[string]any{"emergency": "emg-v-1", "kind": "emergency_response", "title": "地震", "legal_basis": "突发事件应对法"}})
	e.must(act{inst: victim, typ: "outsourcing.contract_signed.v1", payload: map[string]any{"contract": "ctr-v-1", "provider": "sc-cloud-ops", "scope": "运维",
		"systems": []string{"sys.clinic"}, "confidentiality_agreement": map[string]any{"id": "nda-1"}, "liability_defined": true}})

	t.Run("registry: promoting itself to data authority", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "institution.updated.v1", payload: map[string]any{"institution": attacker, "name_zh": "民政局", "level": "prefecture", "kind": "organ", "data_authority": true}}),
			"", 403, "type_not_allowed")
	})
	t.Run("registry: renaming another institution", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "institution.updated.v1", payload: map[string]any{"institution": victim, "name_zh": "被改名", "level": "prefecture", "kind": "organ"}}),
			"", 403, "type_not_allowed")
	})
	t.Run("registry: creating an institution", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "institution.registered.v1", payload: map[string]any{"institution": "aba-fake", "name_zh": "假机构", "level": "prefecture", "kind": "organ", "data_authority": true}}),
			"", 403, "type_not_allowed")
	})
	t.Run("authority acts by an institution", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "access.suspended.v1", payload: map[string]any{"suspension": "sus-x", "party": "org-1", "party_kind": "legal_person",
			"ground": "no_security_measures", "reason": "r", "correction": "c"}}), "", 403, "not_permitted")
		e.refused(e.signed(act{inst: attacker, typ: "rectification.ordered.v1", payload: map[string]any{"order": "rect-x", "institution": victim, "findings": []string{"F12"},
			"items": []int{9}, "deadline": "2026-12-31"}}), "", 403, "not_authority")
	})
	t.Run("acting as another institution's official", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, person: "p-of-the-victim", typ: "security.training_held.v1", payload: map[string]any{"held_on": "2026-01-05", "topic": "t", "participants": 3}}),
			"", 403, "person_not_registered")
	})
	t.Run("destroying another institution's emergency data", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "emergency.data_destroyed.v1", payload: map[string]any{"emergency": "emg-v-1", "resource": "r-1", "records": 3, "method": "数据覆写"}}),
			"", 403, "not_permitted")
	})
	t.Run("evidencing deletion on another institution's contract", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "outsourcing.provider_deletion_evidenced.v1", payload: map[string]any{"contract": "ctr-v-1", "method": "overwrite", "evidence": map[string]any{"id": "d"}}}),
			"", 403, "not_opener")
	})
	t.Run("answering another institution's correction", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "correction.completed.v1", payload: map[string]any{"request": "cor-v-1", "outcome": "granted", "result": "x", "notified": true},
			encrypt: map[string]string{"result": attacker + "/party/np-81aa"}}), "", 403, "not_answerer")
	})
	t.Run("a self-made deletion request destroys only the attacker's own key", func(t *testing.T) {
		e.must(act{inst: attacker, typ: "subject_request.received.v1", payload: map[string]any{"request": "sub-a-1", "kind": "deletion", "party": "np-81aa", "party_kind": "natural_person"}})
		e.must(act{inst: attacker, typ: "subject_request.answered.v1", payload: map[string]any{"request": "sub-a-1", "outcome": "granted", "measures": "已删除"},
			encrypt: map[string]string{"measures": attacker + "/party/np-81aa"}})
		if !e.decrypts(victimCorr.Submission.ID) {
			t.Fatal("the attacker's deletion request destroyed the victim's key")
		}
	})
	t.Run("shredding a party in advance blocks nobody", func(t *testing.T) {
		e.must(act{inst: attacker, typ: "subject_request.received.v1", payload: map[string]any{"request": "sub-a-2", "kind": "deletion", "party": "np-99", "party_kind": "natural_person"}})
		e.must(act{inst: attacker, typ: "subject_request.answered.v1", payload: map[string]any{"request": "sub-a-2", "outcome": "granted", "measures": "已删除"},
			encrypt: map[string]string{"measures": attacker + "/party/np-99"}})
		e.decrypts(victimCorr.Submission.ID) // runs the shredder
		later := e.must(act{inst: victim, typ: "correction.requested.v1", payload: correction("cor-v-2", "np-99"),
			encrypt: map[string]string{"description": victim + "/party/np-99"}})
		if !e.decrypts(later.Submission.ID) {
			t.Fatal("the victim's later act about the party is unreadable")
		}
	})
	t.Run("encrypting under another institution's subject", func(t *testing.T) {
		e.refused(e.signed(act{inst: attacker, typ: "correction.requested.v1", payload: correction("cor-a-9", "np-81aa"),
			encrypt: map[string]string{"description": victim + "/party/np-81aa"}}), "", 400, "wrong_subject")
	})
	t.Run("free text about a subject in clear", func(t *testing.T) {
		e.refused(e.signed(act{inst: victim, typ: "correction.completed.v1", payload: map[string]any{"request": "cor-v-1", "outcome": "granted", "result": "参保状态应为在职", "notified": true}}),
			"", 400, "personal_field_in_clear")
	})
	t.Run("squatting a predictable case id", func(t *testing.T) {
		contract := func(inst string) act {
			return act{inst: inst, typ: "outsourcing.contract_signed.v1", payload: map[string]any{"contract": "ctr-2027-001", "provider": "p", "scope": "s",
				"systems": []string{"sys"}, "confidentiality_agreement": map[string]any{"id": "n"}, "liability_defined": true}}
		}
		e.must(contract(attacker)) // its own contract, under the id it guessed
		e.refused(e.signed(contract(victim)), "", 409, "case_exists")
		e.must(act{inst: attacker, typ: "correction.requested.v1", payload: correction("cor-0099", "np-1"), encrypt: map[string]string{"description": attacker + "/party/np-1"}})
		e.refused(e.signed(act{inst: victim, typ: "correction.completed.v1", payload: map[string]any{"request": "cor-0099", "outcome": "granted", "result": "x", "notified": true},
			encrypt: map[string]string{"result": victim + "/party/np-1"}}), "", 403, "not_answerer")
	})
	t.Run("reading the victim's acts by id or by position", func(t *testing.T) {
		_, unknown := e.get("/v1/events/01900000-0000-7000-8000-000000000001", attacker)
		err := e.st.Entries(context.Background(), 0, e.size(), func(r ledger.RawEntry) error {
			en, err := ledger.ParseEntry(bytes.Clone(r.Bytes))
			if err != nil || en.Submission.Actor.Institution != victim {
				return err
			}
			if status, b := e.get("/v1/events/"+en.Submission.ID, attacker); status != 404 || !bytes.Equal(b, unknown) {
				t.Errorf("the attacker read the victim's %s by id: %d %s", en.Submission.Type, status, b)
			}
			if status, _ := e.get("/v1/proofs/inclusion?seq="+itoa(r.Seq), attacker); status != 403 {
				t.Errorf("the attacker read the victim's entry %d by position: %d", r.Seq, status)
			}
			if status, _ := e.get("/v1/events/"+en.Submission.ID, victim); status != 200 {
				t.Errorf("the victim cannot read its own %s: %d", en.Submission.Type, status)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("case-variant envelope members", func(t *testing.T) {
		s := e.signed(act{inst: attacker, typ: "security.training_held.v1", payload: map[string]any{"held_on": "2026-01-05", "topic": "t", "participants": 3}})
		for _, swap := range [][2]string{{`"institution":`, `"INSTITUTION":`}, {`"actor":`, `"Actor":`}, {`"type":`, `"Type":`}} {
			body := bytes.Replace(bodyOf(s), []byte(swap[0]), []byte(swap[1]), 1)
			before := e.size()
			if status, code := e.post("/v1/events", "", body); status != 400 || code != "unknown_field" {
				t.Errorf("%s: %d %s", swap[1], status, code)
			}
			if e.size() != before {
				t.Errorf("%s: written", swap[1])
			}
		}
	})
	t.Run("bundle requests with duplicate, case-variant or oversized members", func(t *testing.T) {
		before := e.size()
		for _, body := range []string{
			`{"stream":"resource/x","reason":"a","reason":"b"}`,
			`{"stream":"resource/x","REASON":"a","reason":"b"}`,
			`{"stream":"resource/x","reason":"` + strings.Repeat("长", 70_000) + `"}`,
			`{"stream":"resource/x","reason":"` + strings.Repeat("x", 3000) + `"}`,
		} {
			if status, code := e.post("/v1/bundles", "officer", []byte(body)); status < 400 || status >= 500 {
				t.Errorf("bundle %.40s…: %d %s", body, status, code)
			}
		}
		if e.size() != before {
			t.Errorf("a refused bundle request recorded %d entries", e.size()-before)
		}
	})
	ledgertest.MustVerify(t, e.st)
}

// TestTokenBindingReadsTheRecordedActor: with --write-token, a body naming the token's
// institution in one spelling and the victim in another is refused, not recorded under
// either.
func TestTokenBindingReadsTheRecordedActor(t *testing.T) {
	e := newInsiderEnv(t, true)
	s := e.signed(act{inst: attacker, typ: "security.training_held.v1", payload: map[string]any{"held_on": "2026-01-05", "topic": "t", "participants": 3}})
	body := bytes.Replace(bodyOf(s), []byte(`"institution":"`+attacker+`"`), []byte(`"institution":"`+attacker+`","INSTITUTION":"`+victim+`"`), 1)
	before := e.size()
	if status, code := e.post("/v1/events", attacker, body); status != 400 || code != "unknown_field" {
		t.Errorf("two spellings of the actor: %d %s", status, code)
	}
	// Signed as the victim, sent with the attacker's token.
	v := e.signed(act{inst: victim, typ: "security.training_held.v1", payload: map[string]any{"held_on": "2026-01-05", "topic": "t", "participants": 3}})
	if status, code := e.post("/v1/events", attacker, bodyOf(v)); status != 403 || code != "token_institution_mismatch" {
		t.Errorf("the victim's act with the attacker's token: %d %s", status, code)
	}
	if e.size() != before {
		t.Errorf("%d entries written", e.size()-before)
	}
	if status, code := e.post("/v1/events", attacker, bodyOf(s)); status != 201 {
		t.Errorf("the attacker's own act with its token: %d %s", status, code)
	}
}

func itoa(n uint64) string { return strings.TrimLeft(string(mustJSON(n)), " ") }
