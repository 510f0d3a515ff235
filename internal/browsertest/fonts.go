package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// LatinOnly returns a fontconfig file (for Env("FONTCONFIG_FILE=…")) under which a
// browser sees a single Latin font and no CJK font at all: the machine of a reader who
// has no Chinese fonts, for the negative tests of Boxes. It skips t when fc-match finds
// no Latin font, or fails it when Required.
func LatinOnly(t testing.TB) string {
	t.Helper()
	var file string
	for _, family := range []string{"Liberation Sans", "DejaVu Sans"} {
		out, err := exec.Command("fc-match", "-f", "%{file}", family).Output()
		if f := strings.TrimSpace(string(out)); err == nil && f != "" && !strings.Contains(strings.ToLower(f), "cjk") {
			file = f
			break
		}
	}
	if file == "" {
		if Required() {
			t.Fatal("fc-match finds no Latin font (Liberation Sans or DejaVu Sans) for the negative font test")
		}
		t.Skip("fc-match finds no Latin font for the negative font test")
	}
	dir := t.TempDir()
	fonts := filepath.Join(dir, "fonts")
	if err := os.Mkdir(fonts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, filepath.Join(fonts, filepath.Base(file))); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "fonts.conf")
	if err := os.WriteFile(conf, []byte(`<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>`+fonts+`</dir><cachedir>`+filepath.Join(dir, "cache")+`</cachedir></fontconfig>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}
