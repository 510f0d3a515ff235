package boltstore_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	bolt "go.etcd.io/bbolt"
)

var ne = binary.NativeEndian

// rawFile edits a bbolt file page by page, in bbolt's layout (validate.go).
type rawFile struct {
	t  *testing.T
	b  []byte
	ps uint64
}

func readRaw(t *testing.T, p string) *rawFile {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return &rawFile{t: t, b: b, ps: uint64(ne.Uint32(b[16+8:]))}
}

func (r *rawFile) page(id uint64) []byte { return r.b[id*r.ps : (id+1)*r.ps] }
func (r *rawFile) count(id uint64) int   { return int(ne.Uint16(r.page(id)[10:])) }

// elem returns element i of page id (16 bytes, leaf or branch).
func (r *rawFile) elem(id uint64, i int) []byte {
	off := 16 + 16*i
	return r.page(id)[off : off+16]
}

// child is branch element i's page.
func (r *rawFile) child(id uint64, i int) uint64 { return ne.Uint64(r.elem(id, i)[8:]) }

// key returns the key of leaf element i of page id (a slice into the file's bytes).
func (r *rawFile) key(id uint64, i int) []byte {
	e := r.elem(id, i)
	pos, ksz := int(ne.Uint32(e[4:])), int(ne.Uint32(e[8:]))
	start := 16 + 16*i + pos
	return r.page(id)[start : start+ksz]
}

// leafElem finds the leaf element of page id whose key is k.
func (r *rawFile) leafElem(id uint64, k string) int {
	for i := range r.count(id) {
		if string(r.key(id, i)) == k {
			return i
		}
	}
	r.t.Fatalf("no key %q on page %d", k, id)
	return -1
}

