package events

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aba-prefecture/dataledger/domain"
)

// Type describes one event type of the catalogue. Type names are stable: a change to a
// payload that old readers would misread is a new version (.v2), never an edit.
type Type struct {
	Name     string           // e.g. data.collected.v1
	Act      string           // the act of obligations.md it records, e.g. "collection (收集)"
	ZH, EN   string           // what it records, for officials and for the documentation
	Articles []domain.Article // the articles it serves
	// Who lists the parties that may sign it (parties.go); Signer is the key role that
	// follows (ledger.RoleInstitution for acts of institutions, ledger.RoleRoot for the
	// authority's registry of institutions, ledger.RoleLedger for the ledger's own
	// records); Case ties it to the case its payload names; Subject is the template of
	// the subject its personal fields are encrypted under.
	Who     []Who
	Signer  string
	Case    *CaseRule
	Subject string
	// Stream is the stream template: a prefix and a payload field in braces, or {actor}
	// for the acting institution ("resource/{resource}", "security/{actor}").
	Stream string
	// Access marks acts that reach public data: Art. 42 refuses them to a suspended actor
	// or party.
	Access bool
	// Party is the payload field naming an external party (natural or legal person)
	// whose suspension refuses the act, if any.
	Party string
	// Resource is the payload field naming the resource acted on, if any.
	Resource string
	// Authority marks acts only a data authority may do (Art. 14, 20, 35, 41, 42): Who is
	// exactly WhoAuthority.
	Authority bool

	new     func() Payload
	Example Payload
}

// New returns a fresh zero payload of the type, to decode into.
func (t *Type) New() Payload { return t.new() }

// StreamFor derives the stream an event of this type belongs to from its payload and the
// acting institution.
func (t *Type) StreamFor(actor string, p Payload) (string, error) {
	prefix, field, ok := strings.Cut(strings.TrimSuffix(t.Stream, "}"), "/{")
	if !ok {
		return t.Stream, nil
	}
	v := actor
	if field != "actor" {
		v = FieldString(p, field)
	}
	if v == "" {
		return "", fmt.Errorf("%s: no %s to name the stream", t.Name, field)
	}
	return prefix + "/" + v, nil
}

// FieldString returns the string value of the payload's JSON field name (top level,
// through embedded structs), or "".
func FieldString(p any, name string) string {
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	f, ok := findField(v, name)
	if !ok || f.Kind() != reflect.String {
		return ""
	}
	return f.String()
}

