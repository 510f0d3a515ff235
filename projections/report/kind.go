package report

import (
	"context"
	"encoding"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Options are what every kind is built with.
type Options struct {
	// AsOf is the day the report is judged on: acts after it are left out and deadlines
	// are overdue when they fall before it.
	AsOf calendar.Date
	// Policy is the versioned policy (deadlines, parameters); an act is judged by the
	// version in force on the day it happened.
	Policy *policy.Set
	// Calendar counts working days.
	Calendar *calendar.Calendar
	// Resource narrows a report to one data resource where the kind supports it (the
	// accountability view then adds the resource's custody timeline).
	Resource string
	// Year is the calendar year a yearly report (the assessment) scores; 0 means the
	// as-of day's year.
	Year int
	// Progress, if set, is told how many entries of how many have been folded.
	Progress func(done, total uint64)
}

// Judging refuses options without a policy or a calendar, for the kinds that count
// deadlines (every one that judges acts against the Measures).
func (o Options) Judging(kind string) error {
	if o.Policy == nil || o.Calendar == nil {
		return fmt.Errorf("%s: the report needs a policy and a calendar", kind)
	}
	return nil
}

// Model is a report kind's read model: a fold kept level with the log, persisted with
// its position by projections/readmodel, from which reports are read. A report is then a
// rendering of state already folded, not a fold of the whole log: that is what lets a
// report over a long ledger answer at once.
//
// The caller serialises access: Apply under a write lock, Report, Through and
// MarshalBinary under a read lock (any number at once), since none of them changes the
// model.
type Model interface {
	// Apply folds e. Entries come in seq order, each exactly once. A problem (a day
	// without policy or calendar data) is kept as a note of the report, never stops the
	// fold: a report with one undetermined deadline is still worth reading. Apply never
	// depends on the day or year a report will be asked for.
	Apply(e *ledger.Entry)
	// Report renders the report on o (o.AsOf, o.Year, o.Resource) from the state as it
	// stands. It is read-only (no lazy caches, no map writes), so calls may run
	// concurrently and calling it twice gives the same result.
	Report(o Options) (*Report, error)
	// Through is the latest day an act folded so far counts on (its effective day as the
	// registry's TimeOf says; migration declarations, which every report folds whatever
	// their day, do not move it); the zero Date when nothing was folded. A report as of a
	// day before Through cannot be read from the live state (later acts are in it) and is
	// refolded from zero (Build).
	Through() calendar.Date
	// MarshalBinary and UnmarshalBinary carry the model's whole state (its position, its
	// notes, its registry), behind a format byte. UnmarshalBinary is called on a fresh
	// model made by Kind.New with the same Policy and Calendar; folding the rest of the
	// log into it gives the same reports as an uninterrupted fold. A snapshot it cannot
	// take (another format, another kind, another policy, corrupt bytes) is refused with
	// an error wrapping ErrSnapshot, never misread: the caller rebuilds from zero.
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Kind is a registered report kind. Adding a kind is one Register call with a New that
// returns the kind's model.
type Kind struct {
	Name  string // what `ledgerctl report KIND` takes
	Title Text
	// New returns an empty model judging with o.Policy and o.Calendar (Judging); the
	// day, year and resource a report is asked for are Report's, not New's.
	New func(o Options) (Model, error)
}

// Unavailable is a kind whose projection is not built yet: New fails with
// ErrNotAvailable, so `ledgerctl report NAME` says so (exit 2) instead of "unknown".
func Unavailable(name string, title Text) Kind {
	return Kind{Name: name, Title: title, New: func(Options) (Model, error) {
		return nil, fmt.Errorf("%s: %w (该报告尚未提供)", name, ErrNotAvailable)
	}}
}

// Registry is a set of kinds by name. Methods are safe for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	kinds map[string]Kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{kinds: map[string]Kind{}} }

// Register adds k, or replaces a kind of the same name (so a placeholder can be swapped
// for the real projection).
func (r *Registry) Register(k Kind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds[k.Name] = k
}

// Lookup returns the kind called name, or ErrUnknownKind naming the known ones.
func (r *Registry) Lookup(name string) (Kind, error) {
	r.mu.RLock()
	k, ok := r.kinds[name]
	r.mu.RUnlock()
	if !ok {
		return Kind{}, fmt.Errorf("%w: %q (one of: %s)", ErrUnknownKind, name, strings.Join(r.Names(), ", "))
	}
	return k, nil
}

// Names lists the registered kinds, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Source is the part of ledger.Store a report reads.
type Source interface {
	Head(ctx context.Context) (ledger.Head, error)
	Entries(ctx context.Context, from, to uint64, fn func(ledger.RawEntry) error) error
}

// Build folds every entry of src in seq order into a new model of k and returns its
// report on o. Entries whose act counts after o.AsOf are left out: the day an act counts
// is its claimed day, or for a late record the day it was recorded less the grace
// (acttime, counted by o.Policy and o.Calendar with the migrations declared in the log),
// so the report shows the ledger as it stood at the end of that day and a back-dated
// record does not reach into it. Migration declarations are always folded: they say how
// the acts they cover count, whenever they were declared. It is the reference a live
// model is held to, and the way to answer as of a day before the model's Through.
func Build(ctx context.Context, src Source, k Kind, o Options) (*Report, error) {
	m, err := k.New(o)
	if err != nil {
		return nil, err
	}
	h, err := src.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: reading head: %w", k.Name, err)
	}
	days := registry.New()
	if o.Policy != nil && o.Calendar != nil {
		days = registry.NewWith(o.Policy, o.Calendar)
	}
	if err := src.Entries(ctx, 0, h.Size, func(raw ledger.RawEntry) error {
		e, err := ledger.ParseEntry(raw.Bytes)
		if err != nil {
			return fmt.Errorf("entry %d: %w", raw.Seq, err)
		}
		days.Apply(e)
		if !o.AsOf.Before(days.TimeOf(e).Effective) || e.Submission.Type == events.MigrationDeclaredV1 {
			m.Apply(e)
		}
		if o.Progress != nil && (raw.Seq%4096 == 0 || raw.Seq+1 == h.Size) {
			o.Progress(raw.Seq+1, h.Size)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	r, err := m.Report(o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	if r.Kind == "" {
		r.Kind = k.Name
	}
	r.AsOf = o.AsOf
	return r, nil
}
