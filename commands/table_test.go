package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/privacy"
)

// The signer table: every catalogue type, tried by each kind of signer, admitted or
// refused exactly as the type's signer rule (domain/events/parties.go) says. A type added
// to the catalogue without a rule cannot load (attachParties), and one whose rule the
// checker does not enforce fails here.

const (
	tabAuthority = ledgertest.Authority
	tabHolder    = "aba-health-commission" // the party the rule designates: holder, opener, answerer…
	tabOther     = "aba-civil-affairs"     // another registered institution, with its own valid key
	tabResource  = "health.appointments"   // held by tabHolder
)

// tabPeople are the officials every institution of the table registers: the fixture's
// actor and the people the catalogue's examples name.
var tabPeople = []string{ledgertest.Person, "p-zhang-wei", "p-li-na"}

// Who tries an act.
type signerKind string

const (
	byParty        signerKind = "party"        // the institution the rule designates
	byAuthority    signerKind = "authority"    // the data authority, with its institution key
	byOther        signerKind = "other"        // another institution, with its own valid key
	byRoot         signerKind = "root"         // the root key, acting for the authority
	byUnregistered signerKind = "unregistered" // the party's key, naming a person it never registered
)

var signerKinds = []signerKind{byUnregistered, byRoot, byOther, byAuthority, byParty}

type tableWorld struct {
	f   *ledgertest.Fixture
	st  ledger.Store
	l   *ledger.Ledger
	chk *commands.Checker
	ks  *privacy.DirStore
}

