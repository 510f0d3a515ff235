package boltstore

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	bolt "go.etcd.io/bbolt"
)

// trimMapped drops the store file's pages from this process's resident set.
//
// Why: bbolt reads the file through a read-only shared mapping, and its copy-on-write
// B+trees move the hot pages (the right edge of each index, each stream's last leaf) to
// new places at every commit. Every page ever read stays mapped, so the resident set grows
// with the file (about 1.3 KiB per entry), although these are clean page-cache pages the
// kernel can reclaim. A large RSS still makes ledgerd the OOM killer's first choice and
// trips memory alerts, so ledgerd periodically unmaps them: MADV_DONTNEED on a read-only
// shared file mapping only drops page-table entries; the pages stay in the page cache and
// the next read maps them again with a minor fault.
//
// Safety: bbolt holds its mmap lock for the whole of a read transaction, so the mapping
// found from a pointer read inside View cannot be moved or unmapped until View returns.
// The mapping is identified by address, checked to be a shared read-only mapping of the
// store file (same device and inode), and only then advised.
func trimMapped(db *bolt.DB) (bool, error) {
	fi, err := os.Stat(db.Path())
	if err != nil {
		return false, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false, nil
	}
	trimmed := false
	err = db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Cursor().First() // a bucket name, read from a page of the mapping
		if len(k) == 0 {
			return nil
		}
		addr := uintptr(unsafe.Pointer(&k[0]))
		start, end, found, err := fileMapping(addr, uint64(st.Dev), st.Ino)
		if err != nil || !found {
			return err
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, syscall.MADV_DONTNEED); e != 0 {
			return fmt.Errorf("madvise: %w", e)
		}
		trimmed = true
		return nil
	})
	return trimmed, err
}

// fileMapping finds in /proc/self/maps the mapping that contains addr and reports it only
// if it is a shared read-only mapping of the file with the given device and inode.
func fileMapping(addr uintptr, dev, ino uint64) (start, end uintptr, ok bool, err error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, 0, false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// 7f1c2a000000-7f1c4a000000 r--s 00000000 08:01 1234567    /data/ledger.db
		fields := bytes.Fields(sc.Bytes())
		if len(fields) < 6 {
			continue
		}
		rng := bytes.SplitN(fields[0], []byte("-"), 2)
		if len(rng) != 2 {
			continue
		}
		s, err1 := strconv.ParseUint(string(rng[0]), 16, 64)
		e, err2 := strconv.ParseUint(string(rng[1]), 16, 64)
		if err1 != nil || err2 != nil || uint64(addr) < s || uint64(addr) >= e {
			continue
		}
		perms := string(fields[1])
		if len(perms) != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 's' {
			return 0, 0, false, nil
		}
		mm := bytes.SplitN(fields[3], []byte(":"), 2)
		if len(mm) != 2 {
			return 0, 0, false, nil
		}
		major, err1 := strconv.ParseUint(string(mm[0]), 16, 32)
		minor, err2 := strconv.ParseUint(string(mm[1]), 16, 32)
		inode, err3 := strconv.ParseUint(string(fields[4]), 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || inode != ino || mkdev(major, minor) != dev {
			return 0, 0, false, nil
		}
		return uintptr(s), uintptr(e), true, nil
	}
	return 0, 0, false, sc.Err()
}

// mkdev is the kernel's encoding of a device number (as in stat's st_dev).
func mkdev(major, minor uint64) uint64 {
	return (major&0xfffff000)<<32 | (major&0xfff)<<8 | (minor&0xffffff00)<<12 | minor&0xff
}
