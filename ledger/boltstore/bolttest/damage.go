// Package bolttest gives tests bbolt stores: fresh ones (Store, and Ledger with a ledger
// open on one), and copies damaged the ways files get damaged (a copy that stopped
// midway, a disk that zero-filled it, bytes written over or after it, a meta page that no
// longer adds up), so that every tool that opens a store can be tested against the same
// cases: ledger/boltstore, ledgerctl verify, ledgerd's start.
package bolttest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
)

// Damage is one way a store file is damaged.
type Damage struct {
	Name string
	// Apply damages the file at path in place.
	Apply func(path string) error
	// Detail is text the *boltstore.DamagedError's Detail must contain for this damage.
	Detail string
	// DataDir marks damage only a data directory's opener refuses: boltstore.Open takes
	// an empty file for a new store, but a data directory's store is never empty.
	DataDir bool
}

// Damages are the named cases every opener of a store is tested against.
var Damages = []Damage{
	{"cut_half", cutHalf, "truncated: the file holds", false},
	{"zeroed", zeroFill, "zero-filled: meta page 0 is all zeros", false},
	{"garbage_64", replaceWith(garbage(64)), "not a bbolt file: 64 bytes, shorter than one meta page", false},
	{"truncated_to_4k", truncate(4096), "truncated: 4096 bytes, too short for the second meta page", false},
	{"garbage_appended", appendBytes(garbage(64)), "64 bytes after the last whole", false},
	{"meta_checksum", metaChecksum, "meta page 1 fails its checksum", false},
	{"zeroed_root_page", zeroRootPage, "is zero-filled", false},
	{"empty", truncate(0), "empty: 0 bytes", true},
}

// garbage is n bytes that are not a bbolt file, the same on every run.
func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(64, 64))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func truncate(n int64) func(string) error {
	return func(p string) error { return os.Truncate(p, n) }
}

func replaceWith(b []byte) func(string) error {
	return func(p string) error { return os.WriteFile(p, b, 0o600) }
}

func appendBytes(b []byte) func(string) error {
	return func(p string) error {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
}

func zeroFill(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, make([]byte, fi.Size()), 0o600)
}

// Meta is what the damages read from the current meta page (the one with the higher
// transaction id, as bbolt chooses): the page size, the root bucket's page and the
// high-water mark (pages in use).
type Meta struct {
	PageSize, Root, HighWater uint64
}

// ReadMeta decodes the current meta page of the file at path (bbolt's layout, in the
// machine's byte order).
func ReadMeta(p string) (Meta, error) {
	f, err := os.Open(p)
	if err != nil {
		return Meta{}, err
	}
	defer f.Close()
	ne := binary.NativeEndian
	b := make([]byte, 80)
	var ms [2]Meta
	var txid [2]uint64
	for i := range ms {
		if _, err := f.ReadAt(b, int64(uint64(i)*ms[0].PageSize)); err != nil {
			return Meta{}, fmt.Errorf("reading meta page %d of %s: %w", i, p, err)
		}
		ms[i] = Meta{PageSize: uint64(ne.Uint32(b[24:])), Root: ne.Uint64(b[32:]), HighWater: ne.Uint64(b[56:])}
		txid[i] = ne.Uint64(b[64:])
	}
	if txid[1] > txid[0] {
		return ms[1], nil
	}
	return ms[0], nil
}

// cutHalf keeps the first half of the pages in use: a copy that stopped midway.
func cutHalf(p string) error {
	m, err := ReadMeta(p)
	if err != nil {
		return err
	}
	return os.Truncate(p, int64(m.HighWater/2*m.PageSize))
}

// metaChecksum changes the high-water mark recorded in meta page 1 without updating its
// checksum.
func metaChecksum(p string) error {
	m, err := ReadMeta(p)
	if err != nil {
		return err
	}
	return writeAt(p, int64(m.PageSize)+16+40, []byte{0x5a})
}

// zeroRootPage zero-fills the root bucket's page: a block the disk lost.
func zeroRootPage(p string) error {
	m, err := ReadMeta(p)
	if err != nil {
		return err
	}
	return writeAt(p, int64(m.Root*m.PageSize), make([]byte, m.PageSize))
}

func writeAt(p string, off int64, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, off); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
