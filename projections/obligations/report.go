package obligations

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the deadlines list as a report kind: `ledgerctl report obligations`.
var Kind = report.Kind{Name: kindName, Title: kindTitle, New: NewModel}

const kindName = "obligations"

var kindTitle = report.T("义务与期限（工作日）", "Obligations and deadlines (working days)")

// NewModel is the kind's read model: the fold, kept level with the log; a report renders
// it as of a day. An obligation whose due day cannot be counted is still recorded (as
// undetermined, with its reason); the first such problem becomes a report note.
func NewModel(o report.Options) (report.Model, error) {
	if err := o.Judging(kindName); err != nil {
		return nil, err
	}
	f := New(o.Policy, o.Calendar)
	return fold.NewModel(kindName, o, f, func(o report.Options, notes []report.Text) (*report.Report, error) {
		return f.render(o.AsOf, notes), nil
	}), nil
}

// states in the order the summary lists them.
var states = []State{Open, MetOnTime, MetLate, Missed, Undetermined}

// tones: a missed deadline is the failure an officer must see first; late and
// undetermined ones need a look; open ones are running.
var tones = map[State]report.Tone{Open: report.Info, MetOnTime: report.Good, MetLate: report.Warn, Missed: report.Bad, Undetermined: report.Warn}

// judged are the states an on-time rate counts (open and undetermined ones are not
// judged yet), in the order the chart stacks them.
var judged = []State{MetOnTime, MetLate, Missed}

func series(ss []State) []report.Series {
	out := make([]report.Series, len(ss))
	for i, s := range ss {
		out[i] = report.Series{Label: report.T(s.ZH(), s.EN()), Tone: tones[s]}
		if s == Undetermined { // grey in a chart, apart from the amber of met late
			out[i].Tone = report.Plain
		}
	}
	return out
}

// render lists every obligation triggered by asOf, as it stood that day, and sums them
// per deadline.
func (f *Fold) render(asOf calendar.Date, notes []report.Text) *report.Report {
	r := &report.Report{
		Kind:  kindName,
		Title: kindTitle,
		Basis: report.T("《阿坝州公共数据管理办法》规定的期限D1–D12，按期限起算之日施行的策略版本及国家法定节假日调休安排以工作日计算（第四十四条：试行办法，按行为之日的规则判定）",
			"The Measures' deadlines D1–D12, counted in working days of the PRC calendar (with its adjusted working weekends) under the policy version in force on the day each deadline started (Art. 44, 第四十四条: a trial; acts are judged by the rules of their day)"),
	}
	t := newTally()
	list := listSection()
	obs := f.Obligations(asOf)
	for _, o := range obs {
		in, _ := f.reg.Institution(o.Institution)
		name := report.Name(in.NameZH, in.NameEN)
		t.add(o, name)
		list.Rows = append(list.Rows, row(o, name))
	}
	if len(list.Rows) == 0 {
		list.Notes = append(list.Notes, report.T("截至该日，账本中没有开启任何期限的行为。", "As of that day, no act in the ledger opened a deadline."))
	}
	list.Notes = append(list.Notes,
		report.T("状态：未到期＝期满日未过且未完成；按期完成；逾期完成；逾期未完成＝期满日已过仍未完成（逾期工作日计至截至日）；无法判定＝该日无策略版本或日历数据，说明列给出原因，不作推测。",
			"States: open = not done, due day not yet passed; met on time; met late; missed = due day passed and not done (working days late counted to the as-of day); undetermined = no policy version or calendar data for the day: the note gives the reason, no date is guessed."),
		report.T("期满日为按时完成的最后一日；D11的期满日为整改令规定的期限（第四十一条）。",
			"The due day is the last day on time; D11's is the time limit the rectification order sets (Art. 41, 第四十一条)."))
	r.Figures = t.figures(len(obs))
	r.Attention = append(t.attention, t.doubtful...)
	if len(obs) > 0 {
		r.Charts = t.charts()
	}
	r.Sections = []report.Section{list, t.summary()}
	r.Notes = append(notes, report.ProveNote)
	return r
}

