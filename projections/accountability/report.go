package accountability

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// Kind is the view as a report kind: `ledgerctl report accountability [--resource R]`.
var Kind = report.Kind{Name: kindName, Title: kindTitle, New: NewModel}

const kindName = "accountability"

var kindTitle = report.T("数据安全责任视图（第三十七条：谁收集谁负责、谁持有谁负责、谁使用谁负责、谁运行谁负责）", "Accountability view (Art. 37, 第三十七条: who collects, holds, uses, runs is responsible)")

// NewModel is the kind's read model: the view, kept level with the log, with every
// resource's custody timeline; a report renders it, narrowed to a resource on asking.
// Without a policy and a calendar it counts days with the embedded ones.
func NewModel(o report.Options) (report.Model, error) {
	v := New()
	if o.Policy != nil && o.Calendar != nil {
		v = NewWith(registry.NewWith(o.Policy, o.Calendar))
	}
	return fold.NewModel(kindName, o, fold.NoProblems(v), func(o report.Options, _ []report.Text) (*report.Report, error) {
		return v.render(o.Resource)
	}), nil
}

var (
	heldText = map[string]report.Text{
		HeldResponsible: report.T("目录责任主体", "catalog responsible"),
		HeldCollected:   report.T("采集", "collected"),
		HeldStored:      report.T("存储", "stored"),
		HeldObtained:    report.T("共享获取", "obtained by sharing"),
		HeldCopied:      report.T("复制", "copied"),
		HeldReceived:    report.T("传输接收", "received"),
		HeldDisposed:    report.T("封存或销毁", "sealed or destroyed"),
	}
	custodyText = map[string]report.Text{
		CustodyHolding:   report.T("持有", "holding"),
		CustodySealed:    report.T("已封存", "sealed"),
		CustodyDestroyed: report.T("已销毁", "destroyed"),
	}
	useText = map[string]report.Text{
		UseShared:    report.T("使用共享数据", "use of shared data"),
		UseProcessed: report.T("加工", "processing"),
		UseExported:  report.T("导出", "export"),
		UseDesens:    report.T("脱敏", "desensitisation"),
		UseOpenData:  report.T("获取开放数据", "open data obtained"),
		UseDeveloped: report.T("开发利用", "development"),
	}
	roleText = map[string]report.Text{
		"institution": report.T("本单位", "institution"),
		"platform":    report.T("大数据平台", "data platform"),
		"provider":    report.T("外包服务方", "outsourced provider"),
	}
	yes, no, dash = report.L("是", "yes"), report.L("否", "no"), report.V("—")
)

// times is a count of uses in English: "once", "3 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

func col(key, zh, en string) report.Column { return report.Column{Key: key, Label: report.T(zh, en)} }

func seqRange(a, b Act) string {
	if a.Seq == b.Seq {
		return strconv.FormatUint(a.Seq, 10)
	}
	return fmt.Sprintf("%d…%d", a.Seq, b.Seq)
}

func orDash(s string) report.Cell {
	if s == "" {
		return report.V("—")
	}
	return report.V(s)
}

