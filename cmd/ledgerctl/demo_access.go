package main

// The demo's access-control and privacy part (issue 5): a credential for every role in
// the credentials file ledgerd reads by default, personal fields encrypted before signing
// under a key store in the data directory, and the storyline's Art. 22 deletion shredding
// its subject's key. Kept apart from demo.go so that the scenario's wiring stays readable.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/privacy"
)

// demoToken is one credential the demo issued. Token is the secret, shown once on
// standard output and never written to disk in clear.
type demoToken struct {
	Role        auth.Role `json:"role"`
	Institution string    `json:"institution,omitempty"`
	Person      string    `json:"person"`
	ID          string    `json:"id"`
	Token       string    `json:"token"`
}

// demoPaths are where the demo puts credentials and keys in DIR. The credentials file is
// ledgerd's default (DATA/access/credentials.json); ledgerd has no default key store, so
// the demo chooses DIR/keystore with its KEK beside the ledger's keys and prints the flags.
type demoPaths struct{ credentials, keystore, kek string }

func demoPathsOf(dir string) demoPaths {
	return demoPaths{
		credentials: filepath.Join(dir, "access", "credentials.json"),
		keystore:    filepath.Join(dir, "keystore"),
		kek:         filepath.Join(datadir.Paths{Dir: dir}.Keys(), "keystore.kek"),
	}
}

// demoPrincipals are the people the demo issues tokens to: one per role, with the
// institution-bound roles on an institution that both signs acts and holds streams.
func demoPrincipals() []demoToken {
	auth0 := scenario.Institutions[0]
	health := "aba-health-commission"
	var hp []scenario.Person
	for _, in := range scenario.Institutions {
		if in.ID == health {
			hp = in.People
		}
	}
	return []demoToken{
		{Role: auth.RoleAuthority, Person: auth0.Responsible()},
		{Role: auth.RoleSecurityOfficer, Person: auth0.Security()},
		{Role: auth.RoleReviewer, Person: "reviewer-demo"},
		{Role: auth.RoleInstitution, Institution: health, Person: hp[0].ID},
		{Role: auth.RoleSubmitter, Institution: health, Person: hp[2].ID},
	}
}

// issueDemoTokens adds a token for every role to the credentials file (hashes only,
// through issueToken as `ledgerctl tokens add` does) and returns the tokens.
func issueDemoTokens(path string) ([]demoToken, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	f, err := readCredentials(path)
	if err != nil {
		return nil, err
	}
	out := demoPrincipals()
	for i := range out {
		p := &out[i]
		tok, cred, err := issueToken(f, p.Role, p.Institution, p.Person, time.Time{}, "ledgerctl demo")
		if err != nil {
			return nil, fmt.Errorf("issuing the %s token: %w", p.Role, err)
		}
		p.Token, p.ID = tok, cred.ID
	}
	if err := auth.WriteFile(path, f); err != nil {
		return nil, fmt.Errorf("writing the credentials: %w", err)
	}
	return out, nil
}

// openDemoKeystore creates the key store and its KEK (mode 0600), as `ledgerctl keystore
// init` does.
func openDemoKeystore(p demoPaths) (*privacy.DirStore, error) {
	kek, err := privacy.GenerateKEKFile(p.kek)
	if err != nil {
		return nil, err
	}
	return privacy.OpenDirStore(p.keystore, kek)
}

// demoEncryptSpec is the --encrypt-fields list for an act of the timeline: every
// personal field it carries (the event catalogue's, events.Type.Personal), under the
// subject the catalogue names for its type (events.Type.SubjectOf: the institution's
// own key for the party, <institution>/party/<party>, or for an official,
// <institution>/person/<person>). The Art. 22 rule destroys an institution's party key
// on a granted deletion request. parties maps a correction or data-subject request to
// the party it names, for the acts that answer it. "" for acts with nothing to encrypt.
func demoEncryptSpec(e *scenario.Event, parties map[string]string) string {
	t, ok := events.Lookup(e.Type)
	if !ok || e.Root {
		return ""
	}
	personal := t.Personal()
	if len(personal) == 0 {
		return ""
	}
	raw, err := events.Encode(e.Payload.(events.Payload))
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	field := func(f string) string {
		if f == "case.party" && t.Case != nil {
			id, _ := m[t.Case.Field].(string)
			return parties[t.Case.Kind+"/"+id]
		}
		v, _ := m[f].(string)
		return v
	}
	subject := t.SubjectOf(e.Institution, field)
	if subject == "" {
		subject = e.Institution + "/" + strings.ReplaceAll(e.Type, ".", "-")
	}
	var spec []string
	for _, p := range personal {
		if v, _ := m[p].(string); v != "" && !strings.Contains(p, "*") {
			spec = append(spec, p+"="+subject)
		}
	}
	return strings.Join(spec, ",")
}

// caseParties maps each correction and data-subject request of a timeline to the party
// it names (case kind/id → party), for demoEncryptSpec.
func caseParties(tl *scenario.Timeline) map[string]string {
	out := map[string]string{}
	for _, list := range [][]scenario.Event{tl.Registry, tl.Setup, tl.Events} {
		for _, e := range list {
			switch p := e.Payload.(type) {
			case *events.CorrectionRequested:
				out["correction/"+p.Request] = p.Party.Party
			case *events.SubjectRequestReceived:
				out["subject/"+p.Request] = p.Party.Party
			}
		}
	}
	return out
}

// shredDemo applies the ledger's destruction acts to the key store, as ledgerd with
// --keystore (or `ledgerctl keystore shred`) does, saving the shredder's position in the
// key store so that a ledgerd started on it goes on from there. It returns the destroyed
// subjects.
func shredDemo(ctx context.Context, st ledger.Store, ks *privacy.DirStore, p demoPaths, log *slog.Logger) ([]string, error) {
	sh, err := privacy.NewShredder(privacy.ShredderConfig{Keys: ks, Store: st, Rules: privacy.DefaultRules,
		PositionFile: filepath.Join(p.keystore, "shredder.position"), Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := sh.RunToEnd(ctx); err != nil {
		return nil, fmt.Errorf("shredding: %w", err)
	}
	_, dead, err := ks.Subjects()
	if err != nil {
		return nil, err
	}
	sort.Strings(dead)
	return dead, nil
}
