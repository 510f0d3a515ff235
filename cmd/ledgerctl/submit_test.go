package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/api"
	"github.com/aba-prefecture/dataledger/auth"
	domaincmd "github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/google/uuid"
)

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func storeSize(t *testing.T, dir string) uint64 {
	t.Helper()
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := st.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Size
}

var collected = map[string]any{"resource": "r-0001", "records": 3, "purpose": "年度统计",
	"legal_basis": "《中华人民共和国统计法》第七条", "verification": []string{"id_document"}}

// TestSubmitLocal registers an institution's key and records its acts into a local data
// directory with ledgerctl alone, then checks each kind of refusal: exit 2, the field
// and both messages on one line, nothing written.
func TestSubmitLocal(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	if err := datadir.Create(context.Background(), dir, datadir.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	if code, _, e := ledgerctl(t, "keygen", "--out", filepath.Join(tmp, "health")); code != 0 {
		t.Fatal(e)
	}
	k, err := crypto.ReadPrivateKeyFile(filepath.Join(tmp, "health.key"))
	if err != nil {
		t.Fatal(err)
	}
	reg := writeJSON(t, tmp, "reg.json", ledger.KeyRegisteredPayload{KeyID: k.Public().ID(), Institution: "aba-health",
		PublicKey: string(crypto.MarshalPublicKeyPEM(k.Public()))})
	rootKey := datadir.Paths{Dir: dir}.RootKey()
	if code, out, e := ledgerctl(t, "submit", "--data", dir, "--key", rootKey, "--institution", datadir.DefaultAuthority, "--person", "root",
		"--type", ledger.TypeKeyRegistered, "--stream", ledger.RegistryStream, "--payload", reg); code != 0 || !strings.Contains(out, "recorded") {
		t.Fatalf("registering the key: exit %d %s %s", code, out, e)
	}
	// The institution (by the root, 第三条) and its first official (by itself, 第七条).
	inst := writeJSON(t, tmp, "inst.json", map[string]any{"institution": "aba-health", "name_zh": "卫健委", "level": "prefecture", "kind": "organ"})
	if code, out, e := ledgerctl(t, "submit", "--data", dir, "--key", rootKey, "--institution", datadir.DefaultAuthority, "--person", "root",
		"--type", "institution.registered.v1", "--stream", "institution/aba-health", "--payload", inst); code != 0 {
		t.Fatalf("registering the institution: exit %d %s %s", code, out, e)
	}
	official := writeJSON(t, tmp, "official.json", map[string]any{"person": "clerk-1"})
	if code, out, e := ledgerctl(t, "submit", "--data", dir, "--key", filepath.Join(tmp, "health.key"), "--institution", "aba-health", "--person", "clerk-1",
		"--type", "person.registered.v1", "--stream", "institution/aba-health", "--payload", official); code != 0 {
		t.Fatalf("registering the official: exit %d %s %s", code, out, e)
	}
	good := writeJSON(t, tmp, "good.json", collected)
	id := uuid.Must(uuid.NewV7()).String()
	at := time.Now().UTC().Format(time.RFC3339Nano)
	base := []string{"submit", "--data", dir, "--key", filepath.Join(tmp, "health.key"), "--institution", "aba-health", "--person", "clerk-1",
		"--type", "data.collected.v1", "--stream", "resource/r-0001"}
	code, out, e := ledgerctl(t, append(base, "--payload", good, "--id", id, "--occurred-at", at, "--expected-version", "0", "--json")...)
	var res submitResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.ID != id || res.Seq != 4 || res.StreamVersion != 1 || res.Duplicate {
		t.Fatalf("good submission: exit %d %s %s", code, out, e)
	}
	// The same id and body again: recorded once, exit 0.
	code, out, e = ledgerctl(t, append(base, "--payload", good, "--id", id, "--occurred-at", at, "--expected-version", "0", "--json")...)
	if code != 0 || !strings.Contains(out, `"duplicate":true`) {
		t.Fatalf("resend: %d %s %s", code, out, e)
	}
	size := storeSize(t, dir)

	bad := func(name string, v any) string { return writeJSON(t, tmp, name, v) }
	noRecords := map[string]any{}
	for k, v := range collected {
		if k != "records" {
			noRecords[k] = v
		}
	}
	os.WriteFile(filepath.Join(tmp, "array.json"), []byte(`[1,2]`), 0o600)
	cases := []struct {
		name string
		args []string
		want []string // substrings of the one stderr line
	}{
		{"unknown type", append(append([]string{}, base...), "--payload", good, "--type", "data.invented.v1"), []string{"unknown_type", "field submission.type", "/ 不是"}},
		{"missing payload field", append(append([]string{}, base...), "--payload", bad("nr.json", noRecords)), []string{"field submission.payload.records", "Art. 17", "/ 须"}},
		{"another institution's key", append(append([]string{}, base...), "--payload", good, "--institution", "aba-transport"), []string{"key_not_bound", "field submission.actor.institution", "/"}},
		{"id reused with another body", append(append([]string{}, base...), "--payload", good, "--id", id), []string{"id_conflict", "field submission.id"}},
		{"stale expected version", append(append([]string{}, base...), "--payload", good, "--expected-version", "5"), []string{"wrong_expected_version", "field submission.expected_version"}},
		{"malformed stream", append(append([]string{}, base...), "--payload", good, "--stream", "Bad Stream"), []string{"submission.stream"}},
		{"payload not an object", append(append([]string{}, base...), "--payload", filepath.Join(tmp, "array.json")), []string{"JSON object"}},
		{"no payload file", append(append([]string{}, base...), "--payload", filepath.Join(tmp, "absent.json")), []string{"--payload"}},
		{"no key", []string{"submit", "--data", dir, "--institution", "aba-health", "--person", "p", "--type", "data.collected.v1", "--stream", "resource/r-0001", "--payload", good}, []string{"--key is required"}},
		{"server and data", append(append([]string{}, base...), "--payload", good, "--server", "http://127.0.0.1:1"), []string{"exactly one"}},
		{"encrypt without key store", append(append([]string{}, base...), "--payload", good, "--encrypt-fields", "purpose", "--subject", "s-1"), []string{"--keystore is required"}},
		{"subject without fields", append(append([]string{}, base...), "--payload", good, "--subject", "s-1"), []string{"--encrypt-fields"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, e := ledgerctl(t, c.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2: %s", code, e)
			}
			if strings.Count(strings.TrimSpace(e), "\n") != 0 {
				t.Errorf("more than one line: %q", e)
			}
			for _, w := range c.want {
				if !strings.Contains(e, w) {
					t.Errorf("stderr %q lacks %q", e, w)
				}
			}
			if got := storeSize(t, dir); got != size {
				t.Fatalf("a refused submission changed the ledger: %d → %d", size, got)
			}
		})
	}
	if code, _, e := ledgerctl(t, "verify", "--data", dir); code != 0 {
		t.Fatalf("verify: %d %s", code, e)
	}
}

// TestSubmitServerEncryptedWithToken: against ledgerd's HTTP API with --write-token and a
// key store, submit encrypts the named field before signing (the server stores only
// ciphertext), needs a token, and reports the server's refusals with exit 2.
func TestSubmitServerEncryptedWithToken(t *testing.T) {
	tmp := t.TempDir()
	st, err := boltstore.Open(filepath.Join(tmp, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	// Checked as ledgerd checks: the catalogue admits protected fields encrypted.
	chk := domaincmd.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	f.Enrol(t, l, ledgertest.Authority)
	k := f.Enrol(t, l, "aba-health")
	pem, _ := crypto.MarshalPrivateKeyPEM(k)
	keyFile := filepath.Join(tmp, "health.key")
	os.WriteFile(keyFile, pem, 0o600)

	ksDir, kekFile := filepath.Join(tmp, "ks"), filepath.Join(tmp, "kek")
	if code, _, e := ledgerctl(t, "keystore", "init", "--keystore", ksDir, "--kek-file", kekFile); code != 0 {
		t.Fatal(e)
	}
	credFile := filepath.Join(tmp, "credentials.json")
	code, tokHealth, e := ledgerctl(t, "tokens", "add", "--file", credFile, "--role", "institution", "--institution", "aba-health", "--person", "sys-1")
	if code != 0 || !strings.Contains(e, "shown only now") {
		t.Fatalf("tokens add: %d %s", code, e)
	}
	tokHealth = strings.TrimSpace(tokHealth)
	_, tokOfficer, _ := ledgerctl(t, "tokens", "add", "--file", credFile, "--role", "security_officer", "--person", "officer-1")
	tokOfficer = strings.TrimSpace(tokOfficer)
	if code, _, e := ledgerctl(t, "tokens", "add", "--file", credFile, "--role", "reviewer", "--institution", "aba-health", "--person", "x"); code != 2 || !strings.Contains(e, "must not name one") {
		t.Fatalf("reviewer bound to an institution: %d %s", code, e)
	}

	kek, _ := privacy.ReadKEKFile(kekFile)
	ks, err := privacy.OpenDirStore(ksDir, kek)
	if err != nil {
		t.Fatal(err)
	}
	authn, _ := auth.OpenAuthenticator(credFile, nil)
	audit, _ := auth.OpenAuditLog(filepath.Join(tmp, "audit.jsonl"), auth.AuditOptions{NoSync: true})
	t.Cleanup(func() { audit.Close() })
	mw, err := api.NewAccess(api.Access{Ledger: l, Authenticator: authn, Audit: audit, RequireWriteToken: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := api.New(api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler), Middleware: []api.Middleware{mw}, KeyStore: ks})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)

	payload := writeJSON(t, tmp, "p.json", map[string]any{"person": "p-zhang-san", "name": "张三 513200199001011234", "title": "科员"})
	base := []string{"submit", "--server", srv.URL, "--key", keyFile, "--institution", "aba-health", "--person", ledgertest.Person,
		"--type", "person.registered.v1", "--stream", "institution/aba-health", "--payload", payload}
	t.Setenv("LEDGER_TOKEN", "")
	if code, _, e := ledgerctl(t, base...); code != 2 || !strings.Contains(e, "401 unauthenticated") || !strings.Contains(e, "凭据") {
		t.Fatalf("without a token: %d %s", code, e)
	}
	if code, _, e := ledgerctl(t, append(base, "--token", tokHealth, "--institution", "aba-transport")...); code != 2 ||
		!strings.Contains(e, "token_institution_mismatch") || !strings.Contains(e, "field submission.actor.institution") {
		t.Fatalf("another institution: %d %s", code, e)
	}
	code, out, e := ledgerctl(t, append(base, "--token", tokHealth, "--encrypt-fields", "name", "--subject", "aba-health/person/p-zhang-san",
		"--keystore", ksDir, "--kek-file", kekFile, "--json")...)
	var res submitResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Encrypted) != 1 || res.Encrypted[0] != "name" {
		t.Fatalf("encrypted submission: %d %s %s", code, out, e)
	}
	// The ledger holds ciphertext; an officer reads the plaintext through the key store.
	raw, _ := os.ReadFile(filepath.Join(tmp, "ledger.db"))
	if strings.Contains(string(raw), "513200199001011234") {
		t.Fatal("plaintext in the ledger store")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/events/"+res.ID+"/plaintext", nil)
	req.Header.Set("Authorization", "Bearer "+tokOfficer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "513200199001011234") {
		t.Fatalf("officer's plaintext read: %d %s", resp.StatusCode, b)
	}
	// tokens list shows no secret; revoke removes.
	_, list, _ := ledgerctl(t, "tokens", "list", "--file", credFile, "--json")
	if strings.Contains(list, tokHealth[len(tokHealth)-20:]) || !strings.Contains(list, "officer-1") {
		t.Fatalf("list: %s", list)
	}
	id := strings.Split(tokHealth, "_")[1]
	if code, _, e := ledgerctl(t, "tokens", "revoke", "--file", credFile, "--id", id); code != 0 {
		t.Fatal(e)
	}
	if code, _, _ := ledgerctl(t, "tokens", "revoke", "--file", credFile, "--id", id); code != 2 {
		t.Fatal("revoking twice")
	}
	// The audit log verifies through the CLI, and a tampered copy does not (exit 1).
	audit.Close()
	if code, out, e := ledgerctl(t, "audit", "verify", filepath.Join(tmp, "audit.jsonl")); code != 0 || !strings.Contains(out, "intact: 1 records") {
		t.Fatalf("audit verify: %d %s %s", code, out, e)
	}
	ab, _ := os.ReadFile(filepath.Join(tmp, "audit.jsonl"))
	os.WriteFile(filepath.Join(tmp, "bad.jsonl"), []byte(strings.Replace(string(ab), "officer-1", "officer-9", 1)), 0o600)
	if code, _, e := ledgerctl(t, "audit", "verify", filepath.Join(tmp, "bad.jsonl")); code != 1 || !strings.Contains(e, "line 1") {
		t.Fatalf("tampered audit: %d %s", code, e)
	}
}
