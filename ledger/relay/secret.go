package relay

import (
	"bytes"
	"fmt"
	"os"
)

// ReadSecretFile reads the deployment's relay secret: at least MinSecret bytes after
// surrounding whitespace is trimmed, from a file only its owner can read. The secret
// lets its holder have submissions recorded without their signatures being checked
// again, so a file other accounts can read is refused as a private key would be.
func ReadSecretFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading the relay secret: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("relay secret %s has mode %v; it must not be readable by group or others (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the relay secret: %w", err)
	}
	if b = bytes.TrimSpace(b); len(b) < MinSecret {
		return nil, fmt.Errorf("relay secret %s: %w", path, ErrSecret)
	}
	return b, nil
}
