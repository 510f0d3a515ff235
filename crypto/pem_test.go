package crypto_test

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
)

// TestPublicKeyPEMHoldsOnePublicKey: a public key is exactly one "PUBLIC KEY" block with
// only whitespace around it. A private key anywhere in the input is refused and named as
// such (ErrPrivateKeyInPublic); so is a second block, text before or after, or headers.
func TestPublicKeyPEMHoldsOnePublicKey(t *testing.T) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := string(crypto.MarshalPublicKeyPEM(k.Public()))
	privPEM, err := crypto.MarshalPrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	priv := string(privPEM)
	other, _ := crypto.GenerateKey()
	otherPub := string(crypto.MarshalPublicKeyPEM(other.Public()))
	block := func(typ string, headers map[string]string) string {
		blk, _ := pem.Decode([]byte(pub))
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: blk.Bytes}))
	}

	for _, ok := range []struct{ name, in string }{
		{"as_written", pub},
		{"whitespace_around", "\n\n  " + pub + "\n\t \n"},
		{"crlf", strings.ReplaceAll(pub, "\n", "\r\n")},
		{"no_final_newline", strings.TrimSuffix(pub, "\n")},
	} {
		got, err := crypto.ParsePublicKeyPEM([]byte(ok.in))
		if err != nil || !got.Equal(k.Public()) {
			t.Errorf("%s: %v", ok.name, err)
		}
	}

	for _, bad := range []struct {
		name, in string
		private  bool
		says     string
	}{
		{"private_key_appended", pub + priv, true, `"PRIVATE KEY" block`},
		{"private_key_first", priv + pub, true, `"PRIVATE KEY" block`},
		{"private_key_alone", priv, true, "public-key file must hold the public key only"},
		{"ec_private_key_appended", pub + "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", true, `"EC PRIVATE KEY" block`},
		{"encrypted_private_key_appended", pub + "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", true, `"ENCRYPTED PRIVATE KEY"`},
		{"broken_private_block_appended", pub + "-----BEGIN PRIVATE KEY-----\nnot base64", true, "private key"},
		{"two_public_keys", pub + otherPub, false, "exactly one public key"},
		{"same_key_twice", pub + pub, false, "exactly one public key"},
		{"text_after", pub + "comment\n", false, "more after"},
		{"text_before", "comment\n" + pub, false, "starts with other text"},
		{"headers", block("PUBLIC KEY", map[string]string{"Proc-Type": "4,ENCRYPTED"}), false, "headers"},
		{"certificate", block("CERTIFICATE", nil), false, `"CERTIFICATE"`},
		{"empty", "", false, "empty"},
		{"whitespace_only", " \n\t", false, "empty"},
		{"truncated_block", pub[:len(pub)/2], false, "malformed PEM block"},
	} {
		_, err := crypto.ParsePublicKeyPEM([]byte(bad.in))
		switch {
		case err == nil:
			t.Errorf("%s: accepted as a public key", bad.name)
		case !errors.Is(err, crypto.ErrBadKey):
			t.Errorf("%s: %v is not ErrBadKey", bad.name, err)
		case errors.Is(err, crypto.ErrPrivateKeyInPublic) != bad.private:
			t.Errorf("%s: %v: ErrPrivateKeyInPublic is %v, want %v", bad.name, err, !bad.private, bad.private)
		case !strings.Contains(err.Error(), bad.says):
			t.Errorf("%s: %q does not say %q", bad.name, err, bad.says)
		}
	}

	// A public-key file with the private key appended: refused, naming the file.
	p := filepath.Join(t.TempDir(), "root.pub")
	if err := os.WriteFile(p, []byte(pub+priv), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = crypto.ReadPublicKeyFile(p)
	if !errors.Is(err, crypto.ErrPrivateKeyInPublic) || !strings.HasPrefix(err.Error(), p+": ") {
		t.Fatalf("ReadPublicKeyFile: %v", err)
	}
}
