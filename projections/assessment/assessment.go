package assessment

import (
	"slices"
	"strconv"
	"sync"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/obligations"
)

// Kind says how a measure is scored.
type Kind string

// Kinds of measure.
const (
	// ByDeadline: obligations triggered in the year; ratio = met on time / judged
	// (met on time + met late + missed); open ones are not judged yet.
	ByDeadline Kind = "deadline"
	// ByActs: acts in the year; ratio = acts without a finding / acts.
	ByActs Kind = "acts"
	// ByYear: the year's duties; ratio 1 when no finding was raised for the year, else 0.
	ByYear Kind = "year"
	// ByEnforcement: findings that arose in the year; ratio = rectified / ordered
	// (rectified + rectification ordered + escalated).
	ByEnforcement Kind = "enforcement"
)

// Definition is what one measure of the scorecard counts and what its ratio means.
type Definition struct {
	Key       string   `json:"key"`
	Kind      Kind     `json:"kind"`
	LabelZH   string   `json:"label_zh"`
	LabelEN   string   `json:"label_en"`
	MeaningZH string   `json:"meaning_zh"`
	MeaningEN string   `json:"meaning_en"`
	Articles  []string `json:"articles"`
	Deadlines []string `json:"deadlines,omitempty"` // ByDeadline: the obligations counted
	Acts      []string `json:"acts,omitempty"`      // ByActs, ByYear: the event types counted
	// Rules are the findings counted against the measure; for a rule that several
	// measures share through deadlines (F9: D5, D6, D7), only findings on this measure's
	// deadlines count.
	Rules []string `json:"rules,omitempty"`
}

// Definitions are the scorecard's measures, in the order of 第四十三条's assessment and
// obligations.md's "Assessment" view.
var Definitions = []Definition{
	{Key: "catalog", Kind: ByDeadline, LabelZH: "目录更新及时性", LabelEN: "catalog timeliness",
		MeaningZH: "目录更新（10个工作日）和报送（3个工作日）按期完成的比例", MeaningEN: "share of catalog updates (10 WD) and reports (3 WD) done on time",
		Articles: []string{"第十六条"}, Deadlines: []string{"D1", "D2"}, Rules: []string{"F1", "F2"}},
	{Key: "collection", Kind: ByActs, LabelZH: "采集合规性", LabelEN: "collection compliance",
		MeaningZH: "采集行为中未触发目录外采集、重复采集、重复生物识别的比例", MeaningEN: "share of collections raising no out-of-catalog, duplicate or biometric finding",
		Articles: []string{"第十七条", "第十八条"}, Acts: []string{events.DataCollectedV1}, Rules: []string{"F3", "F4", "F5"}},
	{Key: "aggregation", Kind: ByActs, LabelZH: "数据归集", LabelEN: "aggregation",
		MeaningZH: "归集行为（含拒绝归集）中完成归集的比例", MeaningEN: "share of aggregation acts (refusals included) that aggregated",
		Articles: []string{"第十八条", "第十九条"}, Acts: []string{events.DataAggregatedV1, events.DataAggregationRefusedV1}, Rules: []string{"F6"}},
	{Key: "sharing", Kind: ByDeadline, LabelZH: "共享响应时效", LabelEN: "sharing response time",
		MeaningZH: "有条件共享申请7个工作日内答复的比例；另计数据不一致、超用途使用", MeaningEN: "share of conditional share applications answered within 7 WD; inconsistency and misuse findings counted too",
		Articles: []string{"第二十五条", "第二十六条", "第二十七条"}, Deadlines: []string{"D5"}, Rules: []string{"F8", "F9", "F10"}},
	{Key: "opening", Kind: ByDeadline, LabelZH: "数据开放", LabelEN: "opening",
		MeaningZH: "开放数据发现安全风险后于当日（工作日）中止开放的比例；另计有条件开放未签协议", MeaningEN: "share of security risks in open data acted on the same working day; conditional openings without agreements counted too",
		Articles: []string{"第三十二条", "第三十三条"}, Deadlines: []string{"D7"}, Rules: []string{"F9", "F15"}},
	{Key: "corrections", Kind: ByDeadline, LabelZH: "数据校核", LabelEN: "corrections",
		MeaningZH: "校核申请按期转交（2个工作日）和办结（5或10个工作日）的比例", MeaningEN: "share of correction requests forwarded (2 WD) and finished (5 or 10 WD) on time",
		Articles: []string{"第二十条"}, Deadlines: []string{"D3", "D4"}, Rules: []string{"F7"}},
	{Key: "withdrawals", Kind: ByDeadline, LabelZH: "撤回要求处理", LabelEN: "withdrawals",
		MeaningZH: "撤回数据要求于当日（工作日）核实处理的比例", MeaningEN: "share of withdrawal requests acted on the same working day",
		Articles: []string{"第三十三条"}, Deadlines: []string{"D6"}, Rules: []string{"F9"}},
	{Key: "subject_requests", Kind: ByDeadline, LabelZH: "数据主体请求", LabelEN: "data-subject requests",
		MeaningZH: "查阅、复制、更正、删除请求按期答复的比例", MeaningEN: "share of access, copy, correction and deletion requests answered in time",
		Articles: []string{"第二十二条"}, Deadlines: []string{"D12"}},
	{Key: "emergency_data", Kind: ByDeadline, LabelZH: "应急数据处置", LabelEN: "emergency data",
		MeaningZH: "突发事件结束后按期评估并封存或销毁数据的比例", MeaningEN: "share of ended emergencies whose data was evaluated and sealed or destroyed in time",
		Articles: []string{"第二十一条"}, Deadlines: []string{"D8"}, Rules: []string{"F13"}},
	{Key: "outsourcing", Kind: ByDeadline, LabelZH: "服务外包管理", LabelEN: "outsourcing",
		MeaningZH: "外包终止后按期撤销账号、证明删除的比例；另计未审查、未签保密协议", MeaningEN: "share of ended contracts with accounts revoked and deletion evidenced in time; contracts without review or agreement counted too",
		Articles: []string{"第三十九条"}, Deadlines: []string{"D9", "D10"}, Rules: []string{"F14"}},
	{Key: "security_duties", Kind: ByYear, LabelZH: "安全职责履行", LabelEN: "security duties",
		MeaningZH: "年度培训、演练、压力测试和灾备是否全部履行（1为是，0为否）；另计监督审批缺失", MeaningEN: "whether the year's training, drill, stress test and backups were all done (1 yes, 0 no); unapproved modification or export counted too",
		Articles: []string{"第三十七条"}, Acts: []string{events.SecurityTrainingHeldV1, events.SecurityDrillHeldV1, events.SecurityStressTestedV1, events.SecurityBackupCompletedV1},
		Rules: []string{"F16", "F11", "F12"}},
	{Key: "record_keeping", Kind: ByActs, LabelZH: "操作留痕", LabelEN: "record keeping",
		MeaningZH: "本单位行为在宽限期内记入账本的比例（补录为 F19）；经声明迁移的历史记录另计，不计为补录", MeaningEN: "share of the institution's acts recorded within the grace after the day they claim (a late record is F19); declared migrations of historical records are counted apart, not as late",
		Articles: []string{"第三十七条第(六)项"}, Acts: []string{AllActs}, Rules: []string{"F19"}},
	{Key: "findings_rectification", Kind: ByEnforcement, LabelZH: "问题整改", LabelEN: "findings and rectification",
		MeaningZH: "当年产生的问题中已责令整改者按期整改的比例；计数为全部问题", MeaningEN: "share of the year's findings under a rectification order that were rectified; the count is every finding",
		Articles: []string{"第四十一条", "第四十二条", "第四十三条"}},
}

// AllActs in a Definition's Acts counts every catalogue act an institution signed.
const AllActs = "*"

