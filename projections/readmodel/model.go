package readmodel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Fold is the state a read model keeps: a report kind's model (report.Model).
type Fold = report.Model

// Options configure a Model.
type Options struct {
	Store Store // required: where snapshots are kept
	// Source, if set, is the log the snapshot must belong to: a snapshot whose last entry
	// is not the store's entry at that position (another ledger restored in its place) is
	// not used.
	Source follow.Source
	// SaveEvery is how many folded entries may stay unsaved (default 50 000), SaveAfter
	// for how long (default one minute): the bound on what a restart folds again.
	SaveEvery uint64
	SaveAfter time.Duration
	// Rebuild ignores the stored snapshot: the model starts from zero.
	Rebuild bool
	// ViewOptions are what the current view saved beside a snapshot is rendered with
	// (stores that keep one, such as PostgreSQL's tables for Grafana); AsOf and Year are
	// filled with today's.
	ViewOptions report.Options
	Now         func() time.Time
	Logger      *slog.Logger
}

// Model is a persisted read model: a fold with its position, saved as a snapshot every
// so often, fed by a follow.Follower (it implements follow.Model) and read by reports.
// Position and state are one: they are saved together and restored together.
type Model struct {
	name string
	o    Options
	log  *slog.Logger

	mu      sync.RWMutex
	f       Fold
	pos     uint64
	last    ledger.Hash
	unsaved uint64
	savedAt time.Time
	from    string // where the state came from: "zero" or "snapshot"
	saveErr error
}

var _ follow.Model = (*Model)(nil)

// ErrBeforeThrough says a report was asked as of a day before acts the model has already
// folded: the live state cannot answer it (report.Build refolds from zero instead).
var ErrBeforeThrough = errors.New("the read model holds acts after the as-of day")

// Open restores name's fold from its snapshot when there is a usable one (written by
// this fold code, of this log), else starts newFold from zero.
func Open(ctx context.Context, name string, newFold func() (Fold, error), o Options) (*Model, error) {
	if o.Store == nil {
		return nil, errors.New("readmodel: no snapshot store")
	}
	if o.SaveEvery == 0 {
		o.SaveEvery = 50_000
	}
	if o.SaveAfter <= 0 {
		o.SaveAfter = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	f, err := newFold()
	if err != nil {
		return nil, err
	}
	m := &Model{name: name, o: o, log: o.Logger.With("read_model", name), f: f, last: ledger.ZeroHash, from: "zero", savedAt: o.Now()}
	if o.Rebuild {
		return m, nil
	}
	s, err := o.Store.Load(ctx, name)
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return nil, fmt.Errorf("loading the %s snapshot: %w", name, err)
	}
	if why := m.unusable(ctx, s, err); why != "" {
		if s != nil || err != nil {
			m.log.Warn("read model rebuilt from zero", "why", why)
		}
		return m, nil
	}
	if err := f.UnmarshalBinary(s.State); err != nil {
		m.log.Warn("read model rebuilt from zero", "why", "its snapshot does not decode", "err", err)
		if m.f, err = newFold(); err != nil {
			return nil, err
		}
		return m, nil
	}
	m.pos, m.last, m.from, m.savedAt = s.Position, s.LastHash, "snapshot", s.SavedAt
	return m, nil
}

// unusable says why s cannot be restored ("" when it can).
func (m *Model) unusable(ctx context.Context, s *Snapshot, loadErr error) string {
	switch {
	case loadErr != nil:
		return loadErr.Error()
	case s == nil:
		return "no snapshot"
	case s.Fold != FoldIdentity:
		return "its snapshot was written by other fold code (" + s.Fold + ", now " + FoldIdentity + ")"
	case s.Position == 0 || m.o.Source == nil:
		return ""
	}
	var at ledger.Hash
	found := false
	err := m.o.Source.Entries(ctx, s.Position-1, s.Position, func(r ledger.RawEntry) error { at, found = r.Hash, true; return nil })
	switch {
	case err != nil:
		return "cannot read the entry its snapshot ends at: " + err.Error()
	case !found:
		return fmt.Sprintf("its snapshot is at %d but the log holds fewer entries", s.Position)
	case at != s.LastHash:
		return fmt.Sprintf("its snapshot ends at an entry %d the log does not hold (another ledger)", s.Position-1)
	}
	return ""
}

// Name implements follow.Model.
func (m *Model) Name() string { return m.name }

// Position implements follow.Model.
func (m *Model) Position(context.Context) (uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.pos, nil
}

// Restored says whether the state came from a snapshot ("snapshot") or from zero.
func (m *Model) Restored() string { m.mu.RLock(); defer m.mu.RUnlock(); return m.from }

