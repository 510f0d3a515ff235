package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/internal/atomicfile"
	"github.com/aba-prefecture/dataledger/internal/strictjson"

	"golang.org/x/crypto/argon2"
)

// FileFormat names the credentials file's format.
const FileFormat = "dataledger-credentials/v1"

// Argon2id parameters for new tokens: RFC 9106's second recommended option scaled to
// OWASP's minimum (19 MiB, 2 passes, 1 lane). Tokens carry 256 random bits, so the KDF
// guards a stolen credentials file against nothing a brute force could do anyway; it is
// here so that the file is worthless even to an attacker who knows that.
var DefaultKDF = KDFParams{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// KDFParams are Argon2id's cost parameters, stored with each hash so that they can be
// raised without invalidating old tokens.
type KDFParams struct {
	Time      uint32 `json:"t"`
	MemoryKiB uint32 `json:"m"`
	Threads   uint8  `json:"p"`
}

// Credential is one entry of the credentials file: a hashed bearer token or a client
// certificate fingerprint, and whom it stands for.
type Credential struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"` // "token" or "cert"
	Role        Role   `json:"role"`
	Institution string `json:"institution,omitempty"`
	Person      string `json:"person"`
	Created     string `json:"created"`
	Expires     string `json:"expires,omitempty"`
	Note        string `json:"note,omitempty"`

	// token
	KDF  string     `json:"kdf,omitempty"` // "argon2id"
	Cost *KDFParams `json:"params,omitempty"`
	Salt []byte     `json:"salt,omitempty"`
	Hash []byte     `json:"hash,omitempty"`

	// cert
	Fingerprint string `json:"sha256,omitempty"` // hex SHA-256 of the certificate's DER
	Subject     string `json:"subject,omitempty"`
}

// File is the credentials file: JSON, mode 0600.
type File struct {
	Format      string        `json:"format"`
	Credentials []*Credential `json:"credentials"`
}

var idRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// Validate checks one credential as loaded: a closed role, an institution exactly when the
// role needs one, well-formed ids, a usable hash or fingerprint.
func (c *Credential) Validate() error {
	if _, err := ParseRole(string(c.Role)); err != nil {
		return err
	}
	if c.Role.BoundToInstitution() != (c.Institution != "") {
		if c.Institution == "" {
			return fmt.Errorf("role %s needs an institution", c.Role)
		}
		return fmt.Errorf("role %s reads across institutions and must not name one (%q)", c.Role, c.Institution)
	}
	if c.Institution != "" && !nameRE.MatchString(c.Institution) {
		return fmt.Errorf("institution %q is not a valid id", c.Institution)
	}
	if !nameRE.MatchString(c.Person) {
		return fmt.Errorf("person %q is not a valid id (letters, digits, ._:@-)", c.Person)
	}
	if c.Expires != "" {
		if _, err := time.Parse(time.RFC3339, c.Expires); err != nil {
			return fmt.Errorf("expires %q is not RFC 3339", c.Expires)
		}
	}
	switch c.Kind {
	case "token":
		if !idRE.MatchString(c.ID) {
			return fmt.Errorf("token id %q is not 16 hex digits", c.ID)
		}
		if c.KDF != "argon2id" || c.Cost == nil || c.Cost.Time == 0 || c.Cost.MemoryKiB < 8 || c.Cost.Threads == 0 || len(c.Salt) < 16 || len(c.Hash) != 32 {
			return fmt.Errorf("token %s has no usable argon2id hash", c.ID)
		}
	case "cert":
		if len(c.Fingerprint) != 64 || strings.ToLower(c.Fingerprint) != c.Fingerprint {
			return fmt.Errorf("certificate %s: sha256 must be 64 lowercase hex digits", c.ID)
		}
		if _, err := hex.DecodeString(c.Fingerprint); err != nil {
			return fmt.Errorf("certificate %s: sha256: %v", c.ID, err)
		}
		if c.ID != "cert-"+c.Fingerprint[:16] {
			return fmt.Errorf("certificate id %q must be cert-<first 16 digits of sha256>", c.ID)
		}
	default:
		return fmt.Errorf("credential %s: kind must be token or cert, not %q", c.ID, c.Kind)
	}
	return nil
}

// expired reports whether the credential has expired at now.
func (c *Credential) expired(now time.Time) bool {
	if c.Expires == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339, c.Expires)
	return err != nil || !now.Before(t)
}

func (c *Credential) principal(method string) *Principal {
	return &Principal{Role: c.Role, Institution: c.Institution, Person: c.Person, Credential: c.ID, Method: method}
}

// ReadFile loads and validates a credentials file. A missing file is returned as an
// empty File and an error wrapping os.ErrNotExist, so that callers can tell "no
// credentials yet" from a broken file.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return &File{Format: FileFormat}, fmt.Errorf("reading credentials %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("credentials %s has mode %v; it must not be readable by group or others (chmod 600)", path, fi.Mode().Perm())
	}
	return parseFile(b, path)
}