func (r *rawFile) write(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(p, r.b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// layout is where the synthetic file's interesting pages are.
type layout struct {
	hwm      uint64
	branch   uint64 // root of bucket "big": a branch page
	leaf     uint64 // its first child, a leaf
	nested   uint64 // root page of bucket "nested": holds "deep" (pages) and "inner" (inline)
	overflow uint64 // a leaf page with overflow pages
	freelist uint64 // the synced free list's page (syncFreelist only)
}

// syntheticStore writes a bbolt file with every structure validate walks: a bucket deep
// enough for branch pages, nested buckets (one inline), a value spanning overflow pages
// and, with syncFreelist, a free list page that frees some pages.
func syntheticStore(t *testing.T, syncFreelist bool) (string, layout) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "synthetic.db")
	db, err := bolt.Open(p, 0o600, &bolt.Options{NoFreelistSync: !syncFreelist})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		big, err := tx.CreateBucket([]byte("big"))
		if err != nil {
			return err
		}
		for i := range 2000 {
			if err := big.Put(fmt.Appendf(nil, "k-%05d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
				return err
			}
		}
		nested, err := tx.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		inner, err := nested.CreateBucket([]byte("inner"))
		if err != nil {
			return err
		}
		if err := inner.Put([]byte("a"), []byte("1")); err != nil {
			return err
		}
		deep, err := nested.CreateBucket([]byte("deep"))
		if err != nil {
			return err
		}
		for i := range 300 {
			if err := deep.Put(fmt.Appendf(nil, "d-%05d", i), bytes.Repeat([]byte{1}, 50)); err != nil {
				return err
			}
		}
		large, err := tx.CreateBucket([]byte("large"))
		if err != nil {
			return err
		}
		return large.Put([]byte("v"), bytes.Repeat([]byte{7}, 10000))
	})
	if err == nil && syncFreelist {
		err = db.Update(func(tx *bolt.Tx) error { // frees the pages it rewrites
			return tx.Bucket([]byte("big")).Delete([]byte("k-00001"))
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	var l layout
	err = db.View(func(tx *bolt.Tx) error {
		l.branch = uint64(tx.Bucket([]byte("big")).Root())
		l.nested = uint64(tx.Bucket([]byte("nested")).Root())
		l.hwm = uint64(tx.Size()) / uint64(db.Info().PageSize)
		for id := range int(l.hwm) {
			if pi, _ := tx.Page(id); pi != nil && pi.OverflowCount > 0 && pi.Type == "leaf" {
				l.overflow = uint64(id)
			}
			if pi, _ := tx.Page(id); pi != nil && pi.Type == "freelist" {
				l.freelist = uint64(id)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r := readRaw(t, p)
	if ne.Uint16(r.page(l.branch)[8:]) != 0x01 || l.overflow == 0 || (syncFreelist && l.freelist == 0) {
		t.Fatalf("synthetic layout %+v lacks a branch, overflow or freelist page", l)
	}
	l.leaf = r.child(l.branch, 0)
	return p, l
}

// TestValidateStructure: damage inside the page tree that bbolt's start-up walk or its
// cursors would panic or fault on (some of it in bbolt's own goroutines, which no
// caller can recover) is found before bbolt maps the file, and named.
func TestValidateStructure(t *testing.T) {
	for _, sync := range []bool{false, true} {
		p, _ := syntheticStore(t, sync)
		if err := boltstore.ValidateFile(p); err != nil {
			t.Fatalf("intact synthetic file (synced free list %v): %v", sync, err)
		}
	}
	type edit func(r *rawFile, l layout)
	cases := []struct {
		name   string
		sync   bool
		edit   edit
		detail string
	}{
		{"branch_loop", false, func(r *rawFile, l layout) { ne.PutUint64(r.elem(l.branch, 1)[8:], l.branch) }, "is reached twice"},
		{"two_parents", false, func(r *rawFile, l layout) { ne.PutUint64(r.elem(l.branch, 1)[8:], l.leaf) }, "is reached twice"},
		{"child_out_of_range", false, func(r *rawFile, l layout) { ne.PutUint64(r.elem(l.branch, 1)[8:], l.hwm+7) }, "out of range"},
		{"child_is_meta", false, func(r *rawFile, l layout) { ne.PutUint64(r.elem(l.branch, 0)[8:], 1) }, "page 1 is out of range"},
		{"misplaced_page", false, func(r *rawFile, l layout) { ne.PutUint64(r.page(l.leaf), l.leaf+1) }, "names itself page"},
		{"wrong_type", false, func(r *rawFile, l layout) { ne.PutUint16(r.page(l.leaf)[8:], 0x10) }, "type flags 0x10"},
		{"branch_empty", false, func(r *rawFile, l layout) { ne.PutUint16(r.page(l.branch)[10:], 0) }, "has no elements"},
		{"too_many_elements", false, func(r *rawFile, l layout) { ne.PutUint16(r.page(l.leaf)[10:], 0xFFFF) }, "claims 65535 elements"},
		{"element_outside", false, func(r *rawFile, l layout) { ne.PutUint32(r.elem(l.leaf, 0)[4:], 0xFFFFFF00) }, "lies outside the page"},
		{"value_outside", false, func(r *rawFile, l layout) { ne.PutUint32(r.elem(l.leaf, 0)[12:], 1<<20) }, "lies outside the page"},
		{"keys_out_of_order", false, func(r *rawFile, l layout) { r.key(l.leaf, 1)[0] = 'a' }, "key 1 is out of order"},
		{"key_beyond_parent", false, func(r *rawFile, l layout) { r.key(l.leaf, r.count(l.leaf)-1)[0] = 'z' }, "beyond its parent's range"},
		{"overflow_past_end", false, func(r *rawFile, l layout) { ne.PutUint32(r.page(l.overflow)[12:], 1<<30) }, "past the high-water mark"},
		{"unknown_element_flags", false, func(r *rawFile, l layout) { ne.PutUint32(r.elem(l.leaf, 0), 0x80) }, "unknown flags 0x80"},
		{"bucket_header_cut", false, func(r *rawFile, l layout) {
			ne.PutUint32(r.elem(l.nested, r.leafElem(l.nested, "inner"))[12:], 4)
		}, `bucket "inner": its header is cut short`},
		{"inline_not_leaf", false, func(r *rawFile, l layout) {
			k := r.key(l.nested, r.leafElem(l.nested, "inner"))
			v := k[len(k):cap(k)]        // the value follows the key
			ne.PutUint16(v[16+8:], 0x01) // the inline page's flags
			_ = v
		}, "inline page has type flags 0x1"},
		{"value_for_bucket", false, func(r *rawFile, l layout) {
			i := r.leafElem(l.nested, "deep")
			ne.PutUint32(r.elem(l.nested, i), 0) // "deep" becomes a plain value
		}, ""}, // structurally fine: nothing the store reads; only Open's bucket check cares
		{"freelist_frees_used_page", true, func(r *rawFile, l layout) {
			fl := r.page(l.freelist)
			ne.PutUint64(fl[16:], l.branch)
		}, "both in use and on the free list"},
		{"freelist_out_of_range", true, func(r *rawFile, l layout) { ne.PutUint64(r.page(l.freelist)[16:], l.hwm+3) }, "out of range"},
		{"freelist_overlong", true, func(r *rawFile, l layout) { ne.PutUint16(r.page(l.freelist)[10:], 0xFFFE) }, "more than it holds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, l := syntheticStore(t, tc.sync)
			r := readRaw(t, p)
			tc.edit(r, l)
			damaged := r.write(t)
			err := boltstore.ValidateFile(damaged)
			if tc.detail == "" {
				if err != nil {
					t.Fatalf("ValidateFile: %v", err)
				}
				return
			}
			var de *boltstore.DamagedError
			if !errors.As(err, &de) || !strings.Contains(de.Detail, tc.detail) {
				t.Fatalf("ValidateFile: %v, want a *DamagedError with %q", err, tc.detail)
			}
			st, err := boltstore.Open(damaged)
			if err == nil {
				st.Close()
				t.Fatal("Open took the damaged file")
			}
			if !errors.As(err, &de) {
				t.Fatalf("Open: %v, want a *DamagedError", err)
			}
		})
	}
}
