package boltstore

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// mappedKiB returns the resident size of this process's mappings of path, from smaps.
func mappedKiB(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in, total := false, 0
	for sc.Scan() {
		line := sc.Text()
		if fs := strings.Fields(line); len(fs) >= 5 && strings.Contains(fs[0], "-") && !strings.HasSuffix(fs[0], ":") {
			in = len(fs) >= 6 && fs[5] == path // a mapping's header line; anonymous ones have no path
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			total += n
		}
	}
	return total
}

func TestTrimMappedDropsPagesKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	val := bytes.Repeat([]byte("x"), 1000)
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("b"))
		if err != nil {
			return err
		}
		for i := range 8000 {
			if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), val); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := func() int {
		n := 0
		db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("b")).ForEach(func(k, v []byte) error { n += len(v); return nil })
		})
		return n
	}
	if sum() != 8000*1000 {
		t.Fatal("setup read")
	}
	before := mappedKiB(t, path)
	if before < 4000 {
		t.Fatalf("only %d KiB of the file mapped after reading it all", before)
	}
	ok, err := trimMapped(db)
	if err != nil || !ok {
		t.Fatalf("trim: %v %v", ok, err)
	}
	after := mappedKiB(t, path)
	if after > before/20 {
		t.Errorf("mapped resident %d KiB → %d KiB; want most of it dropped", before, after)
	}
	if sum() != 8000*1000 {
		t.Fatal("data changed after trimming")
	}
	t.Logf("mapped resident %d KiB → %d KiB", before, after)
}
