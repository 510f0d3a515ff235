package auth_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
)

// cheap keeps the KDF fast in tests; production uses auth.DefaultKDF.
var cheap = auth.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func addToken(t *testing.T, path string, role auth.Role, inst, person string, exp time.Time) (string, *auth.Credential) {
	t.Helper()
	f, err := auth.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	tok, c, err := auth.NewToken(role, inst, person, exp, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Add(c); err != nil {
		t.Fatal(err)
	}
	if err := auth.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	return tok, c
}

func TestTokenNeverStoredInClear(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	tok, c := addToken(t, path, auth.RoleSecurityOfficer, "", "officer-1", time.Time{})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := strings.Cut(strings.TrimPrefix(tok, "dlt1_"), "_")
	if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(tok)) {
		t.Fatal("the credentials file holds the token's secret")
	}
	if !bytes.Contains(b, []byte(c.ID)) || !bytes.Contains(b, []byte(`"kdf": "argon2id"`)) {
		t.Fatalf("credentials file lacks the id or kdf:\n%s", b)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
}

func TestAuthenticate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tokOfficer, _ := addToken(t, path, auth.RoleSecurityOfficer, "", "officer-1", time.Time{})
	tokInst, _ := addToken(t, path, auth.RoleInstitution, "aba-health", "clerk-7", time.Time{})
	tokOld, _ := addToken(t, path, auth.RoleReviewer, "", "rev-1", now.Add(-time.Hour))
	a, err := auth.OpenAuthenticator(path, &auth.AuthOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	wrong := tokOfficer[:len(tokOfficer)-2] + "AA"
	if wrong == tokOfficer {
		wrong = tokOfficer[:len(tokOfficer)-2] + "BB"
	}
	cases := []struct {
		name, header string
		role         auth.Role
		inst         string
		err          error
	}{
		{"officer", "Bearer " + tokOfficer, auth.RoleSecurityOfficer, "", nil},
		{"lowercase scheme", "bearer " + tokOfficer, auth.RoleSecurityOfficer, "", nil},
		{"institution", "Bearer " + tokInst, auth.RoleInstitution, "aba-health", nil},
		{"none", "", "", "", auth.ErrNoCredentials},
		{"basic scheme", "Basic dXNlcjpwYXNz", "", "", auth.ErrBadCredentials},
		{"wrong secret", "Bearer " + wrong, "", "", auth.ErrBadCredentials},
		{"unknown id", "Bearer dlt1_0000000000000000_" + strings.Repeat("A", 43), "", "", auth.ErrBadCredentials},
		{"garbage", "Bearer hello", "", "", auth.ErrBadCredentials},
		{"expired", "Bearer " + tokOld, "", "", auth.ErrBadCredentials},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/events/x", nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			p, err := a.Authenticate(r)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Role != c.role || p.Institution != c.inst || p.Method != "token" {
				t.Fatalf("principal %+v", p)
			}
		})
	}
}

func TestRevocationTakesEffectWithoutRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.json")
	tok, c := addToken(t, path, auth.RoleAuthority, "", "head-1", time.Time{})
	clock := time.Now()
	a, err := auth.OpenAuthenticator(path, &auth.AuthOptions{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Token(tok); err != nil {
		t.Fatal(err)
	}
	f, err := auth.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Remove(c.ID) {
		t.Fatal("not removed")
	}
	if err := auth.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	// Force a different stamp even on coarse mtime filesystems.
	os.Chtimes(path, clock.Add(time.Minute), clock.Add(time.Minute))
	clock = clock.Add(2 * time.Second)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, err := a.Authenticate(r); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("revoked token still accepted: %v", err)
	}
}