func findField(v reflect.Value, name string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && tag == "" {
			if f, ok := findField(v.Field(i), name); ok {
				return f, true
			}
			continue
		}
		if tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

var a = domain.Art

func rc(n int) []domain.Article { return []domain.Article{a(n)} }

// catalogue is every event type, grouped as obligations.md lists the acts.
var catalogue = []*Type{
	// --- registries: institutions and people (Art. 3, 6, 7, 37) ---
	{Name: "institution.registered.v1", Act: "registry: institutions (机构登记)", ZH: "登记公共机构或公共数据主管部门", EN: "a public institution or data authority is entered in the registry",
		Articles: []domain.Article{a(3), a(6)}, Stream: "institution/{institution}",
		new: func() Payload { return new(InstitutionRegistered) }, Example: &InstitutionRegistered{Institution: "aba-health-commission", NameZH: "阿坝州卫生健康委员会", NameEN: "Aba Prefecture Health Commission", Level: domain.LevelPrefecture, Kind: domain.KindOrgan}},
	{Name: "institution.updated.v1", Act: "registry: institutions (机构登记)", ZH: "变更公共机构登记信息", EN: "a registered institution's attributes change",
		Articles: []domain.Article{a(3), a(6)}, Stream: "institution/{institution}",
		new: func() Payload { return new(InstitutionUpdated) }, Example: &InstitutionUpdated{InstitutionRegistered{Institution: "maerkang-water", NameZH: "马尔康市供水公司", Level: domain.LevelCounty, Kind: domain.KindPublicServiceOperator, County: "maerkang"}}},
	{Name: "person.registered.v1", Act: "registry: people (人员登记)", ZH: "登记本单位工作人员", EN: "a person acting for the institution is registered",
		Articles: rc(7), Stream: "institution/{actor}",
		new: func() Payload { return new(PersonRegistered) }, Example: &PersonRegistered{Person: "p-zhang-wei", Name: "张伟", Title: "信息科科长"}},
	{Name: "person.responsible_designated.v1", Act: "registry: first responsible person (第一责任人)", ZH: "明确本单位数据安全第一责任人", EN: "the institution names its first responsible person",
		Articles: []domain.Article{a(7), a(37)}, Stream: "institution/{actor}",
		new: func() Payload { return new(ResponsibleDesignated) }, Example: &ResponsibleDesignated{Person: "p-li-na", Since: "2025-01-02"}},
	{Name: "person.post_assigned.v1", Act: "registry: staff and security posts (专职人员、安全岗位)", ZH: "指定专职人员或数据安全管理岗位人员", EN: "a person is put in a dedicated or security post",
		Articles: []domain.Article{a(7), a(37).ItemOf(3)}, Stream: "institution/{actor}",
		new: func() Payload { return new(PostAssigned) }, Example: &PostAssigned{Person: "p-zhang-wei", Post: domain.PostSecurityManager, Since: "2025-01-02"}},
	{Name: "person.post_ended.v1", Act: "registry: staff and security posts (专职人员、安全岗位)", ZH: "人员离开专职或安全管理岗位", EN: "a person leaves a dedicated or security post",
		Articles: []domain.Article{a(7), a(37).ItemOf(3)}, Stream: "institution/{actor}",
		new: func() Payload { return new(PostEnded) }, Example: &PostEnded{Person: "p-zhang-wei", Post: domain.PostSecurityManager, Reason: "岗位调整"}},

	// --- catalog (Art. 12–17, 24, 30) ---
	{Name: "catalog.entry_registered.v1", Act: "registry: catalog entries (目录编制)", ZH: "编制公共数据资源目录条目", EN: "a data resource is entered in the catalog with every Art. 14 attribute",
		Articles: []domain.Article{a(14), a(15), a(24), a(30)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(CatalogEntryRegistered) }, Example: &CatalogEntryRegistered{exampleEntry()}},
	{Name: "catalog.update_triggered.v1", Act: "catalog update trigger (目录更新情形)", ZH: "发生须更新目录的情形（起算10个工作日）", EN: "a situation arises that obliges a catalog update within 10 working days",
		Articles: rc(16), Stream: "catalog/{actor}",
		new: func() Payload { return new(CatalogUpdateTriggered) }, Example: &CatalogUpdateTriggered{Trigger: domain.TriggerSystemUpdated, AroseOn: "2025-03-03", Description: "预约挂号系统升级完成", Resources: []string{"health.appointments"}}},
	{Name: "catalog.entry_updated.v1", Act: "catalog update (目录更新)", ZH: "更新公共数据资源目录条目", EN: "a catalog entry is updated",
		Articles: rc(16), Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(CatalogEntryUpdated) }, Example: &CatalogEntryUpdated{CatalogEntry: exampleEntry(), Trigger: "0195f3c2-7a00-7000-8000-000000000001", Change: "新增就诊科室字段"}},
	{Name: "catalog.update_reported.v1", Act: "catalog report (目录报送)", ZH: "向主管部门报送更新后的目录及变更依据", EN: "updated entries and their basis are reported to the data authority",
		Articles: rc(16), Stream: "catalog/{actor}",
		new: func() Payload { return new(CatalogUpdateReported) }, Example: &CatalogUpdateReported{Resources: []string{"health.appointments"}, Authority: "aba-data-bureau", Report: &DocumentRef{ID: "ahc-2025-017"}}},
	{Name: "catalog.opening_reclassified.v1", Act: "opening attribute change (开放属性调整)", ZH: "调整开放属性（不予开放须经脱敏或权利人同意）", EN: "a resource's opening attribute changes; none may open only after desensitisation or consent",
		Articles: []domain.Article{a(30), a(30).ParaOf(2)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(OpeningReclassified) }, Example: &OpeningReclassified{Resource: "health.appointments", From: domain.OpeningNone, To: domain.OpeningConditional, Desensitisation: "0195f3c2-7a00-7000-8000-000000000002", Reason: "脱敏后可有条件开放统计数据"}},
	{Name: "catalog.source_designated.v1", Act: "designated source (一数一源)", ZH: "主管部门协调明确重复目录的采集部门", EN: "the authority designates the one collector of data cataloged twice",
		Articles: []domain.Article{a(14).ParaOf(2), a(17)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(SourceDesignated) }, Example: &SourceDesignated{Resource: "population.households", Source: "aba-public-security", Duplicates: []string{"civil.households"}, Description: "户籍人口数据以公安部门为唯一采集来源"}},

	// --- IT projects (Art. 12, 13) ---
	{Name: "project.catalog_drafted.v1", Act: "registry: IT projects (信息化项目)", ZH: "预编项目数据资源目录", EN: "the project data-resource catalog is compiled before application",
		Articles: []domain.Article{a(12).ParaOf(2)}, Stream: "project/{project}",
		new: func() Payload { return new(ProjectCatalogDrafted) }, Example: &ProjectCatalogDrafted{Project: "prj-2025-smart-clinic", Title: "智慧诊所平台", Resources: []string{"health.appointments"}}},
	{Name: "project.preliminary_reviewed.v1", Act: "registry: IT projects (信息化项目)", ZH: "数据资源主管部门初审政府投资信息化项目", EN: "the data authority's preliminary review of a government-invested project",
		Articles: []domain.Article{a(12).ParaOf(1)}, Stream: "project/{project}",
		new: func() Payload { return new(ProjectPreliminaryReviewed) }, Example: &ProjectPreliminaryReviewed{Project: "prj-2025-smart-clinic", Owner: "aba-health-commission", Passed: true, Opinion: "同意，依托州大数据平台建设"}},
	{Name: "project.approved.v1", Act: "registry: IT projects (信息化项目)", ZH: "信息化项目审批通过", EN: "an IT project is approved",
		Articles: rc(12), Stream: "project/{project}",
		new: func() Payload { return new(ProjectApproved) }, Example: &ProjectApproved{Project: "prj-2025-smart-clinic", Approver: "aba-drc", ApprovalRef: "阿州发改〔2025〕12号"}},
	{Name: "project.accepted.v1", Act: "registry: IT projects (信息化项目)", ZH: "信息化项目竣工验收", EN: "an IT project passes completion acceptance",
		Articles: rc(13), Stream: "project/{project}",
		new: func() Payload { return new(ProjectAccepted) }, Example: &ProjectAccepted{Project: "prj-2025-smart-clinic", Report: &DocumentRef{ID: "acc-2025-033"}, ReportFiled: true, CatalogOnPlatform: true}},

	// --- handling data (Art. 2, 17, 18, 20, 26, 37) ---
	{Name: "data.collected.v1", Act: "collection (收集)", ZH: "采集公共数据", EN: "public data is collected",
		Articles: []domain.Article{a(17), a(18)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataCollected) }, Example: &DataCollected{Resource: "health.appointments", Records: 1200, Purpose: "门诊预约", LegalBasis: "医疗机构管理条例", Verification: []domain.Verification{domain.VerifyIDDocument}}},
	{Name: "data.aggregated.v1", Act: "aggregation (归集)", ZH: "将公共数据归集到阿坝州大数据平台", EN: "data is aggregated to the platform's base or theme database",
		Articles: []domain.Article{a(18), a(19)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataAggregated) }, Example: &DataAggregated{Resource: "health.appointments", Records: 1200, Target: domain.TargetTheme, Database: "theme.health"}},
	{Name: "data.aggregation_refused.v1", Act: "aggregation (归集)", ZH: "拒绝归集公共数据", EN: "an institution refuses to aggregate data",
		Articles: []domain.Article{a(18), a(41).ItemOf(3)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(AggregationRefused) }, Example: &AggregationRefused{Resource: "health.appointments", Reason: "系统改造中"}},
	{Name: "data.stored.v1", Act: "storage (存储)", ZH: "存储公共数据", EN: "data is stored",
		Articles: []domain.Article{a(2), a(18)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataStored) }, Example: &DataStored{DataHandled{Resource: "health.appointments", Records: 1200, System: "sys.clinic", Purpose: "集中存储"}}},
	{Name: "data.processed.v1", Act: "processing (加工)", ZH: "加工公共数据", EN: "data is processed",
		Articles: rc(2), Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataProcessed) }, Example: &DataProcessed{DataHandled: DataHandled{Resource: "health.appointments", Records: 1200, System: "sys.clinic", Purpose: "月度统计"}, Operation: "按科室汇总"}},
	{Name: "data.transmitted.v1", Act: "transmission (传输)", ZH: "传输公共数据", EN: "data is transmitted",
		Articles: []domain.Article{a(2), a(37).ItemOf(1)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataTransmitted) }, Example: &DataTransmitted{DataHandled: DataHandled{Resource: "health.appointments", Records: 1200, System: "sys.clinic", Purpose: "归集"}, To: "aba-bigdata-platform", Encrypted: true}},
	{Name: "data.copied.v1", Act: "copying (复制)", ZH: "复制公共数据", EN: "data is copied",
		Articles: []domain.Article{a(37).ItemOf(5), a(41).ItemOf(9)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataCopied) }, Example: &DataCopied{Supervised: Supervised{Resource: "health.appointments", Records: 50, Approval: "apv-2025-004", Reason: "测试环境"}, Destination: "sys.clinic-test"}},
	{Name: "data.exported.v1", Act: "export (导出)", ZH: "导出公共数据", EN: "data is exported",
		Articles: []domain.Article{a(37).ItemOf(5), a(41).ItemOf(9)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataExported) }, Example: &DataExported{Supervised: Supervised{Resource: "health.appointments", Records: 300, Approval: "apv-2025-005", Reason: "上报省卫健委"}, Destination: "四川省卫生健康委员会", Format: "csv"}},
	{Name: "data.desensitised.v1", Act: "desensitisation (脱敏)", ZH: "对公共数据进行脱敏处理", EN: "data is desensitised",
		Articles: []domain.Article{a(37).ItemOf(5), a(30).ParaOf(2)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataDesensitised) }, Example: &DataDesensitised{Supervised: Supervised{Resource: "health.appointments", Records: 1200, Approval: "apv-2025-006", Reason: "开放前脱敏"}, Method: "去标识化并按县汇总", Output: "health.appointments-stats"}},
	{Name: "data.modified.v1", Act: "modification (更改)", ZH: "更改公共数据", EN: "data is modified",
		Articles: []domain.Article{a(41).ItemOf(8), a(20)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataModified) }, Example: &DataModified{Supervised{Resource: "health.appointments", Records: 3, Approval: "apv-2025-007", Reason: "校核更正"}}},
	{Name: "data.deleted.v1", Act: "deletion (删除)", ZH: "删除公共数据", EN: "data is deleted",
		Articles: []domain.Article{a(41).ItemOf(8), a(22)}, Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(DataDeleted) }, Example: &DataDeleted{Supervised{Resource: "health.appointments", Records: 1, Approval: "apv-2025-008", Reason: "数据主体删除请求"}}},
	{Name: "data.sealed.v1", Act: "sealing (封存)", ZH: "封存公共数据", EN: "data is sealed",
		Articles: []domain.Article{a(9), a(21)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(DataSealed) }, Example: &DataSealed{Resource: "health.appointments", Records: 1200, Location: "离线介质柜 A-3", Reason: "系统下线"}},
	{Name: "data.destroyed.v1", Act: "destruction (销毁)", ZH: "销毁公共数据", EN: "data is destroyed",
		Articles: []domain.Article{a(9), a(21), a(22)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(DataDestroyed) }, Example: &DataDestroyed{Resource: "health.appointments", Records: 1200, Method: "数据覆写", Reason: "保存期限届满"}},
	{Name: "data.quality_checked.v1", Act: "quality check (质量检查)", ZH: "开展公共数据质量检查", EN: "a periodic data quality check is done",
		Articles: []domain.Article{a(20).ParaOf(1)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(QualityChecked) }, Example: &QualityChecked{Resource: "health.appointments", ErrorsFound: 4, Corrected: 4}},
	{Name: "data.inconsistency_reported.v1", Act: "inconsistency (数据不一致)", ZH: "报告不同机构提供的同类数据不一致或无法使用", EN: "data of one category is reported inconsistent between institutions, or unusable",
		Articles: []domain.Article{a(26), a(41).ItemOf(5)}, Stream: "inconsistency/{case}",
		new: func() Payload { return new(InconsistencyReported) }, Example: &InconsistencyReported{Case: "inc-2025-002", Resource: "population.households", Provider: "aba-civil-affairs", OtherResource: "civil.households", Description: "户数相差 37 户"}},
	{Name: "data.inconsistency_resolved.v1", Act: "inconsistency (数据不一致)", ZH: "数据不一致经核实形成一致意见", EN: "an inconsistency case is resolved",
		Articles: rc(26), Stream: "inconsistency/{case}",
		new: func() Payload { return new(InconsistencyResolved) }, Example: &InconsistencyResolved{Case: "inc-2025-002", Confirmed: true, Resolution: "以公安户籍数据为准", DecidedBy: "aba-data-bureau"}},

	// --- sharing (Art. 23–27) ---
	{Name: "share.application_submitted.v1", Act: "sharing (共享): application", ZH: "通过平台提交数据资源共享申请", EN: "an institution applies through the platform to use another's resource",
		Articles: []domain.Article{a(25), a(27)}, Stream: "share/{application}", Access: true, Resource: "resource",
		new: func() Payload { return new(ShareApplicationSubmitted) }, Example: &ShareApplicationSubmitted{Application: "shr-2025-0101", Resource: "population.households", Provider: "aba-public-security", Purposes: []string{"医保参保核验"}, Duty: "基本医疗保障"}},
	{Name: "share.granted.v1", Act: "sharing (共享): grant", ZH: "数据提供单位同意共享并明确用途", EN: "the provider grants the application for stated purposes",
		Articles: []domain.Article{a(25), a(27)}, Stream: "share/{application}",
		new: func() Payload { return new(ShareGranted) }, Example: &ShareGranted{Application: "shr-2025-0101", Grant: "grt-2025-0101", Purposes: []string{"医保参保核验"}, Conditions: "仅限核验接口", ValidUntil: "2026-06-30"}},
	{Name: "share.refused.v1", Act: "sharing (共享): refusal", ZH: "数据提供单位答复不予共享", EN: "the provider refuses the application, with its reason",
		Articles: rc(25), Stream: "share/{application}",
		new: func() Payload { return new(ShareRefused) }, Example: &ShareRefused{Application: "shr-2025-0102", Reason: "不符合共享条件，可提出核实比对需求"}},
	{Name: "share.data_obtained.v1", Act: "sharing (共享): obtaining", ZH: "获取共享数据", EN: "an institution obtains shared data",
		Articles: rc(25), Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(ShareDataObtained) }, Example: &ShareDataObtained{Resource: "population.households", Grant: "grt-2025-0101", Records: 800, Channel: domain.ChannelOnline}},
	{Name: "share.data_used.v1", Act: "sharing (共享): use", ZH: "使用共享数据并注明用途", EN: "shared data is used, for a stated purpose",
		Articles: rc(27), Stream: "resource/{resource}", Access: true, Resource: "resource",
		new: func() Payload { return new(ShareDataUsed) }, Example: &ShareDataUsed{Resource: "population.households", Grant: "grt-2025-0101", Purpose: "医保参保核验", Records: 800}},
	{Name: "share.verification_requested.v1", Act: "sharing (共享): verification", ZH: "对不予共享数据提出核实、比对需求", EN: "an institution asks a provider to verify or compare data it does not share",
		Articles: []domain.Article{a(25).ParaOf(2)}, Stream: "verification/{request}", Access: true, Resource: "resource",
		new: func() Payload { return new(ShareVerificationRequested) }, Example: &ShareVerificationRequested{Request: "vrf-2025-0009", Resource: "tax.records", Provider: "aba-tax-bureau", Purpose: "低保资格核验"}},
	{Name: "share.verification_answered.v1", Act: "sharing (共享): verification", ZH: "数据提供单位配合核实、比对", EN: "the provider answers a verification request",
		Articles: []domain.Article{a(25).ParaOf(2)}, Stream: "verification/{request}",
		new: func() Payload { return new(ShareVerificationAnswered) }, Example: &ShareVerificationAnswered{Request: "vrf-2025-0009", Result: "核验一致"}},

	// --- opening (Art. 28–33) ---
	{Name: "opening.published.v1", Act: "opening (开放)", ZH: "通过平台开放专区向社会开放数据", EN: "data is opened to society through the platform's zone",
		Articles: []domain.Article{a(31), a(30)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(OpeningPublished) }, Example: &OpeningPublished{Resource: "health.appointments-stats", Attribute: domain.OpeningUnconditional, Zone: domain.LevelPrefecture, Dataset: "ds-health-2025"}},
	{Name: "opening.application_submitted.v1", Act: "opening (开放): application", ZH: "申请获取有条件开放数据", EN: "a party applies for conditionally open data",
		Articles: rc(32), Stream: "opening/{application}", Access: true, Party: "party", Resource: "resource",
		new: func() Payload { return new(OpeningApplicationSubmitted) }, Example: &OpeningApplicationSubmitted{Application: "opn-2025-0031", Resource: "health.appointments-stats", Party: Party{Party: "org-9151320073", PartyKind: domain.PartyLegalPerson}, Purpose: "医疗资源布局研究"}},
	{Name: "opening.granted.v1", Act: "opening (开放): grant", ZH: "审核同意开放并签署安全承诺书、开放利用协议", EN: "an application is granted with a security commitment and a use agreement",
		Articles: rc(32), Stream: "opening/{application}", Access: true, Party: "party",
		new: func() Payload { return new(OpeningGranted) }, Example: &OpeningGranted{Application: "opn-2025-0031", Party: "org-9151320073", SecurityCommitment: &DocumentRef{ID: "sc-2025-0031"}, UseAgreement: &DocumentRef{ID: "ua-2025-0031"}}},
	{Name: "opening.refused.v1", Act: "opening (开放): refusal", ZH: "审核不同意开放", EN: "an application is refused",
		Articles: rc(32), Stream: "opening/{application}",
		new: func() Payload { return new(OpeningRefused) }, Example: &OpeningRefused{Application: "opn-2025-0032", Party: "org-9151320099", Reason: "安全保障能力不足"}},
	{Name: "opening.data_obtained.v1", Act: "opening (开放): obtaining", ZH: "社会主体通过平台获取开放数据", EN: "a party obtains open data through the platform",
		Articles: rc(32), Stream: "resource/{resource}", Access: true, Party: "party", Resource: "resource",
		new: func() Payload { return new(OpeningDataObtained) }, Example: &OpeningDataObtained{Resource: "health.appointments-stats", Party: Party{Party: "org-9151320073", PartyKind: domain.PartyLegalPerson}, Application: "opn-2025-0031", Records: 5000}},
	{Name: "opening.withdrawal_requested.v1", Act: "withdrawal request (撤回要求)", ZH: "当事人要求撤回侵犯其合法权益的开放数据", EN: "a party asks that open data infringing its rights be withdrawn",
		Articles: rc(33), Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(WithdrawalRequested) }, Example: &WithdrawalRequested{Request: "wdr-2025-0004", Resource: "health.appointments-stats", Party: Party{Party: "np-5f2c", PartyKind: domain.PartyNaturalPerson}, Grounds: "小样本县可识别个人"}},
	{Name: "opening.withdrawal_answered.v1", Act: "withdrawal request (撤回要求)", ZH: "核实撤回要求并告知处理结果", EN: "a withdrawal request is verified and answered",
		Articles: rc(33), Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(WithdrawalAnswered) }, Example: &WithdrawalAnswered{Request: "wdr-2025-0004", Resource: "health.appointments-stats", Outcome: domain.WithdrawalReopened, Notified: true}},
	{Name: "opening.suspended.v1", Act: "opening suspension (中止开放)", ZH: "中止开放", EN: "opening of a resource is suspended",
		Articles: rc(33), Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(OpeningSuspended) }, Example: &OpeningSuspended{Resource: "health.appointments-stats", Cause: "wdr-2025-0004", Reason: "核实期间中止开放"}},
	{Name: "opening.resumed.v1", Act: "opening suspension (中止开放)", ZH: "消除问题或风险后恢复开放", EN: "opening resumes once the problem or risk is removed",
		Articles: rc(33), Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(OpeningResumed) }, Example: &OpeningResumed{Resource: "health.appointments-stats", Reason: "合并小样本县后重新开放"}},
	{Name: "opening.risk_found.v1", Act: "opening risk (开放安全风险)", ZH: "日常监管中发现开放数据存在安全风险", EN: "a security risk is found in open data",
		Articles: []domain.Article{a(33).ParaOf(3)}, Stream: "resource/{resource}", Resource: "resource",
		new: func() Payload { return new(OpeningRiskFound) }, Example: &OpeningRiskFound{Risk: "rsk-2025-0002", Resource: "health.appointments-stats", Detail: "接口未限流"}},

	// --- development (Art. 35, 36) ---
	{Name: "development.qualification_applied.v1", Act: "development (开发): qualification", ZH: "申请公共数据开发资格", EN: "an organisation applies for a development qualification",
		Articles: rc(35), Stream: "development/{application}", Access: true, Party: "party",
		new: func() Payload { return new(QualificationApplied) }, Example: &QualificationApplied{Application: "dev-2025-0003", Party: Party{Party: "org-9151320073", PartyKind: domain.PartyLegalPerson}, Purpose: "文旅客流预测", TechnicalCapacity: "隐私计算平台", SecurityManagement: "等保三级"}},
	{Name: "development.qualification_granted.v1", Act: "development (开发): qualification", ZH: "赋予公共数据要素开发资格并签订协议", EN: "the authority confers the qualification with security and revenue agreements",
		Articles: rc(35), Stream: "development/{application}", Access: true, Party: "party",
		new: func() Payload { return new(QualificationGranted) }, Example: &QualificationGranted{Application: "dev-2025-0003", Party: "org-9151320073", SecurityAgreement: &DocumentRef{ID: "dsa-2025-0003"}, RevenueAgreement: &DocumentRef{ID: "rev-2025-0003"}}},
	{Name: "development.qualification_refused.v1", Act: "development (开发): qualification", ZH: "评估后不予赋予开发资格", EN: "the authority refuses a development qualification",
		Articles: rc(35), Stream: "development/{application}",
		new: func() Payload { return new(QualificationRefused) }, Example: &QualificationRefused{Application: "dev-2025-0004", Party: "org-9151320099", Reason: "处理能力不足"}},
	{Name: "development.data_developed.v1", Act: "development (开发)", ZH: "依资格开发利用公共数据", EN: "public data is developed under a qualification",
		Articles: []domain.Article{a(35), a(36)}, Stream: "development/{application}", Access: true, Party: "party", Resource: "resource",
		new: func() Payload { return new(DataDeveloped) }, Example: &DataDeveloped{Application: "dev-2025-0003", Resource: "tourism.flows", Party: Party{Party: "org-9151320073", PartyKind: domain.PartyLegalPerson}, Product: "九寨沟客流预测服务", SourceCited: true}},

	// --- emergencies (Art. 21) ---
	{Name: "emergency.declared.v1", Act: "registry: emergencies (紧急情况)", ZH: "发生紧急情况，启动应急数据收集", EN: "an emergency is declared, opening urgent collection",
		Articles: []domain.Article{a(21), a(17).ParaOf(3)}, Stream: "emergency/{emergency}",
		new: func() Payload { return new(EmergencyDeclared) }, Example: &EmergencyDeclared{Emergency: "emg-2025-quake-01", Kind: domain.EmergencyResponse, Title: "2025年地震应急响应", LegalBasis: "突发事件应对法"}},
	{Name: "emergency.ended.v1", Act: "registry: emergencies (紧急情况)", ZH: "突发事件应对结束", EN: "the emergency response ends",
		Articles: []domain.Article{a(21).ParaOf(2)}, Stream: "emergency/{emergency}",
		new: func() Payload { return new(EmergencyEnded) }, Example: &EmergencyEnded{Emergency: "emg-2025-quake-01", EndedOn: "2025-05-20"}},
	{Name: "emergency.data_evaluated.v1", Act: "sealing/destruction (封存、销毁): evaluation", ZH: "对应急数据进行分类评估", EN: "emergency data is evaluated by category",
		Articles: []domain.Article{a(21).ParaOf(2)}, Stream: "emergency/{emergency}", Resource: "resource",
		new: func() Payload { return new(EmergencyDataEvaluated) }, Example: &EmergencyDataEvaluated{Emergency: "emg-2025-quake-01", Resource: "emergency.shelter-residents", Categories: []domain.Sensitive{domain.SensitivePersonalInfo}, Disposition: domain.DispositionSeal}},
	{Name: "emergency.data_sealed.v1", Act: "sealing (封存)", ZH: "封存应急数据", EN: "emergency data is sealed",
		Articles: []domain.Article{a(21).ParaOf(2)}, Stream: "emergency/{emergency}", Resource: "resource",
		new: func() Payload { return new(EmergencyDataSealed) }, Example: &EmergencyDataSealed{Emergency: "emg-2025-quake-01", Resource: "emergency.shelter-residents", Records: 3400, Location: "州数据局离线库"}},
	{Name: "emergency.data_destroyed.v1", Act: "destruction (销毁)", ZH: "销毁应急数据", EN: "emergency data is destroyed",
		Articles: []domain.Article{a(21).ParaOf(2)}, Stream: "emergency/{emergency}", Resource: "resource",
		new: func() Payload { return new(EmergencyDataDestroyed) }, Example: &EmergencyDataDestroyed{Emergency: "emg-2025-quake-01", Resource: "emergency.volunteer-phones", Records: 220, Method: "数据覆写"}},
	{Name: "emergency.application_shut_down.v1", Act: "emergency applications (关停数据应用)", ZH: "关停应急相关数据应用", EN: "an emergency data application is shut down",
		Articles: []domain.Article{a(21).ParaOf(2)}, Stream: "emergency/{emergency}",
		new: func() Payload { return new(EmergencyApplicationShutDown) }, Example: &EmergencyApplicationShutDown{Emergency: "emg-2025-quake-01", Application: "app.shelter-checkin"}},

	// --- outsourcing (Art. 39) ---
	{Name: "outsourcing.security_reviewed.v1", Act: "outsourcing-contract changes: security review (安全审查)", ZH: "对服务提供方进行安全审查", EN: "a service provider is security-reviewed",
		Articles: []domain.Article{a(39).ParaOf(1)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(SecurityReviewed) }, Example: &SecurityReviewed{Contract: "ctr-2025-007", Provider: "sc-cloud-ops", Passed: true, Report: &DocumentRef{ID: "rev-2025-007"}}},
	{Name: "outsourcing.contract_signed.v1", Act: "outsourcing-contract changes: signing (外包协议)", ZH: "签订服务外包协议", EN: "an outsourcing contract is signed",
		Articles: []domain.Article{a(39).ParaOf(1)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(ContractSigned) }, Example: &ContractSigned{Contract: "ctr-2025-007", Provider: "sc-cloud-ops", Scope: "平台运行维护", Systems: []string{"aba-bigdata-platform"}, ConfidentialityAgreement: &DocumentRef{ID: "nda-2025-007"}, LiabilityDefined: true}},
	{Name: "outsourcing.confidentiality_agreement_signed.v1", Act: "outsourcing-contract changes: confidentiality (保密协议)", ZH: "签订服务安全保护及保密协议", EN: "the security and confidentiality agreement is signed",
		Articles: []domain.Article{a(39).ParaOf(1)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(ConfidentialityAgreementSigned) }, Example: &ConfidentialityAgreementSigned{Contract: "ctr-2025-007", Provider: "sc-cloud-ops", Agreement: &DocumentRef{ID: "nda-2025-007"}, LiabilityDefined: true}},
	{Name: "outsourcing.contract_amended.v1", Act: "outsourcing-contract changes: amendment (协议变更)", ZH: "变更服务外包协议（范围、数据、人员、期限、续签）", EN: "an outsourcing contract is amended: scope, data covered, provider staff, term or renewal",
		Articles: []domain.Article{a(39).ParaOf(1)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(ContractAmended) }, Example: &ContractAmended{Contract: "ctr-2025-007", Provider: "sc-cloud-ops", Amendment: "ctr-2025-007-a1",
			Systems: []string{"aba-bigdata-platform", "sys.clinic"}, Data: []string{"health.appointments"}, ProviderStaff: 8, TermUntil: "2026-12-31",
			ConfidentialityAgreement: &DocumentRef{ID: "nda-2025-007-a1"}, Reason: "运维范围扩大至诊所系统"}},
	{Name: "outsourcing.contract_terminated.v1", Act: "outsourcing-contract changes: end (协议终止)", ZH: "服务外包协议不生效、无效、被撤销或终止", EN: "an outsourcing contract ends, is revoked, invalid or never took effect",
		Articles: []domain.Article{a(39).ParaOf(2)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(ContractTerminated) }, Example: &ContractTerminated{Contract: "ctr-2025-007", Provider: "sc-cloud-ops", Reason: domain.EndTerminated, EndedOn: "2025-12-31"}},
	{Name: "outsourcing.accounts_revoked.v1", Act: "account revocation (撤销账号)", ZH: "撤销服务提供方账号或重置密码", EN: "the provider's accounts are revoked or passwords reset",
		Articles: []domain.Article{a(39).ParaOf(2)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(AccountsRevoked) }, Example: &AccountsRevoked{Contract: "ctr-2025-007", Action: domain.AccountRevoked, Accounts: 6}},
	{Name: "outsourcing.provider_deletion_evidenced.v1", Act: "provider deletion (不可逆删除)", ZH: "服务提供方以不可逆方式删除数据并提供证明", EN: "the provider's irreversible deletion is evidenced",
		Articles: []domain.Article{a(39).ParaOf(2)}, Stream: "outsourcing/{contract}",
		new: func() Payload { return new(ProviderDeletionEvidenced) }, Example: &ProviderDeletionEvidenced{Contract: "ctr-2025-007", Method: domain.DeletionOverwrite, Evidence: &DocumentRef{ID: "del-2025-007"}}},

	// --- corrections and data-subject requests (Art. 20, 22) ---
	{Name: "correction.requested.v1", Act: "correction request (校核申请)", ZH: "收到校核申请", EN: "a correction request is received",
		Articles: []domain.Article{a(20).ParaOf(2), a(20).ParaOf(3)}, Stream: "correction/{request}", Resource: "resource",
		new: func() Payload { return new(CorrectionRequested) }, Example: &CorrectionRequested{Request: "cor-2025-0012", Resource: "population.households", Party: Party{Party: "np-81aa", PartyKind: domain.PartyNaturalPerson}, Description: "户籍地址有误"}},
	{Name: "correction.forwarded.v1", Act: "correction request (校核申请)", ZH: "主管部门转交校核申请", EN: "the authority forwards a correction request to the institution",
		Articles: []domain.Article{a(20).ParaOf(3)}, Stream: "correction/{request}",
		new: func() Payload { return new(CorrectionForwarded) }, Example: &CorrectionForwarded{Request: "cor-2025-0012", Institution: "aba-public-security"}},
	{Name: "correction.extended.v1", Act: "correction request (校核申请)", ZH: "经负责人批准延长校核期限", EN: "the head approves extending the correction to 10 working days",
		Articles: []domain.Article{a(20).ParaOf(2)}, Stream: "correction/{request}",
		new: func() Payload { return new(CorrectionExtended) }, Example: &CorrectionExtended{Request: "cor-2025-0012", ApprovedBy: "p-li-na", Reason: "需调取历史档案"}},
	{Name: "correction.completed.v1", Act: "correction request (校核申请)", ZH: "校核完毕并告知当事人", EN: "the correction is finished and the party told",
		Articles: []domain.Article{a(20).ParaOf(2)}, Stream: "correction/{request}",
		new: func() Payload { return new(CorrectionCompleted) }, Example: &CorrectionCompleted{Request: "cor-2025-0012", Outcome: domain.OutcomeGranted, Result: "已更正户籍地址", Notified: true}},
	{Name: "subject_request.received.v1", Act: "data-subject request (查阅、复制、更正、删除)", ZH: "收到数据主体查阅、复制、更正或删除请求", EN: "a data subject's access, copy, correction or deletion request is received",
		Articles: rc(22), Stream: "subject_request/{request}",
		new: func() Payload { return new(SubjectRequestReceived) }, Example: &SubjectRequestReceived{Request: "sub-2025-0040", Kind: domain.SubjectAccess, Party: Party{Party: "np-81aa", PartyKind: domain.PartyNaturalPerson}, Resource: "health.appointments"}},
	{Name: "subject_request.answered.v1", Act: "data-subject request (查阅、复制、更正、删除)", ZH: "答复数据主体请求", EN: "a data-subject request is answered",
		Articles: rc(22), Stream: "subject_request/{request}",
		new: func() Payload { return new(SubjectRequestAnswered) }, Example: &SubjectRequestAnswered{Request: "sub-2025-0040", Outcome: domain.OutcomeGranted, Measures: "提供本人就诊记录副本"}},

	// --- enforcement (Art. 41, 42) ---
	{Name: "rectification.ordered.v1", Act: "rectification order (限期整改)", ZH: "主管部门责令限期整改", EN: "the data authority orders rectification by a deadline",
		Articles: rc(41), Stream: "rectification/{order}",
		new: func() Payload { return new(RectificationOrdered) }, Example: &RectificationOrdered{Order: "rect-2025-003", Institution: "aba-health-commission", Findings: []string{"F12"}, Items: []int{9}, Evidence: []string{"0195f3c2-7a00-7000-8000-000000000003"}, Deadline: "2025-07-15"}},
	{Name: "rectification.completed.v1", Act: "rectification order (限期整改)", ZH: "完成整改", EN: "the institution reports the rectification done",
		Articles: rc(41), Stream: "rectification/{order}",
		new: func() Payload { return new(RectificationCompleted) }, Example: &RectificationCompleted{Order: "rect-2025-003", Measures: "建立导出审批流程并补办审批"}},
	{Name: "rectification.escalated.v1", Act: "rectification order (限期整改)", ZH: "拒不整改或情节严重，移送有权机关", EN: "a refused or serious case is referred to the competent organs",
		Articles: rc(41), Stream: "rectification/{order}",
		new: func() Payload { return new(RectificationEscalated) }, Example: &RectificationEscalated{Order: "rect-2025-003", To: "州纪委监委", Reason: "逾期拒不整改"}},
	{Name: "access.suspended.v1", Act: "access suspension (暂停权限)", ZH: "暂时关闭获取公共数据的权限", EN: "a party's access to public data is suspended",
		Articles: rc(42), Stream: "access/{party}",
		new: func() Payload { return new(AccessSuspended) }, Example: &AccessSuspended{Suspension: "sus-2025-001", Party: "org-9151320099", PartyKind: domain.PartyLegalPerson, Ground: domain.GroundNoSecurity, Reason: "开放数据未采取安全保障措施", Correction: "完成等保测评并提交整改报告"}},
	{Name: "access.restored.v1", Act: "access suspension (暂停权限)", ZH: "改正后恢复获取权限", EN: "a suspended party's access is restored",
		Articles: rc(42), Stream: "access/{party}",
		new: func() Payload { return new(AccessRestored) }, Example: &AccessRestored{Suspension: "sus-2025-001", Party: "org-9151320099", Reason: "已完成整改"}},
	{Name: "ledger.access_refused.v1", Act: "access refusal (拒绝访问)", ZH: "账本拒绝已被暂停权限主体的行为并记录", EN: "the ledger refused an act by a suspended party and records the refusal",
		Articles: rc(42), Stream: "access/{party}",
		new: func() Payload { return new(AccessRefused) }, Example: &AccessRefused{Party: "org-9151320099", Suspension: "sus-2025-001", RefusedID: "0195f3c2-7a00-7000-8000-000000000004", RefusedType: "opening.data_obtained.v1", RefusedSM3: strings.Repeat("ab", 32), ActorInstitution: "aba-health-commission", ActorPerson: "p-zhang-wei"}},

	// --- the record itself (Art. 37(6): 操作留痕) ---
	{Name: "migration.declared.v1", Act: "migration of historical records (历史记录迁移)", ZH: "主管部门声明历史记录迁移（期间、机构、录入时间窗）", EN: "an authority declares a migration of historical records: institutions, claimed period, recording window",
		Articles: []domain.Article{a(37).ItemOf(6)}, Stream: "migration/{migration}",
		new: func() Payload { return new(MigrationDeclared) }, Example: &MigrationDeclared{Migration: "mig-2025-001", Institutions: []string{"aba-health-commission"},
			ClaimedFrom: "2025-01-01", ClaimedUntil: "2025-06-30", WindowFrom: "2025-07-01T00:00:00+08:00", WindowUntil: "2025-07-15T00:00:00+08:00",
			Source: "原预约挂号系统日志", Reason: "原系统停用，历史处理记录补录入账本"}},

	// --- security duties (Art. 37) ---
	{Name: "security.approval_granted.v1", Act: "supervision of copying/export/desensitisation (监督审批)", ZH: "批准复制、导出、脱敏、更改或删除数据", EN: "the supervising approval for copying, export, desensitisation, modification or deletion",
		Articles: []domain.Article{a(37).ItemOf(5), a(41).ItemOf(8), a(41).ItemOf(9)}, Stream: "security/{actor}",
		new: func() Payload { return new(ApprovalGranted) }, Example: &ApprovalGranted{Approval: "apv-2025-005", Resource: "health.appointments", Acts: []domain.SupervisedAct{domain.ActExport}, ApprovedBy: "p-li-na", Purpose: "上报省卫健委", ValidUntil: "2025-06-30"}},
	{Name: "security.training_held.v1", Act: "training (培训)", ZH: "组织数据安全教育和技术培训", EN: "security education and technical training is held",
		Articles: []domain.Article{a(37).ItemOf(4)}, Stream: "security/{actor}",
		new: func() Payload { return new(TrainingHeld) }, Example: &TrainingHeld{HeldOn: "2025-04-10", Topic: "数据分类分级与导出审批", Participants: 42}},
	{Name: "security.backup_completed.v1", Act: "backups (灾备)", ZH: "完成数据灾备", EN: "a disaster-recovery backup is completed",
		Articles: []domain.Article{a(37).ItemOf(7)}, Stream: "security/{actor}",
		new: func() Payload { return new(BackupCompleted) }, Example: &BackupCompleted{System: "sys.clinic", Location: "成都异地灾备中心", Verified: true}},
	{Name: "security.drill_held.v1", Act: "drills (演练)", ZH: "开展数据安全事件应急演练", EN: "an incident-response drill is held",
		Articles: []domain.Article{a(37).ItemOf(8)}, Stream: "security/{actor}",
		new: func() Payload { return new(DrillHeld) }, Example: &DrillHeld{Plan: "plan-ds-2025", HeldOn: "2025-09-12", Scenario: "勒索软件加密数据库", Participants: 18}},
	{Name: "security.incident_reported.v1", Act: "incidents (安全事件)", ZH: "发现数据安全事件、缺陷或漏洞", EN: "a data-security incident, defect or vulnerability is found",
		Articles: []domain.Article{a(37).ItemOf(6), a(37).ItemOf(8)}, Stream: "security/{actor}",
		new: func() Payload { return new(IncidentReported) }, Example: &IncidentReported{Incident: "inc-sec-2025-01", Severity: "较大", Description: "接口越权访问漏洞", Resources: []string{"health.appointments"}, DiscoveredAt: "2025-08-01T09:30:00+08:00"}},
	{Name: "security.incident_remediated.v1", Act: "incidents (安全事件)", ZH: "采取补救措施", EN: "remedial measures are taken",
		Articles: []domain.Article{a(37).ItemOf(6)}, Stream: "security/{actor}",
		new: func() Payload { return new(IncidentRemediated) }, Example: &IncidentRemediated{Incident: "inc-sec-2025-01", Measures: "修复鉴权并排查访问日志"}},
	{Name: "security.stress_tested.v1", Act: "stress tests (压力测试)", ZH: "开展平台（系统）压力测试", EN: "a platform or system stress test is run",
		Articles: []domain.Article{a(37).ItemOf(6)}, Stream: "security/{actor}",
		new: func() Payload { return new(StressTested) }, Example: &StressTested{System: "aba-bigdata-platform", Passed: true, Result: "峰值 3000 TPS 无异常"}},
}

