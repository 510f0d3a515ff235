package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The bbolt file format (go.etcd.io/bbolt v1.x, format version 2), as validate reads it.
// bbolt writes its structs straight from memory, so every integer is in the byte order
// of the machine that wrote the file; a file is only ever read on the kind of machine
// that wrote it.
//
//	page header (16)  id u64, flags u16, count u16, overflow u32
//	meta (64)         magic u32, version u32, page size u32, flags u32,
//	                  root bucket {root page u64, sequence u64}, freelist page u64,
//	                  high-water mark u64, txid u64, checksum u64 (FNV-64a of the 56 before)
//	branch element    pos u32, key size u32, child page u64   (key at element + pos)
//	leaf element      flags u32, pos u32, key size u32, value size u32 (value after key)
//	bucket value      root page u64, sequence u64; root 0: an inline leaf page follows
//	freelist          count page ids u64 (count 0xFFFF: the first u64 is the count)
const (
	pageHeaderSize   = 16
	elementSize      = 16
	metaSize         = 64
	bucketHeaderSize = 16
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	noFreelist       = ^uint64(0)
	flagBranch       = 0x01
	flagLeaf         = 0x02
	flagMeta         = 0x04
	flagFreelist     = 0x10
	leafIsBucket     = 0x01
	minPageSize      = 1 << 10
	maxPageSize      = 1 << 16
	// maxTreeDepth bounds page levels plus nested buckets. A bbolt tree splits pages at
	// two keys at least, so a real file is nowhere near it; a cycle or a crafted chain is.
	maxTreeDepth = 128
)

var ne = binary.NativeEndian

// finding is one thing wrong with a store file's structure, in words for the operator.
type finding string

func (f finding) Error() string { return string(f) }

func found(format string, a ...any) error { return finding(fmt.Sprintf(format, a...)) }

// ValidateFile checks that path is a whole, well-formed bbolt file before anything maps
// it: bbolt trusts its file and panics, or faults on memory past the end of the mapping,
// when a page is missing or damaged, some of that in goroutines no caller can recover.
// It reads both meta pages (magic, version, checksum, page size, high-water mark against
// the file's length) and walks every page the current meta page reaches: each page names
// itself, has the type its parent expects, lies below the high-water mark, is reached
// once, holds its elements inside itself, and keeps its keys in order, as bbolt's own
// consistency check requires. Inline and nested buckets are walked the same way.
//
// A finding is returned as a *DamagedError naming path; an empty file (bbolt's "create
// me") is not one. I/O errors are returned as they are.
func ValidateFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("checking the store file: %w", err)
	}
	defer f.Close()
	return validateOpen(path, f)
}

// validateOpen is ValidateFile on a file already open (and locked) by the caller.
func validateOpen(path string, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("checking the store file %s: %w", path, err)
	}
	if fi.Size() == 0 {
		return nil
	}
	err = validate(f, fi.Size())
	var fd finding
	if errors.As(err, &fd) {
		return &DamagedError{Path: path, Detail: string(fd)}
	}
	if err != nil {
		return fmt.Errorf("checking the store file %s: %w", path, err)
	}
	return nil
}

// meta is one decoded meta page.
type meta struct {
	pageSize uint64
	root     uint64
	freelist uint64
	hwm      uint64
	txid     uint64
}

// validator walks one file.
type validator struct {
	r    io.ReaderAt
	size int64
	ps   uint64
	hwm  uint64
	seen []uint64 // bit per page below hwm: reached from the tree (or the freelist page)
	bufs [][]byte // one read buffer per depth, so keys of the pages above stay valid
}

// validate checks r, size bytes long, as a bbolt file.
func validate(r io.ReaderAt, size int64) error {
	v := &validator{r: r, size: size}
	m, err := v.metas()
	if err != nil {
		return err
	}
	v.ps, v.hwm = m.pageSize, m.hwm
	v.seen = make([]uint64, (v.hwm+63)/64)
	v.mark(0)
	v.mark(1)
	var freed []uint64
	if m.freelist != noFreelist {
		if freed, err = v.freelist(m.freelist); err != nil {
			return err
		}
	}
	if _, err := v.walk(m.root, 0, nil, nil, "the root bucket"); err != nil {
		return err
	}
	for _, id := range freed {
		if v.marked(id) {
			return found("page %d is both in use and on the free list", id)
		}
	}
	return nil
}

