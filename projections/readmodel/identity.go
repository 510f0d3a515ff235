package readmodel

import (
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/crypto"
)

//go:generate go run ./gen

// foldSources are the directories, relative to the module root, whose code decides what
// a report read model's state is: the folds and the domain they judge by. A change to
// any of their Go files changes FoldIdentity, and every snapshot written before is
// rebuilt rather than read as something it is not.
var foldSources = []string{"domain", "projections"}

// notFold are the directories under foldSources that hold no fold: changing them does
// not change what a snapshot means.
var notFold = []string{"projections/readmodel", "projections/search"}

// ComputeFoldIdentity digests (SM3) the fold sources under the module root: every
// non-test Go file's path and content, in path order. go generate writes the result
// to fold_identity.go; a test fails when it is stale.
func ComputeFoldIdentity(root string) (string, error) {
	var files []string
	for _, d := range foldSources {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if e.IsDir() && slices.Contains(notFold, rel) {
				return filepath.SkipDir
			}
			if !e.IsDir() && strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	slices.Sort(files)
	h := crypto.NewSM3()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		h.Write([]byte(f + "\x00"))
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