// listSection is the list of obligations, without its rows.
func listSection() report.Section {
	return report.Section{Key: "obligations", Title: report.T("义务（按期完成者只计数）", "Obligations (those met on time are counted, not listed)"), Columns: []report.Column{
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
		{Key: "record_days", Label: report.T("声明日与记录日（补录、迁移）", "claimed and recorded days (late records, migrations)")},
		{Key: "policy", Label: report.T("策略版本", "policy version")},
		{Key: "note", Label: report.T("说明", "note")},
	}, Layout: &report.Layout{
		Columns: []report.Merged{
			{Key: "deadline", Sub: []report.Part{report.Sub("articles")}, Width: 2},
			{Key: "subject", Label: report.T("义务事项", "obligation"), Sub: []report.Part{report.Sub("title")}, Width: 6},
			{Key: "institution_name", Sub: []report.Part{report.Sub("institution")}, Width: 5},
			{Key: "trigger_day", Label: report.T("起因", "triggered"), Sub: []report.Part{report.Labelled("trigger_seq"), report.Labelled("start")}, Width: 3, Drop: 2},
			{Key: "due", Sub: []report.Part{report.Labelled("policy")}, Width: 3},
			{Key: "state", Sub: []report.Part{report.Labelled("late_workdays"), report.Labelled("met_day"), report.Labelled("met_seq")}, Width: 3},
			{Key: "acts", Sub: []report.Part{report.Labelled("record_days"), report.Sub("note")}, Width: 3, Drop: 1},
		},
		Collapse: &report.Collapse{Key: "state", Codes: []string{string(MetOnTime)}, By: "deadline", What: report.T(MetOnTime.ZH(), MetOnTime.EN())},
	}}
}

// row is one obligation in the list.
func row(o Obligation, name report.Text) report.Row {
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
	return report.Row{report.V(o.Deadline), report.L(o.TitleZH, o.TitleEN), {Text: report.Cites(o.Articles)},
		report.V(o.Institution), {Text: name}, report.V(o.Subject),
		report.V(strconv.FormatUint(o.Trigger.Seq, 10)), report.V(o.Trigger.Date.String()), report.V(report.Day(o.Start)), due,
		report.V(metSeq), report.V(metDay), report.Coded(string(o.State), report.T(o.State.ZH(), o.State.EN())).As(tones[o.State]), lateCell(o.State, late),
		report.V(report.Seqs(acts...)), {Text: RecordDays(append([]Ref{o.Trigger}, o.Acts...)...)}, report.V(o.Policy), {Text: note}}
}

// tally sums the obligations of a report: per state, per deadline, per month, and what
// needs attention.
type tally struct {
	byDeadline          map[string]*deadlineTally
	ids                 []string
	all                 map[State]int
	rates, months       *report.Counter
	attention, doubtful []report.Text
	lateRefs, migrated  map[uint64]bool
}

type deadlineTally struct {
	title  report.Text
	counts map[State]int
}

func newTally() *tally {
	return &tally{byDeadline: map[string]*deadlineTally{}, all: map[State]int{}, rates: report.NewCounter(len(judged)),
		months: report.NewCounter(len(states)), lateRefs: map[uint64]bool{}, migrated: map[uint64]bool{}}
}

func (t *tally) add(o Obligation, name report.Text) {
	t.all[o.State]++
	t.months.Add(report.Month(o.Trigger.Date), report.Text{}, slices.Index(states, o.State))
	if i := slices.Index(judged, o.State); i >= 0 {
		t.rates.Add(o.Deadline, report.T(o.Deadline+" "+o.TitleZH, o.Deadline+" "+o.TitleEN), i)
	}
	switch o.State {
	case Missed:
		t.attention = append(t.attention, report.T(
			fmt.Sprintf("%s %s（%s）：%s；期满 %s，已逾期 %d 个工作日。", o.Deadline, orID(name, o.Institution).ZH, o.Subject, o.TitleZH, report.Day(o.Due), o.LateWorkdays),
			fmt.Sprintf("%s %s (%s): %s; due %s, %d working days overdue.", o.Deadline, orID(name, o.Institution).EN, o.Subject, o.TitleEN, report.Day(o.Due), o.LateWorkdays)))
	case Undetermined:
		t.doubtful = append(t.doubtful, report.T(
			fmt.Sprintf("%s %s（%s）：无法判定期限：%s", o.Deadline, orID(name, o.Institution).ZH, o.Subject, o.Problem),
			fmt.Sprintf("%s %s (%s): due day not computed: %s", o.Deadline, orID(name, o.Institution).EN, o.Subject, o.Problem)))
	}
	for _, a := range append([]Ref{o.Trigger}, o.Acts...) {
		switch {
		case a.Late:
			t.lateRefs[a.Seq] = true
		case a.Migration != "":
			t.migrated[a.Seq] = true
		}
	}
	d := t.byDeadline[o.Deadline]
	if d == nil {
		d = &deadlineTally{counts: map[State]int{}}
		t.byDeadline[o.Deadline] = d
		t.ids = append(t.ids, o.Deadline)
	}
	if d.title.ZH == "" && o.TitleZH != "" {
		d.title = report.T(o.TitleZH, o.TitleEN)
	}
	d.counts[o.State]++
}