// metas reads and checks both meta pages and returns the current one (the higher txid,
// as bbolt chooses). Both must be valid: bbolt would silently fall back to the older one,
// dropping the last committed transaction, and an audit ledger must not.
func (v *validator) metas() (meta, error) {
	if v.size < pageHeaderSize+metaSize {
		return meta{}, found("not a bbolt file: %d bytes, shorter than one meta page", v.size)
	}
	first := make([]byte, min(v.size, 4096))
	if _, err := v.r.ReadAt(first, 0); err != nil {
		return meta{}, fmt.Errorf("reading meta page 0: %w", err)
	}
	m0, err := parseMeta(first, 0)
	if err != nil {
		if isZero(first) {
			return meta{}, found("zero-filled: meta page 0 is all zeros")
		}
		return meta{}, err
	}
	ps := m0.pageSize
	if uint64(v.size) < 2*ps {
		return meta{}, found("truncated: %d bytes, too short for the second meta page (page size %d)", v.size, ps)
	}
	second := make([]byte, pageHeaderSize+metaSize)
	if _, err := v.r.ReadAt(second, int64(ps)); err != nil {
		return meta{}, fmt.Errorf("reading meta page 1: %w", err)
	}
	m1, err := parseMeta(second, 1)
	if err != nil {
		return meta{}, err
	}
	if m1.pageSize != ps {
		return meta{}, found("the meta pages disagree on the page size (%d and %d)", ps, m1.pageSize)
	}
	cur := m0
	if m1.txid > m0.txid {
		cur = m1
	}
	pages := uint64(v.size) / ps
	switch {
	case cur.hwm > pages:
		return meta{}, found("truncated: the file holds %d whole pages, its meta page says %d", pages, cur.hwm)
	case uint64(v.size)%ps != 0:
		return meta{}, found("%d bytes after the last whole %d-byte page: bytes were appended, or the file was cut mid-page", uint64(v.size)%ps, ps)
	case cur.hwm < 3:
		return meta{}, found("the meta page says the file holds %d pages, fewer than a bbolt file has", cur.hwm)
	case cur.root < 2 || cur.root >= cur.hwm:
		return meta{}, found("the root bucket's page %d is out of range (pages 2 to %d)", cur.root, cur.hwm-1)
	case cur.freelist != noFreelist && (cur.freelist < 2 || cur.freelist >= cur.hwm):
		return meta{}, found("the free list's page %d is out of range (pages 2 to %d)", cur.freelist, cur.hwm-1)
	}
	return cur, nil
}

// parseMeta decodes meta page n (0 or 1) from b, which starts at the page.
func parseMeta(b []byte, n uint64) (meta, error) {
	id, flags := ne.Uint64(b[0:]), ne.Uint16(b[8:])
	mb := b[pageHeaderSize : pageHeaderSize+metaSize]
	if ne.Uint32(mb[0:]) != boltMagic {
		return meta{}, found("not a bbolt file: meta page %d has no bbolt magic number", n)
	}
	if ver := ne.Uint32(mb[4:]); ver != boltVersion {
		return meta{}, found("meta page %d is bbolt format version %d; this program reads version %d", n, ver, boltVersion)
	}
	h := fnv.New64a()
	h.Write(mb[:56])
	if h.Sum64() != ne.Uint64(mb[56:]) {
		return meta{}, found("meta page %d fails its checksum", n)
	}
	if id != n || flags != flagMeta {
		return meta{}, found("meta page %d is marked as page %d with type flags %#x", n, id, flags)
	}
	m := meta{
		pageSize: uint64(ne.Uint32(mb[8:])),
		root:     ne.Uint64(mb[16:]),
		freelist: ne.Uint64(mb[32:]),
		hwm:      ne.Uint64(mb[40:]),
		txid:     ne.Uint64(mb[48:]),
	}
	if m.pageSize < minPageSize || m.pageSize > maxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return meta{}, found("meta page %d names a page size of %d bytes", n, m.pageSize)
	}
	return m, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (v *validator) mark(id uint64)        { v.seen[id/64] |= 1 << (id % 64) }
