package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// TestRefusesDamagedStore is the damage table for ledgerd's start: a real ledger's store
// file cut in half, zero-filled, replaced by or followed by 64 garbage bytes, cut to one
// page, with a meta page whose checksum fails, with its root page zero-filled, or
// emptied makes the binary exit 2 with one log line naming the file and the damage, the
// same words ledgerctl verify prints, and no panic or goroutine dump.
func TestRefusesDamagedStore(t *testing.T) {
	bin := buildBinary(t, t.TempDir(), "ledgerd")
	base := filepath.Join(t.TempDir(), "data")
	if err := datadir.Create(context.Background(), base, datadir.InitOptions{}); err != nil {
		t.Fatal(err)
	}
	appendEvents(t, base, 40, true)

	for _, d := range bolttest.Damages {
		t.Run(d.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			db := datadir.Paths{Dir: dir}.Store()
			if err := os.Chmod(datadir.Paths{Dir: dir}.LedgerKey(), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := d.Apply(db); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--data", dir, "--listen", "127.0.0.1:0")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
				t.Fatalf("ledgerd: %v, want exit %d\n%s", err, exitUsage, errOut.String())
			}
			if strings.Contains(errOut.String(), "panic") || strings.Contains(errOut.String(), "goroutine ") {
				t.Fatalf("a panic:\n%s", errOut.String())
			}
			line, rest, _ := strings.Cut(errOut.String(), "\n")
			var rec struct{ Level, Msg, Err string }
			if rest != "" || json.Unmarshal([]byte(line), &rec) != nil {
				t.Fatalf("standard error is not one JSON log line:\n%s", errOut.String())
			}
			prefix := db + " is damaged ("
			if rec.Level != "ERROR" || rec.Msg != "cannot start" || !strings.HasPrefix(rec.Err, prefix) || !strings.Contains(rec.Err, d.Detail) ||
				!strings.HasSuffix(rec.Err, "): restore it from a backup (账本存储文件已损坏，请从备份恢复)") {
				t.Fatalf("log line %s, want cannot start with %q…%q…", line, prefix, d.Detail)
			}
		})
	}
}
