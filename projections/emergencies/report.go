package emergencies

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the register as a report kind: `ledgerctl report emergencies`.
var Kind = report.Kind{
	Name:  "emergencies",
	Title: report.T("紧急情况数据封存登记簿（第二十一条）", "Emergency-data sealing register (Art. 21, 第二十一条)"),
	New: func(o report.Options) (report.Builder, error) {
		if err := o.Judging("emergencies"); err != nil {
			return nil, err
		}
		return &builder{Register: New(), o: o}, nil
	},
}

type builder struct {
	*Register
	o report.Options
}

var stateText = map[State]report.Text{
	StateOverdue: report.T("逾期未完成", "overdue"),
	StateUnknown: report.T("无法计算期限", "deadline unknown"),
	StatePending: report.T("期限内待完成", "pending, within deadline"),
	StateLate:    report.T("已完成（逾期）", "done late"),
	StateActive:  report.T("应对中", "emergency active"),
	StateDone:    report.T("按期完成", "done on time"),
}

func cell(s State) report.Cell { return report.Coded(string(s), stateText[s]) }

func day(a *Act) string {
	if a == nil {
		return "—"
	}
	return a.On.String()
}

func (b *builder) Report() (*report.Report, error) {
	r := &report.Report{
		Kind:  Kind.Name,
		Title: Kind.Title,
		Basis: report.T("第二十一条第二款：应对结束后分类评估，封存或销毁涉密、隐私、个人及商业信息，关停相关数据应用；期限D8按应对结束之日施行的策略版本以工作日计算",
			"Art. 21 para 2 (第二十一条第二款): after the emergency, evaluate, seal or destroy secret, private, personal and commercial data, shut applications down; deadline D8 in working days under the policy in force on the day it ended"),
	}
	ems := report.Section{Key: "emergencies", Title: report.T("紧急情况", "Emergencies"), Columns: []report.Column{
		{Key: "emergency", Label: report.T("紧急情况", "emergency")},
		{Key: "title", Label: report.T("名称", "title")},
		{Key: "declared_by", Label: report.T("宣布机构", "declared by")},
		{Key: "declared_on", Label: report.T("宣布日期", "declared on")},
		{Key: "ended_on", Label: report.T("结束日期", "ended on")},
		{Key: "due", Label: report.T("D8期限", "D8 due")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "outstanding", Label: report.T("未完成事项", "outstanding")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
	}}
	data := report.Section{Key: "data", Title: report.T("紧急采集的数据", "Data collected under emergencies"), Columns: []report.Column{
		{Key: "emergency", Label: report.T("紧急情况", "emergency")},
		{Key: "resource", Label: report.T("数据资源", "resource")},
		{Key: "collected_by", Label: report.T("采集机构", "collected by")},
		{Key: "records", Label: report.T("记录数", "records")},
		{Key: "evaluation", Label: report.T("评估结论", "evaluation")},
		{Key: "evaluated_on", Label: report.T("评估日期", "evaluated on")},
		{Key: "sealed_on", Label: report.T("封存日期", "sealed on")},
		{Key: "destroyed_on", Label: report.T("销毁日期", "destroyed on")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
	}}
	apps := report.Section{Key: "applications", Title: report.T("关停数据应用", "Applications shut down"), Columns: []report.Column{
		{Key: "emergency", Label: report.T("紧急情况", "emergency")},
		{Key: "application", Label: report.T("数据应用", "application")},
		{Key: "shut_down_by", Label: report.T("关停机构", "shut down by")},
		{Key: "shut_down_on", Label: report.T("关停日期", "shut down on")},
		{Key: "state", Label: report.T("状态", "state")},
		{Key: "evidence", Label: report.T("证据（序号）", "evidence (seq)")},
	}}
	for _, em := range b.Emergencies() {
		j := Judge(em, b.o.Policy, b.o.Calendar, b.o.AsOf)
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
				what := "evaluation"
				whatZH := "评估"
				if d.Evaluation != nil {
					what, whatZH = d.Disposition.String(), d.Disposition.ZH()
				}
				outZH = append(outZH, d.Resource+"："+whatZH)
				outEN = append(outEN, d.Resource+": "+what)
			}
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
			data.Rows = append(data.Rows, report.Row{report.V(em.ID), report.V(d.Resource), report.V(strings.Join(d.Collectors, ", ")),
				report.V(strconv.FormatInt(d.Records, 10)), {Text: evalText, Code: d.Disposition.String()}, report.V(day(d.Evaluation)),
				report.V(day(d.Sealed)), report.V(day(d.Destroyed)), cell(st), report.V(report.Seqs(ev...))})
		}
		if len(em.Applications) == 0 && em.Ended != nil {
			apps.Rows = append(apps.Rows, report.Row{report.V(em.ID), report.L("（未记录任何关停）", "(no shutdown recorded)"),
				report.V("—"), report.V("—"), cell(j.Applications), report.V("")})
		}
		if j.Applications == StateOverdue || j.Applications == StatePending {
			outZH = append(outZH, "关停数据应用")
			outEN = append(outEN, "application shutdown")
		}
		for _, a := range em.Applications {
			apps.Rows = append(apps.Rows, report.Row{report.V(em.ID), report.V(a.ID), report.V(a.By), report.V(a.On.String()),
				cell(j.AppState(a)), report.V(report.Seqs(a.Seq))})
			ev = append(ev, a.Seq)
		}
		out := report.T(strings.Join(outZH, "；"), strings.Join(outEN, "; "))
		if j.Err != nil {
			out = report.T("无法计算D8："+j.Err.Error(), "D8 not counted: "+j.Err.Error())
		}
		ems.Rows = append(ems.Rows, report.Row{report.V(em.ID), report.V(em.Title), report.V(by), report.V(declared),
			report.V(ended), report.V(due), cell(j.State), {Text: out}, report.V(report.Seqs(ev...))})
	}
	if len(ems.Rows) == 0 {
		ems.Notes = append(ems.Notes, report.T("账本中没有紧急情况记录。", "The ledger records no emergency."))
	}
	apps.Notes = append(apps.Notes, report.T("账本只知道已记录的应用：应对结束而无任何关停记录的紧急情况，在D8期满后列为逾期。",
		"The ledger knows only the applications recorded: an ended emergency with no shutdown recorded is listed as overdue once D8 has passed."))
	r.Sections = []report.Section{ems, data, apps}
	r.Notes = append(r.Notes, report.ProveNote)
	return r, nil
}
