package auth_test

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
)

// BenchmarkAuthenticateCached is the per-read cost of a token already checked once (the
// Argon2id KDF runs on the first use only).
func BenchmarkAuthenticateCached(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c.json")
	tok, cred, _ := auth.NewToken(auth.RoleSecurityOfficer, "", "o-1", time.Time{}, auth.DefaultKDF)
	f := &auth.File{}
	f.Add(cred)
	auth.WriteFile(path, f)
	a, err := auth.OpenAuthenticator(path, &auth.AuthOptions{ReloadEvery: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, err := a.Authenticate(r); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenKDF is the first check of a token (Argon2id, DefaultKDF).
func BenchmarkTokenKDF(b *testing.B) {
	path := filepath.Join(b.TempDir(), "c.json")
	tok, cred, _ := auth.NewToken(auth.RoleSecurityOfficer, "", "o-1", time.Time{}, auth.DefaultKDF)
	f := &auth.File{}
	f.Add(cred)
	auth.WriteFile(path, f)
	for b.Loop() {
		a, _ := auth.OpenAuthenticator(path, nil)
		if _, err := a.Token(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditAppend is one audit line without fsync (the hashing and encoding); with
// fsync the disk decides.
func BenchmarkAuditAppend(b *testing.B) {
	l, err := auth.OpenAuditLog(filepath.Join(b.TempDir(), "a.jsonl"), auth.AuditOptions{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	i := 0
	for b.Loop() {
		i++
		if err := l.Append(auth.AuditRecord{Person: "o-1", Role: auth.RoleSecurityOfficer, Method: "GET", Route: "/v1/events/{id}",
			Path: fmt.Sprint("/v1/events/", i), IDs: []string{fmt.Sprint(i)}, Seqs: []uint64{uint64(i)}, Outcome: auth.OutcomeAllowed, Status: 200}); err != nil {
			b.Fatal(err)
		}
	}
}