func parseFile(b []byte, path string) (*File, error) {
	var f File
	if err := strictjson.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("credentials %s: %w", path, err)
	}
	if f.Format != FileFormat {
		return nil, fmt.Errorf("credentials %s: format %q, want %q", path, f.Format, FileFormat)
	}
	seen := map[string]bool{}
	for i, c := range f.Credentials {
		if c == nil {
			return nil, fmt.Errorf("credentials %s: entry %d is null", path, i)
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("credentials %s: entry %d: %w", path, i, err)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("credentials %s: id %s appears twice", path, c.ID)
		}
		seen[c.ID] = true
	}
	return &f, nil
}

// WriteFile writes f atomically (temporary file, fsync, rename, fsync of the directory)
// with mode 0600.
func WriteFile(path string, f *File) error {
	f.Format = FileFormat
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'), 0o600)
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("writing %s: the directory %s does not exist; create it first (目录 %s 不存在，请先创建)", path, dir, dir)
	}
	return atomicfile.Write(path, b, mode)
}

// tokenPrefix starts every bearer token, so that one found in a log or a repository is
// recognisable (secret scanners match it).
const tokenPrefix = "dlt1_"

// NewToken makes a bearer token for whom and returns the secret token (show it once,
// never store it) and the credential to add to the file. The id is random, not derived
// from the secret.
func NewToken(role Role, institution, person string, expires time.Time, kdf KDFParams) (string, *Credential, error) {
	var idb [8]byte
	var secret [32]byte
	var salt [16]byte
	for _, b := range [][]byte{idb[:], secret[:], salt[:]} {
		if _, err := rand.Read(b); err != nil {
			return "", nil, err
		}
	}
	c := &Credential{
		ID: hex.EncodeToString(idb[:]), Kind: "token", Role: role, Institution: institution, Person: person,
		Created: time.Now().UTC().Format(time.RFC3339), KDF: "argon2id", Cost: &kdf, Salt: salt[:],
	}
	if !expires.IsZero() {
		c.Expires = expires.UTC().Format(time.RFC3339)
	}
	c.Hash = hashSecret(secret[:], c.Salt, kdf)
	if err := c.Validate(); err != nil {
		return "", nil, err
	}
	return tokenPrefix + c.ID + "_" + base64.RawURLEncoding.EncodeToString(secret[:]), c, nil
}

func hashSecret(secret, salt []byte, p KDFParams) []byte {
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, 32)
}

// splitToken parses "dlt1_<id>_<secret>".
func splitToken(tok string) (id string, secret []byte, ok bool) {
	rest, found := strings.CutPrefix(tok, tokenPrefix)
	if !found {
		return "", nil, false
	}
	id, s, found := strings.Cut(rest, "_")
	if !found || !idRE.MatchString(id) {
		return "", nil, false
	}
	secret, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(secret) != 32 {
		return "", nil, false
	}
	return id, secret, true
}

// checkSecret compares in constant time.
func (c *Credential) checkSecret(secret []byte) bool {
	if c.Kind != "token" || c.Cost == nil {
		return false
	}
	return subtle.ConstantTimeCompare(hashSecret(secret, c.Salt, *c.Cost), c.Hash) == 1
}

// CertCredential maps a client certificate to whom, by its SHA-256 fingerprint.
func CertCredential(cert *x509.Certificate, role Role, institution, person string) (*Credential, error) {
	fp := Fingerprint(cert)
	c := &Credential{
		ID: "cert-" + fp[:16], Kind: "cert", Role: role, Institution: institution, Person: person,
		Created: time.Now().UTC().Format(time.RFC3339), Fingerprint: fp, Subject: cert.Subject.String(),
	}
	if !cert.NotAfter.IsZero() {
		c.Expires = cert.NotAfter.UTC().Format(time.RFC3339)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Fingerprint is the lowercase hex SHA-256 of a certificate's DER encoding.
func Fingerprint(cert *x509.Certificate) string {
	s := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(s[:])
}

// Add appends c, refusing a duplicate id or fingerprint.
func (f *File) Add(c *Credential) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if slices.ContainsFunc(f.Credentials, func(o *Credential) bool { return o.ID == c.ID }) {
		return fmt.Errorf("a credential with id %s already exists", c.ID)
	}
	f.Credentials = append(f.Credentials, c)
	return nil
}

// Remove deletes the credential with id; it reports whether one was there.
func (f *File) Remove(id string) bool {
	n := len(f.Credentials)
	f.Credentials = slices.DeleteFunc(f.Credentials, func(c *Credential) bool { return c.ID == id })
	return len(f.Credentials) != n
}

// ErrNoCredentials: the request carries no credential at all (HTTP 401).
var ErrNoCredentials = errors.New("no credentials presented")

// ErrBadCredentials: a credential was presented but is unknown, wrong, expired or
// malformed (HTTP 401). Which of these is deliberately not said to the client.
var ErrBadCredentials = errors.New("credentials not accepted")
