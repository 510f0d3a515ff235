package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// ledgerctlBinary builds ledgerctl once per test binary. Damage is tested on the binary,
// not in-process: a bbolt panic in one of bbolt's own goroutines kills the process, and
// that is what the test must be able to see.
func ledgerctlBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ledgerctl-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "ledgerctl")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = errors.New("building ledgerctl: " + err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runBinary runs the built ledgerctl and returns its exit code and output.
func runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(ledgerctlBinary(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, o.String(), e.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), o.String(), e.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

// TestVerifyDamagedStore is the damage table: a real ledger's store file cut in half,
// zero-filled, replaced by or followed by 64 garbage bytes, cut to one page, with a meta
// page whose checksum fails, with its root page zero-filled, or emptied makes `ledgerctl
// verify` exit 2 with one line on standard error naming the file and the damage, and no
// panic.
func TestVerifyDamagedStore(t *testing.T) {
	for _, d := range bolttest.Damages {
		t.Run(d.Name, func(t *testing.T) {
			f := tamperLedger(t)
			db := datadir.Paths{Dir: f.dir}.Store()
			if err := d.Apply(db); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runBinary(t, "verify", "--data", f.dir)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("standard output %q, want nothing", out)
			}
			prefix := "ledgerctl: verify: " + db + " is damaged ("
			line, rest, _ := strings.Cut(errOut, "\n")
			if rest != "" || !strings.HasPrefix(line, prefix) || !strings.Contains(line, d.Detail) ||
				!strings.HasSuffix(line, "): restore it from a backup (账本存储文件已损坏，请从备份恢复)") {
				t.Errorf("standard error %q, want one line %q…%q…", errOut, prefix, d.Detail)
			}
		})
	}
}

// TestVerifyFlippedByteInFile: a byte flipped in an entry inside the file itself (not
// through bbolt) leaves the file's structure whole, so it is tampering at the entry's
// position (exit 1), not damage.
func TestVerifyFlippedByteInFile(t *testing.T) {
	f := tamperLedger(t)
	db := datadir.Paths{Dir: f.dir}.Store()
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	// "records":1008 is the 9th data event's payload, at seq 11 (tamperFixture).
	needle := []byte(`"records":1008`)
	if n := bytes.Count(b, needle); n != 1 {
		t.Fatalf("%s occurs %d times in the file", needle, n)
	}
	i := bytes.Index(b, needle)
	b[i+len(needle)-1] = '9'
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBinary(t, "verify", "--data", f.dir)
	if code != exitTampered || !strings.HasPrefix(out, "tampered: seq 11: ") || strings.Contains(errOut, "damaged") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}
