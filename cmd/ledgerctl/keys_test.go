package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/api"
	domaincmd "github.com/aba-prefecture/dataledger/commands"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

// TestKeys: an operator enrols a new institution with `ledgerctl keys register --enrol`
// (its key, the institution, its first official) and its first act is then accepted;
// `keys rotate` stops the old key and `keys revoke` the new one; refusals and bad flags
// exit 2 with one line, writing nothing.
func TestKeys(t *testing.T) {
	tmp := t.TempDir()
	st, err := boltstore.Open(filepath.Join(tmp, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := ledgertest.New(t)
	f.Init(t, st)
	chk := domaincmd.NewChecker(registry.New(), f.LedgerKey, slog.New(slog.DiscardHandler))
	opts := ledger.Options{}
	chk.Wire(&opts)
	l := f.Open(t, st, opts)
	if err := chk.Attach(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	f.Enrol(t, l, ledgertest.Authority)
	a, _ := api.New(api.Config{Ledger: l, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)

	rootPEM, _ := crypto.MarshalPrivateKeyPEM(f.RootKey)
	rootFile := filepath.Join(tmp, "root.key")
	os.WriteFile(rootFile, rootPEM, 0o600)
	for _, name := range []string{"songpan", "songpan2"} {
		if code, _, e := ledgerctl(t, "keygen", "--out", filepath.Join(tmp, name)); code != 0 {
			t.Fatal(e)
		}
	}
	common := []string{"--server", srv.URL, "--root-key", rootFile, "--root-person", ledgertest.Person}
	code, out, e := ledgerctl(t, append([]string{"keys", "register", "--institution", "songpan-county", "--key", filepath.Join(tmp, "songpan.key"),
		"--enrol", "--first-official", "sp-li", "--name-zh", "松潘县人民政府", "--level", "county", "--county", "songpan", "--json"}, common...)...)
	var res keysResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Acts) != 3 {
		t.Fatalf("register --enrol: %d %s %s", code, out, e)
	}
	payload := writeJSON(t, tmp, "training.json", map[string]any{"held_on": "2026-01-05", "topic": "数据安全", "participants": 9})
	submit := func(key string) (int, string) {
		code, _, e := ledgerctl(t, "submit", "--server", srv.URL, "--key", key, "--institution", "songpan-county", "--person", "sp-li",
			"--type", "security.training_held.v1", "--stream", "security/songpan-county", "--payload", payload)
		return code, e
	}
	if code, e := submit(filepath.Join(tmp, "songpan.key")); code != 0 {
		t.Fatalf("the enrolled institution's first act: %d %s", code, e)
	}
	if code, _, e := ledgerctl(t, append([]string{"keys", "rotate", "--key-id", res.KeyID, "--new-pub", filepath.Join(tmp, "songpan2.pub")}, common...)...); code != 0 {
		t.Fatalf("rotate: %d %s", code, e)
	}
	if code, e := submit(filepath.Join(tmp, "songpan.key")); code != 2 || strings.Count(strings.TrimSpace(e), "\n") != 0 {
		t.Errorf("the rotated-out key: %d %q", code, e)
	}
	if code, e := submit(filepath.Join(tmp, "songpan2.key")); code != 0 {
		t.Errorf("the new key: %d %s", code, e)
	}
	newPub, _ := crypto.ReadPublicKeyFile(filepath.Join(tmp, "songpan2.pub"))
	if code, _, e := ledgerctl(t, append([]string{"keys", "revoke", "--key-id", newPub.ID(), "--reason", "介质丢失"}, common...)...); code != 0 {
		t.Fatalf("revoke: %d %s", code, e)
	}
	h, _ := st.Head(context.Background())
	for _, bad := range [][]string{
		append([]string{"keys", "revoke", "--key-id", newPub.ID(), "--reason", "again"}, common...), // already revoked: refused
		{"keys", "revoke", "--key-id", newPub.ID(), "--reason", "x", "--server", srv.URL},           // no root key
		append([]string{"keys", "register", "--institution", "x"}, common...),                       // no key
		{"keys"},
	} {
		if code, _, e := ledgerctl(t, bad...); code != 2 || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("%v: exit %d, %q", bad, code, e)
		}
	}
	if h2, _ := st.Head(context.Background()); h2.Size != h.Size {
		t.Errorf("refusals wrote %d entries", h2.Size-h.Size)
	}
}
