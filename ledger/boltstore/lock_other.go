//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package boltstore

import (
	"os"
	"time"
)

// lockFile is a no-op where flock is not available: bbolt locks the file itself right
// after validation.
func lockFile(*os.File, time.Duration) error { return nil }