func TestCredentialFileRefusals(t *testing.T) {
	dir := t.TempDir()
	good := `{"format":"dataledger-credentials/v1","credentials":[]}`
	cases := []struct{ name, body, want string }{
		{"bad format", `{"format":"x","credentials":[]}`, "format"},
		{"unknown field", `{"format":"dataledger-credentials/v1","credentials":[],"x":1}`, "unknown field"},
		{"unknown role", `{"format":"dataledger-credentials/v1","credentials":[{"id":"0011223344556677","kind":"token","role":"god","person":"p"}]}`, "unknown role"},
		{"institution role without institution", `{"format":"dataledger-credentials/v1","credentials":[{"id":"0011223344556677","kind":"token","role":"institution","person":"p"}]}`, "needs an institution"},
		{"officer with institution", `{"format":"dataledger-credentials/v1","credentials":[{"id":"0011223344556677","kind":"token","role":"security_officer","institution":"x","person":"p"}]}`, "must not name one"},
		{"token without hash", `{"format":"dataledger-credentials/v1","credentials":[{"id":"0011223344556677","kind":"token","role":"reviewer","person":"p"}]}`, "no usable argon2id hash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".json")
			os.WriteFile(p, []byte(c.body), 0o600)
			_, err := auth.OpenAuthenticator(p, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
	t.Run("world readable", func(t *testing.T) {
		p := filepath.Join(dir, "open.json")
		os.WriteFile(p, []byte(good), 0o644)
		os.Chmod(p, 0o644)
		if _, err := auth.OpenAuthenticator(p, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("missing file means no credentials", func(t *testing.T) {
		a, err := auth.OpenAuthenticator(filepath.Join(dir, "absent.json"), nil)
		if err != nil || a.Count() != 0 {
			t.Fatalf("%v %d", err, a.Count())
		}
	})
}

func TestLimiter(t *testing.T) {
	l := auth.NewLimiter(2, 3)
	now := time.Unix(1000, 0)
	l.SetClock(func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request: ok=%v wait=%v; want refused with a wait of at most 0.5 s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another client is limited by a's use")
	}
	now = now.Add(wait)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("not allowed after waiting Retry-After")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("refusals must not refill the bucket")
	}
	now = now.Add(time.Hour)
	l.Allow("c")
	if n := l.Clients(); n != 1 {
		t.Fatalf("idle clients not forgotten: %d buckets", n)
	}
	var nilL *auth.Limiter
	if ok, _ := nilL.Allow("x"); !ok {
		t.Fatal("a nil limiter must allow")
	}
}

func writeAudit(t *testing.T, path string, n int) {
	t.Helper()
	l, err := auth.OpenAuditLog(path, auth.AuditOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		err := l.Append(auth.AuditRecord{Person: "officer-1", Role: auth.RoleSecurityOfficer, Method: "GET", Route: "/v1/events/{id}",
			Path: fmt.Sprintf("/v1/events/%d", i), IDs: []string{fmt.Sprint(i)}, Seqs: []uint64{uint64(i)}, Outcome: auth.OutcomeAllowed, Status: 200})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditChain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	writeAudit(t, path, 3)
	writeAudit(t, path, 2) // reopening continues the chain
	n, _, err := auth.VerifyAuditFile(path)
	if err != nil || n != 5 {
		t.Fatalf("verify: %d %v", n, err)
	}
	orig, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(orig, []byte("\n"))
	lines = lines[:len(lines)-1]
	cases := []struct {
		name   string
		edit   func() []byte
		line   uint64
		reason string
	}{
		{"edited_field", func() []byte {
			return bytes.Replace(orig, []byte(`"path":"/v1/events/2"`), []byte(`"path":"/v1/events/9"`), 1)
		}, 3, "bad_hash"},
		{"deleted_line", func() []byte { return bytes.Join(append(append([][]byte{}, lines[:1]...), lines[2:]...), nil) }, 2, "bad_prev"},
		{"swapped_lines", func() []byte {
			return bytes.Join([][]byte{lines[0], lines[2], lines[1], lines[3], lines[4]}, nil)
		}, 2, "bad_prev"},
		{"torn_last_line", func() []byte { return orig[:len(orig)-10] }, 5, "torn"},
		{"garbage_line", func() []byte { return append(append([]byte{}, orig...), "hello\n"...) }, 6, "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".jsonl")
			os.WriteFile(p, c.edit(), 0o600)
			_, _, err := auth.VerifyAuditFile(p)
			var ae *auth.AuditError
			if !errors.As(err, &ae) || ae.Line != c.line || ae.Reason != c.reason {
				t.Fatalf("got %v; want line %d %s", err, c.line, c.reason)
			}
			if _, err := auth.OpenAuditLog(p, auth.AuditOptions{}); err == nil {
				t.Fatal("OpenAuditLog continued a broken chain")
			}
		})
	}
}

// TestRolePowers: which role reads everything, decrypts and exports evidence bundles, as
// docs/access.md's matrix says.
func TestRolePowers(t *testing.T) {
	tests := []struct {
		role                      auth.Role
		readsAll, decrypts, exprt bool
	}{
		{auth.RoleAuthority, true, true, true},
		{auth.RoleSecurityOfficer, true, true, true},
		{auth.RoleReviewer, true, false, false},
		{auth.RoleInstitution, false, true, false},
		{auth.RoleSubmitter, false, false, false},
	}
	for _, tc := range tests {
		if tc.role.ReadsAll() != tc.readsAll || tc.role.Decrypts() != tc.decrypts || tc.role.Exports() != tc.exprt {
			t.Errorf("%s: reads all %v, decrypts %v, exports %v; want %v, %v, %v", tc.role,
				tc.role.ReadsAll(), tc.role.Decrypts(), tc.role.Exports(), tc.readsAll, tc.decrypts, tc.exprt)
		}
	}
}
