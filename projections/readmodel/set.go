package readmodel

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Set is the report kinds' read models over one log, as ledgerd and ledgerctl keep them:
// one Model per kind, restored from its snapshot and kept level by a follower.
type Set struct {
	kinds  *report.Registry
	ro     report.Options // the policy and calendar every model judges by
	src    follow.Source
	models map[string]*Model
	names  []string
}

// OpenSet opens the read model of each kind named (nil: every kind of kinds that is
// available), judging with ro.Policy and ro.Calendar, over the log src. o.Store keeps the
// snapshots; o.Source is set to src.
func OpenSet(ctx context.Context, kinds *report.Registry, names []string, ro report.Options, src follow.Source, o Options) (*Set, error) {
	if names == nil {
		names = kinds.Names()
	}
	s := &Set{kinds: kinds, ro: report.Options{Policy: ro.Policy, Calendar: ro.Calendar}, src: src, models: map[string]*Model{}}
	o.Source, o.ViewOptions = src, s.ro
	for _, name := range names {
		k, err := kinds.Lookup(name)
		if err != nil {
			return nil, err
		}
		if _, err := k.New(s.ro); errors.Is(err, report.ErrNotAvailable) {
			continue // a placeholder kind has no model
		}
		m, err := Open(ctx, name, func() (Fold, error) { return k.New(s.ro) }, o)
		if err != nil {
			return nil, fmt.Errorf("read model %s: %w", name, err)
		}
		s.models[name] = m
		s.names = append(s.names, name)
	}
	return s, nil
}

// Models are the set's models, in name order.
func (s *Set) Models() []*Model {
	out := make([]*Model, len(s.names))
	for i, n := range s.names {
		out[i] = s.models[n]
	}
	return out
}

// Get returns the model of kind name.
func (s *Set) Get(name string) (*Model, bool) { m, ok := s.models[name]; return m, ok }

// Names are the kinds the set keeps a model of.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// ErrCatchingUp says a report was asked of a model still behind the log (a rebuild at
// start-up): the caller answers "try again" with the position reached.
var ErrCatchingUp = errors.New("the read model is still catching up with the log")

// Report answers the report of kind on o: from its read model once the model has folded
// the first size entries (the log as the caller saw it; 0: as it stands), or by folding
// the log from zero (report.Build) when o asks for a day before the latest act the model
// holds, or when the kind has no model. Waiting for the model is bounded by ctx; when it
// ends first the error wraps ErrCatchingUp.
func (s *Set) Report(ctx context.Context, kind string, size uint64, o report.Options) (*report.Report, error) {
	k, err := s.kinds.Lookup(kind)
	if err != nil {
		return nil, err
	}
	o.Policy, o.Calendar = s.ro.Policy, s.ro.Calendar
	m, ok := s.models[kind]
	if !ok {
		return report.Build(ctx, s.src, k, o)
	}
	if err := waitFor(ctx, m, size); err != nil {
		return nil, err
	}
	r, err := m.Report(o)
	if errors.Is(err, ErrBeforeThrough) {
		return report.Build(ctx, s.src, k, o)
	}
	return r, err
}

// waitFor waits until m has folded size entries.
func waitFor(ctx context.Context, m *Model, size uint64) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		p, _ := m.Position(ctx)
		if p >= size {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s at %d of %d entries: %w", m.Name(), p, size, ErrCatchingUp)
		case <-time.After(wait):
		}
	}
}

// Save saves every model that folded anything since its last snapshot.
func (s *Set) Save(ctx context.Context) error {
	var errs []error
	for _, m := range s.Models() {
		errs = append(errs, m.Save(ctx))
	}
	return errors.Join(errs...)
}

// SaveIfStale saves the models whose last entries have waited longer than SaveAfter.
func (s *Set) SaveIfStale(ctx context.Context) error {
	var errs []error
	for _, m := range s.Models() {
		errs = append(errs, m.SaveIfStale(ctx))
	}
	return errors.Join(errs...)
}