// Apply implements follow.Model. Once the fold has taken the entries Apply never fails:
// a snapshot that cannot be saved is logged and tried again later, since the follower
// must not hand the same entries twice.
func (m *Model) Apply(ctx context.Context, es []*ledger.Entry) error {
	m.mu.Lock()
	if es[0].Seq != m.pos {
		p := m.pos
		m.mu.Unlock()
		return fmt.Errorf("%s at %d, offered %d: %w", m.name, p, es[0].Seq, follow.ErrPositionMoved)
	}
	for _, e := range es {
		m.f.Apply(e)
	}
	m.pos, m.last = es[len(es)-1].Seq+1, es[len(es)-1].Hash
	m.unsaved += uint64(len(es))
	var s *Snapshot
	if m.unsaved >= m.o.SaveEvery || m.o.Now().Sub(m.savedAt) >= m.o.SaveAfter {
		s = m.snapshotLocked()
	}
	m.mu.Unlock()
	if s != nil {
		m.save(ctx, s)
	}
	return nil
}

// snapshotLocked encodes the state; the caller holds the lock.
func (m *Model) snapshotLocked() *Snapshot {
	state, err := m.f.MarshalBinary()
	if err != nil {
		m.log.Error("cannot encode the read model; not saved", "err", err)
		return nil
	}
	s := &Snapshot{Name: m.name, Fold: FoldIdentity, Position: m.pos, LastHash: m.last, SavedAt: m.o.Now(), State: state}
	if v, ok := m.o.Store.(interface{ KeepsViews() bool }); ok && v.KeepsViews() {
		s.View = m.viewLocked(s.SavedAt)
	}
	m.unsaved, m.savedAt = 0, s.SavedAt
	return s
}

// save writes s; a failure is kept for Save to return and logged.
func (m *Model) save(ctx context.Context, s *Snapshot) {
	err := m.o.Store.Save(ctx, s)
	m.mu.Lock()
	m.saveErr = err
	if err != nil {
		m.unsaved += 1 // saved again at the next chance
	}
	m.mu.Unlock()
	if err != nil {
		m.log.Error("cannot save the read model's snapshot; a restart will fold more again", "position", s.Position, "err", err)
	}
}

// Save writes a snapshot now if anything was folded since the last one (a rebuild's
// end, a shutdown, a quiet ledger whose last entries would otherwise wait for the next).
func (m *Model) Save(ctx context.Context) error {
	m.mu.Lock()
	var s *Snapshot
	if m.unsaved > 0 {
		s = m.snapshotLocked()
	}
	m.mu.Unlock()
	if s == nil {
		return nil
	}
	m.save(ctx, s)
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.saveErr
}

// SaveIfStale saves when entries have waited longer than SaveAfter: a quiet ledger's
// last entries are saved without waiting for more.
func (m *Model) SaveIfStale(ctx context.Context) error {
	m.mu.RLock()
	stale := m.unsaved > 0 && m.o.Now().Sub(m.savedAt) >= m.o.SaveAfter
	m.mu.RUnlock()
	if !stale {
		return nil
	}
	return m.Save(ctx)
}

// Report renders the report on o from the live state. A report as of a day before the
// latest act folded fails with ErrBeforeThrough: the caller refolds from zero.
func (m *Model) Report(o report.Options) (*report.Report, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if o.AsOf.Before(m.f.Through()) {
		return nil, fmt.Errorf("%s as of %s: %w (%s)", m.name, o.AsOf, ErrBeforeThrough, m.f.Through())
	}
	r, err := m.f.Report(o)
	if err != nil {
		return nil, err
	}
	if r.Kind == "" {
		r.Kind = m.name
	}
	r.AsOf = o.AsOf
	return r, nil
}

// View runs fn on the fold with nothing folded meanwhile: for readers other than
// reports (the compliance metrics). fn must not change the fold.
func (m *Model) View(fn func(f Fold, position uint64)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	fn(m.f, m.pos)
}

// viewLocked renders the report as of day the snapshot is saved (China time: the
// calendar's days are Beijing days), for the store's tables; nil if it cannot.
func (m *Model) viewLocked(at time.Time) *report.Report {
	o := m.o.ViewOptions
	o.AsOf = calendar.DateOf(at)
	o.Year = o.AsOf.Year
	if o.AsOf.Before(m.f.Through()) {
		o.AsOf = m.f.Through()
	}
	r, err := m.f.Report(o)
	if err != nil {
		m.log.Warn("cannot render the read model's current view; its rows are not replaced", "err", err)
		return nil
	}
	r.Kind, r.AsOf = m.name, o.AsOf
	return r
}
