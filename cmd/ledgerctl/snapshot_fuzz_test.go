package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
)

// snapshotTar builds a snapshot stream from (name, body) pairs.
func snapshotTar(t testing.TB, members ...[2]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		if err := tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o644, Size: int64(len(m[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m[1]))
	}
	tw.Close()
	return buf.Bytes()
}

// FuzzUnpackSnapshot feeds the snapshot reader arbitrary streams (it reads what a server
// sends): it must never panic, and whatever it accepts must leave only the names the
// format allows, inside the target directory, with public keys only under keys/.
func FuzzUnpackSnapshot(f *testing.F) {
	k, _ := crypto.GenerateKey()
	pub := string(crypto.MarshalPublicKeyPEM(k.Public()))
	store := "not really a bbolt file"
	man, _ := json.Marshal(client.SnapshotManifest{Format: client.SnapshotFormat, StoreBytes: int64(len(store))})
	good := snapshotTar(f, [2]string{"ledger.db", store}, [2]string{"checkpoints/3.ckpt", "origin\n3\nroot\n"},
		[2]string{"keys/ledger.pub", pub}, [2]string{"snapshot.json", string(man)})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(snapshotTar(f, [2]string{"../escape", "x"}))
	f.Add(snapshotTar(f, [2]string{"keys/ledger.pub", "-----BEGIN PRIVATE KEY-----\n"}))
	f.Fuzz(func(t *testing.T, stream []byte) {
		dir := t.TempDir()
		m, err := unpackSnapshot(bytes.NewReader(stream), dir)
		if err != nil {
			return
		}
		if m == nil || m.Format != client.SnapshotFormat {
			t.Fatalf("accepted a stream without a valid manifest: %+v", m)
		}
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			switch {
			case rel == client.SnapshotStoreFile || rel == client.SnapshotManifestFile || checkpointNameRE.MatchString(rel):
			case keyNameRE.MatchString(rel):
				b, _ := os.ReadFile(p)
				if _, err := crypto.ParsePublicKeyPEM(b); err != nil || strings.Contains(string(b), "PRIVATE") {
					t.Fatalf("%s is not a public key", rel)
				}
			default:
				t.Fatalf("unexpected file %s written", rel)
			}
			return nil
		})
	})
}

// A PAX sparse member would unpack into holes of zeros the stream never carried (a few
// bytes claiming a terabyte): refused before a byte is written.
func TestUnpackSnapshotRefusesSparse(t *testing.T) {
	// archive/tar's writer drops GNU.sparse records, so the PAX header is written by hand.
	rec := func(k, v string) string {
		n := len(k) + len(v) + 3
		for len(strconv.Itoa(n))+len(k)+len(v)+3 != n {
			n = len(strconv.Itoa(n)) + len(k) + len(v) + 3
		}
		return strconv.Itoa(n) + " " + k + "=" + v + "\n"
	}
	pax := rec("GNU.sparse.size", "1099511627776") + rec("GNU.sparse.numblocks", "1") + rec("GNU.sparse.map", "1099511627775,1")
	var buf bytes.Buffer
	buf.Write(ustarBlock("PaxHeaders/ledger.db", 'x', len(pax)))
	buf.Write(pad512([]byte(pax)))
	buf.Write(ustarBlock("ledger.db", '0', 1))
	buf.Write(pad512([]byte{1}))
	buf.Write(make([]byte, 1024))
	dir := t.TempDir()
	_, err := unpackSnapshot(bytes.NewReader(buf.Bytes()), dir)
	if err == nil || !strings.Contains(err.Error(), "sparse") {
		t.Fatalf("a sparse member: %v, want a refusal naming it", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("wrote %v", ents)
	}
}

// ustarBlock is one ustar header block.
func ustarBlock(name string, typ byte, size int) []byte {
	b := make([]byte, 512)
	copy(b, name)
	copy(b[100:], "0000600\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func pad512(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }
