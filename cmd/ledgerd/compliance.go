package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/aba-prefecture/dataledger/api/compliance"
	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/obligations"
	"github.com/aba-prefecture/dataledger/projections/readmodel"
	"github.com/prometheus/client_golang/prometheus"
)

// complianceFollower answers the compliance metrics from the findings read model (and
// the obligations fold inside it), which a follower keeps level with the log like every
// other model: it adds no fold of its own. The answers are computed when a scrape finds
// the model has moved or the day has turned since the last, and kept, so that a scrape
// never folds anything.
type complianceFollower struct {
	model       func() *readmodel.Model    // the findings read model, while this process keeps it
	emergencies func() *readmodel.Model    // the emergency register's, likewise; nil: none
	versions    map[string]*policy.Version // by id: the articles of each version's deadlines
	pol         *policy.Set
	cal         *calendar.Calendar
	groups      zeroGroups // every (rule, article) and (deadline, article) the policy can produce
	now         func() time.Time

	mu       sync.Mutex
	overdue  []compliance.Overdue
	findings []compliance.Finding
	standing compliance.Standing
	pos      uint64
	day      calendar.Date // the day the answers were computed on
	computed bool
}

var _ compliance.Source = (*complianceFollower)(nil)

func newComplianceFollower(model func() *readmodel.Model, pol *policy.Set) *complianceFollower {
	versions := map[string]*policy.Version{}
	for _, v := range pol.Versions() {
		versions[v.ID] = v
	}
	return &complianceFollower{model: model, versions: versions, pol: pol, cal: calendar.Default(),
		groups: zeroGroupsOf(pol), now: time.Now}
}

// current recomputes the answers when the model has folded more, or the day has turned
// (deadlines pass at midnight whether or not anything is recorded; the calendar's days
// are Beijing days). The caller holds f.mu.
func (f *complianceFollower) current() {
	today := calendar.DateOf(f.now())
	model := f.model()
	if model == nil {
		return
	}
	model.View(func(m readmodel.Fold, pos uint64) {
		if f.computed && pos == f.pos && today == f.day {
			return
		}
		if fold, ok := findings.FoldOf(m); ok {
			f.overdue, f.findings = f.answers(fold, today)
			f.standing = f.standingOf(fold.Registry(), today)
		}
		f.pos, f.day, f.computed = pos, today, true
	})
}

// answers counts the overdue obligations and the findings as of asOf.
func (f *complianceFollower) answers(fold *findings.Fold, asOf calendar.Date) ([]compliance.Overdue, []compliance.Finding) {
	type key struct{ a, b, art string }
	over := map[key]int{}
	fs := map[key]*counts{}
	for _, in := range fold.Registry().Institutions() {
		for _, g := range f.groups.deadlines {
			over[key{g.id, in.ID, g.article}] += 0
		}
		for _, g := range f.groups.rules {
			fs[key{g.id, in.ID, g.article}] = &counts{}
		}
	}
	for _, o := range fold.Obligations().Obligations(asOf) {
		if o.State == obligations.Missed {
			over[key{o.Deadline, o.Institution, articleOf(o.Articles)}]++
		}
	}
	for _, x := range fold.Findings(asOf) {
		k := key{x.Rule, labelInstitution(fold.Registry(), &x), f.findingArticle(&x)}
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
	return od, fd
}

// labelInstitution is the institution label of a finding: its institution when
// registered; else (F18 against an outside party, whose id is personal data and must not
// become a label) the institution whose act recorded the party's access, the holder of
// the data; else "unregistered".
func labelInstitution(reg *registry.State, x *findings.Finding) string {
	if reg.Registered(x.Institution) {
		return x.Institution
	}
	for _, ev := range x.Evidence {
		if reg.Registered(ev.Institution) {
			return ev.Institution
		}
	}
	return "unregistered"
}

// counts are one group's findings.
type counts struct{ open, raised int }

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
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current()
	return append([]compliance.Overdue(nil), f.overdue...)
}

// Findings implements compliance.Source.
func (f *complianceFollower) Findings() []compliance.Finding {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current()
	return append([]compliance.Finding(nil), f.findings...)
}

// Standing implements compliance.Source.
func (f *complianceFollower) Standing() compliance.Standing {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current()
	return f.standing
}

// Position implements compliance.Source.
func (f *complianceFollower) Position() uint64 {
	if m := f.model(); m != nil {
		p, _ := m.Position(context.Background())
		return p
	}
	return 0
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

// openCompliance registers the compliance metrics over the findings read model;
// --compliance-interval 0 or --derived off leaves them out. Their series are exported
// only by the process that keeps the read models (with --derived lease on a shared
// store, the lease holder), so that dashboards summing over instances count each once.
func openCompliance(c *config, reg prometheus.Registerer, models *readModels, pol *policy.Set) error {
	if c.complianceEvery <= 0 || c.derived == derivedOff {
		return nil
	}
	f := newComplianceFollower(models.findings, pol)
	f.emergencies = models.emergencies
	if models.ro.Calendar != nil {
		f.cal = models.ro.Calendar
	}
	ready := func() bool { return models.findings() != nil }
	if err := reg.Register(leaseCollector{Collector: compliance.NewCollector(f), ready: ready}); err != nil {
		return fmt.Errorf("registering compliance metrics: %w", err)
	}
	return nil
}
