package crypto

import "errors"

// Errors callers branch on with errors.Is.
var (
	// ErrNotSM2 marks a key of another algorithm or curve where SM2 is required.
	ErrNotSM2 = errors.New("not an SM2 key")
	// ErrBadKey marks key material that cannot be decoded.
	ErrBadKey = errors.New("malformed key")
	// ErrKeyFileMode marks a private key file that other accounts can read.
	ErrKeyFileMode = errors.New("private key file is readable by others")
)