func (v *validator) marked(id uint64) bool { return v.seen[id/64]&(1<<(id%64)) != 0 }

// page reads page id with its overflow pages into the buffer for depth, after checking
// that it names itself, lies below the high-water mark and has not been reached before;
// it marks it reached.
func (v *validator) page(id uint64, depth int, what string) ([]byte, error) {
	if id < 2 || id >= v.hwm {
		return nil, found("%s: page %d is out of range (pages 2 to %d)", what, id, v.hwm-1)
	}
	for len(v.bufs) <= depth {
		v.bufs = append(v.bufs, make([]byte, v.ps))
	}
	buf := v.bufs[depth][:v.ps]
	if _, err := v.r.ReadAt(buf, int64(id*v.ps)); err != nil {
		return nil, fmt.Errorf("reading page %d: %w", id, err)
	}
	if self := ne.Uint64(buf); self != id {
		if isZero(buf) {
			return nil, found("%s: page %d is zero-filled", what, id)
		}
		return nil, found("%s: page %d names itself page %d (overwritten or misplaced)", what, id, self)
	}
	overflow := uint64(ne.Uint32(buf[12:]))
	if overflow >= v.hwm-id {
		return nil, found("%s: page %d runs %d pages past the high-water mark %d", what, id, overflow+1-(v.hwm-id), v.hwm)
	}
	for i := id; i <= id+overflow; i++ {
		if v.marked(i) {
			return nil, found("%s: page %d is reached twice (a loop, or pages that overlap)", what, i)
		}
		v.mark(i)
	}
	if overflow > 0 {
		span := (overflow + 1) * v.ps
		if uint64(cap(v.bufs[depth])) < span {
			v.bufs[depth] = make([]byte, span)
			copy(v.bufs[depth], buf)
		}
		buf = v.bufs[depth][:span]
		if _, err := v.r.ReadAt(buf[v.ps:], int64((id+1)*v.ps)); err != nil {
			return nil, fmt.Errorf("reading page %d: %w", id, err)
		}
	}
	return buf, nil
}

// freelist checks the free list page and returns the pages it frees.
func (v *validator) freelist(id uint64) ([]uint64, error) {
	p, err := v.page(id, 0, "the free list")
	if err != nil {
		return nil, err
	}
	if f := ne.Uint16(p[8:]); f != flagFreelist {
		return nil, found("the free list: page %d has type flags %#x, not a free list's", id, f)
	}
	n, at := uint64(ne.Uint16(p[10:])), uint64(pageHeaderSize)
	if n == 0xFFFF {
		n, at = ne.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if n > (uint64(len(p))-at)/8 {
		return nil, found("the free list: page %d claims %d entries, more than it holds", id, n)
	}
	ids := make([]uint64, n)
	dup := make(map[uint64]bool, n)
	for i := range ids {
		ids[i] = ne.Uint64(p[at+uint64(i)*8:])
		if ids[i] < 2 || ids[i] >= v.hwm {
			return nil, found("the free list frees page %d, out of range (pages 2 to %d)", ids[i], v.hwm-1)
		}
		if dup[ids[i]] {
			return nil, found("the free list frees page %d twice", ids[i])
		}
		dup[ids[i]] = true
	}
	return ids, nil
}

// walk checks the subtree rooted at page id, whose keys must lie in [lo, hi) (nil: no
// bound), and returns its largest key, as bbolt's check does.
func (v *validator) walk(id uint64, depth int, lo, hi []byte, what string) ([]byte, error) {
	if depth >= maxTreeDepth {
		return nil, found("%s: pages nest deeper than %d levels (a loop?)", what, maxTreeDepth)
	}
	p, err := v.page(id, depth, what)
	if err != nil {
		return nil, err
	}
	switch f := ne.Uint16(p[8:]); f {
	case flagBranch:
		return v.branch(p, id, depth, lo, hi, what)
	case flagLeaf:
		return v.leaf(p, id, depth, lo, hi, what)
	default:
		return nil, found("%s: page %d has type flags %#x, not a branch or leaf page", what, id, f)
	}
}

// elements checks that page p (id, or inline) holds count elements and returns count.
func elements(p []byte, id uint64, what string) (int, error) {
	n := uint64(ne.Uint16(p[10:]))
	if pageHeaderSize+n*elementSize > uint64(len(p)) {
		return 0, found("%s: page %d claims %d elements, more than it holds", what, id, n)
	}
	return int(n), nil
}

// span returns p[off+pos : off+pos+size] or a finding when it leaves the page.
func span(p []byte, off, pos, size uint64, id uint64, i int, what string) ([]byte, error) {
	start := off + pos
	if start > uint64(len(p)) || size > uint64(len(p))-start {
		return nil, found("%s: page %d element %d lies outside the page", what, id, i)
	}
	return p[start : start+size], nil
}

// order checks key i against the previous key (or the lower bound) and the upper bound.
func order(key, prev, hi []byte, i int, id uint64, what string) error {
	if prev != nil && (bytes.Compare(prev, key) > 0 || (i > 0 && bytes.Equal(prev, key))) {
		return found("%s: page %d: key %d is out of order", what, id, i)
	}
	if hi != nil && bytes.Compare(key, hi) >= 0 {
		return found("%s: page %d: key %d is beyond its parent's range", what, id, i)
	}
	return nil
}

func (v *validator) branch(p []byte, id uint64, depth int, lo, hi []byte, what string) ([]byte, error) {
	n, err := elements(p, id, what)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, found("%s: branch page %d has no elements", what, id)
	}
	keys := make([][]byte, n)
	kids := make([]uint64, n)
	for i := range n {
		off := uint64(pageHeaderSize + i*elementSize)
		e := p[off : off+elementSize]
		if keys[i], err = span(p, off, uint64(ne.Uint32(e[0:])), uint64(ne.Uint32(e[4:])), id, i, what); err != nil {
			return nil, err
		}
		kids[i] = ne.Uint64(e[8:])
	}
	running, max := lo, []byte(nil)
	for i := range n {
		if err := order(keys[i], running, hi, i, id, what); err != nil {
			return nil, err
		}
		next := hi
		if i+1 < n {
			next = keys[i+1]
		}
		if max, err = v.walk(kids[i], depth+1, keys[i], next, what); err != nil {
			return nil, err
		}
		running = max
	}
	return max, nil
}

