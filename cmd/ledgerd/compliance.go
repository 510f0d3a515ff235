package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/obligations"
	"github.com/prometheus/client_golang/prometheus"
)

// complianceFollower keeps the findings fold (and the obligations fold inside it) level
// with the store and answers the compliance metrics from a snapshot taken after each
// step, so that a scrape never waits on the store or on the fold. It reads the store
// rather than hooking commits so that, with several ledgerd on one database, each one
// reports the whole log, and so that folding a large log at start does not hold up
// serving.
type complianceFollower struct {
	st       ledger.Store
	fold     *findings.Fold
	versions map[string]*policy.Version // by id: the articles of each version's deadlines
	every    time.Duration
	now      func() time.Time
	trim     func() // drop the store's mapped pages from the resident set (ledgerd's trimmer)
	log      *slog.Logger
	lease    ledger.Lease // nil: fold here unguarded; else only while it is held (--derived)

	mu       sync.RWMutex
	overdue  []compliance.Overdue
	findings []compliance.Finding
	pos      uint64
	ready    bool // a snapshot has been taken

	warned bool // a day without policy or calendar data was reported once
	// what the last snapshot was taken at (only step touches these)
	snapshotted bool
	snapPos     uint64
	snapDay     calendar.Date
	started     bool
	quit        chan struct{}
	done        chan struct{}
}

var _ compliance.Source = (*complianceFollower)(nil)

// followChunk is how many entries one read transaction takes (~5 MiB of the file).
const followChunk = 4096

func newComplianceFollower(st ledger.Store, pol *policy.Set, cal *calendar.Calendar, every time.Duration, trim func(), log *slog.Logger) *complianceFollower {
	versions := map[string]*policy.Version{}
	for _, v := range pol.Versions() {
		versions[v.ID] = v
	}
	return &complianceFollower{st: st, fold: findings.New(pol, cal), versions: versions, every: every, now: time.Now, trim: trim, log: log,
		quit: make(chan struct{}), done: make(chan struct{})}
}

// start follows the store every interval until stop.
func (f *complianceFollower) start() {
	f.started = true
	go func() {
		defer close(f.done)
		t := time.NewTicker(f.every)
		defer t.Stop()
		for {
			if err := f.step(context.Background()); err != nil {
				f.log.Error("folding the log for the compliance metrics", "err", err)
			}
			select {
			case <-f.quit:
				return
			case <-t.C:
			}
		}
	}()
}

// stop ends following and waits for a step in progress; nil-safe, and a no-op if it
// never started.
func (f *complianceFollower) stop() {
	if f == nil {
		return
	}
	if f.started {
		close(f.quit)
		<-f.done
	}
	if f.lease != nil {
		f.lease.Close()
	}
}

