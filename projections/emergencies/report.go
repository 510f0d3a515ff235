package emergencies

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the register as a report kind: `ledgerctl report emergencies`.
var Kind = report.Kind{Name: kindName, Title: kindTitle, New: NewModel}

const kindName = "emergencies"

var kindTitle = report.T("紧急情况数据封存登记簿（第二十一条）", "Emergency-data sealing register (Art. 21, 第二十一条)")

// NewModel is the kind's read model: the register, kept level with the log; a report
// judges it as of a day. The register folds its own registry, which also names the
// institutions.
func NewModel(o report.Options) (report.Model, error) {
	if err := o.Judging(kindName); err != nil {
		return nil, err
	}
	r := NewWith(registry.NewWith(o.Policy, o.Calendar))
	return fold.NewModel(kindName, o, fold.NoProblems(r), func(o report.Options, notes []report.Text) (*report.Report, error) {
		return (&view{r: r, o: o}).render(notes), nil
	}), nil
}

// view renders the register on one day.
type view struct {
	r *Register
	o report.Options
}

// name is an institution's registered name, or its id marked as not registered.
func (v *view) name(id string) report.Text {
	if in, ok := v.r.reg.Institution(id); ok && in.NameZH != "" {
		return report.T(in.NameZH, in.NameEN)
	}
	if id == "" || id == "—" {
		return report.T("—", "—")
	}
	return report.T(id+"（未登记）", id+" (not registered)")
}

// namesOf is several institutions' names on one line.
func (v *view) namesOf(ids []string) report.Text {
	zh, en := make([]string, len(ids)), make([]string, len(ids))
	for i, id := range ids {
		t := v.name(id)
		zh[i], en[i] = t.ZH, t.EN
	}
	return report.T(strings.Join(zh, "、"), strings.Join(en, ", "))
}

// tones: overdue is the failure; unknown and late need a look; pending and active are
// running.
var tones = map[State]report.Tone{StateOverdue: report.Bad, StateUnknown: report.Warn, StatePending: report.Info,
	StateLate: report.Warn, StateActive: report.Info, StateDone: report.Good}

// order is the states as a chart stacks them, best first.
var order = []State{StateDone, StateLate, StateActive, StatePending, StateUnknown, StateOverdue}

var stateText = map[State]report.Text{
	StateOverdue: report.T("逾期未完成", "overdue"),
	StateUnknown: report.T("无法计算期限", "deadline unknown"),
	StatePending: report.T("期限内待完成", "pending, within deadline"),
	StateLate:    report.T("已完成（逾期）", "done late"),
	StateActive:  report.T("应对中", "emergency active"),
	StateDone:    report.T("按期完成", "done on time"),
}

func cell(s State) report.Cell { return report.Coded(string(s), stateText[s]).As(tones[s]) }

func day(a *Act) string {
	if a == nil {
		return "—"
	}
	return a.On.String()
}

// render judges every emergency of the register on the as-of day: its state, its
// data's duties and its applications' shutdowns.
func (v *view) render(notes []report.Text) *report.Report {
	r := &report.Report{
		Kind:  kindName,
		Title: kindTitle,
		Basis: report.T("第二十一条第二款：应对结束后分类评估，封存或销毁涉密、隐私、个人及商业信息，关停相关数据应用；期限D8按应对结束之日施行的策略版本以工作日计算",
			"Art. 21 para 2 (第二十一条第二款): after the emergency, evaluate, seal or destroy secret, private, personal and commercial data, shut applications down; deadline D8 in working days under the policy in force on the day it ended"),
	}
	ems, data, apps := emergenciesSection(), dataSection(), applicationsSection()
	duties := report.NewCounter(len(order))
	all := map[State]int{}
	var attention []report.Text
	list := v.r.Emergencies()
	for _, em := range list {
		j := Judge(em, v.o.Policy, v.o.Calendar, v.o.AsOf)
		label := report.T(em.ID, em.ID)
		if em.Title != "" {
			label = report.T(em.Title, em.Title)
		}
		for _, st := range j.Data {
			duties.Add(em.ID, label, slices.Index(order, st))
		}
		duties.Add(em.ID, label, slices.Index(order, j.Applications))
		all[j.State]++
		row, out := v.emergency(em, j, &data, &apps)
		ems.Rows = append(ems.Rows, row)
		if j.State == StateOverdue || j.State == StateUnknown {
			attention = append(attention, report.T(fmt.Sprintf("%s（%s）：%s；%s", em.ID, label.ZH, stateText[j.State].ZH, out.ZH),
				fmt.Sprintf("%s (%s): %s; %s", em.ID, label.EN, stateText[j.State].EN, out.EN)))
		}
	}
	r.Figures = []report.Figure{
		{Label: report.T("紧急情况", "emergencies"), Value: strconv.Itoa(len(list))},
		report.Fig(stateText[StateOverdue], all[StateOverdue], report.Bad),
		report.Fig(stateText[StateUnknown], all[StateUnknown], report.Warn),
		report.Fig(stateText[StatePending], all[StatePending], report.Info),
		report.Fig(stateText[StateActive], all[StateActive], report.Info),
		report.Fig(report.T("按期或逾期完成", "done (on time or late)"), all[StateDone]+all[StateLate], report.Good),
		{Label: report.T("紧急采集的数据资源", "resources collected under emergencies"), Value: strconv.Itoa(len(data.Rows))},
	}
	r.Attention = attention
	if duties.Len() > 0 {
		ss := make([]report.Series, len(order))
		for i, st := range order {
			ss[i] = report.Series{Label: stateText[st], Tone: tones[st]}
		}
		r.Charts = []report.Chart{{Key: "duties", Title: report.T("各紧急情况的处置义务", "Duties per emergency"), Kind: report.Bars, Series: ss, Bars: duties.Bars(),
			Note: report.T("每项紧急采集的数据资源为一项义务，关停数据应用为一项。", "Each resource collected under the emergency is one duty, shutting its applications down one more.")}}
	}
	if len(ems.Rows) == 0 {
		ems.Notes = append(ems.Notes, report.T("账本中没有紧急情况记录。", "The ledger records no emergency."))
	}
	r.Sections = []report.Section{ems, data, apps}
	r.Notes = append(notes, report.ProveNote)
	return r
}