func (v *validator) leaf(p []byte, id uint64, depth int, lo, hi []byte, what string) ([]byte, error) {
	n, err := elements(p, id, what)
	if err != nil {
		return nil, err
	}
	running := lo
	for i := range n {
		off := uint64(pageHeaderSize + i*elementSize)
		e := p[off : off+elementSize]
		flags, pos, ksz, vsz := ne.Uint32(e[0:]), uint64(ne.Uint32(e[4:])), uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		if flags&^leafIsBucket != 0 {
			return nil, found("%s: page %d element %d has unknown flags %#x", what, id, i, flags)
		}
		kv, err := span(p, off, pos, ksz+vsz, id, i, what)
		if err != nil {
			return nil, err
		}
		key := kv[:ksz]
		if err := order(key, running, hi, i, id, what); err != nil {
			return nil, err
		}
		running = key
		if flags&leafIsBucket != 0 {
			if err := v.bucket(kv[ksz:], depth+1, fmt.Sprintf("bucket %q", key)); err != nil {
				return nil, err
			}
		}
	}
	return running, nil
}

// bucket checks a bucket value: a root page walked as a tree, or an inline leaf page.
func (v *validator) bucket(val []byte, depth int, what string) error {
	if depth >= maxTreeDepth {
		return found("%s: buckets nest deeper than %d levels", what, maxTreeDepth)
	}
	if len(val) < bucketHeaderSize {
		return found("%s: its header is cut short (%d bytes)", what, len(val))
	}
	if root := ne.Uint64(val); root != 0 {
		_, err := v.walk(root, depth, nil, nil, what)
		return err
	}
	p := val[bucketHeaderSize:]
	if len(p) < pageHeaderSize {
		return found("%s: its inline page is cut short (%d bytes)", what, len(p))
	}
	if f := ne.Uint16(p[8:]); f != flagLeaf {
		return found("%s: its inline page has type flags %#x, not a leaf page's", what, f)
	}
	// The inline page lives in its parent's buffer, which stays put while it is walked.
	_, err := v.leaf(p, 0, depth, nil, nil, what+" (inline)")
	return err
}
