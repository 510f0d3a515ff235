package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/ledger/pgstore"
	"github.com/aba-prefecture/dataledger/ledger/pgstore/pgtest"
)

// The crash test re-runs this test binary as the writer process: with PGSTORE_WRITER set,
// TestMain runs writer() instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("PGSTORE_WRITER") != "" {
		if err := writer(); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writer appends events from several goroutines until it has been acknowledged
// PGSTORE_WRITER_N times (or is killed), printing "ack ID SEQ" for each acknowledgement
// after it returns: a line on stdout means the entry was durable.
func writer() error {
	ctx := context.Background()
	dir := os.Getenv("PGSTORE_WRITER_KEYS")
	lk, err := crypto.ReadPrivateKeyFile(filepath.Join(dir, "ledger.key"))
	if err != nil {
		return err
	}
	ik, err := crypto.ReadPrivateKeyFile(filepath.Join(dir, "county.key"))
	if err != nil {
		return err
	}
	limit, _ := strconv.Atoi(os.Getenv("PGSTORE_WRITER_N"))
	st, err := pgstore.Open(ctx, os.Getenv("PGSTORE_WRITER"), pgstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := ledger.Open(ctx, st, ledger.Options{Signer: lk, CheckpointEvery: 50 * time.Millisecond})
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	acked := 0
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				mu.Lock()
				done := limit > 0 && acked >= limit
				mu.Unlock()
				if done {
					return
				}
				s, err := ledger.SignSubmission(ik, ledgertest.Submission("county-00", ik.Public().ID(),
					fmt.Sprintf("resource/g%d-%d", g, i%4), "data.collected.v1", map[string]int{"n": i}))
				if err != nil {
					panic(err)
				}
				r, err := l.Append(ctx, s)
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %s %d\n", s.Submission.ID, r.Seq)
				out.Flush()
				acked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return l.Close()
}

// TestCrash kills the writer process (SIGKILL) in the middle of its load, twice, then
// lets a third run finish: every entry any run acknowledged is stored at the seq it was
// given, and the whole log verifies.
func TestCrash(t *testing.T) {
	ctx := context.Background()
	url, keys := crashFixture(t)

	type ack struct {
		id  string
		seq uint64
	}
	var acks []ack
	run := func(kill bool) {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "PGSTORE_WRITER="+url, "PGSTORE_WRITER_KEYS="+keys)
		if !kill {
			cmd.Env = append(cmd.Env, "PGSTORE_WRITER_N=200")
		}
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		n := 0
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "ack" {
				continue
			}
			seq, _ := strconv.ParseUint(f[2], 10, 64)
			acks = append(acks, ack{f[1], seq})
			n++
			if kill && n == 300 {
				// Mid-load: more appends are in flight in the sequencer and the database.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		err = cmd.Wait()
		if kill && err == nil {
			t.Fatal("the writer exited by itself before it was killed")
		}
		if !kill && err != nil {
			t.Fatalf("the last writer failed: %v", err)
		}
		t.Logf("writer run (kill=%v): %d acknowledged", kill, n)
	}
	run(true)
	run(true)
	run(false)

	st := open(t, url)
	ids := make([]string, len(acks))
	for i, a := range acks {
		ids[i] = a.id
	}
	stored, err := st.Lookup(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acks {
		if seq, ok := stored[a.id]; !ok || seq != a.seq {
			t.Fatalf("acknowledged %s at seq %d, stored: %d %v", a.id, a.seq, seq, ok)
		}
	}
	rep := ledgertest.MustVerify(t, st)
	t.Logf("%d acknowledged across three runs, all stored; %d entries, %d checkpoints verify", len(acks), rep.Entries, rep.Checkpoints)
}

// crashFixture initialises a ledger in a fresh database, registers one institution's
// key, and writes the ledger and institution keys where the writer process reads them.
func crashFixture(t *testing.T) (url, keys string) {
	t.Helper()
	url = pgtest.NewDatabase(t)
	st := open(t, url)
	f := ledgertest.New(t)
	f.Init(t, st)
	l := f.Open(t, st, ledger.Options{})
	k := f.Register(t, l, "county-00")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	keys = t.TempDir()
	if err := crypto.WriteKeyPair(filepath.Join(keys, "ledger"), f.LedgerKey); err != nil {
		t.Fatal(err)
	}
	if err := crypto.WriteKeyPair(filepath.Join(keys, "county"), k); err != nil {
		t.Fatal(err)
	}
	return url, keys
}
