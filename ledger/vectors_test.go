package ledger_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/witness"
	"golang.org/x/mod/sumdb/note"
)

// TestFormatVectors recomputes the test vectors of docs/formats.md §6 and checks that the
// document states them, so that the published format and the code cannot drift apart.
func TestFormatVectors(t *testing.T) {
	b, err := os.ReadFile("../docs/formats.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	vectors := doc[strings.Index(doc, "## 6. Test vectors"):]
	block := func(after string) string {
		i := strings.Index(vectors, after)
		if i < 0 {
			t.Fatalf("formats.md lacks %q", after)
		}
		rest := vectors[i:]
		s := strings.Index(rest, "```\n") + 4
		e := strings.Index(rest[s:], "```\n")
		return rest[s : s+e]
	}
	key, err := crypto.ParsePublicKeyPEM([]byte(block("Test key")))
	if err != nil {
		t.Fatal(err)
	}
	h := ledger.Hasher{}
	hx := func(b []byte) string { return hex.EncodeToString(b) }
	la, lb, lc := h.HashLeaf([]byte("a")), h.HashLeaf([]byte("b")), h.HashLeaf([]byte("c"))
	abc := crypto.SM3([]byte("abc"))
	want := map[string]string{
		"SM3(\"abc\")":       hx(abc[:]),
		"empty tree root":    hx(h.EmptyRoot()),
		"key ID |":           key.ID(),
		"note key ID":        fmt.Sprintf("%08x", ledger.NoteKeyHash("vector.aba.example/ledger", key)),
		"cosignature key ID": fmt.Sprintf("%08x", witness.KeyHash("witness.example", key)),
		"bytes `a`":          hx(la),
		"leaf hash of `b`":   hx(lb),
		"leaf hash of `c`":   hx(lc),
		"root of [a, b] ":    hx(h.HashChildren(la, lb)),
		"root of [a, b, c] ": hx(h.HashChildren(h.HashChildren(la, lb), lc)),
	}
	if hx(abc[:]) != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" {
		t.Fatalf("SM3(abc) = %x", abc)
	}
	for label, v := range want {
		line := ""
		for _, l := range strings.Split(vectors, "\n") {
			if strings.Contains(l, label) {
				line = l
				break
			}
		}
		if !strings.Contains(line, "`"+v+"`") {
			t.Errorf("formats.md row %q = %q, want %s", label, line, v)
		}
	}
	// Proofs in [a, b, c].
	var root3 ledger.Hash
	copy(root3[:], h.HashChildren(h.HashChildren(la, lb), lc))
	var pa, pc ledger.Hash
	copy(pa[:], la)
	copy(pc[:], lc)
	if err := ledger.VerifyInclusion([]byte("b"), 1, 3, []ledger.Hash{pa, pc}, root3); err != nil {
		t.Errorf("documented inclusion proof: %v", err)
	}
	var root2 ledger.Hash
	copy(root2[:], h.HashChildren(la, lb))
	if err := ledger.VerifyConsistency(2, 3, []ledger.Hash{pc}, root2, root3); err != nil {
		t.Errorf("documented consistency proof: %v", err)
	}

	// The genesis entry: its hash and leaf as documented, its actor signature valid.
	entry := strings.TrimSuffix(block("A genesis entry"), "\n")
	e, err := ledger.ParseEntry([]byte(entry))
	if err != nil || !e.Canonical() {
		t.Fatalf("documented entry: %v", err)
	}
	leaf := ledger.LeafHash([]byte(entry))
	for _, v := range []string{e.Hash.String(), leaf.String()} {
		if !strings.Contains(vectors, "`"+v+"`") {
			t.Errorf("formats.md lacks %s", v)
		}
	}
	if !key.Verify(e.SubmissionRaw, e.Signature) {
		t.Error("the documented entry's signature does not verify")
	}
	// The checkpoint and cosignature verify with the test key.
	ckpt := block("Its checkpoint")
	n, err := note.Open([]byte(ckpt), note.VerifierList(
		ledger.NewNoteVerifier("vector.aba.example/ledger", key), witness.NewVerifier("witness.example", key)))
	if err != nil || len(n.Sigs) != 2 {
		t.Fatalf("documented checkpoint: %v", err)
	}
	c, err := ledger.ParseCheckpointBody(n.Text)
	if err != nil || c.Size != 1 || c.Root != leaf {
		t.Fatalf("documented checkpoint body: %+v, %v", c, err)
	}
}
