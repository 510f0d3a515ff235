package scenario

import (
	"fmt"
	"time"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// storyline adds the fixed acts every demo shows. Together with the registry and setup it
// uses every type of the event catalogue; deadlines are met or missed by the working-day
// calendar and the policy version in force on the trigger day.
func (g *gen) storyline() {
	g.catalogUpdates()
	g.designation()
	g.opening()
	g.shares()
	g.corrections()
	g.subjectRequests()
	g.supervised()
	g.collections()
	g.projects()
	g.emergencies()
	g.outsourcing()
	g.development()
	g.enforcement()
	g.duties()
	g.registryChanges()
}

func head(inst string) string { return institution(inst).Responsible() }
func sec(inst string) string  { return institution(inst).Security() }

func doc(prefix string) *events.DocumentRef { return &events.DocumentRef{ID: prefix} }

// approve records the supervising approval (Art. 37(5)) of acts on a resource and
// returns its index and id.
func (g *gen) approve(parent int, at time.Time, inst, res string, purpose string, acts ...domain.SupervisedAct) (int, string) {
	id := g.id("apv")
	i := g.add(parent, at, inst, head(inst), events.SecurityApprovalGrantedV1, &events.ApprovalGranted{Approval: id, Resource: res, Acts: acts,
		ApprovedBy: head(inst), Purpose: purpose, ValidUntil: date(at.AddDate(0, 1, 0))})
	return i, id
}

// catalogUpdates: D1/D2 (Art. 16), one on time, one late on both counts (F1).
func (g *gen) catalogUpdates() {
	for _, c := range []struct {
		res     string
		at      float64
		trigger domain.CatalogTrigger
		why     string
		upd     int // working days after the trigger, minus D1 when late
		rep     int
		late    bool
	}{
		{"aba-stats-bureau.county-economy", 0.20, domain.TriggerSystemUpdated, "统计联网直报系统升级完成，新增数字经济核心产业增加值指标", 4, 1, false},
		{"aba-civil-affairs.subsistence-allowance", 0.30, domain.TriggerLawChanged, "《四川省最低生活保障办法》修订，认定标准调整", 6, 2, true},
	} {
		r := resource(c.res)
		t0 := g.at(c.at)
		t := g.add(-1, t0, r.Holder, "", events.CatalogUpdateTriggeredV1, &events.CatalogUpdateTriggered{Trigger: c.trigger, AroseOn: date(t0), Description: c.why, Resources: []string{r.ID}})
		upd, rep := c.upd, c.rep
		if c.late {
			upd += deadline("D1", t0)
			rep += deadline("D2", t0)
		}
		e := r.Entry()
		e.Items = append(e.Items, events.DataItem{Name: "更新时间", Format: "date-time"})
		u := g.add(t, g.wd(g.tl.Events[t].At, upd), r.Holder, head(r.Holder), events.CatalogEntryUpdatedV1,
			&events.CatalogEntryUpdated{CatalogEntry: e, Trigger: g.tl.Events[t].ID, Change: "新增“更新时间”属性：" + c.why})
		rp := g.add(u, g.wd(g.tl.Events[u].At, rep), r.Holder, "", events.CatalogUpdateReportedV1,
			&events.CatalogUpdateReported{Resources: []string{r.ID}, Authority: Authority, Report: doc(g.id("rpt"))})
		if c.late {
			g.violate(u, "F1", fmt.Sprintf("catalog updated %d working days after the trigger (D1: %d)", upd, deadline("D1", t0)))
			g.violate(rp, "F1", fmt.Sprintf("update reported %d working days after the update (D2: %d)", rep, deadline("D2", t0)))
		}
	}
}

// designation: 一数一源 (Art. 14 para 2, 17): the authority names the police as the one
// collector of household data; civil affairs collects it anyway (F4).
func (g *gen) designation() {
	d := g.add(-1, g.at(0.10), Authority, head(Authority), events.CatalogSourceDesignatedV1, &events.SourceDesignated{
		Resource: "aba-public-security.household-registration", Source: "aba-public-security", Duplicates: []string{householdDuplicate},
		Description: "户籍人口基本信息以公安部门为唯一采集来源，其他部门通过共享获取"})
	r := resource(householdDuplicate)
	c := g.add(d, g.at(0.50), r.Holder, "", events.DataCollectedV1, &events.DataCollected{Resource: r.ID, Records: 412, Purpose: "救助对象家庭成员信息采集",
		LegalBasis: r.LegalBasis, Verification: []domain.Verification{domain.VerifyIDDocument}})
	g.violate(c, "F4", "household data collected again although the police are its designated source and share it")
}

// opening: publication, reclassification after desensitisation (Art. 30 para 2),
// conditional applications with and without the commitments (F15), withdrawal requests
// acted on at once and late (D6, F9), a risk found and acted on (D7).
func (g *gen) opening() {
	survey := resource("aba-stats-bureau.population-sample-survey")
	t := g.at(0.12)
	a, apv := g.approve(-1, t, survey.Holder, survey.ID, "开放前脱敏 (desensitise before opening)", domain.ActDesensitise)
	ds := g.add(a, g.wd(t, 1), survey.Holder, "", events.DataDesensitisedV1, &events.DataDesensitised{Supervised: events.Supervised{Resource: survey.ID,
		Records: 48210, Approval: apv, Reason: "按县汇总后开放统计结果"}, Method: "删除姓名，按县（市）、年龄组汇总，小于10人的单元格合并", Output: survey.ID + "-county-stats"})
	rc := g.add(ds, g.wd(g.tl.Events[ds].At, 1), survey.Holder, head(survey.Holder), events.CatalogOpeningReclassifiedV1, &events.OpeningReclassified{
		Resource: survey.ID, From: oN, To: oC, Desensitisation: g.tl.Events[ds].ID, Reason: "脱敏汇总后可有条件开放 (open with conditions after desensitisation)"})
	g.add(rc, g.wd(g.tl.Events[rc].At, 1), survey.Holder, "", events.OpeningPublishedV1, &events.OpeningPublished{Resource: survey.ID, Attribute: oC,
		Zone: domain.LevelPrefecture, Dataset: "ds-population-county-" + g.year(0.15)})
	for i, id := range []string{"aba-stats-bureau.county-economy", "aba-health-commission.medical-institutions", "aba-market-regulation.business-registration",
		"jiuzhaigou-county.tourist-flow", "ruoergai-county.grassland-grazing", "aba-emergency-management.disaster-reports", "wenchuan-county.reconstruction-projects"} {
		r := resource(id)
		z := domain.LevelPrefecture
		if institution(r.Holder).Level == domain.LevelCounty {
			z = domain.LevelCounty
		}
		g.add(-1, g.at(0.06+0.01*float64(i)), r.Holder, "", events.OpeningPublishedV1, &events.OpeningPublished{Resource: r.ID, Attribute: r.Opening, Zone: z, Dataset: "ds-" + g.id("open")})
	}

	// Conditional opening (Art. 32): granted with both documents, granted without (F15), refused.
	dis := resource("aba-emergency-management.disaster-reports")
	for i, c := range []struct {
		party    events.Party
		purpose  string
		grant    bool
		complete bool
	}{
		{Parties[0], "巨灾保险产品精算研究", true, true},
		{Parties[1], "灾害风险地图商业应用开发", true, false},
		{Parties[2], "公益救灾志愿者调度", false, false},
	} {
		app := g.id("opn")
		s := g.add(-1, g.at(0.33+0.03*float64(i)), dis.Holder, "", events.OpeningApplicationSubmittedV1, &events.OpeningApplicationSubmitted{Application: app,
			Resource: dis.ID, Party: c.party, Purpose: c.purpose})
		at := g.wd(g.tl.Events[s].At, 3)
		if !c.grant {
			g.add(s, at, dis.Holder, head(dis.Holder), events.OpeningRefusedV1, &events.OpeningRefused{Application: app, Party: c.party.Party, Reason: "申请主体不具备相应数据安全保障能力"})
			continue
		}
		gr := &events.OpeningGranted{Application: app, Party: c.party.Party}
		if c.complete {
			gr.SecurityCommitment, gr.UseAgreement = doc("sc-"+app), doc("ua-"+app)
		}
		x := g.add(s, at, dis.Holder, head(dis.Holder), events.OpeningGrantedV1, gr)
		g.add(x, g.wd(at, 2), dis.Holder, "", events.OpeningDataObtainedV1, &events.OpeningDataObtained{Resource: dis.ID, Party: c.party, Application: app, Records: 3600})
		if !c.complete {
			g.violate(x, "F15", "conditional opening granted without a signed security commitment and use agreement")
		}
	}

	// Withdrawal requests (Art. 33): acted on the same day, and three working days late.
	for i, c := range []struct {
		res     string
		party   events.Party
		suspend int
		outcome domain.WithdrawalOutcome
	}{
		{survey.ID, Parties[3], 0, domain.WithdrawalReopened},
		{"aba-health-commission.medical-institutions", Parties[4], 3, domain.WithdrawalNoProblem},
	} {
		r := resource(c.res)
		req := g.id("wdr")
		q := g.add(-1, g.at(0.55+0.05*float64(i)), r.Holder, "", events.OpeningWithdrawalRequestedV1, &events.WithdrawalRequested{Request: req, Resource: r.ID, Party: c.party,
			Grounds: "开放数据中小样本单元可识别到本人 (re-identifiable)"})
		s := g.add(q, g.wd(g.tl.Events[q].At, c.suspend), r.Holder, "", events.OpeningSuspendedV1, &events.OpeningSuspended{Resource: r.ID, Cause: req, Reason: "核实撤回要求期间中止开放"})
		w := g.add(s, g.wd(g.tl.Events[s].At, 2), r.Holder, head(r.Holder), events.OpeningWithdrawalAnsweredV1, &events.WithdrawalAnswered{Request: req, Resource: r.ID, Outcome: c.outcome, Notified: true})
		g.add(w, g.wd(g.tl.Events[w].At, 1), r.Holder, "", events.OpeningResumedV1, &events.OpeningResumed{Resource: r.ID, Reason: "合并小样本单元后恢复开放"})
		if c.suspend > deadline("D6", g.tl.Events[q].At) {
			g.violate(s, "F9", fmt.Sprintf("opening suspended %d working days after a withdrawal request (D6: the same working day)", c.suspend))
		}
	}

	// A security risk found in supervision (Art. 33 para 3, D7): suspended the same day.
	tf := resource("jiuzhaigou-county.tourist-flow")
	risk := g.id("rsk")
	rk := g.add(-1, g.at(0.64), Authority, sec(Authority), events.OpeningRiskFoundV1, &events.OpeningRiskFound{Risk: risk, Resource: tf.ID,
		Detail: "开放接口未限流，可被批量抓取 (API without rate limits)"})
	s := g.add(rk, g.wd(g.tl.Events[rk].At, 0), tf.Holder, "", events.OpeningSuspendedV1, &events.OpeningSuspended{Resource: tf.ID, Cause: risk, Reason: "接口安全风险整改期间中止开放"})
	g.add(s, g.wd(g.tl.Events[s].At, 2), tf.Holder, "", events.OpeningResumedV1, &events.OpeningResumed{Resource: tf.ID, Reason: "已增加访问频率限制和身份认证"})
}

// shareFlow adds an application, its grant after wait working days, the data obtained and
// uses uses for the granted purpose; it returns the application and the last event.
func (g *gen) shareFlow(r *Resource, applicant string, at time.Time, wait, uses int) (app, last int) {
	id := g.id("shr")
	purpose := r.Purposes[g.r.IntN(len(r.Purposes))]
	app = g.add(-1, at, applicant, "", events.ShareApplicationSubmittedV1, &events.ShareApplicationSubmitted{Application: id, Resource: r.ID, Provider: r.Holder,
		Purposes: []string{purpose}, Duty: institution(applicant).NameZH + "履行" + purpose + "职责"})
	grant := "grt-" + id[4:]
	last = g.add(app, g.wd(g.tl.Events[app].At, wait), r.Holder, head(r.Holder), events.ShareGrantedV1, &events.ShareGranted{Application: id, Grant: grant,
		Purposes: []string{purpose}, Conditions: "仅限接口核验调用，不得留存", ValidUntil: date(g.end.AddDate(1, 0, 0))})
	last = g.add(last, g.wd(g.tl.Events[last].At, 1), applicant, "", events.ShareDataObtainedV1, &events.ShareDataObtained{Resource: r.ID, Grant: grant,
		Records: int64(20 + g.r.IntN(2000)), Channel: domain.ChannelOnline})
	for range uses {
		last = g.add(last, g.wd(g.tl.Events[last].At, 1+g.r.IntN(5)), applicant, "", events.ShareDataUsedV1, &events.ShareDataUsed{Resource: r.ID, Grant: grant,
			Purpose: purpose, Records: int64(1 + g.r.IntN(300))})
	}
	return app, last
}

// shares: D5 (Art. 25): answered on time, late (F9), refused, never (F9); a use outside
// the purpose granted (F10); offline sharing with its reason; a verification request on
// data not shared (Art. 25 para 2).
func (g *gen) shares() {
	g.shareFlow(resource("aba-public-security.household-registration"), "aba-civil-affairs", g.at(0.25), 3, 2)

	t := g.at(0.30)
	late := deadline("D5", t) + 5
	app, _ := g.shareFlow(resource("aba-health-commission.vaccination-records"), "maerkang-city", t, late, 1)
	g.violate(app+1, "F9", fmt.Sprintf("conditional share application answered after %d working days (D5: %d)", late, deadline("D5", t)))

	ins := resource("aba-hr-social-security.social-insurance")
	id := g.id("shr")
	a := g.add(-1, g.at(0.40), "wenchuan-county", "", events.ShareApplicationSubmittedV1, &events.ShareApplicationSubmitted{Application: id, Resource: ins.ID,
		Provider: ins.Holder, Purposes: []string{"就业援助"}, Duty: "就业困难人员认定"})
	g.add(a, g.wd(g.tl.Events[a].At, 2), ins.Holder, head(ins.Holder), events.ShareRefusedV1, &events.ShareRefused{Application: id,
		Reason: "申请用途与所需数据项不符，可改为核验比对方式 (use verification instead)"})

	hf := resource("aba-housing-fund.deposit-records")
	id = g.id("shr")
	n := g.add(-1, g.at(0.85), "jiuzhaigou-county", "", events.ShareApplicationSubmittedV1, &events.ShareApplicationSubmitted{Application: id, Resource: hf.ID,
		Provider: hf.Holder, Purposes: hf.Purposes, Duty: "高层次人才安居补贴审核"})
	g.violate(n, "F9", "conditional share application never answered (D5)")

	_, u := g.shareFlow(resource("aba-power-supply.residential-electricity"), "aba-civil-affairs", g.at(0.45), 2, 1)
	mis := g.add(u, g.wd(g.tl.Events[u].At, 3), "aba-civil-affairs", "", events.ShareDataUsedV1, &events.ShareDataUsed{Resource: "aba-power-supply.residential-electricity",
		Grant: g.tl.Events[u].Payload.(*events.ShareDataUsed).Grant, Purpose: "商业营销合作分析 (commercial marketing)", Records: 5200})
	g.violate(mis, "F10", "shared data used for a purpose other than the ones granted")

	g.add(-1, g.at(0.48), "ruoergai-county", "", events.ShareDataObtainedV1, &events.ShareDataObtained{Resource: "aba-stats-bureau.county-economy", Records: 13,
		Channel: domain.ChannelOffline, OfflineReason: "县乡网络中断，经审核以加密光盘交换 (network outage)"})

	tax := resource("aba-tax-bureau.taxpayer-registration")
	rq := g.id("vrf")
	v := g.add(-1, g.at(0.42), "aba-civil-affairs", "", events.ShareVerificationRequestedV1, &events.ShareVerificationRequested{Request: rq, Resource: tax.ID,
		Provider: tax.Holder, Purpose: "低保对象家庭经营收入核验"})
	g.add(v, g.wd(g.tl.Events[v].At, 2), tax.Holder, "", events.ShareVerificationAnsweredV1, &events.ShareVerificationAnswered{Request: rq,
		Result: "核验 126 户，其中 3 户存在登记经营收入 (3 of 126 households have registered business income)"})

	// An inconsistency between two institutions' household data (Art. 26), confirmed (F8).
	c := g.id("inc")
	r := g.add(-1, g.at(0.52), "aba-civil-affairs", "", events.DataInconsistencyReportedV1, &events.InconsistencyReported{Case: c, Resource: "aba-public-security.household-registration",
		Provider: "aba-public-security", OtherResource: "aba-civil-affairs.household-members", Description: "同一户籍家庭人口数相差 2 人，共 37 户"})
	x := g.add(r, g.wd(g.tl.Events[r].At, 5), Authority, head(Authority), events.DataInconsistencyResolvedV1, &events.InconsistencyResolved{Case: c, Confirmed: true,
		Resolution: "以公安户籍数据为准，公安部门更正 37 户迁移记录", DecidedBy: Authority})
	g.violate(x, "F8", "a confirmed inconsistency in data provided by the police")
}

// corrections: D3/D4 (Art. 20): on time, extended, late; through the authority, forwarded
// on time and late (F7).
func (g *gen) corrections() {
	for i, c := range []struct {
		inst, res   string
		via         bool // received by the authority and forwarded
		forward     int
		extend      bool
		done        int
		late        bool
		description string
	}{
		{"aba-public-security", "aba-public-security.household-registration", false, 0, false, 3, false, "户籍地址门牌号有误"},
		{"aba-hr-social-security", "aba-hr-social-security.social-insurance", false, 0, true, 8, false, "参保险种登记错误，需调取历史档案"},
		{"aba-hr-social-security", "aba-hr-social-security.social-insurance", false, 0, false, 11, true, "参保状态应为在职"},
		{"aba-health-commission", "aba-health-commission.vaccination-records", true, 1, false, 4, false, "接种剂次记录重复"},
		{"aba-civil-affairs", "aba-civil-affairs.subsistence-allowance", true, 5, false, 7, true, "家庭人口数登记有误"},
	} {
		req := g.id("cor")
		recorder := c.inst
		if c.via {
			recorder = Authority
		}
		party := Parties[3+i%3]
		q := g.add(-1, g.at(0.30+0.08*float64(i)), recorder, "", events.CorrectionRequestedV1, &events.CorrectionRequested{Request: req, Resource: c.res, Party: party,
			Description: c.description})
		last := q
		if c.via {
			last = g.add(q, g.wd(g.tl.Events[q].At, c.forward), Authority, "", events.CorrectionForwardedV1, &events.CorrectionForwarded{Request: req, Institution: c.inst})
			if c.forward > deadline("D4", g.tl.Events[q].At) {
				g.violate(last, "F7", fmt.Sprintf("correction request forwarded after %d working days (D4: %d)", c.forward, deadline("D4", g.tl.Events[q].At)))
			}
		}
		start := g.tl.Events[last].At
		if c.extend {
			last = g.add(last, g.wd(start, 3), c.inst, head(c.inst), events.CorrectionExtendedV1, &events.CorrectionExtended{Request: req, ApprovedBy: head(c.inst),
				Reason: "情况复杂，需调取纸质档案核对"})
		}
		done := g.add(last, g.wd(start, c.done), c.inst, "", events.CorrectionCompletedV1, &events.CorrectionCompleted{Request: req, Outcome: domain.OutcomeGranted,
			Result: "已核实并更正：" + c.description, Notified: true})
		if c.late {
			g.violate(done, "F7", fmt.Sprintf("correction finished %d working days after it reached the institution (D3: %d)", c.done, deadline("D3", start)))
		}
		if i == 0 {
			a, apv := g.approve(done, g.tl.Events[done].At.Add(10*time.Minute), c.inst, c.res, "校核更正 (correction)", domain.ActModify)
			g.add(a, g.tl.Events[a].At.Add(20*time.Minute), c.inst, "", events.DataModifiedV1, &events.DataModified{Supervised: events.Supervised{Resource: c.res,
				Records: 1, Approval: apv, Reason: "依校核申请更正户籍地址"}})
		}
	}
}

// subjectRequests: D12 (Art. 22): an access request answered on time, a deletion answered
// late after an approved deletion.
func (g *gen) subjectRequests() {
	req := g.id("sub")
	q := g.add(-1, g.at(0.50), "aba-health-commission", "", events.SubjectRequestReceivedV1, &events.SubjectRequestReceived{Request: req, Kind: domain.SubjectAccess,
		Party: Parties[4], Resource: "aba-health-commission.vaccination-records"})
	g.add(q, g.wd(g.tl.Events[q].At, 5), "aba-health-commission", "", events.SubjectRequestAnsweredV1, &events.SubjectRequestAnswered{Request: req,
		Outcome: domain.OutcomeGranted, Measures: "提供本人预防接种记录副本 (copy of own records)"})

	gs := resource("maerkang-city.government-services")
	req = g.id("sub")
	q = g.add(-1, g.at(0.55), gs.Holder, "", events.SubjectRequestReceivedV1, &events.SubjectRequestReceived{Request: req, Kind: domain.SubjectDeletion,
		Party: Parties[5], Resource: gs.ID})
	a, apv := g.approve(q, g.wd(g.tl.Events[q].At, 6), gs.Holder, gs.ID, "数据主体删除请求", domain.ActDelete)
	d := g.add(a, g.wd(g.tl.Events[a].At, 1), gs.Holder, "", events.DataDeletedV1, &events.DataDeleted{Supervised: events.Supervised{Resource: gs.ID, Records: 4,
		Approval: apv, Reason: "申请人撤回办件后要求删除个人信息"}})
	late := deadline("D12", g.tl.Events[q].At) + 4
	x := g.add(d, g.wd(g.tl.Events[q].At, late), gs.Holder, "", events.SubjectRequestAnsweredV1, &events.SubjectRequestAnswered{Request: req,
		Outcome: domain.OutcomeGranted, Measures: "已删除 4 条办件中的个人信息并告知申请人"})
	g.violate(x, "D12", fmt.Sprintf("data-subject request answered after %d working days (D12: %d)", late, deadline("D12", g.tl.Events[q].At)))
}

// supervised: copying and export with approvals, an export (F12) and a modification
// (F11) without, sealing and destruction outside an emergency, quality checks, a refused
// aggregation (F6).
func (g *gen) supervised() {
	vac := resource("aba-health-commission.vaccination-records")
	a, apv := g.approve(-1, g.at(0.22), vac.Holder, vac.ID, "测试环境验证新版接种系统", domain.ActCopy)
	g.add(a, g.wd(g.tl.Events[a].At, 1), vac.Holder, "", events.DataCopiedV1, &events.DataCopied{Supervised: events.Supervised{Resource: vac.ID, Records: 500,
		Approval: apv, Reason: "系统升级回归测试 (regression test, desensitised copy)"}, Destination: "sys.immunisation-test"})

	// The everyday acts on a resource (Art. 2, 18, 20), once each so that every demo holds
	// them whatever its routine volume.
	h := events.DataHandled{Resource: vac.ID, Records: 5200, System: vac.System, Purpose: "集中存储与备份 (storage and backup)"}
	g.add(-1, g.at(0.16), vac.Holder, "", events.DataStoredV1, &events.DataStored{DataHandled: h})
	h.Purpose = "统计分析 (statistics)"
	g.add(-1, g.at(0.17), vac.Holder, "", events.DataProcessedV1, &events.DataProcessed{DataHandled: h, Operation: "按县（市）、月份汇总"})
	h.Purpose = "归集至州大数据平台 (to the platform)"
	g.add(-1, g.at(0.18), vac.Holder, "", events.DataTransmittedV1, &events.DataTransmitted{DataHandled: h, To: Platform, Encrypted: true})
	g.add(-1, g.at(0.19), vac.Holder, "", events.DataAggregatedV1, &events.DataAggregated{Resource: vac.ID, Records: 5200, Target: domain.TargetTheme, Database: "theme.health"})
	g.add(-1, g.at(0.20), vac.Holder, "", events.DataQualityCheckedV1, &events.QualityChecked{Resource: vac.ID, ErrorsFound: 4, Corrected: 4})

	sa := resource("aba-civil-affairs.subsistence-allowance")
	x := g.add(-1, g.at(0.65), sa.Holder, "", events.DataExportedV1, &events.DataExported{Supervised: events.Supervised{Resource: sa.ID, Records: 1320,
		Reason: "报送上级部门"}, Destination: "U盘拷贝至省厅", Format: "xlsx"})
	g.violate(x, "F12", "export without the supervising approval")

	gs := resource("maerkang-city.government-services")
	m := g.add(-1, g.at(0.58), gs.Holder, "", events.DataModifiedV1, &events.DataModified{Supervised: events.Supervised{Resource: gs.ID, Records: 12,
		Reason: "批量修改办件状态为已办结"}})
	g.violate(m, "F11", "public data modified without an authorising approval")

	pw := resource("aba-power-supply.residential-electricity")
	g.add(-1, g.at(0.70), pw.Holder, "", events.DataSealedV1, &events.DataSealed{Resource: pw.ID, Records: 185000, Location: "营销系统离线归档库 B-2",
		Reason: "旧营销系统下线，历史数据封存 (legacy system retired)"})
	g.add(-1, g.at(0.72), "aba-stats-bureau", "", events.DataDestroyedV1, &events.DataDestroyed{Resource: "aba-stats-bureau.population-sample-survey", Records: 48210,
		Method: "调查问卷电子底稿三次覆写", Reason: "原始问卷保存期限届满"})

	gg := resource("ruoergai-county.grassland-grazing")
	ref := g.add(-1, g.at(0.46), gg.Holder, "", events.DataAggregationRefusedV1, &events.AggregationRefused{Resource: gg.ID, Reason: "县级系统改造中，暂不归集"})
	g.violate(ref, "F6", "aggregation to the platform refused")
}

// collections: out of the catalog with no emergency (F3) and a biometric re-verification
// of people already verified by ID documents (F5).
func (g *gen) collections() {
	c := g.add(-1, g.at(0.44), "wenchuan-county", "", events.DataCollectedV1, &events.DataCollected{Resource: "wenchuan-county.resident-phones", Records: 2300,
		Purpose: "群众满意度电话回访", LegalBasis: "《汶川县政务服务“好差评”实施方案》", OutOfCatalog: "业务需要临时采集"})
	g.violate(c, "F3", "collection outside the institution's catalog, with no emergency")
	gs := resource("maerkang-city.government-services")
	b := g.add(-1, g.at(0.47), gs.Holder, "", events.DataCollectedV1, &events.DataCollected{Resource: gs.ID, Records: 860, Purpose: "窗口办件身份核验",
		LegalBasis: gs.LegalBasis, Verification: []domain.Verification{domain.VerifyIDDocument, domain.VerifyBiometric}})
	g.violate(b, "F5", "biometric re-verification of persons already verified by ID documents")
}

// projects: Art. 12, 13: one project by the book (reviewed by the prefecture authority),
// one reviewed by the county authority, one approved without a project catalog and
// accepted without its catalog on the platform (F2).
func (g *gen) projects() {
	p := "prj-" + g.year(0.04) + "-smart-clinic"
	d := g.add(-1, g.at(0.04), "aba-health-commission", "", events.ProjectCatalogDraftedV1, &events.ProjectCatalogDrafted{Project: p, Title: "阿坝州智慧诊所平台",
		Resources: []string{"aba-health-commission.vaccination-records", "aba-health-commission.medical-institutions"}})
	r := g.add(d, g.wd(g.tl.Events[d].At, 5), Authority, head(Authority), events.ProjectPreliminaryReviewedV1, &events.ProjectPreliminaryReviewed{Project: p,
		Owner: "aba-health-commission", Passed: true, Opinion: "同意。依托州大数据平台建设，不得新建独立数据中心"})
	a := g.add(r, g.wd(g.tl.Events[r].At, 8), "aba-health-commission", "", events.ProjectApprovedV1, &events.ProjectApproved{Project: p, Approver: "aba-drc",
		ApprovalRef: "阿州发改审批〔" + g.year(0.10) + "〕12号"})
	g.add(a, g.at(0.80), "aba-health-commission", "", events.ProjectAcceptedV1, &events.ProjectAccepted{Project: p, Report: doc("acc-" + g.year(0.80) + "-033"), ReportFiled: true, CatalogOnPlatform: true})

	p = "prj-" + g.year(0.08) + "-mek-onewindow"
	d = g.add(-1, g.at(0.08), "maerkang-city", "", events.ProjectCatalogDraftedV1, &events.ProjectCatalogDrafted{Project: p, Title: "马尔康市“一窗通办”系统",
		Resources: []string{"maerkang-city.government-services"}})
	g.add(d, g.wd(g.tl.Events[d].At, 4), CountyAuthority, head(CountyAuthority), events.ProjectPreliminaryReviewedV1, &events.ProjectPreliminaryReviewed{Project: p,
		Owner: "maerkang-city", Passed: true, Opinion: "同意，数据须同步汇聚至州大数据平台"})

	p = "prj-" + g.year(0.15) + "-wc-rebuild-app"
	a = g.add(-1, g.at(0.15), "wenchuan-county", "", events.ProjectApprovedV1, &events.ProjectApproved{Project: p, Approver: "wenchuan-drc", ApprovalRef: "汶发改〔" + g.year(0.15) + "〕31号"})
	g.violate(a, "F2", "IT project approved without a project data-resource catalog")
	x := g.add(a, g.at(0.75), "wenchuan-county", "", events.ProjectAcceptedV1, &events.ProjectAccepted{Project: p, Report: doc("acc-" + g.year(0.75) + "-051"), ReportFiled: true})
	g.violate(x, "F2", "IT project accepted without its catalog on the platform")
}

// emergencies: Art. 21, D8: a flood handled on time (sealed, destroyed, application shut
// down within the deadline) and an earthquake whose data is destroyed late and whose
// application is never shut down (F13).
func (g *gen) emergencies() {
	em := "aba-emergency-management"
	for k, c := range []struct {
		id, title string
		at        float64
		late      bool
	}{
		{"emg-" + g.year(0.28) + "-flood-01", "九寨沟县强降雨山洪灾害应急响应 (Jiuzhaigou flash flood response)", 0.28, false},
		{"emg-" + g.year(0.56) + "-quake-02", "汶川县4.9级地震应急响应 (Wenchuan M4.9 earthquake response)", 0.56, true},
	} {
		d := g.add(-1, g.at(c.at), em, head(em), events.EmergencyDeclaredV1, &events.EmergencyDeclared{Emergency: c.id, Kind: domain.EmergencyResponse,
			Title: c.title, LegalBasis: "《中华人民共和国突发事件应对法》第三十六条"})
		persons, phones := c.id+".affected-persons", c.id+".volunteer-phones"
		last := d
		for i, in := range []string{"jiuzhaigou-county", "aba-health-commission", "wenchuan-county", "aba-civil-affairs", em} {
			res := persons
			if i == 4 {
				res = phones
			}
			last = g.add(last, g.tl.Events[d].At.Add(time.Duration(6+10*i)*time.Hour), in, "", events.DataCollectedV1, &events.DataCollected{Resource: res,
				Records: int64(50 + g.r.IntN(800)), Purpose: "受灾群众转移安置与医疗救治 (evacuation and treatment)", LegalBasis: "《中华人民共和国突发事件应对法》",
				Emergency: c.id, OutOfCatalog: "突发事件应对紧急采集", Verification: []domain.Verification{domain.VerifyIDDocument}})
		}
		app := "app." + c.id[4:] + "-checkin"
		endAt := g.wd(g.tl.Events[last].At, 8)
		end := g.add(last, endAt, em, head(em), events.EmergencyEndedV1, &events.EmergencyEnded{Emergency: c.id, EndedOn: date(endAt)})
		ended := g.tl.Events[end].At
		d8 := deadline("D8", ended)
		eval, seal, destroy, shut := 2, 5, 7, 6
		if c.late {
			eval, destroy = d8+2, d8+8
		}
		ev := g.add(end, g.wd(ended, eval), em, head(em), events.EmergencyDataEvaluatedV1, &events.EmergencyDataEvaluated{Emergency: c.id, Resource: persons,
			Categories: []domain.Sensitive{domain.SensitivePersonalInfo, domain.SensitivePrivacy}, Disposition: domain.DispositionSeal})
		ev2 := g.add(end, g.wd(ended, eval), em, head(em), events.EmergencyDataEvaluatedV1, &events.EmergencyDataEvaluated{Emergency: c.id, Resource: phones,
			Categories: []domain.Sensitive{domain.SensitivePersonalInfo}, Disposition: domain.DispositionDestroy})
		if !c.late {
			g.add(ev, g.wd(ended, seal), em, "", events.EmergencyDataSealedV1, &events.EmergencyDataSealed{Emergency: c.id, Resource: persons, Records: 1800,
				Location: "州数据局离线封存库 (offline vault)"})
		}
		x := g.add(ev2, g.wd(ended, destroy), em, "", events.EmergencyDataDestroyedV1, &events.EmergencyDataDestroyed{Emergency: c.id, Resource: phones, Records: 220,
			Method: "数据覆写并销毁介质"})
		if c.late {
			g.violate(x, "F13", fmt.Sprintf("emergency data destroyed %d working days after the emergency ended (D8: %d); personal data never sealed; application never shut down", destroy, d8))
			g.violate(-1, "F13", c.id+": application "+app+" never shut down")
			continue
		}
		g.add(ev, g.wd(ended, shut), []string{"jiuzhaigou-county", "wenchuan-county"}[k], "", events.EmergencyApplicationShutDownV1,
			&events.EmergencyApplicationShutDown{Emergency: c.id, Application: app})
	}
}

// outsourcing: Art. 39, D9/D10: a contract by the book and one signed without review or
// confidentiality agreement whose accounts are revoked and data deleted late (F14).
func (g *gen) outsourcing() {
	mk := "maerkang-city"
	ct, prov := "ctr-"+g.year(0.03)+"-007", "sc-xueyu-info"
	r := g.add(-1, g.at(0.03), mk, head(mk), events.OutsourcingSecurityReviewedV1, &events.SecurityReviewed{Contract: ct, Provider: prov, Passed: true, Report: doc("rev-" + ct)})
	s := g.add(r, g.wd(g.tl.Events[r].At, 3), mk, head(mk), events.OutsourcingContractSignedV1, &events.ContractSigned{Contract: ct, Provider: prov,
		Scope: "政务服务平台运行维护 (platform operations)", Systems: []string{"sys.gov-services"}, ConfidentialityAgreement: doc("nda-" + ct), LiabilityDefined: true})
	c := g.add(s, g.wd(g.tl.Events[s].At, 0), mk, head(mk), events.OutsourcingConfidentialityAgreementSignedV1, &events.ConfidentialityAgreementSigned{Contract: ct,
		Provider: prov, Agreement: doc("nda-" + ct), LiabilityDefined: true})
	// Amendments (第三十九条): a renewal widens nothing; a later widening to another system
	// and the city's service data, with more provider staff, comes without a new review or
	// updated confidentiality terms (F14, as a new contract would).
	a1 := g.add(c, g.at(0.12), mk, head(mk), events.OutsourcingContractAmendedV1, &events.ContractAmended{Contract: ct, Provider: prov, Amendment: ct + "-a1",
		TermUntil: date(g.end.AddDate(1, 0, 0)), Renewal: true, Reason: "续签一年 (renewed for a year)"})
	a2 := g.add(a1, g.at(0.22), mk, head(mk), events.OutsourcingContractAmendedV1, &events.ContractAmended{Contract: ct, Provider: prov, Amendment: ct + "-a2",
		Systems: []string{"sys.gov-services", "sys.gov-services-mobile"}, Data: []string{"maerkang-city.government-services"}, ProviderStaff: 5,
		Reason: "运维范围扩大至移动端并可访问政务服务数据 (scope widened to the mobile system and service data)"})
	g.violate(a2, "F14", "contract amended to widen systems and data without a new security review or updated confidentiality terms")
	t := g.add(a2, g.at(0.50), mk, head(mk), events.OutsourcingContractTerminatedV1, &events.ContractTerminated{Contract: ct, Provider: prov, Reason: domain.EndTerminated})
	g.tl.Events[t].Payload.(*events.ContractTerminated).EndedOn = date(g.tl.Events[t].At)
	ar := g.add(t, g.wd(g.tl.Events[t].At, deadline("D9", g.tl.Events[t].At)), mk, sec(mk), events.OutsourcingAccountsRevokedV1, &events.AccountsRevoked{Contract: ct,
		Action: domain.AccountRevoked, Accounts: 6})
	g.add(ar, g.wd(g.tl.Events[t].At, 6), mk, "", events.OutsourcingProviderDeletionEvidencedV1, &events.ProviderDeletionEvidenced{Contract: ct,
		Method: domain.DeletionOverwrite, Evidence: doc("del-" + ct)})

	hc := "aba-health-commission"
	ct, prov = "ctr-"+g.year(0.10)+"-019", "sc-yunwei-tech"
	s = g.add(-1, g.at(0.10), hc, head(hc), events.OutsourcingContractSignedV1, &events.ContractSigned{Contract: ct, Provider: prov,
		Scope: "预防接种系统开发与运维 (immunisation system development)", Systems: []string{"sys.immunisation"}})
	g.violate(s, "F14", "outsourcing contract signed without a security review or a confidentiality agreement")
	t = g.add(s, g.at(0.60), hc, head(hc), events.OutsourcingContractTerminatedV1, &events.ContractTerminated{Contract: ct, Provider: prov, Reason: domain.EndRevoked})
	g.tl.Events[t].Payload.(*events.ContractTerminated).EndedOn = date(g.tl.Events[t].At)
	d9, d10 := deadline("D9", g.tl.Events[t].At), deadline("D10", g.tl.Events[t].At)
	ar = g.add(t, g.wd(g.tl.Events[t].At, d9+4), hc, sec(hc), events.OutsourcingAccountsRevokedV1, &events.AccountsRevoked{Contract: ct,
		Action: domain.AccountPasswordReset, Accounts: 11})
	g.violate(ar, "F14", fmt.Sprintf("provider accounts revoked %d working days after the contract ended (D9: %d)", d9+4, d9))
	de := g.add(ar, g.wd(g.tl.Events[t].At, d10+9), hc, "", events.OutsourcingProviderDeletionEvidencedV1, &events.ProviderDeletionEvidenced{Contract: ct,
		Method: domain.DeletionPhysical, Evidence: doc("del-" + ct)})
	g.violate(de, "F14", fmt.Sprintf("provider's deletion evidenced %d working days after the contract ended (D10: %d)", d10+9, d10))
}

// development: Art. 35, 36: a qualification granted with both agreements and used, one
// refused.
func (g *gen) development() {
	app := g.id("dev")
	a := g.add(-1, g.at(0.38), Authority, "", events.DevelopmentQualificationAppliedV1, &events.QualificationApplied{Application: app, Party: Parties[0],
		Purpose: "九寨沟景区客流预测与交通疏导服务", TechnicalCapacity: "隐私计算平台，数据不出域", SecurityManagement: "通过网络安全等级保护三级测评"})
	gr := g.add(a, g.wd(g.tl.Events[a].At, 10), Authority, head(Authority), events.DevelopmentQualificationGrantedV1, &events.QualificationGranted{Application: app,
		Party: Parties[0].Party, SecurityAgreement: doc("dsa-" + app), RevenueAgreement: doc("rev-" + app)})
	g.add(gr, g.wd(g.tl.Events[gr].At, 15), Authority, "", events.DevelopmentDataDevelopedV1, &events.DataDeveloped{Application: app, Resource: "jiuzhaigou-county.tourist-flow",
		Party: Parties[0], Product: "九寨沟客流预测服务 (visitor-flow forecast)", SourceCited: true})

	app = g.id("dev")
	a = g.add(-1, g.at(0.62), Authority, "", events.DevelopmentQualificationAppliedV1, &events.QualificationApplied{Application: app, Party: Parties[2],
		Purpose: "人口数据商业画像", TechnicalCapacity: "云主机", SecurityManagement: "无"})
	g.add(a, g.wd(g.tl.Events[a].At, 8), Authority, head(Authority), events.DevelopmentQualificationRefusedV1, &events.QualificationRefused{Application: app,
		Party: Parties[2].Party, Reason: "安全管理能力不足，用途超出公共利益范围"})
}

// enforcement: Art. 41, 42: a rectification done on time, one not done and escalated
// (F17); a party's access suspended, its attempt refused and recorded (F18), restored.
func (g *gen) enforcement() {
	t := g.at(0.70)
	o := g.add(-1, t, Authority, head(Authority), events.RectificationOrderedV1, &events.RectificationOrdered{Order: "rect-" + g.year(0.70) + "-003", Institution: "aba-civil-affairs",
		Findings: []string{"F12"}, Items: []int{9}, Deadline: date(g.wd(t, 10))})
	g.add(o, g.wd(t, 6), "aba-civil-affairs", head("aba-civil-affairs"), events.RectificationCompletedV1, &events.RectificationCompleted{Order: "rect-" + g.year(0.70) + "-003",
		Measures: "建立数据导出审批流程，补办审批并收回U盘 (export approval procedure established)"})

	t = g.at(0.60)
	o = g.add(-1, t, Authority, head(Authority), events.RectificationOrderedV1, &events.RectificationOrdered{Order: "rect-" + g.year(0.60) + "-004", Institution: "wenchuan-county",
		Findings: []string{"F3", "F2"}, Items: []int{1, 2}, Deadline: date(g.wd(t, 10))})
	x := g.add(o, g.wd(t, 16), Authority, head(Authority), events.RectificationEscalatedV1, &events.RectificationEscalated{Order: "rect-" + g.year(0.60) + "-004", To: "阿坝州纪委监委",
		Reason: "逾期拒不整改 (rectification refused past its deadline)"})
	g.violate(x, "F17", "rectification not done by its deadline; escalated")

	t = g.at(0.66)
	s := g.add(-1, t, Authority, head(Authority), events.AccessSuspendedV1, &events.AccessSuspended{Suspension: "sus-" + g.year(0.66) + "-001", Party: SuspendedParty.Party,
		PartyKind: SuspendedParty.PartyKind, Ground: domain.GroundNoSecurity, Reason: "获取开放数据后未采取安全保障措施，发生数据泄露",
		Correction: "完成网络安全等级保护测评并提交整改报告"})
	tf := resource("jiuzhaigou-county.tourist-flow")
	r := g.add(s, g.wd(t, 1), tf.Holder, "", events.OpeningDataObtainedV1, &events.OpeningDataObtained{Resource: tf.ID, Party: SuspendedParty, Records: 24000})
	g.tl.Events[r].Refused = "access_suspended"
	g.violate(r, "F18", "a suspended party tried to obtain open data; refused and recorded as ledger.access_refused.v1")
	g.add(r, g.wd(t, 12), Authority, head(Authority), events.AccessRestoredV1, &events.AccessRestored{Suspension: "sus-" + g.year(0.66) + "-001", Party: SuspendedParty.Party,
		Reason: "已完成等保测评并提交整改报告 (corrected)"})
}

// duties: Art. 37 for every institution: training, a backup, a drill (one institution
// holds none, F16); an incident and its remedy; a stress test; a change of post.
func (g *gen) duties() {
	for i, in := range Institutions {
		g.add(-1, g.at(0.15+0.01*float64(i)), in.ID, in.Security(), events.SecurityTrainingHeldV1, &events.TrainingHeld{HeldOn: date(g.at(0.15 + 0.01*float64(i))),
			Topic: "数据分类分级与个人信息保护 (data classification and personal information protection)", Participants: int64(10 + g.r.IntN(60))})
		// Disaster backups (Art. 37(7)) throughout, never further apart than the policy allows.
		gap := deadlineParam("backup_max_interval_days", g.start, 30)
		for t := g.start.Add(time.Duration(1+g.r.IntN(max(gap/3, 1))) * 24 * time.Hour); t.Before(g.end); t = t.Add(time.Duration(max(gap-8, 1)+g.r.IntN(max(gap/5, 1))) * 24 * time.Hour) {
			g.add(-1, g.clamp(t), in.ID, in.Security(), events.SecurityBackupCompletedV1, &events.BackupCompleted{System: "sys." + in.ID,
				Location: "阿坝州政务云异地灾备中心（成都）", Verified: true})
		}
		if in.ID != Authority { // the authority stress-tests the platform below
			g.add(-1, g.at(0.30+0.01*float64(i)), in.ID, in.Security(), events.SecurityStressTestedV1, &events.StressTested{System: "sys." + in.ID, Passed: true,
				Result: "峰值并发 500，响应时间 P99 320ms (peak 500 concurrent, P99 320 ms)"})
		}
		if in.ID == "ruoergai-county" {
			g.violate(-1, "F16", "ruoergai-county held no incident-response drill this year")
			continue
		}
		g.add(-1, g.at(0.55+0.01*float64(i)), in.ID, in.Security(), events.SecurityDrillHeldV1, &events.DrillHeld{Plan: "plan-ds-" + g.year(0.55), HeldOn: date(g.at(0.55 + 0.01*float64(i))),
			Scenario: "勒索软件加密业务数据库 (ransomware)", Participants: int64(5 + g.r.IntN(25))})
	}
	hc := "aba-health-commission"
	inc := g.add(-1, g.at(0.36), hc, sec(hc), events.SecurityIncidentReportedV1, &events.IncidentReported{Incident: "inc-sec-" + g.year(0.36) + "-01", Severity: "较大",
		Description: "预约接口越权访问漏洞 (broken access control)", Resources: []string{"aba-health-commission.vaccination-records"},
		DiscoveredAt: g.at(0.36).Add(-2 * time.Hour).In(zone).Format(time.RFC3339)})
	g.add(inc, g.wd(g.tl.Events[inc].At, 1), hc, sec(hc), events.SecurityIncidentRemediatedV1, &events.IncidentRemediated{Incident: "inc-sec-" + g.year(0.36) + "-01",
		Measures: "修复接口鉴权，排查六个月访问日志，通知受影响人员"})
	g.add(-1, g.at(0.40), Authority, sec(Authority), events.SecurityStressTestedV1, &events.StressTested{System: Platform, Passed: true, Result: "峰值 3000 TPS，响应时间 P99 180ms"})
	st := institution("aba-stats-bureau")
	e := g.add(-1, g.at(0.50), st.ID, st.Responsible(), events.PersonPostEndedV1, &events.PostEnded{Person: st.People[2].ID, Post: postDedicatedStaff, Reason: "岗位调整 (reassigned)"})
	g.add(e, g.tl.Events[e].At.Add(time.Hour), st.ID, st.Responsible(), events.PersonPostAssignedV1, &events.PostAssigned{Person: st.Security(), Post: postDedicatedStaff,
		Since: date(g.tl.Events[e].At)})
}

// registryChanges: the root key's later acts: an institution's attributes change, and an
// institution's signing key is rotated (from then on it signs with the new key).
func (g *gen) registryChanges() {
	in := institution("maerkang-water")
	at := g.at(0.40)
	g.tl.Events = append(g.tl.Events, Event{ID: g.uuid(at), Type: events.InstitutionUpdatedV1, Stream: "institution/" + in.ID, Institution: Authority,
		Person: head(Authority), At: at, Root: true, Parent: -1, Payload: &events.InstitutionUpdated{InstitutionRegistered: events.InstitutionRegistered{
			Institution: in.ID, NameZH: "马尔康市供排水有限责任公司", NameEN: "Maerkang Water Supply and Drainage Co., Ltd.", Level: in.Level, Kind: in.Kind, County: in.County}}})
	at = g.at(0.50)
	g.tl.Events = append(g.tl.Events, Event{ID: g.uuid(at), Type: TypeKeyRotated, Stream: ledger.RegistryStream, Institution: Authority,
		Person: head(Authority), At: at, Root: true, Parent: -1, Rotates: "aba-health-commission", Barrier: true})
}
