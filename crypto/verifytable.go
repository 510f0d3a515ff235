package crypto

import (
	"runtime"
	"sync/atomic"

	"github.com/aba-prefecture/dataledger/crypto/internal/sm2p256"
)

// tableAfter is how many verifications a key goes through the SM library before it gets
// a precomputed table: building one costs about as much as nine library verifications,
// so a key that signs once never pays for it and a key that signs thousands of
// submissions pays for it once.
const tableAfter = 16

// MaxVerifyTables bounds how many per-key tables (88 KiB each, 22 MiB in all) live at
// once. A prefecture registers a few hundred institution keys; beyond the bound, further
// keys are verified by the library, correctly, at the library's speed.
const MaxVerifyTables = 256

// liveTables counts tables not yet collected; a cleanup on each table decrements it.
var liveTables atomic.Int64

// fastVerify is a key's state on the way to, and after, getting its table. It sits
// behind a pointer so that PublicKey stays copyable.
type fastVerify struct {
	uses  atomic.Uint32
	table atomic.Pointer[sm2p256.Table]
}

// verifyTable returns the key's table, building it on the tableAfter-th use, or nil
// while the library should verify.
func (p *PublicKey) verifyTable() *sm2p256.Table {
	if !sm2p256.Supported || p.fast == nil {
		return nil
	}
	if t := p.fast.table.Load(); t != nil {
		return t
	}
	if p.fast.uses.Add(1) != tableAfter {
		return nil // still cheap to go without, or another goroutine is building it
	}
	if liveTables.Add(1) > MaxVerifyTables {
		liveTables.Add(-1)
		return nil
	}
	t, err := sm2p256.NewTable(p.uncompressed())
	if err != nil { // cannot happen for a key NewPublicKey accepted; the library decides
		liveTables.Add(-1)
		return nil
	}
	runtime.AddCleanup(t, func(struct{}) { liveTables.Add(-1) }, struct{}{})
	p.fast.table.Store(t)
	return t
}

// uncompressed is the key as 0x04 ‖ X ‖ Y: the last 65 bytes of its PKIX encoding, whose
// BIT STRING holds exactly that point (NewTable checks it is one on the curve).
func (p *PublicKey) uncompressed() []byte {
	return p.der[len(p.der)-65:]
}
