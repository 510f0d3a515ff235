package main

// The demo's access-control and privacy part (issue 5): a credential for every role in
// the credentials file ledgerd reads by default, personal fields encrypted before signing
// under a key store in the data directory, and the storyline's Art. 22 deletion shredding
// its subject's key. Kept apart from demo.go so that the scenario's wiring stays readable.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/cmd/ledgerctl/internal/scenario"
	"github.com/aba-prefecture/dataledger/domain/events"
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

// demoEncryptSpec is the --encrypt-fields list for an act of the timeline: what a party
// said about itself (a correction request's description, a withdrawal request's
// grounds), under the party's subject, party/<party> (docs/privacy.md: the Art. 22 rule
// destroys that key on a granted deletion request). "" for acts with nothing to encrypt.
func demoEncryptSpec(e *scenario.Event) string {
	switch p := e.Payload.(type) {
	case *events.CorrectionRequested:
		return "description=party/" + p.Party.Party
	case *events.WithdrawalRequested:
		return "grounds=party/" + p.Party.Party
	}
	return ""
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
