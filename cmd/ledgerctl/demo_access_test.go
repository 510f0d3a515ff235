package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/internal/scenario"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/privacy"
)

// TestDemoAccessAndPrivacy runs the demo, then serves its data directory as ledgerd does
// by default (credentials and audit log in DATA/access/, the key store the demo printed)
// and checks that every role's token authenticates, that a live subject's encrypted
// field opens, that the Art. 22 deletion's subject reads as destroyed, and that the
// ledger still verifies.
func TestDemoAccessAndPrivacy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := ledgerctl(t, "demo", "--data", dir, "--events", "200", "--json")
	if code != exitOK {
		t.Fatalf("demo: exit %d: %s", code, errOut)
	}
	var r demoResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("demo --json: %v: %q", err, out)
	}
	if code, out, errOut := ledgerctl(t, "verify", "--data", dir); code != exitOK {
		t.Fatalf("verify after demo: exit %d: %s %s", code, out, errOut)
	}
	if want := filepath.Join(dir, "access", "credentials.json"); r.Credentials != want {
		t.Errorf("credentials in %s, want ledgerd's default %s", r.Credentials, want)
	}

	// Only hashes on disk: no token, nor its secret part, in the credentials file.
	credBytes, err := os.ReadFile(r.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(r.Credentials); fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", fi.Mode().Perm())
	}
	roles := map[auth.Role]demoToken{}
	for _, tk := range r.Tokens {
		roles[tk.Role] = tk
		// "dlt1_<id>_<secret>": the secret is base64url and may itself hold '_', so cut
		// after the id, as the parser does, not at the last underscore (a short tail of
		// the secret can occur in the file's hashes by chance).
		_, secret, _ := strings.Cut(strings.TrimPrefix(tk.Token, "dlt1_"), "_")
		if len(secret) != 43 {
			t.Fatalf("the %s token %q does not have a 32-byte secret", tk.Role, tk.Token)
		}
		if bytes.Contains(credBytes, []byte(secret)) {
			t.Errorf("the %s token's secret is in the credentials file", tk.Role)
		}
	}
	for _, role := range []auth.Role{auth.RoleAuthority, auth.RoleSecurityOfficer, auth.RoleReviewer, auth.RoleInstitution, auth.RoleSubmitter} {
		if roles[role].Token == "" {
			t.Fatalf("no %s token issued (%+v)", role, r.Tokens)
		}
	}

	// The personal fields, by subject; an act of the institution role's institution.
	ctx := context.Background()
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Subjects are per institution (<institution>/party/<party>): the granted Art. 22
	// deletion destroys the answering institution's key for np-5b77d4, and another
	// institution's data about the same person stays readable.
	const live, deleted, otherCopy = "aba-data-bureau/party/np-7f3a91", "maerkang-city/party/np-5b77d4", "aba-hr-social-security/party/np-5b77d4"
	bySubject := map[string]*ledger.Entry{}
	var ownAct string
	if err := st.Entries(ctx, 0, r.Entries, func(raw ledger.RawEntry) error {
		e, err := ledger.ParseEntry(bytes.Clone(raw.Bytes))
		if err != nil {
			return err
		}
		if e.Submission.Actor.Institution == roles[auth.RoleInstitution].Institution && ownAct == "" {
			ownAct = e.Submission.ID
		}
		fs, err := privacy.Envelopes(e.Submission.Payload)
		if err != nil {
			return err
		}
		for _, f := range fs {
			if bySubject[f.Subject] == nil {
				bySubject[f.Subject] = e
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if bySubject[live] == nil || bySubject[deleted] == nil || bySubject[otherCopy] == nil || ownAct == "" {
		t.Fatalf("want encrypted fields of %s and %s and an act of %s; have subjects %v", live, deleted, roles[auth.RoleInstitution].Institution, slices.Collect(maps.Keys(bySubject)))
	}
	if r.Encrypted < 2 {
		t.Errorf("demo reported %d encrypted fields", r.Encrypted)
	}
	if !slices.Contains(r.Shredded, deleted) || slices.Contains(r.Shredded, live) || slices.Contains(r.Shredded, otherCopy) {
		t.Errorf("shredded %v: want %s destroyed and %s, %s live", r.Shredded, deleted, live, otherCopy)
	}

	// The key store directly: the live subject's field decrypts, the deleted one's key is
	// gone with a ShreddedError naming the Art. 22 act.
	ks, err := privacy.OpenDirStore(r.Keystore, mustKEK(t, r.KEKFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, subject string
		destroyed     bool
	}{{"live subject", live, false}, {"deleted subject", deleted, true}, {"another institution's copy", otherCopy, false}} {
		t.Run(c.name, func(t *testing.T) {
			e := bySubject[c.subject]
			clear, fs, err := privacy.DecryptPayload(ctx, ks, e.Submission.ID, e.Submission.Payload)
			if err != nil || len(fs) != 1 {
				t.Fatalf("DecryptPayload: %v, %d fields", err, len(fs))
			}
			_, err = ks.Get(ctx, c.subject, fs[0].KID)
			se, shredded := errors.AsType[*privacy.ShreddedError](err)
			if !c.destroyed {
				if fs[0].Status != privacy.StatusDecrypted || err != nil || bytes.Contains(clear, []byte(`"enc"`)) {
					t.Fatalf("status %s, Get: %v, payload %s", fs[0].Status, err, clear)
				}
				return
			}
			if fs[0].Status != privacy.StatusDestroyed || !shredded || se.By.Type != "subject_request.answered.v1" || se.By.Article != "22" {
				t.Fatalf("status %s, Get: %v (%+v)", fs[0].Status, err, se)
			}
		})
	}

	// ledgerd's wiring on the same directory: its default credentials file and audit log,
	// the key store the demo printed.
	lk, err := datadir.LedgerKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, CheckpointEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	authn, err := auth.OpenAuthenticator(r.Credentials, nil)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := auth.OpenAuditLog(filepath.Join(dir, "access", "audit.jsonl"), auth.AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	mw, err := api.NewAccess(api.Access{Ledger: l, Authenticator: authn, Audit: audit})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Ledger: l, Middleware: []api.Middleware{mw}, KeyStore: ks})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	get := func(token, path string, into any) int {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if into != nil && resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode
	}
	own := "/v1/events/" + ownAct
	if got := get("", own, nil); got != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", got)
	}
	// Every token authenticates: the reading roles read the institution's act; the
	// submitter is known but reads nothing (403, not 401).
	for role, want := range map[auth.Role]int{auth.RoleAuthority: 200, auth.RoleSecurityOfficer: 200, auth.RoleReviewer: 200,
		auth.RoleInstitution: 200, auth.RoleSubmitter: 403} {
		if got := get(roles[role].Token, own, nil); got != want {
			t.Errorf("%s token: GET %s answered %d, want %d", role, own, got, want)
		}
	}
	type plain struct {
		Payload map[string]any        `json:"payload"`
		Fields  []privacy.FieldStatus `json:"fields"`
	}
	var pl, pd plain
	if got := get(roles[auth.RoleAuthority].Token, "/v1/events/"+bySubject[live].Submission.ID+"/plaintext", &pl); got != 200 ||
		len(pl.Fields) != 1 || pl.Fields[0].Status != privacy.StatusDecrypted {
		t.Errorf("authority, plaintext of the live subject: %d %+v", got, pl.Fields)
	} else if s, ok := pl.Payload[pl.Fields[0].Path].(string); !ok || s == "" {
		t.Errorf("decrypted %s is %v", pl.Fields[0].Path, pl.Payload[pl.Fields[0].Path])
	}
	if got := get(roles[auth.RoleSecurityOfficer].Token, "/v1/events/"+bySubject[deleted].Submission.ID+"/plaintext", &pd); got != 200 ||
		len(pd.Fields) != 1 || pd.Fields[0].Status != privacy.StatusDestroyed || pd.Fields[0].DestroyedBy == nil {
		t.Errorf("officer, plaintext of the deleted subject: %d %+v", got, pd.Fields)
	}
	if got := get(roles[auth.RoleReviewer].Token, "/v1/events/"+bySubject[live].Submission.ID+"/plaintext", nil); got != http.StatusForbidden {
		t.Errorf("reviewer, plaintext: %d, want 403", got)
	}
	if "maerkang-city/party/"+scenario.Parties[5].Party != deleted {
		t.Errorf("the storyline's deletion request is by %s, the test expects %s", scenario.Parties[5].Party, deleted)
	}
}

func mustKEK(t *testing.T, path string) *privacy.KEK {
	t.Helper()
	k, err := privacy.ReadKEKFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