// summary is the count per deadline (D1 … D12 in numeric order, not as strings: D10
// after D9) and state.
func (t *tally) summary() report.Section {
	s := report.Section{Key: "summary", Title: report.T("按期限汇总", "Summary by deadline"), Lead: true, Columns: []report.Column{
		{Key: "deadline", Label: report.T("期限", "deadline")},
		{Key: "title", Label: report.T("义务", "obligation")},
	}}
	for _, st := range states {
		s.Columns = append(s.Columns, report.Column{Key: string(st), Label: report.T(st.ZH(), st.EN())})
	}
	s.Columns = append(s.Columns, report.Column{Key: "total", Label: report.T("合计", "total")})
	ids := slices.Clone(t.ids)
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })
	for _, id := range ids {
		d := t.byDeadline[id]
		row := report.Row{report.V(id), {Text: d.title}}
		total := 0
		for _, st := range states {
			row = append(row, report.Count(d.counts[st], failing(tones[st])))
			total += d.counts[st]
		}
		s.Rows = append(s.Rows, append(row, report.V(strconv.Itoa(total))))
	}
	s.Layout = &report.Layout{Columns: append([]report.Merged{{Key: "deadline", Width: 2}, {Key: "title", Width: 9}}, counts()...)}
	return s
}

func (t *tally) figures(n int) []report.Figure {
	onTime := report.Figure{Label: report.T("按期率（已判定者）", "on time (of those judged)"), Value: "—"}
	if judged := t.all[MetOnTime] + t.all[MetLate] + t.all[Missed]; judged > 0 {
		share := float64(t.all[MetOnTime]) / float64(judged)
		onTime.Value = report.Percent(share)
		if share < 1 {
			onTime.Tone = report.Warn
		}
	}
	return []report.Figure{
		{Label: report.T("义务", "obligations"), Value: strconv.Itoa(n)},
		onTime,
		report.Fig(report.T(Missed.ZH(), Missed.EN()), t.all[Missed], report.Bad),
		report.Fig(report.T(MetLate.ZH(), MetLate.EN()), t.all[MetLate], report.Warn),
		report.Fig(report.T(Open.ZH(), Open.EN()), t.all[Open], report.Info),
		report.Fig(report.T(MetOnTime.ZH(), MetOnTime.EN()), t.all[MetOnTime], report.Good),
		report.Fig(report.T(Undetermined.ZH(), Undetermined.EN()), t.all[Undetermined], report.Warn),
		report.Fig(report.T("补录行为（按记录日减宽限计）", "late records (counted on their recording day less the grace)"), len(t.lateRefs), report.Warn),
		{Label: report.T("迁移的历史记录（按声明日计）", "migrated historical records (counted on their claimed day)"), Value: strconv.Itoa(len(t.migrated))},
	}
}

func (t *tally) charts() []report.Chart {
	return []report.Chart{
		{Key: "on_time_by_deadline", Title: report.T("各期限按期率", "On time, per deadline"), Kind: report.Shares, Series: series(judged), Bars: t.rates.ByKey(),
			Note: report.T("按期完成占已判定者（按期、逾期完成、逾期未完成）的比例；未到期与无法判定者不计入。",
				"Met on time as a share of those judged (on time, late, missed); open and undetermined ones are not counted.")},
		{Key: "by_month", Title: report.T("按月（起因日期）", "By month (the day each was triggered)"), Kind: report.Months, Series: series(states), Bars: t.months.ByMonth()},
	}
}

// counts are the summary's count columns: one per state, then the total.
func counts() []report.Merged {
	var out []report.Merged
	for _, s := range states {
		out = append(out, report.Merged{Key: string(s), Width: 1, Num: true, Upright: true})
	}
	return append(out, report.Merged{Key: "total", Width: 1, Num: true, Upright: true})
}

// lateCell is the working days late, marked as the state is.
func lateCell(s State, late string) report.Cell {
	c := report.V(late)
	if late != "" {
		c.Tone = tones[s]
	}
	return c
}

// failing is the tone a count of a state takes: only what needs a look is marked.
func failing(t report.Tone) report.Tone {
	if t >= report.Warn {
		return t
	}
	return report.Plain
}

// orID is an institution's name, or its id when the ledger has no name for it.
func orID(name report.Text, id string) report.Text {
	if name.ZH == "（未登记）" {
		return report.T(id+"（未登记）", id+" (not registered)")
	}
	return name
}

// RecordDays says, for the refs that are late records or migrated, both days the record
// shows (the day claimed and the day recorded) and the day each counts on; "—" when
// every ref counts on the day it claims. Reports put it beside the evidence.
func RecordDays(refs ...Ref) report.Text {
	var zs, es []string
	for i, r := range refs {
		if slices.ContainsFunc(refs[:i], func(p Ref) bool { return p.Seq == r.Seq }) {
			continue // a few refs per obligation: a scan is cheaper than a map
		}
		if zh, en := r.Dates(); zh != "" {
			seq := strconv.FormatUint(r.Seq, 10)
			zs, es = append(zs, "序号 "+seq+"："+zh), append(es, "seq "+seq+": "+en)
		}
	}
	if len(zs) == 0 {
		return report.T("—", "—")
	}
	return report.T(strings.Join(zs, "；"), strings.Join(es, "; "))
}