// emergency is em's row, judged j; it adds em's data and applications to their
// sections and returns what is outstanding too.
func (v *view) emergency(em *Emergency, j Judgement, data, apps *report.Section) (report.Row, report.Text) {
	var ev []uint64
	by, declared := "—", "—"
	if em.Declared != nil {
		by, declared = em.Declared.By, em.Declared.On.String()
		ev = append(ev, em.Declared.Seq)
	}
	ended, due := "—", "—"
	if em.Ended != nil {
		ended = em.EndedOn.String()
		ev = append(ev, em.Ended.Seq)
	}
	if j.Deadline.Policy != "" {
		due = fmt.Sprintf("%s (%d WD, %s)", j.Deadline.Due, j.Deadline.Workdays, j.Deadline.Policy)
	}
	var outZH, outEN []string
	for i, d := range em.Data {
		st := j.Data[i]
		if st == StateOverdue || st == StatePending {
			what, whatZH := "evaluation", "评估"
			if d.Evaluation != nil {
				what, whatZH = d.Disposition.String(), d.Disposition.ZH()
			}
			outZH = append(outZH, d.Resource+"："+whatZH)
			outEN = append(outEN, d.Resource+": "+what)
		}
		data.Rows = append(data.Rows, v.dataRow(em, d, st))
	}
	if len(em.Applications) == 0 && em.Ended != nil {
		apps.Rows = append(apps.Rows, report.Row{report.V(em.ID), report.L("（未记录任何关停）", "(no shutdown recorded)"),
			report.V("—"), report.V("—"), report.V("—"), cell(j.Applications), report.V("")})
	}
	if j.Applications == StateOverdue || j.Applications == StatePending {
		outZH = append(outZH, "关停数据应用")
		outEN = append(outEN, "application shutdown")
	}
	for _, a := range em.Applications {
		apps.Rows = append(apps.Rows, report.Row{report.V(em.ID), report.V(a.ID), report.V(a.By), {Text: v.name(a.By)}, report.V(a.On.String()),
			cell(j.AppState(a)), report.V(report.Seqs(a.Seq))})
		ev = append(ev, a.Seq)
	}
	out := report.T(strings.Join(outZH, "；"), strings.Join(outEN, "; "))
	if j.Err != nil {
		out = report.T("无法计算D8："+j.Err.Error(), "D8 not counted: "+j.Err.Error())
	}
	return report.Row{report.V(em.ID), report.V(em.Title), report.V(by), {Text: v.name(by)}, report.V(declared),
		report.V(ended), report.V(due), cell(j.State), {Text: out}, report.V(report.Seqs(ev...))}, out
}

// dataRow is one resource collected under em, in state st.
func (v *view) dataRow(em *Emergency, d *Data, st State) report.Row {
	ev := append([]uint64(nil), d.Collections...)
	for _, a := range []*Act{d.Evaluation, d.Sealed, d.Destroyed} {
		if a != nil {
			ev = append(ev, a.Seq)
		}
	}
	evalText := report.T("未评估", "not evaluated")
	if d.Evaluation != nil {
		evalText = report.Enum(d.Disposition)
		if len(d.Categories) > 0 {
			zh, en := make([]string, len(d.Categories)), make([]string, len(d.Categories))
			for k, c := range d.Categories {
				t := report.Enum(c)
				zh[k], en[k] = t.ZH, t.EN
			}
			evalText = report.T(evalText.ZH+"（"+strings.Join(zh, "、")+"）", evalText.EN+" ("+strings.Join(en, ", ")+")")
		}
	}
	return report.Row{report.V(em.ID), report.V(d.Resource), report.V(strings.Join(d.Collectors, ", ")), {Text: v.namesOf(d.Collectors)},
		report.V(strconv.FormatInt(d.Records, 10)), {Text: evalText, Code: d.Disposition.String()}, report.V(day(d.Evaluation)),
		report.V(day(d.Sealed)), report.V(day(d.Destroyed)), cell(st), report.V(report.Seqs(ev...))}
}