// Measure is one line of a scorecard.
type Measure struct {
	Key     string `json:"key"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
	Total   int    `json:"total"` // obligations, acts, or findings counted
	OnTime  int    `json:"on_time"`
	Late    int    `json:"late"`
	Missed  int    `json:"missed"`
	Open    int    `json:"open"`
	// Findings counted against the measure (its Rules).
	Findings int `json:"findings"`
	// Ratio is the measure's score in [0, 1] (Definition.Kind says of what); nil when
	// nothing was there to judge.
	Ratio *float64 `json:"ratio,omitempty"`
	// Migrated counts the acts (of Total) that a migration declaration brought in as
	// historical records (record_keeping only): shown apart, never counted late.
	Migrated int `json:"migrated,omitempty"`
}

// Scorecard is one institution's or one county's year.
type Scorecard struct {
	Year   int    `json:"year"`
	Scope  string `json:"scope"` // institution | county
	ID     string `json:"id"`    // institution id, or county code ("prefecture": 州本级)
	NameZH string `json:"name_zh,omitempty"`
	NameEN string `json:"name_en,omitempty"`
	County string `json:"county,omitempty"`
	// Registered is the day the institution was registered; Judged is false for a year
	// that ended before it (nothing was owed then: "not judged", not "done"). A year it
	// was registered in is judged from that day.
	Registered calendar.Date `json:"registered,omitzero"`
	Judged     bool          `json:"judged"`
	Measures   []Measure     `json:"measures"`
}

// Prefecture is the county code scorecards use for prefecture-level institutions (州本级).
const Prefecture = "prefecture"

// Fold folds ledger entries for the assessment: the findings (and through them the
// obligations and the registry) and a count of the acts the measures count. Create it
// with New.
type Fold struct {
	mu   sync.RWMutex
	next uint64
	f    *findings.Fold
	acts map[string]map[int]map[string]int // institution → year → type → count ("*": every act, "migrated": those migrated)
}

// New returns an empty fold judging with pol and cal.
func New(pol *policy.Set, cal *calendar.Calendar) *Fold {
	return &Fold{f: findings.New(pol, cal), acts: map[string]map[int]map[string]int{}}
}

// Findings is the findings fold the scorecards read.
func (a *Fold) Findings() *findings.Fold { return a.f }

// Registry is the registry the fold counts days by (the findings fold's).
func (a *Fold) Registry() *registry.State { return a.f.Registry() }

var counted = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range Definitions {
		for _, t := range d.Acts {
			m[t] = true
		}
	}
	return m
}()

// Apply folds one entry (in seq order; one at or below the last applied seq is ignored).
// An error comes from the obligations fold; the entry is folded anyway.
func (a *Fold) Apply(e *ledger.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e.Seq < a.next {
		return nil
	}
	a.next = e.Seq + 1
	err := a.f.Apply(e)
	s := &e.Submission
	t, catalogued := events.Lookup(s.Type)
	if !catalogued || t.Signer != ledger.RoleInstitution && t.Signer != ledger.RoleRoot {
		return err
	}
	// An act counts in the year of the day it counts on (acttime), not of its claim.
	when := a.f.Registry().TimeOf(e)
	inst, y := s.Actor.Institution, when.Effective.Year
	if a.acts[inst] == nil {
		a.acts[inst] = map[int]map[string]int{}
	}
	if a.acts[inst][y] == nil {
		a.acts[inst][y] = map[string]int{}
	}
	if counted[s.Type] {
		a.acts[inst][y][s.Type]++
	}
	a.acts[inst][y][AllActs]++
	if when.Migrated() {
		a.acts[inst][y]["migrated"]++
	}
	return err
}

// yearOf is the year a finding counts in: F16's own year, else the year it arose.
func yearOf(x *findings.Finding) int {
	if x.Rule == "F16" {
		if y, err := strconv.Atoi(x.Subject); err == nil {
			return y
		}
	}
	return x.Arose.Year
}

// Institutions returns a scorecard for every registered institution for year, as it
// stood on asOf, ordered by institution id.
func (a *Fold) Institutions(year int, asOf calendar.Date) []Scorecard {
	a.mu.RLock()
	defer a.mu.RUnlock()
	// Each institution's obligations and findings, grouped once: measuring every
	// institution against the whole lists cost institutions × measures × the log.
	obsBy := map[string][]obligations.Obligation{}
	for _, o := range a.f.Obligations().Obligations(asOf) {
		obsBy[o.Institution] = append(obsBy[o.Institution], o)
	}
	fsBy := map[string][]findings.Finding{}
	for _, x := range a.f.Findings(asOf) {
		fsBy[x.Institution] = append(fsBy[x.Institution], x)
	}
	var out []Scorecard
	for _, in := range a.f.Registry().Institutions() {
		sc := Scorecard{Year: year, Scope: "institution", ID: in.ID, NameZH: in.NameZH, NameEN: in.NameEN, County: in.County, Judged: true}
		if sc.County == "" {
			sc.County = Prefecture
		}
		if reg, ok := a.f.Registered(in.ID); ok {
			sc.Registered = reg
			if reg.Year > year {
				sc.Judged = false // registered after the year: it owed nothing then
				for _, d := range Definitions {
					sc.Measures = append(sc.Measures, Measure{Key: d.Key, LabelZH: d.LabelZH, LabelEN: d.LabelEN})
				}
				out = append(out, sc)
				continue
			}
		}
		for _, d := range Definitions {
			sc.Measures = append(sc.Measures, a.measure(d, in.ID, year, obsBy[in.ID], fsBy[in.ID]))
		}
		out = append(out, sc)
	}
	return out
}

func (a *Fold) measure(d Definition, inst string, year int, obs []obligations.Obligation, fs []findings.Finding) Measure {
	m := Measure{Key: d.Key, LabelZH: d.LabelZH, LabelEN: d.LabelEN}
	for i := range fs {
		x := &fs[i]
		if x.Institution != inst || yearOf(x) != year {
			continue
		}
		if d.Kind == ByEnforcement {
			m.Total++
			m.Findings++
			switch x.State {
			case findings.Rectified:
				m.OnTime++
			case findings.RectificationOrdered:
				m.Late++
			case findings.Escalated, findings.Referred:
				m.Missed++
			default:
				m.Open++
			}
			continue
		}
		if slices.Contains(d.Rules, x.Rule) && (x.Deadline == "" || len(d.Deadlines) == 0 || slices.Contains(d.Deadlines, x.Deadline)) {
			m.Findings++
		}
	}
	switch d.Kind {
	case ByDeadline:
		for _, o := range obs {
			if o.Institution != inst || o.Trigger.Date.Year != year || !slices.Contains(d.Deadlines, o.Deadline) {
				continue
			}
			m.Total++
			switch o.State {
			case obligations.MetOnTime:
				m.OnTime++
			case obligations.MetLate:
				m.Late++
			case obligations.Missed:
				m.Missed++
			default:
				m.Open++
			}
		}
		m.Ratio = ratio(m.OnTime, m.OnTime+m.Late+m.Missed)
	case ByActs, ByYear:
		for _, t := range d.Acts {
			m.Total += a.acts[inst][year][t]
		}
		if slices.Contains(d.Acts, AllActs) {
			m.Migrated = a.acts[inst][year]["migrated"]
		}
		if d.Kind == ByActs {
			m.OnTime = max(m.Total-m.Findings, 0)
			m.Missed = m.Total - m.OnTime
			m.Ratio = ratio(m.OnTime, m.Total)
		} else {
			met := 1
			for i := range fs {
				if x := &fs[i]; x.Rule == "F16" && x.Institution == inst && yearOf(x) == year {
					met = 0
				}
			}
			m.Ratio = ratio(met, 1)
		}
	case ByEnforcement:
		m.Ratio = ratio(m.OnTime, m.OnTime+m.Late+m.Missed)
	}
	return m
}

func ratio(n, d int) *float64 {
	if d <= 0 {
		return nil
	}
	r := float64(n) / float64(d)
	return &r
}

// Counties sums the institutions' scorecards by county (第四十三条: the authority
// assesses the institutions at its level and the county governments below it);
// prefecture-level institutions are summed under Prefecture. Ratios are recomputed from
// the sums, except ByYear, which becomes the share of the county's institutions that met
// their duties.
func (a *Fold) Counties(year int, asOf calendar.Date) []Scorecard {
	return counties(year, a.Institutions(year, asOf))
}

// counties sums institutions' scorecards of year by county (Counties).
func counties(year int, cards []Scorecard) []Scorecard {
	by := map[string]*Scorecard{}
	var keys []string
	sums := map[string][]float64{}
	judged := map[string]int{} // county → institutions judged for the year
	for _, in := range cards {
		c := by[in.County]
		if c == nil {
			c = &Scorecard{Year: year, Scope: "county", ID: in.County, County: in.County}
			if in.County == Prefecture {
				c.NameZH, c.NameEN = "州本级", "prefecture level"
			}
			for _, m := range in.Measures {
				c.Measures = append(c.Measures, Measure{Key: m.Key, LabelZH: m.LabelZH, LabelEN: m.LabelEN})
			}
			by[in.County] = c
			keys = append(keys, in.County)
			sums[in.County] = make([]float64, len(in.Measures))
		}
		if !in.Judged {
			continue // registered after the year: not in the county's sums either
		}
		judged[in.County]++
		for i, m := range in.Measures {
			s := &c.Measures[i]
			s.Migrated += m.Migrated
			s.Total += m.Total
			s.OnTime += m.OnTime
			s.Late += m.Late
			s.Missed += m.Missed
			s.Open += m.Open
			s.Findings += m.Findings
			if m.Ratio != nil && Definitions[i].Kind == ByYear {
				sums[in.County][i] += *m.Ratio
			}
		}
	}
	slices.Sort(keys)
	out := make([]Scorecard, 0, len(keys))
	for _, k := range keys {
		c := by[k]
		n := judged[k]
		c.Judged = n > 0
		for i := range c.Measures {
			m := &c.Measures[i]
			switch Definitions[i].Kind {
			case ByDeadline, ByEnforcement:
				m.Ratio = ratio(m.OnTime, m.OnTime+m.Late+m.Missed)
			case ByActs:
				m.Ratio = ratio(m.OnTime, m.Total)
			case ByYear:
				if n == 0 {
					continue
				}
				r := sums[k][i] / float64(n)
				m.Ratio = &r
			}
		}
		out = append(out, *c)
	}
	return out
}
