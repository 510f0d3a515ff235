package crypto

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// MarshalPrivateKeyPEM encodes the key as a PKCS#8 "PRIVATE KEY" PEM block, the form
// OpenSSL 3 and other GM tools read.
func MarshalPrivateKeyPEM(k *PrivateKey) ([]byte, error) {
	der, err := smx509.MarshalPKCS8PrivateKey(k.key)
	if err != nil {
		return nil, fmt.Errorf("encoding PKCS#8: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM reads a PKCS#8 PEM SM2 private key.
func ParsePrivateKeyPEM(b []byte) (*PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: want a PKCS#8 \"PRIVATE KEY\" PEM block", ErrBadKey)
	}
	k, err := smx509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	sk, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotSM2, k)
	}
	return newPrivateKey(sk)
}

// MarshalPublicKeyPEM encodes the key as a PKIX "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(p *PublicKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p.der})
}

// ErrPrivateKeyInPublic marks private key material where only a public key belongs: a
// public-key file is copied, published and handed to other parties, so one that also
// carries the private key (appended by mistake, or sent by a hostile server) is refused
// outright rather than read for its first block and passed on.
var ErrPrivateKeyInPublic = errors.New("a private key where only a public key belongs")

// ParsePublicKeyPEM reads a PKIX PEM SM2 public key. The input must be exactly one
// "PUBLIC KEY" block, without PEM headers, with only whitespace around it: anything else
// (a second block, text, a private key) is refused, so that what is accepted as a public
// key can be stored and passed on as it is. A private key anywhere in the input is
// ErrPrivateKeyInPublic as well as ErrBadKey.
func ParsePublicKeyPEM(b []byte) (*PublicKey, error) {
	if i := bytes.Index(b, []byte("PRIVATE KEY-----")); i >= 0 {
		typ := "PRIVATE KEY"
		if j := bytes.LastIndex(b[:i], []byte("-----BEGIN ")); j >= 0 && i-j-len("-----BEGIN ") < 32 {
			typ = string(b[j+len("-----BEGIN ") : i+len("PRIVATE KEY")])
		}
		return nil, fmt.Errorf("%w: %w: it holds a %q block; a public-key file must hold the public key only: do not pass it on, and keep the private key secret (公钥文件中含有私钥)",
			ErrBadKey, ErrPrivateKeyInPublic, typ)
	}
	rest := bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(rest, []byte("-----BEGIN ")) {
		if len(rest) == 0 {
			return nil, fmt.Errorf("%w: empty; want a PKIX \"PUBLIC KEY\" PEM block", ErrBadKey)
		}
		return nil, fmt.Errorf("%w: want a PKIX \"PUBLIC KEY\" PEM block and nothing else; the input starts with other text", ErrBadKey)
	}
	blk, rest := pem.Decode(rest)
	switch {
	case blk == nil:
		return nil, fmt.Errorf("%w: a malformed PEM block; want a PKIX \"PUBLIC KEY\" block", ErrBadKey)
	case blk.Type != "PUBLIC KEY":
		return nil, fmt.Errorf("%w: a %q PEM block; want a PKIX \"PUBLIC KEY\" block", ErrBadKey, blk.Type)
	case len(blk.Headers) > 0:
		return nil, fmt.Errorf("%w: the \"PUBLIC KEY\" block has PEM headers; a public key has none", ErrBadKey)
	case len(bytes.TrimSpace(rest)) > 0:
		return nil, fmt.Errorf("%w: more after the \"PUBLIC KEY\" block (another block or text); a public-key file holds exactly one public key", ErrBadKey)
	}
	return ParsePublicKeyDER(blk.Bytes)
}

// ParsePublicKeyDER reads a DER SubjectPublicKeyInfo holding an SM2 key.
func ParsePublicKeyDER(der []byte) (*PublicKey, error) {
	k, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotSM2, k)
	}
	return NewPublicKey(ek)
}

// ReadPrivateKeyFile loads a PKCS#8 PEM key file. It refuses files readable by group or
// others, because a signing key that other accounts can read no longer proves who acted.
func ReadPrivateKeyFile(path string) (*PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %v; want 0600", ErrKeyFileMode, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	k, err := ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadPublicKeyFile loads a PKIX PEM public key file.
func ReadPublicKeyFile(path string) (*PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading public key file: %w", err)
	}
	k, err := ParsePublicKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// WriteKeyPair writes PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (PKIX PEM). It
// refuses to overwrite an existing private key: losing one can orphan a registered key.
func WriteKeyPair(prefix string, k *PrivateKey) error {
	priv, err := MarshalPrivateKeyPEM(k)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(prefix+".key", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing private key: %w", err)
	}
	if _, err := f.Write(priv); err != nil {
		f.Close()
		return fmt.Errorf("writing private key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing private key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing private key: %w", err)
	}
	if err := os.WriteFile(prefix+".pub", MarshalPublicKeyPEM(k.Public()), 0o644); err != nil {
		return fmt.Errorf("writing public key: %w", err)
	}
	return nil
}
