package bundle_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger/witness"
)

// TestOpenSSLVerifiesBundle checks the bundle's cryptography with an independent
// implementation, the openssl command line (OpenSSL 3): the checkpoint's SM2 signature
// over the note text, a witness cosignature, an actor's SM2 signature over the exact
// submission bytes, and the entry's SM3 hash. Changed input must fail there too.
func TestOpenSSLVerifiesBundle(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("LEDGER_REQUIRE_SERVICES") == "1" {
			t.Fatal("openssl is required (LEDGER_REQUIRE_SERVICES=1) but not installed")
		}
		t.Skip("openssl not installed")
	}
	fx := getFixture(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	verify := func(pub, msg, sig string) error {
		out, err := exec.Command(bin, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-in", msg, "-sigfile", sig,
			"-digest", "sm3", "-pkeyopt", "distid:1234567812345678").CombinedOutput()
		if err == nil && !bytes.Contains(out, []byte("Signature Verified Successfully")) {
			t.Fatalf("openssl said %q", out)
		}
		return err
	}
	// The checkpoint: the signed message is the note text up to the blank line; the
	// signature line is base64(4-byte key ID ‖ DER signature).
	text, sigs, _ := strings.Cut(fx.b.Checkpoint, "\n\n")
	body := text + "\n"
	line := strings.TrimSuffix(strings.SplitN(sigs, "\n", 2)[0], "\n")
	raw, err := base64.StdEncoding.DecodeString(line[strings.LastIndexByte(line, ' ')+1:])
	if err != nil {
		t.Fatal(err)
	}
	ledgerPub := write("ledger.pub", []byte(fx.b.Keys[fx.b.LedgerKey]))
	if err := verify(ledgerPub, write("ckpt.msg", []byte(body)), write("ckpt.sig", raw[4:])); err != nil {
		t.Fatalf("openssl rejects the checkpoint signature: %v", err)
	}
	if verify(ledgerPub, write("ckpt-bad.msg", []byte(strings.Replace(body, "\n", "\n1", 1))), write("ckpt.sig", raw[4:])) == nil {
		t.Fatal("openssl accepts the checkpoint signature over a changed body")
	}

	// An actor's signature over the exact submission bytes, with the key from the bundle.
	e := fx.b.Entries[len(fx.b.Entries)/2]
	actorPub := write("actor.pub", []byte(fx.b.Keys[e.KeyID]))
	if err := verify(actorPub, write("sub.msg", e.Submission), write("sub.sig", e.Signature)); err != nil {
		t.Fatalf("openssl rejects the actor's signature on seq %d: %v", e.Seq, err)
	}
	bad := bytes.Clone(e.Submission)
	bad[len(bad)/2] ^= 1
	if verify(actorPub, write("sub-bad.msg", bad), write("sub.sig", e.Signature)) == nil {
		t.Fatal("openssl accepts the actor's signature over changed bytes")
	}

	// The entry hash: openssl's SM3 over the exact entry bytes.
	out, err := exec.Command(bin, "dgst", "-sm3", "-r", write("entry.bin", e.Entry)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out))[0]; got != e.Hash.String() {
		t.Fatalf("openssl SM3 %s, bundle hash %s", got, e.Hash)
	}

	// A witness cosignature: "cosignature/v1\ntime <t>\n" ‖ body, the signature after the
	// 4-byte key ID and the 8-byte timestamp.
	wk, _ := crypto.GenerateKey()
	w, err := witness.New("witness.example", wk, filepath.Join(dir, "w.json"), witness.Log{Origin: fx.f.Origin, Key: fx.f.LedgerKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := w.AddCheckpoint(t.Context(), 0, nil, []byte(fx.b.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(cl))
	craw, _ := base64.StdEncoding.DecodeString(s[strings.LastIndexByte(s, ' ')+1:])
	ts, _ := witness.Timestamp(craw[4:])
	msg := witness.CosignedMessage(uint64(ts.Unix()), []byte(body))
	if err := verify(write("w.pub", crypto.MarshalPublicKeyPEM(wk.Public())), write("cosig.msg", msg), write("cosig.sig", craw[12:])); err != nil {
		t.Fatalf("openssl rejects the cosignature: %v", err)
	}
}