// render renders the view: every resource, or only resource (with its custody
// timeline) when one is named.
func (v *View) render(resource string) (*report.Report, error) {
	r := &report.Report{Kind: kindName, Title: kindTitle,
		Basis: report.T("第三十七条（谁收集谁负责、谁持有谁负责、谁使用谁负责、谁运行谁负责）、第七条（第一责任人）、第三十九条（服务外包）",
			"Art. 37 (第三十七条), Art. 7 (第七条: first responsible person), Art. 39 (第三十九条: outsourcing)")}
	resources := v.Resources()
	if resource != "" {
		res, ok := v.Resource(resource)
		if !ok {
			return nil, fmt.Errorf("resource %q: %w (账本中没有该数据资源)", resource, report.ErrNotFound)
		}
		resources = []*Resource{res}
	}
	p := v.page()
	for _, res := range resources {
		p.resource(res)
	}
	p.used.Notes = append(p.used.Notes, report.T("开放数据与开发利用的使用者以申请编号表示：申请人为个人信息，不在报告中显示。",
		"Users of open data and development are shown by application id: the applicant is personal data and is not shown."))
	insts := v.institutionsSection()
	noHead, noPosts := 0, 0
	for _, row := range insts.Rows {
		if row[3].Code == "missing" {
			noHead++
			p.attention = append(p.attention, report.T(row[1].Text.ZH+"（"+row[0].Text.ZH+"）：未明确第一责任人", row[1].Text.EN+" ("+row[0].Text.EN+"): no first responsible person designated"))
		}
		if row[5].Code == "missing" {
			noPosts++
		}
	}
	r.Figures = []report.Figure{
		{Label: report.T("数据资源", "resources"), Value: strconv.Itoa(len(resources))},
		{Label: report.T("登记的机构", "institutions registered"), Value: strconv.Itoa(len(insts.Rows))},
		{Label: report.T("使用记录（按使用者、行为、授权、用途归并）", "uses (by user, act, grant, purpose)"), Value: strconv.Itoa(len(p.used.Rows))},
		report.Fig(report.T("超出授权用途的使用", "uses outside their grant"), p.outside, report.Bad),
		report.Fig(report.T("未明确第一责任人的机构", "institutions without a first responsible person"), noHead, report.Bad),
		report.Fig(report.T("无安全岗位的机构", "institutions without security posts"), noPosts, report.Warn),
		{Label: report.T("外包运行（系统 × 资源）", "outsourced operation (system × resource)"), Value: strconv.Itoa(p.providers)},
	}
	r.Attention = p.attention
	if p.perInst.Len() > 0 {
		r.Charts = []report.Chart{{Key: "by_institution", Title: report.T("各机构收集、持有、使用的数据资源", "Resources each institution collected, holds and uses"),
			Kind: report.Bars, Bars: p.perInst.ByTotal(), Series: []report.Series{
				{Label: report.T("收集", "collected"), Tone: report.Info},
				{Label: report.T("持有", "holds"), Tone: report.Plain},
				{Label: report.T("使用", "uses"), Tone: report.Good}},
			Note: report.T("每项数据资源在每种关系中计一次；使用者为申请编号者（开放数据、开发利用）也单独列出。",
				"Each resource counts once per relation; users shown by application id (open data, development) are listed too.")}}
	}
	r.Sections = []report.Section{p.collected, p.held, p.used, p.run, p.sources(resources), v.contractsSection(p.name), insts}
	if resource != "" {
		r.Sections = append(r.Sections, v.timelineSection(resource, p.name))
	} else {
		r.Notes = append(r.Notes, report.T("加 --resource 参数可查看某一数据资源的完整保管时间线。", "Add --resource R for one resource's full custody timeline."))
	}
	r.Notes = append(r.Notes, report.T("证据列为账本序号，可用 ledgerctl prove --seq N 取得包含证明。",
		"Evidence is given as ledger positions; ledgerctl prove --seq N gives an inclusion proof."))
	return r, nil
}

// page is a report being drawn: its four relation sections, what they add up to, and
// the institutions' names.
type page struct {
	names                      map[string]report.Text
	collected, held, used, run report.Section
	perInst                    *report.Counter
	seen                       map[string]bool
	attention                  []report.Text
	outside, providers         int
	v                          *View
}