// shmDir is a temporary directory on tmpfs when the machine has one: the table opens a
// few hundred small ledgers, and fsync there costs nothing.
func shmDir(t *testing.T) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		d, err := os.MkdirTemp("/dev/shm", "ledger-table-")
		if err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func newTableWorld(t *testing.T) *tableWorld {
	t.Helper()
	dir := shmDir(t)
	st, err := boltstore.Open(filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kek, err := privacy.GenerateKEKFile(filepath.Join(dir, "kek"))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := privacy.OpenDirStore(filepath.Join(dir, "ks"), kek)
	if err != nil {
		t.Fatal(err)
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	chk := commands.NewChecker(registry.New(), f.LedgerKey, nil)
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	w := &tableWorld{f: f, st: st, l: l, chk: chk, ks: ks}
	for _, inst := range []string{tabAuthority, tabHolder, tabOther} {
		f.Enrol(t, l, inst)
		for _, p := range tabPeople[1:] {
			w.must(t, inst, "person.registered.v1", map[string]any{"person": p})
		}
	}
	w.must(t, tabHolder, "catalog.entry_registered.v1", catalogEntry(tabResource, tabHolder))
	return w
}

func catalogEntry(resource, holder string) map[string]any {
	m := asMap(events.All()[6].Example) // catalog.entry_registered.v1's example
	m["resource"], m["responsible"] = resource, holder
	return m
}

func asMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// sign builds and signs an act of typ by inst (as person) with payload, encrypting its
// personal fields under the subject the catalogue names.
func (w *tableWorld) sign(t *testing.T, key crypto.Signer, inst, person, typ string, payload map[string]any) *ledger.Signed {
	t.Helper()
	ty, ok := events.Lookup(typ)
	if !ok {
		t.Fatalf("%s is not a catalogue type", typ)
	}
	p, err := events.Decode(ty, mustJSON(payload))
	if err != nil {
		// Encrypted placeholders fail decoding here; the stream needs only the case and
		// resource fields, which stay in clear.
		p = ty.New()
		_ = json.Unmarshal(mustJSON(payload), p)
	}
	stream, err := ty.StreamFor(inst, p)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	sub := ledgertest.Submission(inst, key.Public().ID(), stream, typ, payload)
	sub.Actor.Person = person
	if personal := ty.Personal(); len(personal) > 0 {
		var fields []privacy.Field
		for _, f := range personal {
			if v, _ := payload[f].(string); v != "" {
				subject := ty.SubjectOf(inst, func(name string) string {
					if name == "case.party" {
						return "np-81aa"
					}
					s, _ := payload[name].(string)
					return s
				})
				if subject == "" {
					subject = inst + "/misc"
				}
				fields = append(fields, privacy.Field{Path: f, Subject: subject})
			}
		}
		if len(fields) > 0 {
			if sub.Payload, err = privacy.EncryptPayload(context.Background(), w.ks, sub.ID, sub.Payload, fields); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ledgertest.Sign(t, key, sub)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func (w *tableWorld) must(t *testing.T, inst, typ string, payload map[string]any) {
	t.Helper()
	if _, err := w.l.Append(context.Background(), w.sign(t, w.f.Key(inst), inst, ledgertest.Person, typ, payload)); err != nil {
		t.Fatalf("preparing: %s by %s: %v", typ, inst, err)
	}
}

func (w *tableWorld) size(t *testing.T) uint64 {
	h, err := w.st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}

// payloadFor is the type's example, pointed at the table's institutions and resource.
func payloadFor(ty *events.Type, actor string) map[string]any {
	m := asMap(ty.Example)
	if _, ok := m["resource"]; ok {
		m["resource"] = tabResource
	}
	if _, ok := m["resources"]; ok {
		m["resources"] = []string{tabResource}
	}
	switch ty.Name {
	case "institution.registered.v1":
		m["institution"] = "aba-new-institution"
	case "institution.updated.v1":
		m["institution"] = tabHolder
	case "catalog.entry_registered.v1":
		m = catalogEntry("r-new", actor)
	case "catalog.source_designated.v1":
		m["source"] = tabHolder
	case "share.application_submitted.v1", "share.verification_requested.v1", "data.inconsistency_reported.v1":
		m["provider"] = tabHolder
	case "rectification.ordered.v1", "correction.forwarded.v1":
		m["institution"] = tabHolder
	case "catalog.update_triggered.v1", "catalog.update_reported.v1":
		// An institution reports on its own catalog: point it at what the actor holds.
		m["resources"] = []string{map[string]string{tabHolder: tabResource, tabOther: "r-other", tabAuthority: "r-authority"}[actor]}
	case "person.registered.v1":
		delete(m, "name") // optional, and personal: an id is what acts name
	case "access.suspended.v1":
		m["resources"] = []string{tabResource} // a holder suspends access to what it holds, named
	case "migration.declared.v1":
		// The window opens after the declaration is recorded, whatever day the table runs.
		from := time.Now().Add(time.Hour)
		m["window_from"] = from.Format(time.RFC3339)
		m["window_until"] = from.Add(7 * 24 * time.Hour).Format(time.RFC3339)
	}
	return m
}

// prepare records what the act needs to be judged on its rule alone: the case it
// continues, with the party in its place; a suspension to lift; the actors' own
// resources for catalog reports.
func (w *tableWorld) prepare(t *testing.T, ty *events.Type) {
	t.Helper()
	w.must(t, tabOther, "catalog.entry_registered.v1", catalogEntry("r-other", tabOther))
	w.must(t, tabAuthority, "catalog.entry_registered.v1", catalogEntry("r-authority", tabAuthority))
	if ty.Name == "access.restored.v1" {
		w.must(t, tabAuthority, "access.suspended.v1", map[string]any{"suspension": "sus-2025-001", "party": "org-9151320099",
			"party_kind": "legal_person", "ground": "no_security_measures", "reason": "r", "correction": "c"})
	}
	if ty.Case == nil || ty.Case.Open != events.Continues {
		return
	}
	id, _ := asMap(ty.Example)[ty.Case.Field].(string)
	open := func(by, typ string, p map[string]any) {
		m := payloadFor(mustLookup(t, typ), by)
		for k, v := range p {
			m[k] = v
		}
		w.must(t, by, typ, m)
	}
	switch ty.Case.Kind {
	case "share":
		open(tabOther, "share.application_submitted.v1", map[string]any{"application": id})
	case "verification":
		open(tabOther, "share.verification_requested.v1", map[string]any{"request": id})
	case "inconsistency":
		open(tabOther, "data.inconsistency_reported.v1", map[string]any{"case": id})
	case "opening":
		open(tabHolder, "opening.application_submitted.v1", map[string]any{"application": id})
	case "development":
		open(tabAuthority, "development.qualification_applied.v1", map[string]any{"application": id})
	case "correction":
		by := tabHolder
		if ty.Name == "correction.forwarded.v1" {
			by = tabAuthority // the authority received it and forwards it
		}
		open(by, "correction.requested.v1", map[string]any{"request": id})
	case "subject":
		open(tabHolder, "subject_request.received.v1", map[string]any{"request": id})
	case "rectification":
		open(tabAuthority, "rectification.ordered.v1", map[string]any{"order": id})
	case "emergency":
		open(tabHolder, "emergency.declared.v1", map[string]any{"emergency": id})
	case "contract":
		open(tabHolder, "outsourcing.security_reviewed.v1", map[string]any{"contract": id})
	case "project":
		open(tabHolder, "project.catalog_drafted.v1", map[string]any{"project": id})
	default:
		t.Fatalf("no preparation for case kind %s", ty.Case.Kind)
	}
}

func mustLookup(t *testing.T, name string) *events.Type {
	ty, ok := events.Lookup(name)
	if !ok {
		t.Fatalf("%s is not a catalogue type", name)
	}
	return ty
}

// party is the institution the type's rule designates in the table.
func party(ty *events.Type) string {
	for _, x := range ty.Who {
		switch x {
		case events.WhoRoot, events.WhoAuthority, events.WhoIssuer:
			continue
		}
		if ty.Name == "rectification.escalated.v1" { // the order's opener is the authority
			return tabAuthority
		}
		return tabHolder
	}
	return tabAuthority
}

func has(ty *events.Type, x events.Who) bool { return slices.Contains(ty.Who, x) }

// admits is the catalogue's rule, read off the type: who of the table's signers it lets
// record the act.
func admits(ty *events.Type, by signerKind) bool {
	opensAfresh := ty.Case != nil && ty.Case.Open != events.Continues && has(ty, events.WhoOpener)
	switch by {
	case byParty:
		return true
	case byRoot:
		return has(ty, events.WhoRoot)
	case byUnregistered:
		return false
	case byAuthority:
		return ty.Signer == ledger.RoleInstitution && (has(ty, events.WhoAuthority) || has(ty, events.WhoSelf) ||
			has(ty, events.WhoActor) || opensAfresh || party(ty) == tabAuthority)
	case byOther:
		return ty.Signer == ledger.RoleInstitution && (has(ty, events.WhoSelf) || has(ty, events.WhoActor) || opensAfresh)
	}
	return false
}

// TestSignerTable runs the table: every type × {party, authority, another institution,
// root, an unregistered person}. A refused act writes nothing; an admitted one by another
// institution lands on its own stream, never the party's.
func TestSignerTable(t *testing.T) {
	ctx := context.Background()
	rows := 0
	for _, ty := range events.All() {
		if ty.Signer == ledger.RoleLedger {
			continue // the ledger's own records: TestLedgerRecordsOnlyByTheLedgerKey
		}
		t.Run(ty.Name, func(t *testing.T) {
			var w *tableWorld
			fresh := func() {
				w = newTableWorld(t)
				w.prepare(t, ty)
			}
			fresh()
			p := party(ty)
			for _, by := range signerKinds {
				inst, key, person := p, crypto.Signer(w.f.Key(p)), ledgertest.Person
				if ty.Signer == ledger.RoleRoot {
					key = w.f.RootKey // the party of the root's acts is the root key
				}
				switch by {
				case byAuthority:
					inst, key = tabAuthority, w.f.Key(tabAuthority)
				case byOther:
					inst, key = tabOther, w.f.Key(tabOther)
				case byRoot:
					inst, key = tabAuthority, w.f.RootKey
				case byUnregistered:
					person = "p-nobody"
					if ty.Signer == ledger.RoleRoot {
						inst, key = tabAuthority, w.f.RootKey
					}
				}
				s := w.sign(t, key, inst, person, ty.Name, payloadFor(ty, inst))
				before := w.size(t)
				_, err := w.l.Append(ctx, s)
				want := admits(ty, by)
				rows++
				if want != (err == nil) {
					t.Errorf("%s by %s (%s): admitted %v, the rule says %v: %v", ty.Name, by, inst, err == nil, want, err)
				}
				if err != nil {
					var pr *ledger.Problem
					if !errors.As(err, &pr) || pr.Message == "" || pr.MessageZH == "" {
						t.Errorf("%s by %s: refusal %v is not a bilingual problem", ty.Name, by, err)
					}
					if w.size(t) != before {
						t.Errorf("%s by %s: refused, yet %d entries were written", ty.Name, by, w.size(t)-before)
					}
					continue
				}
				if by == byOther && strings.HasSuffix(ty.Stream, "{actor}") && strings.Contains(s.Submission.Stream, p) {
					t.Errorf("%s by another institution landed on %s", ty.Name, s.Submission.Stream)
				}
				fresh() // an admitted act changed the state the next signer meets
			}
		})
	}
	t.Logf("%d types × signers tried", rows)
}

// TestLedgerRecordsOnlyByTheLedgerKey: the ledger's own records (an Art. 42 refusal) are
// refused to every other key, with nothing written.
func TestLedgerRecordsOnlyByTheLedgerKey(t *testing.T) {
	w := newTableWorld(t)
	for _, ty := range events.All() {
		if ty.Signer != ledger.RoleLedger {
			continue
		}
		for _, k := range []struct {
			inst string
			key  crypto.Signer
		}{{tabHolder, w.f.Key(tabHolder)}, {tabAuthority, w.f.Key(tabAuthority)}, {tabAuthority, w.f.RootKey}} {
			before := w.size(t)
			_, err := w.l.Append(context.Background(), w.sign(t, k.key, k.inst, ledgertest.Person, ty.Name, asMap(ty.Example)))
			if err == nil || w.size(t) != before {
				t.Errorf("%s signed by %s's key was admitted (%v)", ty.Name, k.inst, fmt.Sprint(err))
			}
		}
	}
}
