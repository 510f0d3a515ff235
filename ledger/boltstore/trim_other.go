//go:build !linux

package boltstore

import bolt "go.etcd.io/bbolt"

// trimMapped is a no-op where /proc/self/maps does not exist.
func trimMapped(*bolt.DB) (bool, error) { return false, nil }