func (v *View) page() *page {
	p := &page{names: map[string]report.Text{}, perInst: report.NewCounter(3), seen: map[string]bool{}, v: v}
	for _, in := range v.Institutions() {
		if in.NameZH != "" {
			p.names[in.ID] = report.T(in.NameZH, in.NameEN)
		}
	}
	p.collected = report.Section{Key: "collected", Title: report.T("谁收集", "Who collected"), Columns: []report.Column{
		col("resource", "数据资源", "resource"), col("title", "名称", "title"), col("institution", "采集机构", "collected by"),
		col("institution_name", "采集机构名称", "collected by (name)"),
		col("designated_source", "指定采集来源", "designated source"), col("collections", "次数", "collections"), col("records", "记录数", "records"),
		col("emergencies", "紧急情况", "under emergency"), col("first", "首次", "first"), col("last", "最近", "last"), col("evidence", "证据（序号）", "evidence (seq)")},
		Layout: &report.Layout{Columns: []report.Merged{
			{Key: "resource", Sub: []report.Part{report.Sub("title")}, Width: 5},
			{Key: "institution_name", Sub: []report.Part{report.Sub("institution"), report.Labelled("designated_source")}, Width: 5},
			{Key: "records", Sub: []report.Part{report.Labelled("collections"), report.Labelled("emergencies")}, Width: 3, Num: true},
			{Key: "first", Label: report.T("首次／最近", "first / last"), Sub: []report.Part{report.Sub("last")}, Width: 2},
			{Key: "evidence", Width: 2, Drop: 1},
		}}}
	p.held = report.Section{Key: "held", Title: report.T("谁持有", "Who holds"), Columns: []report.Column{
		col("resource", "数据资源", "resource"), col("institution", "持有机构", "held by"), col("institution_name", "持有机构名称", "held by (name)"), col("how", "持有方式", "how"),
		col("state", "状态", "state"), col("since", "起始", "since"), col("changed", "状态变更", "state since"), col("evidence", "证据（序号）", "evidence (seq)")},
		Layout: &report.Layout{Columns: []report.Merged{
			{Key: "resource", Width: 5},
			{Key: "institution_name", Sub: []report.Part{report.Sub("institution")}, Width: 5},
			{Key: "how", Width: 2},
			{Key: "state", Sub: []report.Part{report.Labelled("since"), report.Labelled("changed")}, Width: 3},
			{Key: "evidence", Width: 2, Drop: 1},
		}}}
	p.used = report.Section{Key: "used", Title: report.T("谁使用", "Who uses"), Columns: []report.Column{
		col("resource", "数据资源", "resource"), col("user", "使用者", "used by"), col("user_name", "使用者名称", "used by (name)"), col("act", "行为", "act"), col("grant", "授权/审批", "grant or approval"),
		col("purpose", "用途", "purpose"), col("within_grant", "在授权用途内", "within grant"), col("count", "次数", "times"),
		col("records", "记录数", "records"), col("last", "最近", "last"), col("evidence", "证据（序号）", "evidence (seq)")},
		Layout: &report.Layout{Columns: []report.Merged{
			{Key: "resource", Width: 5},
			{Key: "user_name", Sub: []report.Part{report.Sub("user")}, Width: 5},
			{Key: "act", Sub: []report.Part{report.Labelled("grant"), report.Sub("purpose")}, Width: 4},
			{Key: "within_grant", Width: 2},
			{Key: "count", Sub: []report.Part{report.Labelled("records"), report.Labelled("last")}, Width: 3, Num: true, Drop: 2},
			{Key: "evidence", Width: 2, Drop: 1},
		}}}
	p.run = report.Section{Key: "run", Title: report.T("谁运行", "Who runs the systems"), Columns: []report.Column{
		col("resource", "数据资源", "resource"), col("system", "系统", "system"), col("operator", "运行者", "run by"), col("operator_name", "运行者名称", "run by (name)"), col("role", "角色", "role"),
		col("contract", "外包合同", "contract"), col("client", "委托单位", "client"), col("client_name", "委托单位名称", "client (name)"), col("contract_state", "合同状态", "contract state"), col("evidence", "证据（序号）", "evidence (seq)")},
		Layout: &report.Layout{Columns: []report.Merged{
			{Key: "resource", Sub: []report.Part{report.Sub("system")}, Width: 5},
			{Key: "operator_name", Sub: []report.Part{report.Sub("operator")}, Width: 5},
			{Key: "role", Width: 2},
			{Key: "contract", Sub: []report.Part{report.Labelled("client_name"), report.Sub("contract_state")}, Width: 4},
			{Key: "evidence", Width: 2, Drop: 1},
		}}}
	return p
}

// name is an institution's registered name; a user that is not an institution (an
// application id) or an unregistered one is shown as "—" beside its id.
func (p *page) name(id string) report.Cell {
	if n, ok := p.names[id]; ok {
		return report.Cell{Text: n}
	}
	return dash
}

// count counts res once for institution id in relation series (collected, holds, uses).
func (p *page) count(id string, series int, res string) {
	if k := fmt.Sprint(id, "/", series, "/", res); !p.seen[k] {
		p.seen[k] = true
		label := report.T(id, id)
		if n, ok := p.names[id]; ok {
			label = n
		}
		p.perInst.Add(id, label, series)
	}
}

// resource adds res's collections, holdings, uses and operations to their sections.
func (p *page) resource(res *Resource) {
	title := report.Cell{Text: report.T(res.TitleZH, res.TitleEN)}
	for _, c := range res.Collections {
		p.count(c.Institution, 0, res.ID)
		p.collected.Rows = append(p.collected.Rows, report.Row{report.V(res.ID), title, report.V(c.Institution), p.name(c.Institution), orDash(res.Source),
			report.V(strconv.Itoa(c.Count)), report.V(strconv.FormatInt(c.Records, 10)), orDash(strings.Join(c.Emergencies, ", ")),
			report.V(c.First.On.String()), report.V(c.Last.On.String()), report.V(seqRange(c.First, c.Last))})
	}
	for _, h := range res.Holdings {
		changed := dash
		if h.Last.Seq != h.Since.Seq {
			changed = report.V(h.Last.On.String())
		}
		p.count(h.Institution, 1, res.ID)
		p.held.Rows = append(p.held.Rows, report.Row{report.V(res.ID), report.V(h.Institution), p.name(h.Institution), report.Coded(h.How, heldText[h.How]),
			report.Coded(h.State, custodyText[h.State]), report.V(h.Since.On.String()), changed, report.V(seqRange(h.Since, h.Last))})
	}
	for _, u := range res.Uses {
		p.use(res, u)
	}
	for _, o := range p.v.Operations(res) {
		state := dash
		if o.Role == "provider" {
			p.providers++
			state = report.Coded("active", report.T("有效", "in force"))
			if o.Ended != nil {
				state = report.Coded("ended", report.T("已于"+o.Ended.On.String()+"终止", "ended "+o.Ended.On.String()))
			}
		}
		p.run.Rows = append(p.run.Rows, report.Row{report.V(res.ID), report.V(o.System), report.V(o.Operator), p.name(o.Operator), report.Coded(o.Role, roleText[o.Role]),
			orDash(o.Contract), orDash(o.Client), p.name(o.Client), state, report.V(strconv.FormatUint(o.First.Seq, 10))})
	}
}

