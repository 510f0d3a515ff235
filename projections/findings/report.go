package findings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the findings list as a report kind: `ledgerctl report findings`.
var Kind = report.Kind{
	Name:  "findings",
	Title: report.T("违规发现（第四十一条）", "Findings (Art. 41, 第四十一条)"),
	New: func(o report.Options) (report.Builder, error) {
		if err := o.Judging("findings"); err != nil {
			return nil, err
		}
		return &builder{f: New(o.Policy, o.Calendar), o: o}, nil
	},
}

type builder struct {
	f        *Fold
	o        report.Options
	problems report.Problems
}

// Apply folds e; a deadline the policy or calendar cannot count is kept as a note (the
// finding it would raise is not guessed).
func (b *builder) Apply(e *ledger.Entry) { b.problems.Keep(b.f.Apply(e)) }

// states in the order enforcement moves (第四十一条: 责令限期整改, then 拒不整改).
var states = []State{Open, RectificationOrdered, Rectified, Escalated}

func stateCell(s State) report.Cell { return report.Coded(string(s), report.T(s.ZH(), s.EN())) }

// Report lists every finding as it stood on the as-of day and sums them per rule and
// state.
func (b *builder) Report() (*report.Report, error) {
	r := &report.Report{
		Kind:  Kind.Name,
		Title: Kind.Title,
		Basis: report.T("第四十一条：违反本办法规定的，由数据主管部门责令限期整改；拒不整改的，依法依规处理。规则F1–F18及其引用条款、期限按行为（或期限起算）之日施行的策略版本",
			"Art. 41 (第四十一条): a breach of the Measures is ordered rectified within a time limit, and refusal is dealt with under law; rules F1–F18, their articles and deadlines as the policy version in force on the day of the act (or of the deadline's start) sets them"),
	}
	list := report.Section{Key: "findings", Title: report.T("违规发现", "Findings"), Columns: []report.Column{
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
		{Key: "policy", Label: report.T("策略版本", "policy version")},
		{Key: "note", Label: report.T("说明", "note")},
	}}
	summary := report.Section{Key: "summary", Title: report.T("按规则汇总", "Summary by rule"), Columns: []report.Column{
		{Key: "rule", Label: report.T("规则", "rule")},
		{Key: "title", Label: report.T("问题", "finding")},
		{Key: "citation", Label: report.T("依据条款", "articles")},
		{Key: string(Open), Label: report.T(Open.ZH(), Open.EN())},
		{Key: string(RectificationOrdered), Label: report.T(RectificationOrdered.ZH(), RectificationOrdered.EN())},
		{Key: string(Rectified), Label: report.T(Rectified.ZH(), Rectified.EN())},
		{Key: string(Escalated), Label: report.T(Escalated.ZH(), Escalated.EN())},
		{Key: "total", Label: report.T("合计", "total")},
	}}
	type tally struct {
		first  *Finding
		counts map[State]int
	}
	byRule := map[string]*tally{}
	all := map[State]int{}
	fs := b.f.Findings(b.o.AsOf)
	for i := range fs {
		x := &fs[i]
		seqs := make([]uint64, len(x.Evidence))
		for j, e := range x.Evidence {
			seqs[j] = e.Seq
		}
		list.Rows = append(list.Rows, report.Row{report.V(x.Rule), report.L(x.TitleZH, x.TitleEN), report.L(x.CiteZH, x.CiteEN),
			report.V(x.Institution), {Text: report.Name(x.InstitutionZH, x.InstitutionEN)}, report.V(report.Dash(x.Responsible)), report.V(report.Dash(x.Actor)), report.V(x.Subject),
			report.V(report.Dash(x.Deadline)), report.V(x.Arose.String()), stateCell(x.State), {Text: rectification(x.Rectification)},
			report.V(report.Seqs(seqs...)), report.V(report.Dash(x.Policy)), report.L(x.NoteZH, x.NoteEN)})
		t := byRule[x.Rule]
		if t == nil {
			t = &tally{first: x, counts: map[State]int{}}
			byRule[x.Rule] = t
		}
		t.counts[x.State]++
		all[x.State]++
	}
	row := func(rule string, title, cite report.Text, counts map[State]int) report.Row {
		out := report.Row{report.V(rule), {Text: title}, {Text: cite}}
		total := 0
		for _, s := range states {
			out = append(out, report.V(strconv.Itoa(counts[s])))
			total += counts[s]
		}
		return append(out, report.V(strconv.Itoa(total)))
	}
	for _, id := range policy.FindingIDs {
		if t := byRule[id]; t != nil {
			summary.Rows = append(summary.Rows, row(id, report.T(t.first.TitleZH, t.first.TitleEN), report.T(t.first.CiteZH, t.first.CiteEN), t.counts))
		}
	}
	summary.Rows = append(summary.Rows, row("all", report.T("全部规则", "all rules"), report.Text{}, all))
	if len(fs) == 0 {
		list.Notes = append(list.Notes, report.T("截至该日，账本记录的行为未触发任何规则。", "As of that day, no act in the ledger raises any rule."))
	}
	list.Notes = append(list.Notes,
		report.T("状态：待处理＝尚无整改令；已责令整改＝整改令期限内未完成；已整改＝整改完成；逾期未整改，已移送＝整改令期满未完成或已移送（F17为拒不整改本身）。",
			"States: open = no rectification order yet; rectification ordered = within the order's time limit; rectified = the order was carried out; escalated = the time limit passed without rectification, or the order was escalated (F17 is the refusal itself)."),
		report.T("期限类问题（F1、F7、F9、F13、F14、F17）与义务报告出自同一计算，两者一致。",
			"Deadline findings (F1, F7, F9, F13, F14, F17) come from the same computation as the obligations report, so the two agree."))
	r.Sections = []report.Section{list, summary}
	r.Notes = append(b.problems.Notes(), report.ProveNote)
	return r, nil
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
		zs, es = append(zs, fmt.Sprintf("%s 移送（序号 %d）", r.Escalated.Date, r.Escalated.Seq)), append(es, fmt.Sprintf("escalated %s (seq %d)", r.Escalated.Date, r.Escalated.Seq))
	}
	if len(zs) > 0 {
		zh += "；" + strings.Join(zs, "；")
		en += "; " + strings.Join(es, "; ")
	}
	return report.T(zh, en)
}
