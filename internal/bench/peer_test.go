package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// fakePeer is a peer module that writes its log under -dir, as the Tessera peer does,
// and prints a rate.
const fakePeer = `package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "")
	n := flag.Int("n", 0, "")
	flag.Parse()
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "tile"), make([]byte, *n), 0o600); err != nil {
		panic(err)
	}
	fmt.Println("starting")
	fmt.Println("1234.5")
}
`

// TestPeerLogLeavesNoTrace: with a relative work directory (a relative --data), the
// peer's log lands under the work directory, not in the peer's source folder where the
// peer runs, and is removed afterwards.
func TestPeerLogLeavesNoTrace(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module fakepeer\n\ngo 1.22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(fakePeer), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if err := os.Mkdir("work", 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := runPeer(context.Background(), src, "work", 10)
	if err != nil {
		t.Fatal(err)
	}
	if r != 1234.5 {
		t.Errorf("rate %v, want the last line's 1234.5", r)
	}
	for _, dir := range []string{src, "work"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "go.mod" && e.Name() != "main.go" {
				t.Errorf("%s left behind in %s", e.Name(), dir)
			}
		}
	}
}

func TestLastRate(t *testing.T) {
	for out, want := range map[string]float64{"a\n12\n\n": 12, "7.5": 7.5} {
		if v, err := lastRate([]byte(out)); err != nil || v != want {
			t.Errorf("%q: %v, %v", out, v, err)
		}
	}
	for _, out := range []string{"", "rate: 12", "0", "-3"} {
		if _, err := lastRate([]byte(out)); err == nil {
			t.Errorf("%q taken for a rate", out)
		}
	}
}