// use adds one use of res; a shared use outside its grant needs attention.
func (p *page) use(res *Resource, u *Use) {
	within := dash
	switch {
	case u.WithinGrant != nil && *u.WithinGrant:
		within = yes
		within.Code = "within_grant"
	case u.WithinGrant != nil:
		within = no.As(report.Bad)
		within.Code = "outside_grant"
		p.outside++
		who := report.T(u.User, u.User)
		if n, ok := p.names[u.User]; ok {
			who = n
		}
		p.attention = append(p.attention, report.T(
			fmt.Sprintf("%s 超出授权 %s 的用途使用 %s：%s（%d 次，序号 %s）", who.ZH, u.Grant, res.ID, u.Purpose, u.Count, seqRange(u.First, u.Last)),
			fmt.Sprintf("%s used %s outside grant %s: %s (%s, seq %s)", who.EN, res.ID, u.Grant, u.Purpose, times(u.Count), seqRange(u.First, u.Last))))
	}
	p.count(u.User, 2, res.ID)
	p.used.Rows = append(p.used.Rows, report.Row{report.V(res.ID), report.V(u.User), p.name(u.User), report.Coded(u.Kind, useText[u.Kind]), orDash(u.Grant),
		orDash(u.Purpose), within, report.V(strconv.Itoa(u.Count)), report.V(strconv.FormatInt(u.Records, 10)),
		report.V(u.Last.On.String()), report.V(seqRange(u.First, u.Last))})
}

