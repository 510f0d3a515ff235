package auth_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
)

// Issue a token, store only its hash, authenticate a request with it.
func ExampleNewToken() {
	dir, _ := os.MkdirTemp("", "creds")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "credentials.json")

	tok, cred, _ := auth.NewToken(auth.RoleInstitution, "aba-health", "clerk-3", time.Time{}, auth.DefaultKDF)
	f := &auth.File{}
	f.Add(cred)
	auth.WriteFile(path, f)

	a, _ := auth.OpenAuthenticator(path, nil)
	r := httptest.NewRequest("GET", "/v1/events/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	p, _ := a.Authenticate(r)
	stored, _ := os.ReadFile(path)
	fmt.Println(p.Role, p.Institution, p.Person, strings.Contains(string(stored), tok))
	// Its own act; another institution's act on a stream it does not hold; one on a stream it holds.
	fmt.Println(p.CanRead("aba-health", false), p.CanRead("aba-transport", false), p.CanRead("aba-transport", true))
	// Output:
	// institution aba-health clerk-3 false
	// true false true
}
