package compliance

import "sync"

// Static is a Source whose answers are set by Set: for tests, demonstrations and the
// monitoring stack's end-to-end test, which need compliance series before any fold
// produces them. Safe for concurrent use.
type Static struct {
	mu       sync.Mutex
	overdue  []Overdue
	findings []Finding
	pos      uint64
	standing Standing
}

var _ Source = (*Static)(nil)

// Set replaces the answers.
func (s *Static) Set(overdue []Overdue, findings []Finding, position uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overdue, s.findings, s.pos = overdue, findings, position
}

// Overdue implements Source.
func (s *Static) Overdue() []Overdue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overdue
}

// Findings implements Source.
func (s *Static) Findings() []Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.findings
}

// Position implements Source.
func (s *Static) Position() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos
}

// SetStanding replaces the standing.
func (s *Static) SetStanding(st Standing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.standing = st
}

// Standing implements Source.
func (s *Static) Standing() Standing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.standing
}