func exampleEntry() CatalogEntry {
	return CatalogEntry{
		Resource: "health.appointments", TitleZH: "门诊预约记录", TitleEN: "Outpatient appointments",
		Classification: "health/medical-service", Responsible: "aba-health-commission", Formats: []string{"json", "csv"},
		Items:             []DataItem{{Name: "科室", Format: "string"}, {Name: "预约日期", Format: "date"}, {Name: "患者身份证号", Format: "string", Sensitive: []domain.Sensitive{domain.SensitivePersonalInfo}}},
		UpdatePeriod:      domain.PeriodDaily,
		Sharing:           Sharing{Attribute: domain.SharingConditional, Method: domain.MethodAPI, Reason: "含个人信息", Conditions: "仅用于医疗保障核验"},
		UsageRequirements: "不得用于授权用途以外的目的", Opening: Opening{Attribute: domain.OpeningNone, Reason: "含个人信息（第三十条）"}, System: "sys.clinic",
	}
}

var byName = func() map[string]*Type {
	if err := attachParties(catalogue); err != nil {
		panic(err)
	}
	m := make(map[string]*Type, len(catalogue))
	for _, t := range catalogue {
		if _, dup := m[t.Name]; dup {
			panic("events: duplicate type " + t.Name)
		}
		m[t.Name] = t
	}
	return m
}()

// Lookup returns the catalogue entry of a type name.
func Lookup(name string) (*Type, bool) { t, ok := byName[name]; return t, ok }

// All returns the catalogue, in documentation order. The slice is a copy; the Types are
// shared and must not be modified.
func All() []*Type { return slices.Clone(catalogue) }

// Names lists every type name, sorted.
func Names() []string {
	out := make([]string, 0, len(catalogue))
	for _, t := range catalogue {
		out = append(out, t.Name)
	}
	slices.Sort(out)
	return out
}

func citeAll(t *Type) string { return domain.Cite(t.Articles...) }
