package crypto_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
)

func TestSM3Vectors(t *testing.T) {
	// GB/T 32905-2016 Appendix A.
	cases := []struct{ in, want string }{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	}
	for _, c := range cases {
		if got := crypto.SM3([]byte(c.in)); hex.EncodeToString(got[:]) != c.want {
			t.Errorf("SM3(%q) = %x, want %s", c.in, got, c.want)
		}
		h := crypto.NewSM3()
		h.Write([]byte(c.in))
		if got := hex.EncodeToString(h.Sum(nil)); got != c.want {
			t.Errorf("streaming SM3(%q) = %s", c.in, got)
		}
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSM4GCMRFC8998(t *testing.T) {
	// RFC 8998 Appendix A.1.
	key := unhex(t, "0123456789abcdeffedcba9876543210")
	iv := unhex(t, "00001234567800000000abcd")
	aad := unhex(t, "feedfacedeadbeeffeedfacedeadbeefabaddad2")
	pt := unhex(t, "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccddddddddddddddddeeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa")
	want := "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d" +
		"83de3541e4c2b58177e065a9bf7b62ec"
	aead, err := crypto.NewSM4GCM(key)
	if err != nil {
		t.Fatal(err)
	}
	ct := aead.Seal(nil, iv, pt, aad)
	if hex.EncodeToString(ct) != want {
		t.Fatalf("SM4-GCM ciphertext‖tag =\n%x\nwant\n%s", ct, want)
	}
	got, err := aead.Open(nil, iv, ct, aad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %x, %v", got, err)
	}
	// The tag is checked: any flipped bit is refused.
	for _, i := range []int{0, len(ct) / 2, len(ct) - 1} {
		bad := bytes.Clone(ct)
		bad[i] ^= 1
		if _, err := aead.Open(nil, iv, bad, aad); err == nil {
			t.Errorf("tampered ciphertext byte %d accepted", i)
		}
	}
	if _, err := crypto.NewSM4GCM(key[:15]); err == nil {
		t.Error("a 15-byte SM4 key was accepted")
	}
}

func TestSignVerify(t *testing.T) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := crypto.GenerateKey()
	msg := []byte("data.collected.v1 by aba-stats-bureau")
	sig, err := k.SignMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		key  *crypto.PublicKey
		msg  []byte
		sig  []byte
		ok   bool
	}{
		{"valid", k.Public(), msg, sig, true},
		{"other key", other.Public(), msg, sig, false},
		{"other message", k.Public(), append(bytes.Clone(msg), '!'), sig, false},
		{"truncated signature", k.Public(), msg, sig[:len(sig)-1], false},
		{"empty signature", k.Public(), msg, nil, false},
		{"garbage signature", k.Public(), msg, []byte{0x30, 0x02, 0x01, 0x00}, false},
	}
	for _, c := range cases {
		if got := c.key.Verify(c.msg, c.sig); got != c.ok {
			t.Errorf("%s: Verify = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	k, _ := crypto.GenerateKey()
	prefix := filepath.Join(dir, "inst")
	if err := crypto.WriteKeyPair(prefix, k); err != nil {
		t.Fatal(err)
	}
	if err := crypto.WriteKeyPair(prefix, k); err == nil {
		t.Fatal("WriteKeyPair overwrote an existing private key")
	}
	k2, err := crypto.ReadPrivateKeyFile(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypto.ReadPublicKeyFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if k2.Public().ID() != k.Public().ID() || pub.ID() != k.Public().ID() || !pub.Equal(k.Public()) {
		t.Fatal("key files do not round-trip")
	}
	if err := os.Chmod(prefix+".key", 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.ReadPrivateKeyFile(prefix + ".key"); err == nil {
		t.Fatal("a world-readable private key file was accepted")
	}
	for name, b := range map[string][]byte{
		"empty":          nil,
		"not PEM":        []byte("hello"),
		"wrong block":    []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"garbage in PEM": []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
	} {
		if _, err := crypto.ParsePublicKeyPEM(b); err == nil {
			t.Errorf("%s: parsed as a public key", name)
		}
		if _, err := crypto.ParsePrivateKeyPEM(b); err == nil {
			t.Errorf("%s: parsed as a private key", name)
		}
	}
}

// openssl returns the path of OpenSSL 3, failing when CI requires it.
func openssl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("LEDGER_REQUIRE_SERVICES") == "1" {
			t.Fatal("openssl is required (LEDGER_REQUIRE_SERVICES=1) but not installed")
		}
		t.Skip("openssl not installed")
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOpenSSLInterop proves the signatures mean the same thing to a tool that is not ours:
// OpenSSL verifies ours, and we verify OpenSSL's, with the GM/T 0009 default user ID.
func TestOpenSSLInterop(t *testing.T) {
	ossl := openssl(t)
	dir := t.TempDir()
	k, _ := crypto.GenerateKey()
	prefix := filepath.Join(dir, "k")
	if err := crypto.WriteKeyPair(prefix, k); err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"actor":{"institution":"aba-stats-bureau","key_id":"x","person":"p-1"},"payload":{"用途":"统计"}}`)
	msgFile, sigFile := filepath.Join(dir, "msg"), filepath.Join(dir, "sig")
	os.WriteFile(msgFile, msg, 0o644)

	sig, _ := k.SignMessage(msg)
	os.WriteFile(sigFile, sig, 0o644)
	out := run(t, ossl, "pkeyutl", "-verify", "-pubin", "-inkey", prefix+".pub", "-rawin", "-in", msgFile,
		"-sigfile", sigFile, "-digest", "sm3", "-pkeyopt", "distid:"+crypto.DefaultUserID)
	if !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl did not verify our signature: %s", out)
	}
	// A signature over another message must fail in OpenSSL too (the check can fail).
	os.WriteFile(msgFile, append(bytes.Clone(msg), ' '), 0o644)
	if err := exec.Command(ossl, "pkeyutl", "-verify", "-pubin", "-inkey", prefix+".pub", "-rawin", "-in", msgFile,
		"-sigfile", sigFile, "-digest", "sm3", "-pkeyopt", "distid:"+crypto.DefaultUserID).Run(); err == nil {
		t.Fatal("openssl verified a signature over a different message")
	}
	os.WriteFile(msgFile, msg, 0o644)

	// OpenSSL signs with our key file; we verify.
	osslSig := filepath.Join(dir, "osslsig")
	run(t, ossl, "pkeyutl", "-sign", "-inkey", prefix+".key", "-rawin", "-in", msgFile, "-out", osslSig,
		"-digest", "sm3", "-pkeyopt", "distid:"+crypto.DefaultUserID)
	s2, _ := os.ReadFile(osslSig)
	if !verifyEveryWay(t, k.Public(), msg, s2) {
		t.Fatal("we did not verify OpenSSL's signature")
	}
	// OpenSSL's own key: generated, read by us.
	osslKey := filepath.Join(dir, "ossl.key")
	run(t, ossl, "genpkey", "-algorithm", "SM2", "-out", osslKey)
	os.Chmod(osslKey, 0o600)
	ok, err := crypto.ReadPrivateKeyFile(osslKey)
	if err != nil {
		t.Fatalf("reading an OpenSSL-generated SM2 key: %v", err)
	}
	run(t, ossl, "pkeyutl", "-sign", "-inkey", osslKey, "-rawin", "-in", msgFile, "-out", osslSig,
		"-digest", "sm3", "-pkeyopt", "distid:"+crypto.DefaultUserID)
	s3, _ := os.ReadFile(osslSig)
	if !verifyEveryWay(t, ok.Public(), msg, s3) {
		t.Fatal("we did not verify a signature by an OpenSSL-generated key")
	}
	// The SM3 digest agrees too.
	dgst := run(t, ossl, "dgst", "-sm3", msgFile)
	want := crypto.SM3(msg)
	if !strings.Contains(dgst, hex.EncodeToString(want[:])) {
		t.Fatalf("openssl dgst -sm3 = %s, want %x", dgst, want)
	}
}

func ExampleSM3() {
	fmt.Printf("%x\n", crypto.SM3([]byte("abc")))
	// Output: 66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0
}

func ExamplePublicKey_Verify() {
	k, _ := crypto.GenerateKey()
	msg := []byte("share.granted.v1")
	sig, _ := k.SignMessage(msg)
	fmt.Println(k.Public().Verify(msg, sig), k.Public().Verify([]byte("tampered"), sig))
	// Output: true false
}

func BenchmarkSM3(b *testing.B) {
	for _, n := range []int{256, 1024, 16 << 10} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			buf := make([]byte, n)
			b.SetBytes(int64(n))
			for b.Loop() {
				crypto.SM3(buf)
			}
		})
	}
}

func BenchmarkSM2(b *testing.B) {
	k, _ := crypto.GenerateKey()
	msg := make([]byte, 256)
	sig, _ := k.SignMessage(msg)
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			k.SignMessage(msg)
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			k.Public().Verify(msg, sig)
		}
	})
}

// verifyEveryWay verifies sig enough times that the key passes from the SM library's
// verifier to its own precomputed table, and fails the test if the two answers differ.
func verifyEveryWay(t *testing.T, pub *crypto.PublicKey, msg, sig []byte) bool {
	t.Helper()
	first := pub.Verify(msg, sig)
	for i := range 40 {
		if pub.Verify(msg, sig) != first {
			t.Fatalf("verification %d disagrees with the first (%v)", i+2, first)
		}
	}
	return first
}
