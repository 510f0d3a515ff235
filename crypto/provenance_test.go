package crypto_test

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Everything under crypto/ is written in this project: a library comes in through
// go.mod, and its source is never copied here, with or without its terms. This test
// fails on the usual traces of copied code: a terms-of-use file, a rights or terms
// header, a generated-file marker (none of crypto/'s files is generated), a note that
// code came from elsewhere, or the SM library's name at the top of a file.
//
// The markers are assembled from pieces so that this file does not trip over itself.
var (
	// foreignMarkers may not appear anywhere in any file.
	foreignMarkers = []string{
		"copy" + "right", "(" + "c) 20", "all rights " + "reserved", "sp" + "dx", "licen" + "se",
		"licen" + "ce", "permission is hereby " + "granted", "use of this source code is " + "governed",
		"the go " + "authors", "code " + "generated", "do not " + "edit",
	}
	// foreignWords are names of terms that may not appear as words anywhere.
	foreignWords = regexp.MustCompile(`(?i)\b(bs` + `d|mi` + `t|gp` + `l|apa` + `che)\b`)
	// provenancePhrases claim that code came from elsewhere.
	provenancePhrases = regexp.MustCompile(`(?i)\b(copied|adapted|ported|derived|taken|transcribed|borrowed) (from|out of)\b`)
	// foreignFiles are names that carry another project's terms.
	foreignFiles = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notice|authors|patents|contributors)([._-].*)?$`)
)

// libraryName may not appear in a file's header: the comments before the package
// clause other than the package's doc comment (for Go), or the comments before the
// first instruction (for assembly). The doc comment and tests may name the library
// they are compared with.
var libraryName = "gm" + "sm"

func TestNoForeignCode(t *testing.T) {
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		files++
		if foreignFiles.MatchString(d.Name()) {
			t.Errorf("%s: a file of another project's terms", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lower := bytes.ToLower(data)
		for _, m := range foreignMarkers {
			if i := bytes.Index(lower, []byte(m)); i >= 0 {
				t.Errorf("%s:%d: carries %q", path, 1+bytes.Count(data[:i], []byte("\n")), m)
			}
		}
		if loc := foreignWords.FindIndex(data); loc != nil {
			t.Errorf("%s:%d: names %q", path, 1+bytes.Count(data[:loc[0]], []byte("\n")), data[loc[0]:loc[1]])
		}
		if loc := provenancePhrases.FindIndex(data); loc != nil {
			t.Errorf("%s:%d: says %q", path, 1+bytes.Count(data[:loc[0]], []byte("\n")), data[loc[0]:loc[1]])
		}
		header, err := fileHeader(path, data)
		if err != nil {
			return err
		}
		if strings.Contains(strings.ToLower(header), libraryName) {
			t.Errorf("%s: its header names %s", path, libraryName)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("walked only %d files; is the test running in crypto/?", files)
	}
}

// fileHeader returns the text of a file's header comments (see libraryName).
func fileHeader(path string, data []byte) (string, error) {
	var b strings.Builder
	switch filepath.Ext(path) {
	case ".go":
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, data, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil {
			return "", err
		}
		for _, g := range f.Comments {
			if g.Pos() < f.Package && g != f.Doc {
				b.WriteString(g.Text())
			}
		}
	default:
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if strings.HasPrefix(line, "TEXT ") || strings.HasPrefix(line, "DATA ") || strings.HasPrefix(line, "GLOBL ") {
				break
			}
			if strings.HasPrefix(line, "//") || strings.HasPrefix(line, "/*") || strings.HasPrefix(line, "*") || strings.HasPrefix(line, "#") {
				b.WriteString(line + "\n")
			}
		}
	}
	return b.String(), nil
}
