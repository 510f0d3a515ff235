package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
)

// ledgerctl runs the command in-process and returns its exit code and output.
func ledgerctl(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = runIO(args, &o, &e)
	return code, o.String(), e.String()
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "aba-stats-bureau")
	code, out, errOut := ledgerctl(t, "keygen", "--out", prefix)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	k, err := crypto.ReadPrivateKeyFile(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypto.ReadPublicKeyFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(k.Public()) {
		t.Fatal("public key file does not hold the private key's public half")
	}
	if got := strings.TrimSpace(out); got != pub.ID() {
		t.Fatalf("printed key id %q, want %q", got, pub.ID())
	}
	fi, _ := os.Stat(prefix + ".key")
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(prefix + ".key")
	if !bytes.HasPrefix(b, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Fatalf("private key is not PKCS#8 PEM: %.40q", b)
	}
	b, _ = os.ReadFile(prefix + ".pub")
	if !bytes.HasPrefix(b, []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Fatalf("public key is not PKIX PEM: %.40q", b)
	}
}

func TestKeygenRefusals(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "k")
	if code, _, e := ledgerctl(t, "keygen", "--out", existing); code != 0 {
		t.Fatalf("setup: exit %d: %s", code, e)
	}
	before, _ := os.ReadFile(existing + ".key")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"key_exists", []string{"keygen", "--out", existing}, "already exists"},
		{"dir_missing", []string{"keygen", "--out", filepath.Join(dir, "nope", "k")}, "does not exist"},
		{"no_out", []string{"keygen"}, "--out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := ledgerctl(t, c.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("printed %q on stdout", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q: want one line mentioning %q", errOut, c.want)
			}
		})
	}
	if after, _ := os.ReadFile(existing + ".key"); !bytes.Equal(before, after) {
		t.Fatal("an existing private key was overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("keygen created a missing directory")
	}
}
