package backup

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var pass = []byte("a long test passphrase")

func archive(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, pass)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("keys/ledger.pub", []byte("not checked here")); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*frameBytes/16+7) // several frames
	if err := w.Add("log/entries-000000", big); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("../escape", nil); err == nil {
		t.Fatal("a name outside the format was accepted")
	}
	if _, err := w.Close(Manifest{Origin: "test", Head: Head{Size: 1}}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	a := archive(t)
	if bytes.Contains(a, []byte("0123456789abcdef")) {
		t.Fatal("plaintext visible in the archive")
	}
	dir := t.TempDir()
	m, err := Extract(bytes.NewReader(a), pass, dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Origin != "test" || len(m.Files) != 2 || m.Head.Size != 1 {
		t.Fatalf("manifest %+v", m)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "log", "entries-000000"))
	if len(b) != int(m.Files[1].Size) {
		t.Fatalf("extracted %d bytes, manifest %d", len(b), m.Files[1].Size)
	}
}

// TestRefusals: a wrong passphrase, any flipped byte, a dropped or reordered frame and a
// cut at a frame boundary are all refused.
func TestRefusals(t *testing.T) {
	a := archive(t)
	hdr := bytes.IndexByte(a, '\n') + 1
	frame := 4 + frameBytes + 16
	cases := map[string]struct {
		data []byte
		pass []byte
		want error
	}{
		"wrong passphrase": {a, []byte("another passphrase"), ErrPassphrase},
		"flipped byte":     {flip(a, hdr+100), pass, ErrPassphrase},
		"cut at a frame":   {a[:hdr+frame], pass, ErrCutShort},
		"cut mid frame":    {a[:len(a)-5], pass, ErrCutShort},
		"dropped frame":    {append(append([]byte{}, a[:hdr]...), a[hdr+frame:]...), pass, ErrPassphrase},
		"trailing data":    {append(append([]byte{}, a...), 0), pass, ErrPassphrase},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Extract(bytes.NewReader(c.data), c.pass, t.TempDir())
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := Extract(strings.NewReader(`{"format":"aba-ledger-backup/v1","cipher":"SM4-GCM","kdf":"argon2id","salt":"AAAAAAAAAAAAAAAAAAAAAA==","time":1000,"memory_kib":65536,"threads":1,"frame_bytes":65536}`+"\n"), pass, t.TempDir()); err == nil || !strings.Contains(err.Error(), "out of bounds") {
		t.Fatalf("an expensive KDF header was not refused: %v", err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

// TestManifestMismatch: a member whose digest disagrees with the manifest, or one the
// manifest does not list, fails extraction.
func TestManifestMismatch(t *testing.T) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, pass)
	w.Add("keys/a.pub", []byte("x"))
	w.files[0].SM3 = strings.Repeat("0", 64)
	w.Close(Manifest{})
	if _, err := Extract(&buf, pass, t.TempDir()); err == nil || !strings.Contains(err.Error(), "manifest says") {
		t.Fatalf("got %v", err)
	}
	buf.Reset()
	w, _ = NewWriter(&buf, pass)
	w.Add("keys/a.pub", []byte("x"))
	w.files = nil
	w.Close(Manifest{})
	if _, err := Extract(&buf, pass, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not in manifest.json") {
		t.Fatalf("got %v", err)
	}
}
