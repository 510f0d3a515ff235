package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
	"github.com/aba-prefecture/dataledger/ledger/storeurl"
)

// ctl runs the ledgerctl binary and returns its exit code, standard output and error.
func ctl(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// waitPublished waits for DIR/checkpoints/latest of at least size entries and returns it.
func waitPublished(t *testing.T, dir string, size uint64) ledger.Checkpoint {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(filepath.Join(datadir.Paths{Dir: dir}.Checkpoints(), "latest"))
		body, _, ok := strings.Cut(string(b), "\n\n")
		if c, err := ledger.ParseCheckpointBody(body + "\n"); ok && err == nil && c.Size >= size {
			c.Note = b
			return c
		}
	}
	t.Fatalf("no checkpoint of %d entries published in %s", size, dir)
	return ledger.Checkpoint{}
}

// storeHead reads the head and root of a stopped ledger's store.
func storeHead(t *testing.T, dir, store string) (ledger.Head, ledger.Hash) {
	t.Helper()
	var st ledger.Store
	var err error
	if store == "" {
		st, err = datadir.OpenStore(dir)
	} else {
		st, err = storeurl.Open(t.Context(), store, storeurl.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := st.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	acc := ledger.NewAccumulator()
	if err := st.Entries(t.Context(), 0, h.Size, func(r ledger.RawEntry) error { acc.Add(r.Bytes, nil); return nil }); err != nil {
		t.Fatal(err)
	}
	return h, acc.Root()
}

// actOn enrols a new institution on a running ledger with the root key of dir and
// records one act by it: the ledger accepts new acts.
func actOn(t *testing.T, url, dir, rootPerson, inst string) {
	t.Helper()
	ctx := context.Background()
	c := client.New(url)
	root, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := crypto.GenerateKey()
	if err := c.Enrol(ctx, client.Enrolment{Root: root, RootPerson: rootPerson, Institution: inst, Key: k, Person: "clerk-1"}); err != nil {
		t.Fatalf("enrolling %s: %v", inst, err)
	}
	ev, _ := jsonRaw(map[string]any{"resource": "r-0001", "records": 3, "purpose": "年度统计",
		"legal_basis": "《中华人民共和国统计法》第七条", "verification": []string{"id_document"}})
	if _, _, err := c.SignAndSubmit(ctx, k, ledger.Submission{Stream: "resource/r-0001", Type: "data.collected.v1",
		Actor: ledger.Actor{Institution: inst, Person: "clerk-1"}, Payload: ev}); err != nil {
		t.Fatalf("an act on the restored ledger: %v", err)
	}
}

// checkConsistent: the restored ledger's latest checkpoint extends the one the source
// published before the backup (a consistency proof from the old size verifies).
func checkConsistent(t *testing.T, url string, old ledger.Checkpoint) {
	t.Helper()
	p, err := client.New(url).ConsistencyProof(t.Context(), old.Size, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.To <= old.Size || p.FromRoot != old.Root {
		t.Fatalf("consistency %d→%d from root %s; the published checkpoint says %d, %s", p.From, p.To, p.FromRoot, old.Size, old.Root)
	}
	if err := ledger.VerifyConsistency(old.Size, p.To, p.Proof, old.Root, p.ToRoot); err != nil {
		t.Fatalf("the restored ledger is not consistent with the published checkpoint of size %d: %v", old.Size, err)
	}
}

// TestBackupRestore: an online backup of a running embedded ledger, restored into an
// empty directory: it verifies, its head is the source's, ledgerd starts on it and
// accepts new acts, and its checkpoints extend the source's published ones. A second
// restore into the now non-empty directory, and one with a wrong passphrase, are refused
// with one line and write nothing.
func TestBackupRestore(t *testing.T) {
	tmp := t.TempDir()
	bin := buildBinary(t, tmp, "ledgerctl")
	dir, pass := filepath.Join(tmp, "data"), filepath.Join(tmp, "pass")
	os.WriteFile(pass, []byte("a long test passphrase\n"), 0o600)
	url, stop, logs := start(t, nil, "--data", dir, "--auth", "dev", "--checkpoint-interval", "10ms")
	seed(t, client.New(url), dir)
	old := waitPublished(t, dir, 5)
	archive := filepath.Join(tmp, "a.bak")
	if code, _, errs := ctl(t, bin, "backup", "--server", url, "--data", dir, "--out", archive, "--passphrase-file", pass, "--with-private-keys", "--reason", "test"); code != 0 {
		t.Fatalf("backup of a running ledger: exit %d: %s", code, errs)
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d\n%s", c, logs)
	}
	srcHead, srcRoot := storeHead(t, dir, "")

	restored := filepath.Join(tmp, "restored")
	if code, _, errs := ctl(t, bin, "restore", archive, "--data", restored, "--passphrase-file", pass); code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errs)
	}
	if code, out, errs := ctl(t, bin, "verify", "--data", restored); code != 0 {
		t.Fatalf("verify the restored ledger: exit %d: %s%s", code, out, errs)
	}
	if h, root := storeHead(t, restored, ""); h != srcHead || root != srcRoot {
		t.Fatalf("restored head %d %s root %s; source %d %s root %s", h.Size, h.LastHash, root, srcHead.Size, srcHead.LastHash, srcRoot)
	}
	refusedRestore(t, bin, archive, pass, restored, tmp)

	url2, stop2, logs2 := start(t, nil, "--data", restored, "--auth", "dev", "--checkpoint-interval", "10ms")
	actOn(t, url2, restored, "root", "aba-restored")
	waitPublished(t, restored, srcHead.Size+1)
	checkConsistent(t, url2, old)
	if c := stop2(); c != exitOK {
		t.Fatalf("exit %d\n%s", c, logs2)
	}
}

// refusedRestore: into a non-empty directory, and with a wrong passphrase, restore exits
// 2 with one line and writes nothing.
func refusedRestore(t *testing.T, bin, archive, pass, existing, tmp string) {
	t.Helper()
	before, _ := os.ReadDir(existing)
	code, _, errs := ctl(t, bin, "restore", archive, "--data", existing, "--passphrase-file", pass)
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "already holds a ledger") {
		t.Fatalf("restore into a ledger: exit %d, %q", code, errs)
	}
	if after, _ := os.ReadDir(existing); len(after) != len(before) {
		t.Fatalf("the refused restore changed %s", existing)
	}
	wrong := filepath.Join(tmp, "wrong")
	os.WriteFile(wrong, []byte("not the passphrase at all"), 0o600)
	target := filepath.Join(tmp, "never")
	code, _, errs = ctl(t, bin, "restore", archive, "--data", target, "--passphrase-file", wrong)
	if code != 2 || !strings.Contains(errs, "passphrase") {
		t.Fatalf("restore with a wrong passphrase: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(target); err == nil {
		t.Fatal("a refused restore created its directory")
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		for _, e := range ents {
			if strings.Contains(e.Name(), ".restore-") {
				t.Fatalf("a refused restore left %s behind", e.Name())
			}
		}
	}
}

// TestBackupRestoreAcrossStores: an embedded ledger's backup restores into PostgreSQL,
// where ledgerd runs and takes new acts; an online backup of that (PostgreSQL keeps
// serving) restores back into an embedded directory. Each verifies with the head of its
// source. A restore into a database that holds a ledger is refused.
func TestBackupRestoreAcrossStores(t *testing.T) {
	pg := pgtest.NewDatabase(t)
	tmp := t.TempDir()
	bin := buildBinary(t, tmp, "ledgerctl")
	pass := filepath.Join(tmp, "pass")
	os.WriteFile(pass, []byte("a long test passphrase\n"), 0o600)
	src := filepath.Join(tmp, "src")
	if code, _, errs := ctl(t, bin, "demo", "--data", src, "--events", "50"); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	a := filepath.Join(tmp, "a.bak")
	if code, _, errs := ctl(t, bin, "backup", "--data", src, "--out", a, "--passphrase-file", pass, "--with-private-keys"); code != 0 {
		t.Fatalf("backup --data: exit %d: %s", code, errs)
	}
	old := waitPublished(t, src, 1)
	srcHead, srcRoot := storeHead(t, src, "")

	pgDir := filepath.Join(tmp, "pgdata")
	if code, _, errs := ctl(t, bin, "restore", a, "--data", pgDir, "--store", pg, "--passphrase-file", pass); code != 0 {
		t.Fatalf("restore into PostgreSQL: exit %d: %s", code, errs)
	}
	if h, root := storeHead(t, pgDir, pg); h != srcHead || root != srcRoot {
		t.Fatalf("PostgreSQL head %d root %s; source %d root %s", h.Size, root, srcHead.Size, srcRoot)
	}
	if code, out, errs := ctl(t, bin, "verify", "--data", pgDir, "--store", pg); code != 0 {
		t.Fatalf("verify on PostgreSQL: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := ctl(t, bin, "restore", a, "--data", filepath.Join(tmp, "again"), "--store", pg, "--passphrase-file", pass); code != 2 || !strings.Contains(errs, "already holds a ledger") {
		t.Fatalf("restore into a database with a ledger: exit %d, %q", code, errs)
	}

	url, stop, logs := start(t, nil, "--data", pgDir, "--store", pg, "--auth", "dev", "--checkpoint-interval", "10ms")
	actOn(t, url, pgDir, "sjj-wang.li", "aba-on-pg") // the demo's authority official
	checkConsistent(t, url, old)
	b := filepath.Join(tmp, "b.bak")
	if code, _, errs := ctl(t, bin, "backup", "--data", pgDir, "--store", pg, "--out", b, "--passphrase-file", pass, "--with-private-keys"); code != 0 {
		t.Fatalf("backup of PostgreSQL while ledgerd serves it: exit %d: %s", code, errs)
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d\n%s", c, logs)
	}
	pgHead, pgRoot := storeHead(t, pgDir, pg)

	back := filepath.Join(tmp, "back")
	if code, _, errs := ctl(t, bin, "restore", b, "--data", back, "--passphrase-file", pass); code != 0 {
		t.Fatalf("restore back into an embedded store: exit %d: %s", code, errs)
	}
	if code, out, errs := ctl(t, bin, "verify", "--data", back); code != 0 {
		t.Fatalf("verify the embedded copy: exit %d: %s%s", code, out, errs)
	}
	if h, root := storeHead(t, back, ""); h != pgHead || root != pgRoot {
		t.Fatalf("embedded head %d root %s; PostgreSQL %d root %s", h.Size, root, pgHead.Size, pgRoot)
	}
}