// sources is 一数一源 (第十七条): each resource's designated source, the duplicates
// included.
func (p *page) sources(resources []*Resource) report.Section {
	s := report.Section{Key: "sources", Title: report.T("一数一源：指定采集来源（第十七条）", "One source per datum: designated sources (Art. 17)"), Columns: []report.Column{
		col("resource", "数据资源", "resource"), col("title", "名称", "title"), col("responsible", "目录责任主体", "catalog responsible"),
		col("designated_source", "指定采集来源", "designated source"), col("designated_source_name", "指定采集来源名称", "designated source (name)"),
		col("via", "经由", "via"), col("evidence", "证据（序号）", "evidence (seq)")}}
	for _, res := range resources {
		row := report.Row{report.V(res.ID), {Text: report.T(res.TitleZH, res.TitleEN)}, orDash(res.Responsible)}
		switch {
		case res.Source == "":
			row = append(row, report.L("未指定", "not designated"), dash, dash, dash)
		case res.SourceVia != "":
			row = append(row, report.V(res.Source), p.name(res.Source),
				report.L("本目录为 "+res.SourceVia+" 的重复目录，通过共享获取", "a duplicate of "+res.SourceVia+": obtain it by sharing"), report.V(strconv.FormatUint(res.SourceSeq, 10)))
		default:
			row = append(row, report.V(res.Source), p.name(res.Source), report.L("本目录", "this entry"), report.V(strconv.FormatUint(res.SourceSeq, 10)))
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// contractsSection is 第三十九条: each outsourcing contract's history, act by act.
func (v *View) contractsSection(name func(string) report.Cell) report.Section {
	s := report.Section{Key: "contracts", Title: report.T("服务外包协议及其变更（第三十九条）", "Outsourcing contracts and their changes (Art. 39)"), Columns: []report.Column{
		col("contract", "外包合同", "contract"), col("client", "委托单位", "client"), col("client_name", "委托单位名称", "client (name)"), col("provider", "服务提供方", "provider"),
		col("day", "日期", "day"), col("act", "行为", "act"), col("change", "内容", "what"), col("evidence", "证据（序号）", "evidence (seq)")}}
	for _, c := range v.Contracts() {
		for _, h := range c.History {
			act := report.V(h.Type)
			if t, ok := events.Lookup(h.Type); ok {
				act = report.Cell{Text: report.T(t.ZH, t.EN), Code: h.Type}
			}
			s.Rows = append(s.Rows, report.Row{report.V(c.ID), report.V(c.Client), name(c.Client), report.V(c.Provider),
				report.V(h.On.String()), act, report.L(h.ZH, h.EN), report.V(strconv.FormatUint(h.Seq, 10))})
		}
	}
	return s
}

func (v *View) institutionsSection() report.Section {
	s := report.Section{Key: "institutions", Title: report.T("机构责任人（第七条、第三十七条）", "Institutions' responsible persons (Art. 7, 37)"), Columns: []report.Column{
		col("institution", "机构", "institution"), col("name", "名称", "name"), col("level", "层级", "level"),
		col("responsible", "第一责任人", "first responsible person"), col("responsible_since", "任职起始", "since"),
		col("posts", "专职人员与安全岗位", "staff and security posts"), col("evidence", "证据（序号）", "evidence (seq)")}}
	for _, in := range v.Institutions() {
		if in.NameZH == "" && in.Responsible == "" && len(in.Posts) == 0 {
			continue // named only as an actor, never registered: nothing to answer for here
		}
		resp := report.Coded("missing", report.T("未明确", "not designated")).As(report.Bad)
		var ev []string
		if in.Responsible != "" {
			resp = report.V(withTitle(in.Responsible, in.Title(in.Responsible)))
			ev = append(ev, strconv.FormatUint(in.ResponsibleSeq, 10))
		}
		var zh, en []string
		for _, p := range in.Posts {
			if p.Ended != nil {
				continue
			}
			who := withTitle(p.Person, in.Title(p.Person))
			t := report.Enum(p.Post)
			zh = append(zh, t.ZH+"："+who)
			en = append(en, t.EN+": "+who)
			ev = append(ev, strconv.FormatUint(p.Seq, 10))
		}
		posts := report.Cell{Text: report.T(strings.Join(zh, "；"), strings.Join(en, "; "))}
		if len(zh) == 0 {
			posts = report.Coded("missing", report.T("无", "none")).As(report.Warn)
		}
		level := dash
		if !in.Level.IsZero() {
			level = report.Cell{Text: report.Enum(in.Level)}
		}
		s.Rows = append(s.Rows, report.Row{report.V(in.ID), {Text: report.T(in.NameZH, in.NameEN)}, level, resp,
			orDash(in.ResponsibleSince), posts, report.V(strings.Join(ev, ", "))})
	}
	s.Notes = append(s.Notes, report.T("人员以编号和职务表示；姓名为个人信息，不在报告中显示。",
		"People are shown by id and title; names are personal data and are not shown."))
	s.Layout = &report.Layout{Columns: []report.Merged{
		{Key: "name", Sub: []report.Part{report.Sub("institution"), report.Sub("level")}, Width: 5},
		{Key: "responsible", Sub: []report.Part{report.Labelled("responsible_since")}, Width: 4},
		{Key: "posts", Width: 6},
		{Key: "evidence", Width: 2, Drop: 1},
	}}
	return s
}

func withTitle(person, title string) string {
	if title == "" {
		return person
	}
	return person + " (" + title + ")"
}

func (v *View) timelineSection(resource string, name func(string) report.Cell) report.Section {
	s := report.Section{Key: "timeline", Title: report.T("保管时间线："+resource, "Custody timeline: "+resource), Columns: []report.Column{
		col("seq", "序号", "seq"), col("date", "日期", "date"), col("act", "行为", "act"), col("type", "事件类型", "event type"),
		col("institution", "机构", "institution"), col("institution_name", "机构名称", "institution (name)"), col("person", "经办人", "person"), col("id", "事件编号", "event id")}}
	for _, t := range v.Timeline(resource) {
		act := report.V(t.Type)
		if ty, ok := events.Lookup(t.Type); ok {
			act = report.L(ty.ZH, ty.EN)
		}
		s.Rows = append(s.Rows, report.Row{report.V(strconv.FormatUint(t.Seq, 10)), report.V(t.On.String()), act, report.V(t.Type),
			report.V(t.Institution), name(t.Institution), report.V(t.Person), report.V(t.ID)})
	}
	s.Layout = &report.Layout{Columns: []report.Merged{
		{Key: "date", Sub: []report.Part{report.Labelled("seq")}, Width: 2},
		{Key: "act", Sub: []report.Part{report.Sub("type")}, Width: 4},
		{Key: "institution_name", Sub: []report.Part{report.Sub("institution"), report.Labelled("person")}, Width: 5},
		{Key: "id", Width: 4, Drop: 1},
	}}
	return s
}