// reporting says whether the follower's series are exported now: it holds its lease (or
// needs none) and has folded the log once.
func (f *complianceFollower) reporting() bool {
	if !held(f.lease) {
		return false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.ready
}

// step folds what the store holds beyond the fold's position, then takes the snapshot
// as of today (China time: the calendar's days are Beijing days).
func (f *complianceFollower) step(ctx context.Context) error {
	if !held(f.lease) {
		return nil // another front-end does this work (--derived lease)
	}
	h, err := f.st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the head: %w", err)
	}
	// Read in chunks, each in its own read transaction, and drop the pages read from the
	// resident set between chunks: catching up on a large log (at start, or after a burst)
	// would otherwise map the whole file at once.
	for from := f.fold.Position(); from < h.Size; from = f.fold.Position() {
		to := min(from+followChunk, h.Size)
		err = f.st.Entries(ctx, from, to, func(r ledger.RawEntry) error {
			e, err := ledger.ParseEntry(r.Bytes)
			if err != nil {
				return fmt.Errorf("entry %d: %w", r.Seq, err)
			}
			if err := f.fold.Apply(e); err != nil && !f.warned {
				// The obligation is kept as undetermined; say once why.
				f.warned = true
				f.log.Warn("an obligation's deadline cannot be computed; it is reported as undetermined, not overdue", "seq", r.Seq, "err", err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading entries %d–%d: %w", from, to, err)
		}
		if f.fold.Position() != to {
			return fmt.Errorf("the store returned entries up to %d of %d–%d", f.fold.Position(), from, to)
		}
		f.trim()
	}
	// The answers change only with new entries or a new day: otherwise keep the last.
	asOf, pos := calendar.DateOf(f.now()), f.fold.Position()
	if f.snapshotted && pos == f.snapPos && asOf == f.snapDay {
		return nil
	}
	f.snapshot(asOf)
	f.snapshotted, f.snapPos, f.snapDay = true, pos, asOf
	return nil
}

func (f *complianceFollower) snapshot(asOf calendar.Date) {
	type key struct{ a, b, art string }
	over := map[key]int{}
	for _, o := range f.fold.Obligations().Obligations(asOf) {
		if o.State == obligations.Missed {
			over[key{o.Deadline, o.Institution, articleOf(o.Articles)}]++
		}
	}
	type counts struct{ open, raised int }
	fs := map[key]*counts{}
	for _, x := range f.fold.Findings(asOf) {
		k := key{x.Rule, x.Institution, f.findingArticle(&x)}
		c := fs[k]
		if c == nil {
			c = &counts{}
			fs[k] = c
		}
		c.raised++
		if x.State != findings.Rectified {
			c.open++
		}
	}
	od := make([]compliance.Overdue, 0, len(over))
	for k, n := range over {
		od = append(od, compliance.Overdue{Deadline: k.a, Institution: k.b, Article: k.art, Count: n})
	}
	fd := make([]compliance.Finding, 0, len(fs))
	for k, c := range fs {
		fd = append(fd, compliance.Finding{Rule: k.a, Institution: k.b, Article: k.art, Open: c.open, Raised: c.raised})
	}
	sort.Slice(od, func(i, j int) bool { return od[i].Deadline+od[i].Institution < od[j].Deadline+od[j].Institution })
	sort.Slice(fd, func(i, j int) bool { return fd[i].Rule+fd[i].Institution < fd[j].Rule+fd[j].Institution })
	f.mu.Lock()
	f.overdue, f.findings, f.pos, f.ready = od, fd, f.fold.Position(), true
	f.mu.Unlock()
}

// articleDigits reads the article number of an English citation ("Art. 41(2)").
var articleDigits = regexp.MustCompile(`^Art\. (\d+)`)

// articleOf is the article of the first citation in cites that is not the penalty
// article 第四十一条 (the duty that was breached: F1 第四十一条第(一)项、第十六条 → 16), else of
// the first (F17 第四十一条 → 41, F18 第四十二条 → 42). Arabic digits, as the alerts and
// dashboards expect.
func articleOf(cites []string) string {
	first := ""
	for _, c := range cites {
		m := articleDigits.FindStringSubmatch(findings.Cite(c).EN)
		if m == nil {
			continue
		}
		if m[1] != "41" {
			return m[1]
		}
		if first == "" {
			first = m[1]
		}
	}
	return first
}

// findingArticle labels a finding: for a deadline finding, the article that sets the
// missed deadline in the policy version that judged it (F9 from D5 → 25, from D6 → 33);
// otherwise the duty its rule cites.
func (f *complianceFollower) findingArticle(x *findings.Finding) string {
	if v := f.versions[x.Policy]; v != nil && x.Deadline != "" {
		if a := articleOf(v.Deadline(x.Deadline).Articles); a != "" {
			return a
		}
	}
	zh := make([]string, len(x.Cites))
	for i, c := range x.Cites {
		zh[i] = c.ZH
	}
	return articleOf(zh)
}

// Overdue implements compliance.Source.
func (f *complianceFollower) Overdue() []compliance.Overdue {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]compliance.Overdue(nil), f.overdue...)
}

// Findings implements compliance.Source.
func (f *complianceFollower) Findings() []compliance.Finding {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]compliance.Finding(nil), f.findings...)
}

// Position implements compliance.Source.
func (f *complianceFollower) Position() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.pos
}

// openCompliance loads the policy and calendar the folds judge by (the embedded ones,
// or the operator's files) and registers the follower's metrics; every <= 0 or --derived
// off disables it. With --derived lease on a shared store it folds, and its series are
// exported, only while this front-end holds the compliance lease.
func openCompliance(c *config, st ledger.Store, reg prometheus.Registerer, trim func(), log *slog.Logger) (*complianceFollower, error) {
	if c.complianceEvery <= 0 || c.derived == derivedOff {
		return nil, nil
	}
	var pol *policy.Set
	var err error
	if c.policyFile != "" {
		pol, err = policy.Load(c.policyFile)
	} else {
		pol, err = policy.Default()
	}
	if err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	cal := calendar.Default()
	if c.calendarFile != "" {
		if cal, err = cal.LoadFile(c.calendarFile); err != nil {
			return nil, fmt.Errorf("--calendar: %w", err)
		}
	}
	f := newComplianceFollower(st, pol, cal, c.complianceEvery, trim, log)
	if err := reg.Register(leaseCollector{Collector: compliance.NewCollector(f), ready: f.reporting}); err != nil {
		return nil, fmt.Errorf("registering compliance metrics: %w", err)
	}
	f.lease = derivedLeaseFor(c.derived, st, leaseCompliance, log)
	return f, nil
}
