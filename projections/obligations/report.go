package obligations

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the deadlines list as a report kind: `ledgerctl report obligations`.
var Kind = report.Kind{
	Name:  "obligations",
	Title: report.T("义务与期限（工作日）", "Obligations and deadlines (working days)"),
	New: func(o report.Options) (report.Builder, error) {
		if err := o.Judging("obligations"); err != nil {
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

// Apply folds e. An obligation whose due day cannot be counted is still recorded (as
// undetermined, with its reason); the first such problem becomes a report note.
func (b *builder) Apply(e *ledger.Entry) { b.problems.Keep(b.f.Apply(e)) }

// states in the order the summary lists them.
var states = []State{Open, MetOnTime, MetLate, Missed, Undetermined}

// Report lists every obligation triggered by the as-of day, as it stood that day, and
// sums them per deadline.
func (b *builder) Report() (*report.Report, error) {
	r := &report.Report{
		Kind:  Kind.Name,
		Title: Kind.Title,
		Basis: report.T("《阿坝州公共数据管理办法》规定的期限D1–D12，按期限起算之日施行的策略版本及国家法定节假日调休安排以工作日计算（第四十四条：试行办法，按行为之日的规则判定）",
			"The Measures' deadlines D1–D12, counted in working days of the PRC calendar (with its adjusted working weekends) under the policy version in force on the day each deadline started (Art. 44, 第四十四条: a trial; acts are judged by the rules of their day)"),
	}
	list := report.Section{Key: "obligations", Title: report.T("义务", "Obligations"), Columns: []report.Column{
		{Key: "deadline", Label: report.T("期限", "deadline")},
		{Key: "title", Label: report.T("义务", "obligation")},
		{Key: "articles", Label: report.T("依据条款", "articles")},
		{Key: "institution", Label: report.T("机构", "institution")},
		{Key: "institution_name", Label: report.T("机构名称", "institution name")},
		{Key: "subject", Label: report.T("对象", "subject")},
		{Key: "trigger_seq", Label: report.T("起因（序号）", "trigger (seq)")},
		{Key: "trigger_day", Label: report.T("起因日期", "trigger day")},
		{Key: "start", Label: report.T("起算日", "counted from")},
		{Key: "due", Label: report.T("期满日", "due by")},
		{Key: "met_seq", Label: report.T("完成（序号）", "met by (seq)")},
		{Key: "met_day", Label: report.T("完成日期", "met on")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "late_workdays", Label: report.T("逾期工作日", "working days late")},
		{Key: "acts", Label: report.T("已记录的办理行为（序号）", "acts recorded (seq)")},
		{Key: "policy", Label: report.T("策略版本", "policy version")},
		{Key: "note", Label: report.T("说明", "note")},
	}}
	summary := report.Section{Key: "summary", Title: report.T("按期限汇总", "Summary by deadline"), Columns: []report.Column{
		{Key: "deadline", Label: report.T("期限", "deadline")},
		{Key: "title", Label: report.T("义务", "obligation")},
	}}
	for _, s := range states {
		summary.Columns = append(summary.Columns, report.Column{Key: string(s), Label: report.T(s.ZH(), s.EN())})
	}
	summary.Columns = append(summary.Columns, report.Column{Key: "total", Label: report.T("合计", "total")})

	type tally struct {
		title  report.Text
		counts map[State]int
	}
	byDeadline := map[string]*tally{}
	var ids []string
	reg := b.f.Registry()
	for _, o := range b.f.Obligations(b.o.AsOf) {
		in, _ := reg.Institution(o.Institution)
		due := report.V(report.Day(o.Due))
		if o.Extended {
			due = report.L(o.Due.String()+"（已延长）", o.Due.String()+" (extended)")
		}
		metSeq, metDay := "—", "—"
		if o.Met != nil {
			metSeq, metDay = strconv.FormatUint(o.Met.Seq, 10), o.Met.Date.String()
		}
		acts := make([]uint64, len(o.Acts))
		for i, a := range o.Acts {
			acts[i] = a.Seq
		}
		late := ""
		if o.State.Breached() {
			late = strconv.Itoa(o.LateWorkdays)
		}
		note := report.T("", "")
		if o.Problem != "" {
			note = report.T("无法计算期限（未作推测）："+o.Problem, "due day not computed (not guessed): "+o.Problem)
		}
		list.Rows = append(list.Rows, report.Row{report.V(o.Deadline), report.L(o.TitleZH, o.TitleEN), {Text: report.Cites(o.Articles)},
			report.V(o.Institution), {Text: report.Name(in.NameZH, in.NameEN)}, report.V(o.Subject),
			report.V(strconv.FormatUint(o.Trigger.Seq, 10)), report.V(o.Trigger.Date.String()), report.V(report.Day(o.Start)), due,
			report.V(metSeq), report.V(metDay), report.Coded(string(o.State), report.T(o.State.ZH(), o.State.EN())), report.V(late),
			report.V(report.Seqs(acts...)), report.V(o.Policy), {Text: note}})
		t := byDeadline[o.Deadline]
		if t == nil {
			t = &tally{counts: map[State]int{}}
			byDeadline[o.Deadline] = t
			ids = append(ids, o.Deadline)
		}
		if t.title.ZH == "" && o.TitleZH != "" {
			t.title = report.T(o.TitleZH, o.TitleEN)
		}
		t.counts[o.State]++
	}
	// D1 … D12 in numeric order, not as strings (D10 after D9).
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })
	for _, id := range ids {
		t := byDeadline[id]
		row := report.Row{report.V(id), {Text: t.title}}
		total := 0
		for _, s := range states {
			row = append(row, report.V(strconv.Itoa(t.counts[s])))
			total += t.counts[s]
		}
		summary.Rows = append(summary.Rows, append(row, report.V(strconv.Itoa(total))))
	}
	if len(list.Rows) == 0 {
		list.Notes = append(list.Notes, report.T("截至该日，账本中没有开启任何期限的行为。", "As of that day, no act in the ledger opened a deadline."))
	}
	list.Notes = append(list.Notes,
		report.T("状态：未到期＝期满日未过且未完成；按期完成；逾期完成；逾期未完成＝期满日已过仍未完成（逾期工作日计至截至日）；无法判定＝该日无策略版本或日历数据，说明列给出原因，不作推测。",
			"States: open = not done, due day not yet passed; met on time; met late; missed = due day passed and not done (working days late counted to the as-of day); undetermined = no policy version or calendar data for the day: the note gives the reason, no date is guessed."),
		report.T("期满日为按时完成的最后一日；D11的期满日为整改令规定的期限（第四十一条）。",
			"The due day is the last day on time; D11's is the time limit the rectification order sets (Art. 41, 第四十一条)."))
	r.Sections = []report.Section{list, summary}
	r.Notes = append(b.problems.Notes(), report.ProveNote)
	return r, nil
}
