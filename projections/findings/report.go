package findings

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/obligations"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the findings list as a report kind: `ledgerctl report findings`.
var Kind = report.Kind{Name: kindName, Title: kindTitle, New: NewModel}

const kindName = "findings"

var kindTitle = report.T("违规发现（第四十一条）", "Findings (Art. 41, 第四十一条)")

// NewModel is the kind's read model: the fold, kept level with the log; a report renders
// it as of a day. A deadline the policy or calendar cannot count is kept as a note (the
// finding it would raise is not guessed).
func NewModel(o report.Options) (report.Model, error) {
	if err := o.Judging(kindName); err != nil {
		return nil, err
	}
	f := New(o.Policy, o.Calendar)
	return fold.NewModel(kindName, o, f, func(o report.Options, notes []report.Text) (*report.Report, error) {
		return f.render(o.AsOf, notes), nil
	}), nil
}

// states in the order enforcement moves (第四十一条: 责令限期整改, then 拒不整改).
var states = []State{Open, RectificationOrdered, Rectified, Escalated, Referred}

// tones: an open finding is a failure not yet answered; within an order's time limit it
// is being dealt with; escalated is the worst there is.
var tones = map[State]report.Tone{Open: report.Bad, RectificationOrdered: report.Info, Rectified: report.Good, Escalated: report.Severe, Referred: report.Severe}

func stateCell(s State) report.Cell {
	return report.Coded(string(s), report.T(s.ZH(), s.EN())).As(tones[s])
}

// series are the chart series of the states, in states' order.
func series() []report.Series {
	out := make([]report.Series, len(states))
	for i, s := range states {
		out[i] = report.Series{Label: report.T(s.ZH(), s.EN()), Tone: tones[s]}
	}
	return out
}

// render lists every finding as it stood on asOf and sums them per rule and state.
func (f *Fold) render(asOf calendar.Date, notes []report.Text) *report.Report {
	r := &report.Report{
		Kind:  kindName,
		Title: kindTitle,
		Basis: report.T(Art41ZH+"。第四十二条：自然人、法人或者非法人组织有下列情形之一的，公共机构、公共数据主管部门等有关机构应当按照法定权限和程序督促改正，并暂时关闭其获取相关公共数据的权限。规则F1–F19及其引用条款、期限按行为（或期限起算）之日施行的策略版本",
			"Art. 41 (第四十一条): where a public institution or its staff do any of the following, the public data authority orders rectification within a time limit; where they refuse to rectify or the case is serious, the competent organs give the directly responsible persons in charge and other directly responsible persons administrative sanctions, and criminal liability is pursued where a crime is constituted. Art. 42: a natural person, legal person or unincorporated organisation is urged to correct and its access to the public data is suspended. Rules F1–F19, their articles and deadlines as the policy version in force on the day of the act (or of the deadline's start) sets them"),
	}
	list := listSection()
	t := newTally()
	fs := f.Findings(asOf)
	for i := range fs {
		x := &fs[i]
		list.Rows = append(list.Rows, row(x))
		t.add(x)
	}
	if len(fs) == 0 {
		list.Notes = append(list.Notes, report.T("截至该日，账本记录的行为未触发任何规则。", "As of that day, no act in the ledger raises any rule."))
	}
	list.Notes = append(list.Notes,
		report.T("状态：待处理＝尚无整改令；已责令整改＝整改令期限内未完成；已整改＝整改完成；逾期未整改，未移送＝整改令期满未完成且无移送记录；已移送有权机关＝记录了移送（rectification.escalated.v1）。F17为拒不整改本身：期满未整改即为逾期，记录移送后为已移送。",
			"States: open = no rectification order yet; rectification ordered = within the order's time limit; rectified = the order was carried out; overdue, not referred = the time limit passed without rectification and no referral is recorded; referred = a referral to the competent organs is recorded (rectification.escalated.v1). F17 is the refusal itself: overdue once the time limit passes, referred once a referral is recorded."),
		report.T("期限类问题（F1、F7、F9、F13、F14、F17）与义务报告出自同一计算，两者一致。",
			"Deadline findings (F1, F7, F9, F13, F14, F17) come from the same computation as the obligations report, so the two agree."))
	r.Figures = t.figures(len(fs))
	r.Attention = t.attentionList()
	if len(fs) > 0 {
		r.Charts = []report.Chart{
			{Key: "by_rule", Title: report.T("按规则", "By rule"), Kind: report.Bars, Series: series(), Bars: t.rules.ByKey()},
			{Key: "by_institution", Title: report.T("按机构", "By institution"), Kind: report.Bars, Series: series(), Bars: t.insts.ByTotal()},
			{Key: "by_month", Title: report.T("按月（发生日期）", "By month (the day each arose)"), Kind: report.Months, Series: series(), Bars: t.months.ByMonth()},
		}
	}
	r.Sections = []report.Section{list, t.summary(), t.institutionSummary()}
	r.Notes = append(notes, report.ProveNote)
	return r
}

