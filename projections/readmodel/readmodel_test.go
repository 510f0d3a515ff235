package readmodel_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/boltstore"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/ledger/ledgertest"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// tally is a small fold for the machinery's tests: entries counted by type, and the
// latest recording day.
type tally struct {
	N       map[string]int
	Latest  calendar.Date
	Applied []uint64
}

func newTally() (readmodel.Fold, error) { return &tally{N: map[string]int{}}, nil }

func (t *tally) Apply(e *ledger.Entry) {
	t.N[e.Submission.Type]++
	t.Applied = append(t.Applied, e.Seq)
	if ts, err := time.Parse(time.RFC3339Nano, e.RecordedAt); err == nil {
		if d := calendar.DateOf(ts); t.Latest.Before(d) {
			t.Latest = d
		}
	}
}

func (t *tally) Through() calendar.Date { return t.Latest }

func (t *tally) Report(o report.Options) (*report.Report, error) {
	s := report.Section{Key: "counts", Columns: []report.Column{{Key: "type"}, {Key: "n"}}}
	for _, k := range slices.Sorted(maps.Keys(t.N)) {
		s.Rows = append(s.Rows, []report.Cell{{Text: report.T(k, k)}, {Text: report.T(fmt.Sprint(t.N[k]), fmt.Sprint(t.N[k]))}})
	}
	return &report.Report{Kind: "tally", Sections: []report.Section{s}}, nil
}

func (t *tally) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode((*tallyState)(t)) // not t: gob would call MarshalBinary again
	return b.Bytes(), err
}

func (t *tally) UnmarshalBinary(b []byte) error {
	return gob.NewDecoder(bytes.NewReader(b)).Decode((*tallyState)(t))
}

// tallyState is tally without its methods.
type tallyState tally

// world is a ledger on bbolt with a few institutions and acts.
type world struct {
	f  *ledgertest.Fixture
	st ledger.Store
	l  *ledger.Ledger
}

func newWorld(t *testing.T, acts int) *world {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{f: ledgertest.New(t), st: st}
	w.f.Init(t, st)
	w.l = w.f.Open(t, st, ledger.Options{})
	w.f.Register(t, w.l, "county-00")
	w.add(t, acts)
	return w
}

func (w *world) add(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		if _, err := w.l.Append(context.Background(), w.f.Event(t, "county-00", fmt.Sprintf("resource/r%d", i%5), int(w.l.Size())+i)); err != nil {
			t.Fatal(err)
		}
	}
}

