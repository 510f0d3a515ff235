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
	"github.com/aba-prefecture/dataledger/ledger/follow"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/obligations"
	"github.com/prometheus/client_golang/prometheus"
)

// complianceFollower is the read model behind the compliance metrics: the findings fold
// (and the obligations fold inside it), kept level with the log by a follower like every
// other model, and a snapshot of the answers taken after each batch and when the day
// turns, so that a scrape never waits on the store or on the fold. It follows the store
// rather than only this process's commits, so with several ledgerd on one database each
// reports the whole log.
type complianceFollower struct {
	fold     *findings.Fold
	versions map[string]*policy.Version // by id: the articles of each version's deadlines
	now      func() time.Time
	log      *slog.Logger

	mu       sync.RWMutex
	overdue  []compliance.Overdue
	findings []compliance.Finding
	pos      uint64
	day      calendar.Date // the day the snapshot was taken on

	warned bool // a day without policy or calendar data was reported once
}

var (
	_ compliance.Source = (*complianceFollower)(nil)
	_ follow.Model      = complianceFeed{}
)

func newComplianceFollower(pol *policy.Set, cal *calendar.Calendar, log *slog.Logger) *complianceFollower {
	versions := map[string]*policy.Version{}
	for _, v := range pol.Versions() {
		versions[v.ID] = v
	}
	return &complianceFollower{fold: findings.New(pol, cal), versions: versions, now: time.Now, log: log}
}

// complianceFeed is the side of the compliance read model its follower sees.
type complianceFeed struct{ *complianceFollower }

// Name implements follow.Model.
func (complianceFeed) Name() string { return "compliance" }

// Position implements follow.Model: the fold's, kept in memory with it.
func (f complianceFeed) Position(context.Context) (uint64, error) { return f.fold.Position(), nil }

// Apply implements follow.Model: it folds the entries, then takes the snapshot as of
// today (China time: the calendar's days are Beijing days).
func (f complianceFeed) Apply(_ context.Context, es []*ledger.Entry) error {
	if p := f.fold.Position(); es[0].Seq != p {
		return fmt.Errorf("compliance at %d, offered %d: %w", p, es[0].Seq, follow.ErrPositionMoved)
	}
	for _, e := range es {
		if err := f.fold.Apply(e); err != nil && !f.warned {
			// The obligation is kept as undetermined; say once why.
			f.warned = true
			f.log.Warn("an obligation's deadline cannot be computed; it is reported as undetermined, not overdue", "seq", e.Seq, "err", err)
		}
	}
	f.snapshot(calendar.DateOf(f.now()))
	return nil
}

// current takes a new snapshot when the day has turned since the last: deadlines pass
// at midnight whether or not anything is recorded.
func (f *complianceFollower) current() {
	today := calendar.DateOf(f.now())
	f.mu.RLock()
	stale := f.day != today
	f.mu.RUnlock()
	if stale {
		f.snapshot(today)
	}
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
	f.overdue, f.findings, f.pos, f.day = od, fd, f.fold.Position(), asOf
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
	f.current()
	f.mu.RLock()
	defer f.mu.RUnlock()
	return append([]compliance.Overdue(nil), f.overdue...)
}

// Findings implements compliance.Source.
func (f *complianceFollower) Findings() []compliance.Finding {
	f.current()
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

// loadRules reads the policy versions and the working-day calendar the server judges
// acts by (--policy, --calendar; the embedded ones by default).
func loadRules(c *config) (*policy.Set, *calendar.Calendar, error) {
	var pol *policy.Set
	var err error
	if c.policyFile != "" {
		pol, err = policy.Load(c.policyFile)
	} else {
		pol, err = policy.Default()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("--policy: %w", err)
	}
	cal := calendar.Default()
	if c.calendarFile != "" {
		if cal, err = cal.LoadFile(c.calendarFile); err != nil {
			return nil, nil, fmt.Errorf("--calendar: %w", err)
		}
	}
	return pol, cal, nil
}

// openCompliance makes the compliance read model and registers its metrics;
// --compliance-interval 0 leaves both out.
func openCompliance(c *config, reg prometheus.Registerer, log *slog.Logger, pol *policy.Set, cal *calendar.Calendar) (*complianceFollower, error) {
	if c.complianceEvery <= 0 {
		return nil, nil
	}
	f := newComplianceFollower(pol, cal, log)
	if err := compliance.Register(reg, f); err != nil {
		return nil, err
	}
	return f, nil
}
