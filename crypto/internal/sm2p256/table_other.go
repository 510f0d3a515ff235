//go:build !amd64 || purego || plugin

package sm2p256

import "errors"

// Supported is false where the assembly fast path is not compiled in; callers use the
// SM library's verifier instead.
const Supported = false

// Table is empty where the fast path is not compiled in.
type Table struct{}

// TableSize is zero where there are no tables.
const TableSize = 0

// NewTable always fails where the fast path is not compiled in.
func NewTable([]byte) (*Table, error) {
	return nil, errors.New("sm2p256: not supported on this platform")
}

// Verify is never reached where the fast path is not compiled in (NewTable fails).
func Verify(*Table, *[32]byte, []byte) bool { return false }
