package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/boltstore/bolttest"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
)

var (
	ledgerOnce sync.Once
	ledgerFile []byte
	ledgerErr  error
)

// realStore returns a copy of a real ledger's store file (genesis, a key registration,
// 60 events on two streams, two checkpoints), built once per test binary, at a new path.
func realStore(t *testing.T) string {
	t.Helper()
	ledgerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "boltstore-damage-")
		if err != nil {
			ledgerErr = err
			return
		}
		defer os.RemoveAll(dir)
		ledgerFile, ledgerErr = buildRealStore(t, filepath.Join(dir, "ledger.db"))
	})
	if ledgerErr != nil {
		t.Fatal(ledgerErr)
	}
	p := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(p, ledgerFile, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func buildRealStore(t *testing.T, path string) ([]byte, error) {
	st, err := boltstore.Open(path)
	if err != nil {
		return nil, err
	}
	f := ledgertest.New(t)
	f.Init(t, st)
	l, err := ledger.Open(context.Background(), st, ledger.Options{Signer: f.LedgerKey, CheckpointEvery: -1})
	if err != nil {
		return nil, err
	}
	f.Register(t, l, "aba-health")
	for i := range 60 {
		if _, err := l.Append(context.Background(), f.Event(t, "aba-health", fmt.Sprintf("case/c-%d", i%2), i)); err != nil {
			return nil, err
		}
		if i == 30 {
			if _, err := l.Checkpoint(context.Background()); err != nil {
				return nil, err
			}
		}
	}
	if err := l.Close(); err != nil {
		return nil, err
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// TestOpenDamaged: each named damage to a real ledger's store makes Open return a
// *DamagedError naming the file and what is wrong, never a panic; errors.Is tells it
// from other failures; the file is let go of (a second Open says the same, not
// "timeout").
func TestOpenDamaged(t *testing.T) {
	for _, d := range bolttest.Damages {
		if d.DataDir {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			p := realStore(t)
			if err := d.Apply(p); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				st, err := boltstore.Open(p)
				if err == nil {
					st.Close()
					t.Fatal("a damaged store opened")
				}
				var de *boltstore.DamagedError
				if !errors.As(err, &de) {
					t.Fatalf("got %T %v, want a *DamagedError", err, err)
				}
				if de.Path != p || !strings.Contains(de.Detail, d.Detail) {
					t.Fatalf("DamagedError{%q, %q}, want path %q and detail with %q", de.Path, de.Detail, p, d.Detail)
				}
				if !errors.Is(err, ledger.ErrStoreDamaged) {
					t.Error("errors.Is(err, ledger.ErrStoreDamaged) is false")
				}
				if want := p + " is damaged (" + de.Detail + "): restore it from a backup"; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
					t.Errorf("message %q, want one line starting %q", err, want)
				}
			}
		})
	}
}

// TestOpenIntactChecks: the real store opens, verifies, and passes bbolt's own check;
// an empty file is still a new store.
func TestOpenIntactChecks(t *testing.T) {
	p := realStore(t)
	if err := boltstore.ValidateFile(p); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	ledgertest.MustVerify(t, st)

	empty := filepath.Join(t.TempDir(), "new.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	st2, err := boltstore.Open(empty)
	if err != nil {
		t.Fatalf("an empty file is a new store: %v", err)
	}
	st2.Close()
}

// TestOpenLockedTimesOut: a file held by another store is refused after the lock
// timeout as ErrInUse (whose message says what to do), and is not read as damaged.
func TestOpenLockedTimesOut(t *testing.T) {
	p := realStore(t)
	st, err := boltstore.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = boltstore.Open(p)
	var de *boltstore.DamagedError
	if err == nil || errors.As(err, &de) || !errors.Is(err, boltstore.ErrInUse) || !strings.Contains(err.Error(), "ledgerctl snapshot") {
		t.Fatalf("second open: %v, want ErrInUse naming ledgerctl snapshot", err)
	}
}

// TestDamagedWhileOpen: a file changed under an open store (cut short, a page
// zero-filled) makes reads return a *DamagedError instead of crashing the process on a
// fault or a bbolt panic; the store stays damaged; verification reports the damage, not
// tampering at a position; a panic in the caller's own callback stays the caller's.
func TestDamagedWhileOpen(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(p string, m bolttest.Meta) error
		detail string
	}{
		{"cut_short", func(p string, m bolttest.Meta) error { return os.Truncate(p, int64(2*m.PageSize)) }, "cannot be read from the mapped file"},
		{"page_zeroed", func(p string, m bolttest.Meta) error {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt(make([]byte, m.PageSize), int64(m.Root*m.PageSize))
			return err
		}, "bbolt failed reading it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := realStore(t)
			st, err := boltstore.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			m, err := bolttest.ReadMeta(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.damage(p, m); err != nil {
				t.Fatal(err)
			}
			err = st.Entries(context.Background(), 0, 1<<40, func(ledger.RawEntry) error { return nil })
			var de *boltstore.DamagedError
			if !errors.As(err, &de) || !strings.Contains(de.Detail, tc.detail) {
				t.Fatalf("Entries: %v, want a *DamagedError with %q", err, tc.detail)
			}
			if _, err := st.Head(context.Background()); !errors.As(err, &de) {
				t.Fatalf("Head after damage: %v, want the *DamagedError", err)
			}
			_, err = ledger.Verify(context.Background(), st, ledger.VerifyOptions{})
			var ce *ledger.ChainError
			if !errors.Is(err, ledger.ErrStoreDamaged) || errors.As(err, &ce) {
				t.Fatalf("Verify: %v, want the damage, not a finding at a position", err)
			}
		})
	}

	t.Run("caller_panics", func(t *testing.T) {
		st, err := boltstore.Open(realStore(t))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		mine := errors.New("the caller's own bug")
		func() {
			defer func() {
				if r := recover(); r != mine {
					t.Errorf("recovered %v, want the caller's own panic value", r)
				}
			}()
			st.Entries(context.Background(), 0, 10, func(ledger.RawEntry) error { panic(mine) })
		}()
		if _, err := st.Head(context.Background()); err != nil {
			t.Errorf("the store was marked damaged by the caller's panic: %v", err)
		}
	})
}