func emergenciesSection() report.Section {
	return report.Section{Key: "emergencies", Title: report.T("紧急情况", "Emergencies"), Columns: []report.Column{
		{Key: "emergency", Label: report.T("紧急情况", "emergency")},
		{Key: "title", Label: report.T("名称", "title")},
		{Key: "declared_by", Label: report.T("宣布机构", "declared by")},
		{Key: "declared_by_name", Label: report.T("宣布机构名称", "declared by (name)")},
		{Key: "declared_on", Label: report.T("宣布日期", "declared on")},
		{Key: "ended_on", Label: report.T("结束日期", "ended on")},
		{Key: "due", Label: report.T("D8期限", "D8 due")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "outstanding", Label: report.T("未完成事项", "outstanding")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
	}, Layout: &report.Layout{Columns: []report.Merged{
		{Key: "emergency", Sub: []report.Part{report.Sub("title")}, Width: 5},
		{Key: "declared_by_name", Sub: []report.Part{report.Sub("declared_by"), report.Labelled("declared_on"), report.Labelled("ended_on")}, Width: 5},
		{Key: "due", Width: 3},
		{Key: "state", Sub: []report.Part{report.Sub("outstanding")}, Width: 5},
		{Key: "evidence", Width: 2, Drop: 1},
	}}}
}

func dataSection() report.Section {
	return report.Section{Key: "data", Title: report.T("紧急采集的数据", "Data collected under emergencies"), Columns: []report.Column{
		{Key: "emergency", Label: report.T("紧急情况", "emergency")},
		{Key: "resource", Label: report.T("数据资源", "resource")},
		{Key: "collected_by", Label: report.T("采集机构", "collected by")},
		{Key: "collected_by_name", Label: report.T("采集机构名称", "collected by (names)")},
		{Key: "records", Label: report.T("记录数", "records")},
		{Key: "evaluation", Label: report.T("评估结论", "evaluation")},
		{Key: "evaluated_on", Label: report.T("评估日期", "evaluated on")},
		{Key: "sealed_on", Label: report.T("封存日期", "sealed on")},
		{Key: "destroyed_on", Label: report.T("销毁日期", "destroyed on")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
	}, Layout: &report.Layout{Columns: []report.Merged{
		{Key: "resource", Sub: []report.Part{report.Sub("emergency")}, Width: 5},
		{Key: "collected_by_name", Sub: []report.Part{report.Labelled("records")}, Width: 5},
		{Key: "evaluation", Sub: []report.Part{report.Labelled("evaluated_on"), report.Labelled("sealed_on"), report.Labelled("destroyed_on")}, Width: 4},
		{Key: "state", Width: 2},
		{Key: "evidence", Width: 2, Drop: 1},
	}}}
}

func applicationsSection() report.Section {
	return report.Section{Key: "applications", Title: report.T("关停数据应用", "Applications shut down"), Columns: []report.Column{
		{Key: "emergency", Label: report.T("紧急情况", "emergency")},
		{Key: "application", Label: report.T("数据应用", "application")},
		{Key: "shut_down_by", Label: report.T("关停机构", "shut down by")},
		{Key: "shut_down_by_name", Label: report.T("关停机构名称", "shut down by (name)")},
		{Key: "shut_down_on", Label: report.T("关停日期", "shut down on")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
	}, Layout: &report.Layout{Columns: []report.Merged{
		{Key: "application", Sub: []report.Part{report.Sub("emergency")}, Width: 5},
		{Key: "shut_down_by_name", Sub: []report.Part{report.Sub("shut_down_by"), report.Labelled("shut_down_on")}, Width: 5},
		{Key: "state", Width: 2},
		{Key: "evidence", Width: 2, Drop: 1},
	}}, Notes: []report.Text{report.T("账本只知道已记录的应用：应对结束而无任何关停记录的紧急情况，在D8期满后列为逾期。",
		"The ledger knows only the applications recorded: an ended emergency with no shutdown recorded is listed as overdue once D8 has passed.")}}
}

// RegisterOf is the register inside the kind's read model m (from NewModel), for
// readers other than reports, such as the emergency metrics; false if m is not one. The
// caller holds the model's read lock while it reads.
func RegisterOf(m report.Model) (*Register, bool) {
	fm, ok := m.(interface{ Folder() fold.Folder })
	if !ok {
		return nil, false
	}
	q, ok := fold.QuietOf(fm.Folder())
	if !ok {
		return nil, false
	}
	r, ok := q.(*Register)
	return r, ok
}
