package auth

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
)

// Authenticator turns a request's credential into a Principal. It reads the credentials
// file when opened and again whenever the file's size or modification time changes
// (checked at most once per ReloadEvery), so that adding or revoking a credential takes
// effect without a restart. Methods are safe for concurrent use.
type Authenticator struct {
	path string
	opts AuthOptions

	mu      sync.RWMutex
	tokens  map[string]*Credential // by id
	certs   map[string]*Credential // by fingerprint
	stamp   fileStamp
	checked time.Time
	// verified caches SM3(presented token) → credential id after one successful KDF, so
	// that the KDF's cost is paid once per token per process. Cleared on reload.
	verified map[[32]byte]string
	loadErr  error
	kdfRuns  atomic.Uint64
}

// AuthOptions tune an Authenticator. Zero values take the defaults.
type AuthOptions struct {
	// ReloadEvery bounds how often the credentials file is checked for changes
	// (default 1 s).
	ReloadEvery time.Duration
	// Now is the clock for expiry (default time.Now).
	Now func() time.Time
	// MaxCached bounds the verified-token cache (default 10,000 entries).
	MaxCached int
}

type fileStamp struct {
	size  int64
	mtime time.Time
	ok    bool
}

// OpenAuthenticator loads the credentials file at path. A missing file is not an error:
// the authenticator then knows no credentials (every read is refused with 401) until the
// file appears. A malformed file is an error at open; a file that becomes malformed later
// keeps the last good credentials and reports the problem through LoadError.
func OpenAuthenticator(path string, opts *AuthOptions) (*Authenticator, error) {
	a := &Authenticator{path: path}
	if opts != nil {
		a.opts = *opts
	}
	if a.opts.ReloadEvery <= 0 {
		a.opts.ReloadEvery = time.Second
	}
	if a.opts.Now == nil {
		a.opts.Now = time.Now
	}
	if a.opts.MaxCached <= 0 {
		a.opts.MaxCached = 10000
	}
	if err := a.reload(true); err != nil {
		return nil, err
	}
	return a, nil
}

// Path is the credentials file's path.
func (a *Authenticator) Path() string { return a.path }

// Count returns how many credentials are loaded.
func (a *Authenticator) Count() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.tokens) + len(a.certs)
}

// LoadError is the problem with the credentials file's latest version, if it could not
// be loaded (the previous credentials stay in force).
func (a *Authenticator) LoadError() error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.loadErr
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime(), ok: true}
}

// reload re-reads the file if it changed. At open (first) an error is returned; later it
// is kept in loadErr and the old credentials stay.
func (a *Authenticator) reload(first bool) error {
	now := a.opts.Now()
	a.mu.RLock()
	due := first || now.Sub(a.checked) >= a.opts.ReloadEvery
	a.mu.RUnlock()
	if !due {
		return nil
	}
	st := stampOf(a.path)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checked = now
	if !first && st == a.stamp {
		return nil
	}
	f, err := ReadFile(a.path)
	if errors.Is(err, os.ErrNotExist) {
		f, err = &File{Format: FileFormat}, nil
	}
	if err != nil {
		if first {
			return err
		}
		a.loadErr = err
		return nil
	}
	tokens, certs := map[string]*Credential{}, map[string]*Credential{}
	for _, c := range f.Credentials {
		if c.Kind == "token" {
			tokens[c.ID] = c
		} else {
			certs[c.Fingerprint] = c
		}
	}
	a.tokens, a.certs, a.stamp, a.loadErr = tokens, certs, st, nil
	a.verified = map[[32]byte]string{}
	return nil
}

// Authenticate returns the principal a request's credential stands for. A bearer token
// in the Authorization header wins over a client certificate (it is the more deliberate
// of the two); a certificate counts only if the TLS layer verified it. It returns
// ErrNoCredentials when the request carries neither, ErrBadCredentials when what it
// carries is not accepted.
func (a *Authenticator) Authenticate(r *http.Request) (*Principal, error) {
	_ = a.reload(false)
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := BearerToken(h)
		if !ok {
			return nil, fmt.Errorf("%w: the Authorization header is not a Bearer token", ErrBadCredentials)
		}
		return a.Token(tok)
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		return a.Certificate(Fingerprint(r.TLS.VerifiedChains[0][0]))
	}
	return nil, ErrNoCredentials
}

// BearerToken reads an Authorization header's bearer token. The scheme is
// case-insensitive (RFC 9110: "bearer" is "Bearer"), and this is the one parser every
// check uses, so that a failure budget charged on one spelling cannot be skipped with
// another.
func BearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// kdfSlots bounds how many Argon2id checks run at once (each takes ~19 MiB): a burst of
// wrong secrets from many addresses queues here instead of growing the process.
var kdfSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

// Token checks a bearer token.
func (a *Authenticator) Token(tok string) (*Principal, error) {
	id, secret, ok := splitToken(tok)
	if !ok {
		return nil, fmt.Errorf("%w: not a ledger token", ErrBadCredentials)
	}
	key := crypto.SM3([]byte(tok))
	a.mu.RLock()
	c := a.tokens[id]
	cached := a.verified[key] == id
	a.mu.RUnlock()
	if c == nil {
		return nil, fmt.Errorf("%w: unknown token id %s", ErrBadCredentials, id)
	}
	if c.expired(a.opts.Now()) {
		return nil, fmt.Errorf("%w: token %s expired at %s", ErrBadCredentials, id, c.Expires)
	}
	if !cached {
		a.kdfRuns.Add(1)
		kdfSlots <- struct{}{}
		good := c.checkSecret(secret)
		<-kdfSlots
		if !good {
			return nil, fmt.Errorf("%w: wrong secret for token %s", ErrBadCredentials, id)
		}
		a.mu.Lock()
		if a.tokens[id] == c { // not reloaded meanwhile
			if len(a.verified) >= a.opts.MaxCached {
				a.verified = map[[32]byte]string{}
			}
			a.verified[key] = id
		}
		a.mu.Unlock()
	}
	return c.principal("token"), nil
}

// KDFRuns counts the Argon2id checks this authenticator has run: the expensive work a
// failure budget must bound (metrics, flood tests).
func (a *Authenticator) KDFRuns() uint64 { return a.kdfRuns.Load() }

// NeedsKDF reports whether checking tok would run the KDF (a well-formed token of a known
// id not yet verified): the caller's cue to charge it against a failure budget first.
func (a *Authenticator) NeedsKDF(tok string) bool {
	id, _, ok := splitToken(tok)
	if !ok {
		return false
	}
	key := crypto.SM3([]byte(tok))
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.tokens[id] != nil && a.verified[key] != id
}

// Certificate maps a verified client certificate's fingerprint.
func (a *Authenticator) Certificate(fingerprint string) (*Principal, error) {
	a.mu.RLock()
	c := a.certs[fingerprint]
	a.mu.RUnlock()
	if c == nil {
		return nil, fmt.Errorf("%w: client certificate %s… is not registered", ErrBadCredentials, fingerprint[:16])
	}
	if c.expired(a.opts.Now()) {
		return nil, fmt.Errorf("%w: certificate credential %s expired", ErrBadCredentials, c.ID)
	}
	return c.principal("cert"), nil
}