// listSection is the list of findings, without its rows.
func listSection() report.Section {
	return report.Section{Key: "findings", Title: report.T("违规发现", "Findings"), Columns: []report.Column{
		{Key: "rule", Label: report.T("规则", "rule")},
		{Key: "title", Label: report.T("问题", "finding")},
		{Key: "citation", Label: report.T("依据条款", "articles")},
		{Key: "institution", Label: report.T("机构", "institution")},
		{Key: "institution_name", Label: report.T("机构名称", "institution name")},
		{Key: "responsible_person", Label: report.T("第一责任人", "first responsible person")},
		{Key: "acting_person", Label: report.T("行为人", "acting person")},
		{Key: "subject", Label: report.T("对象", "subject")},
		{Key: "deadline", Label: report.T("期限", "deadline")},
		{Key: "arose", Label: report.T("发生日期", "arose on")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "rectification", Label: report.T("整改令", "rectification order")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
		{Key: "record_days", Label: report.T("声明日与记录日（补录、迁移）", "claimed and recorded days (late records, migrations)")},
		{Key: "policy", Label: report.T("策略版本", "policy version")},
		{Key: "note", Label: report.T("说明", "note")},
	}, Layout: &report.Layout{Columns: []report.Merged{
		{Key: "rule", Label: report.T("规则与期限", "rule, deadline"), Sub: []report.Part{report.Sub("deadline")}, Width: 2},
		{Key: "title", Sub: []report.Part{report.Sub("citation"), report.Sub("note")}, Width: 8},
		{Key: "institution_name", Label: report.T("机构与责任人", "institution and persons"),
			Sub: []report.Part{report.Sub("institution"), report.Labelled("responsible_person"), report.Labelled("acting_person")}, Width: 5},
		{Key: "subject", Sub: []report.Part{report.Labelled("arose")}, Width: 4, Drop: 2},
		{Key: "state", Sub: []report.Part{report.Sub("rectification")}, Width: 5},
		{Key: "evidence", Sub: []report.Part{report.Labelled("record_days"), report.Labelled("policy")}, Width: 3, Drop: 1},
	}}}
}

// row is one finding in the list.
func row(x *Finding) report.Row {
	seqs := make([]uint64, len(x.Evidence))
	for j, e := range x.Evidence {
		seqs[j] = e.Seq
	}
	return report.Row{report.V(x.Rule), report.L(x.TitleZH, x.TitleEN), report.L(x.CiteZH, x.CiteEN),
		report.V(x.Institution), {Text: report.Name(x.InstitutionZH, x.InstitutionEN)}, report.V(report.Dash(x.Responsible)), report.V(report.Dash(x.Actor)), report.V(x.Subject),
		report.V(report.Dash(x.Deadline)), report.V(x.Arose.String()), stateCell(x.State), {Text: rectification(x.Rectification)},
		report.V(report.Seqs(seqs...)), {Text: obligations.RecordDays(x.Evidence...)}, report.V(report.Dash(x.Policy)), report.L(x.NoteZH, x.NoteEN)}
}

// tally sums the findings of a report per rule, institution, month and state, and
// keeps what needs attention.
type tally struct {
	byRule, byInstitution map[string]*count
	institutions          []string
	all                   map[State]int
	rules, insts, months  *report.Counter
	attention             []report.Text
	oldestOpen            *Finding
}

// count is a rule's or an institution's findings per state, with the first one for its
// titles.
type count struct {
	first  *Finding
	counts map[State]int
}

func newTally() *tally {
	return &tally{byRule: map[string]*count{}, byInstitution: map[string]*count{}, all: map[State]int{},
		rules: report.NewCounter(len(states)), insts: report.NewCounter(len(states)), months: report.NewCounter(len(states))}
}

func (t *tally) add(x *Finding) {
	name := report.Name(x.InstitutionZH, x.InstitutionEN)
	c := t.byRule[x.Rule]
	if c == nil {
		c = &count{first: x, counts: map[State]int{}}
		t.byRule[x.Rule] = c
	}
	c.counts[x.State]++
	t.all[x.State]++
	ci := t.byInstitution[x.Institution]
	if ci == nil {
		ci = &count{first: x, counts: map[State]int{}}
		t.byInstitution[x.Institution] = ci
		t.institutions = append(t.institutions, x.Institution)
	}
	ci.counts[x.State]++
	si := slices.Index(states, x.State)
	t.rules.Add(x.Rule, report.T(x.Rule+" "+x.TitleZH, x.Rule+" "+x.TitleEN), si)
	t.insts.Add(x.Institution, nameOr(name, x.Institution), si)
	t.months.Add(report.Month(x.Arose), report.Text{}, si)
	switch x.State {
	case Escalated, Referred:
		t.attention = append(t.attention, report.T(
			fmt.Sprintf("%s %s（%s）：%s。%s", x.Rule, nameOr(name, x.Institution).ZH, x.Subject, x.TitleZH, escalatedText(x, ZH)),
			fmt.Sprintf("%s %s (%s): %s. %s", x.Rule, nameOr(name, x.Institution).EN, x.Subject, x.TitleEN, escalatedText(x, EN))))
	case Open:
		if t.oldestOpen == nil || x.Arose.Before(t.oldestOpen.Arose) {
			t.oldestOpen = x
		}
	}
}

// attentionList is what needs action: escalated and referred findings, then the open
// ones by their oldest.
func (t *tally) attentionList() []report.Text {
	out := slices.Clone(t.attention)
	if o := t.oldestOpen; o != nil {
		name := nameOr(report.Name(o.InstitutionZH, o.InstitutionEN), o.Institution)
		out = append(out, report.T(
			fmt.Sprintf("待处理 %d 项：尚无整改令，最早的于 %s 发生（%s %s）。", t.all[Open], o.Arose, o.Rule, name.ZH),
			fmt.Sprintf("%d open: no rectification order yet; the oldest arose on %s (%s, %s).", t.all[Open], o.Arose, o.Rule, name.EN)))
	}
	return out
}

func (t *tally) figures(n int) []report.Figure {
	return []report.Figure{
		{Label: report.T("违规发现", "findings"), Value: strconv.Itoa(n)},
		report.Fig(report.T(Open.ZH(), Open.EN()), t.all[Open], report.Bad),
		report.Fig(report.T(RectificationOrdered.ZH(), RectificationOrdered.EN()), t.all[RectificationOrdered], report.Info),
		report.Fig(report.T(Rectified.ZH(), Rectified.EN()), t.all[Rectified], report.Good),
		report.Fig(report.T(Escalated.ZH(), Escalated.EN()), t.all[Escalated], report.Severe),
		report.Fig(report.T(Referred.ZH(), Referred.EN()), t.all[Referred], report.Severe),
		{Label: report.T("涉及机构", "institutions concerned"), Value: strconv.Itoa(len(t.institutions))},
	}
}

// countRow is a summary row: what is counted, a count per state, the total.
func countRow(first []report.Cell, counts map[State]int) report.Row {
	out := report.Row(first)
	for _, s := range states {
		out = append(out, report.Count(counts[s], failing(tones[s])))
	}
	return append(out, report.V(strconv.Itoa(total(counts))))
}

// stateColumns are a summary's count columns: one per state, then the total.
func stateColumns() []report.Column {
	var out []report.Column
	for _, s := range states {
		out = append(out, report.Column{Key: string(s), Label: report.T(s.ZH(), s.EN())})
	}
	return append(out, report.Column{Key: "total", Label: report.T("合计", "total")})
}

// summary counts the findings per rule, in the policy's order of rules, then in all.
func (t *tally) summary() report.Section {
	s := report.Section{Key: "summary", Title: report.T("按规则汇总", "Summary by rule"), Lead: true, Columns: append([]report.Column{
		{Key: "rule", Label: report.T("规则", "rule")},
		{Key: "title", Label: report.T("问题", "finding")},
		{Key: "citation", Label: report.T("依据条款", "articles")},
	}, stateColumns()...)}
	for _, id := range policy.FindingIDs {
		if c := t.byRule[id]; c != nil {
			s.Rows = append(s.Rows, countRow([]report.Cell{report.V(id), {Text: report.T(c.first.TitleZH, c.first.TitleEN)}, {Text: report.T(c.first.CiteZH, c.first.CiteEN)}}, c.counts))
		}
	}
	s.Rows = append(s.Rows, countRow([]report.Cell{report.V("all"), {Text: report.T("全部规则", "all rules")}, {Text: report.Text{}}}, t.all))
	s.Layout = &report.Layout{Columns: countColumns(report.Merged{Key: "rule", Width: 2},
		report.Merged{Key: "title", Sub: []report.Part{report.Sub("citation")}, Width: 10})}
	return s
}

// institutionSummary counts the findings per institution, most first.
func (t *tally) institutionSummary() report.Section {
	s := report.Section{Key: "by_institution", Title: report.T("按机构汇总", "Summary by institution"), Lead: true, Columns: append([]report.Column{
		{Key: "institution", Label: report.T("机构", "institution")},
		{Key: "institution_name", Label: report.T("机构名称", "institution name")},
	}, stateColumns()...)}
	ids := slices.Clone(t.institutions)
	slices.SortStableFunc(ids, func(a, c string) int { return total(t.byInstitution[c].counts) - total(t.byInstitution[a].counts) })
	for _, id := range ids {
		c := t.byInstitution[id]
		s.Rows = append(s.Rows, countRow([]report.Cell{report.V(id), {Text: report.Name(c.first.InstitutionZH, c.first.InstitutionEN)}}, c.counts))
	}
	s.Layout = &report.Layout{Columns: countColumns(report.Merged{Key: "institution_name", Sub: []report.Part{report.Sub("institution")}, Width: 7})}
	return s
}

// countColumns lays out a summary by rule or by institution: first what is counted,
// then a count per state and the total.
func countColumns(first ...report.Merged) []report.Merged {
	for _, s := range states {
		first = append(first, report.Merged{Key: string(s), Width: 1, Num: true, Upright: true})
	}
	return append(first, report.Merged{Key: "total", Width: 1, Num: true, Upright: true})
}

// Art41ZH is the opening of 第四十一条 as the Measures word it (the text in
// shared/regulation, converted to Simplified characters): the report's basis quotes it.
const Art41ZH = "第四十一条：公共机构及其工作人员有下列情形之一的，由公共数据主管部门应当责令其限期整改，拒不整改或者情节严重的，由有权机关对直接负责的主管人员和其他直接责任人员，给予行政处分，构成犯罪的追究其法律责任"

// The languages, for texts built here.
const (
	ZH = report.ZH
	EN = report.EN
)

// escalatedText says why an escalated finding is escalated: its order's time limit, or
// the escalation itself.
func escalatedText(x *Finding, l report.Lang) string {
	o := x.Rectification
	if o == nil {
		return ""
	}
	if l == ZH {
		if o.Escalated != nil {
			return fmt.Sprintf("整改令 %s（期限 %s）已于 %s 移送有权机关（序号 %d）。", o.Order, report.Day(o.Deadline), o.Escalated.Date, o.Escalated.Seq)
		}
		return fmt.Sprintf("整改令 %s 期限 %s 已过，未整改，尚无移送记录。", o.Order, report.Day(o.Deadline))
	}
	if o.Escalated != nil {
		return fmt.Sprintf("Order %s (due %s) referred to the competent organs on %s (seq %d).", o.Order, report.Day(o.Deadline), o.Escalated.Date, o.Escalated.Seq)
	}
	return fmt.Sprintf("Order %s was due %s and is not carried out; no referral is recorded.", o.Order, report.Day(o.Deadline))
}

// nameOr is an institution's name, or its id when the ledger has no name for it.
func nameOr(name report.Text, id string) report.Text {
	if name.ZH == "（未登记）" {
		return report.T(id+"（未登记）", id+" (not registered)")
	}
	return name
}

// failing is the tone a count of a state takes: only failures are marked.
func failing(t report.Tone) report.Tone {
	if t >= report.Bad {
		return t
	}
	return report.Plain
}

func total(counts map[State]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// rectification describes the order that answers a finding: its id and seq, its time
// limit and what became of it.
func rectification(r *Rectification) report.Text {
	if r == nil {
		return report.T("—", "—")
	}
	zh := fmt.Sprintf("%s（序号 %d，%s 下达，期限 %s）", r.Order, r.Seq, r.Ordered, report.Day(r.Deadline))
	en := fmt.Sprintf("%s (seq %d, ordered %s, due %s)", r.Order, r.Seq, r.Ordered, report.Day(r.Deadline))
	var zs, es []string
	if r.Completed != nil {
		zs, es = append(zs, fmt.Sprintf("%s 整改完成（序号 %d）", r.Completed.Date, r.Completed.Seq)), append(es, fmt.Sprintf("rectified %s (seq %d)", r.Completed.Date, r.Completed.Seq))
	}
	if r.Escalated != nil {
		zs, es = append(zs, fmt.Sprintf("%s 移送有权机关（序号 %d）", r.Escalated.Date, r.Escalated.Seq)), append(es, fmt.Sprintf("referred %s (seq %d)", r.Escalated.Date, r.Escalated.Seq))
	}
	if len(zs) > 0 {
		zh += "；" + strings.Join(zs, "；")
		en += "; " + strings.Join(es, "; ")
	}
	return report.T(zh, en)
}

// FoldOf is the findings fold inside the kind's read model m (from NewModel), for readers
// other than reports, such as the compliance metrics; false if m is not one. The caller
// holds the model's read lock while it reads.
func FoldOf(m report.Model) (*Fold, bool) {
	fm, ok := m.(interface{ Folder() fold.Folder })
	if !ok {
		return nil, false
	}
	f, ok := fm.Folder().(*Fold)
	return f, ok
}