func open(t *testing.T, st readmodel.Store, src follow.Source, o readmodel.Options) *readmodel.Model {
	t.Helper()
	o.Store, o.Source = st, src
	o.Logger = slog.New(slog.DiscardHandler)
	m, err := readmodel.Open(context.Background(), "tally", newTally, o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func catchUp(t *testing.T, m *readmodel.Model, src follow.Source) {
	t.Helper()
	if _, err := follow.New(m, follow.Options{Store: src, Chunk: 7}).CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, m *readmodel.Model) *tally {
	var out *tally
	m.View(func(f readmodel.Fold, _ uint64) { x := *f.(*tally); out = &x })
	return out
}

// A model saved part-way and reopened resumes from its snapshot, folds only what came
// after, and ends equal to a model folded from zero; one never saved (killed) folds
// again from its last snapshot and ends equal too.
func TestResumeEqualsRebuild(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 30)
	dir, err := readmodel.OpenDir(filepath.Join(t.TempDir(), "readmodels"))
	if err != nil {
		t.Fatal(err)
	}
	m := open(t, dir, w.st, readmodel.Options{SaveEvery: 10})
	catchUp(t, m, w.st)
	saved, _ := dir.Load(ctx, "tally")
	if saved == nil || saved.Position == 0 || saved.Position > w.l.Size() {
		t.Fatalf("no snapshot part-way: %+v", saved)
	}
	w.add(t, 12)
	// "Killed": m is dropped without Save. Reopened, it starts from the last snapshot.
	m2 := open(t, dir, w.st, readmodel.Options{SaveEvery: 1 << 30})
	if m2.Restored() != "snapshot" {
		t.Fatalf("not restored: %s", m2.Restored())
	}
	if p, _ := m2.Position(ctx); p != saved.Position {
		t.Fatalf("restored at %d, snapshot at %d", p, saved.Position)
	}
	catchUp(t, m2, w.st)
	rebuilt := open(t, dir, w.st, readmodel.Options{Rebuild: true, SaveEvery: 1 << 30})
	catchUp(t, rebuilt, w.st)
	a, b := state(t, m2), state(t, rebuilt)
	if !reflect.DeepEqual(a, b) || len(a.Applied) != int(w.l.Size()) {
		t.Fatalf("resumed %+v\nrebuilt %+v", a, b)
	}
	if err := m2.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := dir.Load(ctx, "tally"); s.Position != w.l.Size() {
		t.Fatalf("saved at %d, head %d", s.Position, w.l.Size())
	}
}

// A snapshot of another log (a ledger restored or replaced under the same data
// directory) or written by other fold code is not used: the model starts from zero.
func TestSnapshotNotUsed(t *testing.T) {
	ctx := context.Background()
	a, b := newWorld(t, 10), newWorld(t, 20)
	dir, _ := readmodel.OpenDir(t.TempDir())
	m := open(t, dir, a.st, readmodel.Options{})
	catchUp(t, m, a.st)
	if err := m.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if got := open(t, dir, b.st, readmodel.Options{}).Restored(); got != "zero" {
		t.Errorf("another log's snapshot used: %s", got)
	}
	if got := open(t, dir, a.st, readmodel.Options{}).Restored(); got != "snapshot" {
		t.Errorf("its own log's snapshot not used: %s", got)
	}
	s, _ := dir.Load(ctx, "tally")
	s.Fold = "0000000000000000"
	if err := dir.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got := open(t, dir, a.st, readmodel.Options{}).Restored(); got != "zero" {
		t.Errorf("other fold code's snapshot used: %s", got)
	}
}

// A damaged snapshot file is refused as ErrCorrupt at the first difference, whatever
// byte changed, and the model starts from zero instead of misreading it.
func TestDamagedSnapshot(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 5)
	d := t.TempDir()
	dir, _ := readmodel.OpenDir(d)
	m := open(t, dir, w.st, readmodel.Options{})
	catchUp(t, m, w.st)
	if err := m.Save(ctx); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(d, "tally.snapshot")
	good, _ := os.ReadFile(p)
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"a flipped state byte", flip(good, len(good)-3)},
		{"a flipped header byte", flip(good, 40)},
		{"cut short", good[:len(good)-9]},
		{"a byte added", append(slices.Clone(good), 'x')},
		{"empty", nil},
	} {
		if err := os.WriteFile(p, c.b, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := dir.Load(ctx, "tally"); !errors.Is(err, readmodel.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", c.name, err)
		}
		if got := open(t, dir, w.st, readmodel.Options{}).Restored(); got != "zero" {
			t.Errorf("%s: restored from %s", c.name, got)
		}
	}
}

func flip(b []byte, i int) []byte {
	b = slices.Clone(b)
	b[i] ^= 0x20
	return b
}

// A report as of a day before the latest act folded is not read from the live state.
func TestReportBeforeThrough(t *testing.T) {
	w := newWorld(t, 3)
	dir, _ := readmodel.OpenDir(t.TempDir())
	m := open(t, dir, w.st, readmodel.Options{})
	catchUp(t, m, w.st)
	today := calendar.DateOf(time.Now())
	if _, err := m.Report(report.Options{AsOf: today.AddDays(-1)}); !errors.Is(err, readmodel.ErrBeforeThrough) {
		t.Fatalf("yesterday: %v", err)
	}
	r, err := m.Report(report.Options{AsOf: today})
	if err != nil || r.Kind != "tally" || r.AsOf != today {
		t.Fatalf("today: %+v %v", r, err)
	}
}

// The generated fold identity is the digest of the fold sources as they are: a change to
// a fold without go generate would let old snapshots be read as the new code's state.
func TestFoldIdentityIsCurrent(t *testing.T) {
	id, err := readmodel.ComputeFoldIdentity("../..")
	if err != nil {
		t.Fatal(err)
	}
	if id != readmodel.FoldIdentity {
		t.Fatalf("fold_identity.go is stale (%s, sources give %s): run go generate ./projections/readmodel", readmodel.FoldIdentity, id)
	}
}

// FuzzReadSnapshot: no input panics the snapshot reader; whatever it accepts it reads
// back exactly as written.
func FuzzReadSnapshot(f *testing.F) {
	d := f.TempDir()
	dir, _ := readmodel.OpenDir(d)
	_ = dir.Save(context.Background(), &readmodel.Snapshot{Name: "tally", Fold: "x", Position: 3, State: []byte("state")})
	good, _ := os.ReadFile(filepath.Join(d, "tally.snapshot"))
	f.Add(good)
	f.Add([]byte("aba-ledger-readmodel/v1\n{}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, "tally.snapshot"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		dir, _ := readmodel.OpenDir(d)
		s, err := dir.Load(context.Background(), "tally")
		if err != nil || s == nil {
			return
		}
		if err := dir.Save(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		s2, err := dir.Load(context.Background(), "tally")
		if err != nil || !reflect.DeepEqual(s.State, s2.State) || s.Position != s2.Position || s.LastHash != s2.LastHash {
			t.Fatalf("read back differently: %v", err)
		}
	})
}
