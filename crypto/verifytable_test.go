package crypto

import (
	"testing"

	"github.com/aba-prefecture/dataledger/crypto/internal/sm2p256"
)

// A key verified past tableAfter switches to its table, and before and after the switch
// a good signature verifies and a bad one does not.
func TestVerifySwitchesToTable(t *testing.T) {
	if !sm2p256.Supported {
		t.Skip("no fast path on this platform")
	}
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateKey()
	msg := []byte(`{"id":"e-1"}`)
	sig, _ := k.SignMessage(msg)
	bad, _ := other.SignMessage(msg)
	pub := k.Public()
	for i := range 3 * tableAfter {
		if !pub.Verify(msg, sig) {
			t.Fatalf("use %d: good signature refused", i)
		}
		if pub.Verify(msg, bad) || pub.Verify([]byte(`{"id":"e-2"}`), sig) {
			t.Fatalf("use %d: bad signature accepted", i)
		}
		if got := pub.fast.table.Load() != nil; got != (3*i+1 >= tableAfter) {
			t.Fatalf("after %d uses: table present = %v", 3*i+3, got)
		}
	}
	// A copy of the key shares its state and its table.
	cp := *pub
	if cp.verifyTable() == nil || !cp.Verify(msg, sig) {
		t.Fatal("copied key lost the table")
	}
}

// No more than MaxVerifyTables tables are built; keys past the bound still verify.
func TestVerifyTableBudget(t *testing.T) {
	if !sm2p256.Supported {
		t.Skip("no fast path on this platform")
	}
	saved := liveTables.Load()
	liveTables.Store(MaxVerifyTables)
	defer liveTables.Store(saved)
	k, _ := GenerateKey()
	msg := []byte("m")
	sig, _ := k.SignMessage(msg)
	for range 2 * tableAfter {
		if !k.Public().Verify(msg, sig) {
			t.Fatal("good signature refused past the budget")
		}
	}
	if k.Public().fast.table.Load() != nil || liveTables.Load() != MaxVerifyTables {
		t.Fatalf("a table was built past the budget (live %d)", liveTables.Load())
	}
}
