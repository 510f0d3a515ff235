package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// mountTmpfs mounts a tmpfs of size at dir, or skips the test where this process may not
// mount (not root, or no mount namespace privileges).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// fill writes zeros into path until the filesystem is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 16<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			return
		}
	}
}

// TestDiskFull: on a filesystem that fills up, ledgerd stops acknowledging and answers
// 503 disk_full in English and Chinese; once space is freed it acknowledges again, and
// every acknowledged entry is in the ledger, which verifies.
func TestDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "mnt")
	mountTmpfs(t, mnt, "16m")
	dir := filepath.Join(mnt, "data")
	url, stop, logs := start(t, nil, "--data", dir, "--auth", "dev", "--checkpoint-interval", "50ms")
	ctx := context.Background()
	c := client.New(url)
	c.RetryFor = -1
	root, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := crypto.GenerateKey()
	if err := c.Enrol(ctx, client.Enrolment{Root: root, RootPerson: "root", Institution: "aba-health", Key: k, Person: "clerk-1"}); err != nil {
		t.Fatal(err)
	}
	submit := func() (string, error) {
		ev, _ := jsonRaw(map[string]any{"resource": "r-0001", "records": 3, "purpose": strings.Repeat("年度统计", 100),
			"legal_basis": "《中华人民共和国统计法》第七条", "verification": []string{"id_document"}})
		s, _, err := c.SignAndSubmit(ctx, k, ledger.Submission{Stream: "resource/r-0001", Type: "data.collected.v1",
			Actor: ledger.Actor{Institution: "aba-health", Person: "clerk-1"}, Payload: ev})
		if err != nil {
			return "", err
		}
		return s.Submission.ID, nil
	}
	var acked []string
	for range 20 {
		id, err := submit()
		if err != nil {
			t.Fatal(err)
		}
		acked = append(acked, id)
	}
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	var refusal error
	for i := 0; i < 20000 && refusal == nil; i++ {
		id, err := submit()
		if err != nil {
			refusal = err
			break
		}
		acked = append(acked, id)
	}
	var ae *client.Error
	if !errors.As(refusal, &ae) || ae.Status != 503 || ae.Code != "disk_full" || !strings.Contains(ae.MessageZH, "磁盘已满") {
		t.Fatalf("after %d acknowledgements on a full disk: %v", len(acked), refusal)
	}
	if _, err := submit(); err == nil {
		t.Fatal("acknowledged while the disk is still full")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		id, err := submit()
		if err != nil {
			t.Fatalf("no write resumed after space was freed: %v", err)
		}
		acked = append(acked, id)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit %d\n%s", code, logs)
	}
	st, err := datadir.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	found, err := st.Lookup(ctx, acked)
	if err != nil || len(found) != len(acked) {
		t.Fatalf("%d of %d acknowledged ids in the ledger (%v)", len(found), len(acked), err)
	}
	if _, err := ledger.Verify(ctx, st, ledger.VerifyOptions{}); err != nil {
		t.Fatalf("verify after the disk filled: %v", err)
	}
	t.Logf("%d acknowledged before and after the disk filled, all present", len(acked))
}
