package domain

// The closed sets of the Measures. Each is an Enum over a marker type; the variables are
// the only values (plus the zero "not given").

type levelSpec struct{}

func (levelSpec) enumSpec() enumSpec {
	return enumSpec{"institution level", Art(6), []string{"prefecture", "county"}, []string{"州级", "县（市）级"}}
}

// Level is the tier of government an institution belongs to (Art. 6: prefecture and
// county authorities each govern their own level).
type Level = Enum[levelSpec]

// Levels.
var (
	LevelPrefecture = mk[levelSpec]("prefecture")
	LevelCounty     = mk[levelSpec]("county")
)

type kindSpec struct{}

func (kindSpec) enumSpec() enumSpec {
	return enumSpec{"institution kind", Art(3), []string{"organ", "authorised_organisation", "public_service_operator", "dispatched_agency"},
		[]string{"行政机关", "法律法规授权组织", "公共服务运营单位", "国家派驻管理机构"}}
}

// InstitutionKind is what makes a body a public institution (公共机构, Art. 3).
type InstitutionKind = Enum[kindSpec]

// Institution kinds.
var (
	KindOrgan                 = mk[kindSpec]("organ")
	KindAuthorisedOrg         = mk[kindSpec]("authorised_organisation")
	KindPublicServiceOperator = mk[kindSpec]("public_service_operator")
	KindDispatchedAgency      = mk[kindSpec]("dispatched_agency")
)

type postSpec struct{}

func (postSpec) enumSpec() enumSpec {
	return enumSpec{"staff post", Art(37).ItemOf(3), []string{"dedicated_staff", "security_manager", "security_technician"},
		[]string{"专职人员", "数据安全管理人员", "专业技术人员"}}
}

// Post is a designated role a person holds in an institution (Art. 7 dedicated staff,
// Art. 37(3) security management and technical posts). The first responsible person has
// an event of its own.
type Post = Enum[postSpec]

// Posts.
var (
	PostDedicatedStaff     = mk[postSpec]("dedicated_staff")
	PostSecurityManager    = mk[postSpec]("security_manager")
	PostSecurityTechnician = mk[postSpec]("security_technician")
)

type sharingSpec struct{}

func (sharingSpec) enumSpec() enumSpec {
	return enumSpec{"sharing attribute", Art(24), []string{"unconditional", "conditional", "none"}, []string{"无条件共享", "有条件共享", "不予共享"}}
}

// SharingAttribute is a resource's sharing class (Art. 24).
type SharingAttribute = Enum[sharingSpec]

// Sharing attributes.
var (
	SharingUnconditional = mk[sharingSpec]("unconditional")
	SharingConditional   = mk[sharingSpec]("conditional")
	SharingNone          = mk[sharingSpec]("none")
)

type openingSpec struct{}

func (openingSpec) enumSpec() enumSpec {
	return enumSpec{"opening attribute", Art(30), []string{"unconditional", "conditional", "none"}, []string{"无条件开放", "有条件开放", "不予开放"}}
}

// OpeningAttribute is a resource's opening class (Art. 30).
type OpeningAttribute = Enum[openingSpec]

// Opening attributes.
var (
	OpeningUnconditional = mk[openingSpec]("unconditional")
	OpeningConditional   = mk[openingSpec]("conditional")
	OpeningNone          = mk[openingSpec]("none")
)

type methodSpec struct{}

func (methodSpec) enumSpec() enumSpec {
	return enumSpec{"sharing method", Art(14), []string{"api", "dataset", "query_verify", "offline"}, []string{"接口", "库表/文件", "查询核验", "线下"}}
}

// SharingMethod is how a resource is shared (共享方式, Art. 14; offline per Art. 25).
type SharingMethod = Enum[methodSpec]

// Sharing methods.
var (
	MethodAPI         = mk[methodSpec]("api")
	MethodDataset     = mk[methodSpec]("dataset")
	MethodQueryVerify = mk[methodSpec]("query_verify")
	MethodOffline     = mk[methodSpec]("offline")
)

type periodSpec struct{}

func (periodSpec) enumSpec() enumSpec {
	return enumSpec{"update period", Art(14), []string{"real_time", "daily", "weekly", "monthly", "quarterly", "yearly", "on_change"},
		[]string{"实时", "每日", "每周", "每月", "每季度", "每年", "变更时"}}
}

// UpdatePeriod is a resource's update time limit (更新时限, Art. 14), against which
// aggregation is judged (Art. 18).
type UpdatePeriod = Enum[periodSpec]

// Update periods.
var (
	PeriodRealTime  = mk[periodSpec]("real_time")
	PeriodDaily     = mk[periodSpec]("daily")
	PeriodWeekly    = mk[periodSpec]("weekly")
	PeriodMonthly   = mk[periodSpec]("monthly")
	PeriodQuarterly = mk[periodSpec]("quarterly")
	PeriodYearly    = mk[periodSpec]("yearly")
	PeriodOnChange  = mk[periodSpec]("on_change")
)

type triggerSpec struct{}

func (triggerSpec) enumSpec() enumSpec {
	return enumSpec{"catalog update trigger", Art(16), []string{"law_changed", "function_changed", "system_updated", "other"},
		[]string{"法律法规规章依据变化", "行政管理职能变化", "信息系统更新完成", "其他涉及公共数据变化"}}
}

// CatalogTrigger is the situation that obliges a catalog update (Art. 16 items 1–4).
type CatalogTrigger = Enum[triggerSpec]

// Catalog update triggers.
var (
	TriggerLawChanged      = mk[triggerSpec]("law_changed")
	TriggerFunctionChanged = mk[triggerSpec]("function_changed")
	TriggerSystemUpdated   = mk[triggerSpec]("system_updated")
	TriggerOther           = mk[triggerSpec]("other")
)

type partySpec struct{}

func (partySpec) enumSpec() enumSpec {
	return enumSpec{"party kind", Art(42), []string{"natural_person", "legal_person", "unincorporated_organisation"}, []string{"自然人", "法人", "非法人组织"}}
}

// PartyKind is the kind of a data subject, applicant or suspended party (Art. 20, 22, 32,
// 33, 42).
type PartyKind = Enum[partySpec]

// Party kinds.
var (
	PartyNaturalPerson = mk[partySpec]("natural_person")
	PartyLegalPerson   = mk[partySpec]("legal_person")
	PartyUnincorpOrg   = mk[partySpec]("unincorporated_organisation")
)

type subjectReqSpec struct{}

func (subjectReqSpec) enumSpec() enumSpec {
	return enumSpec{"data-subject request kind", Art(22), []string{"access", "copy", "correction", "deletion"}, []string{"查阅", "复制", "更正", "删除"}}
}

// SubjectRequestKind is what a data subject asks for (Art. 22).
type SubjectRequestKind = Enum[subjectReqSpec]

// Data-subject request kinds.
var (
	SubjectAccess     = mk[subjectReqSpec]("access")
	SubjectCopy       = mk[subjectReqSpec]("copy")
	SubjectCorrection = mk[subjectReqSpec]("correction")
	SubjectDeletion   = mk[subjectReqSpec]("deletion")
)

type outcomeSpec struct{}

func (outcomeSpec) enumSpec() enumSpec {
	return enumSpec{"request outcome", Art(20), []string{"granted", "partly_granted", "refused"}, []string{"已办理", "部分办理", "不予办理"}}
}

// Outcome is how a correction or data-subject request ended (Art. 20, 22).
type Outcome = Enum[outcomeSpec]

// Outcomes.
var (
	OutcomeGranted       = mk[outcomeSpec]("granted")
	OutcomePartlyGranted = mk[outcomeSpec]("partly_granted")
	OutcomeRefused       = mk[outcomeSpec]("refused")
)

type withdrawalSpec struct{}

func (withdrawalSpec) enumSpec() enumSpec {
	return enumSpec{"withdrawal outcome", Art(33), []string{"withdrawn", "reopened_after_processing", "no_problem_found"}, []string{"撤回数据", "处理后再开放", "经核实无问题"}}
}

// WithdrawalOutcome is the answer to a withdrawal request on open data (Art. 33).
type WithdrawalOutcome = Enum[withdrawalSpec]

// Withdrawal outcomes.
var (
	WithdrawalWithdrawn = mk[withdrawalSpec]("withdrawn")
	WithdrawalReopened  = mk[withdrawalSpec]("reopened_after_processing")
	WithdrawalNoProblem = mk[withdrawalSpec]("no_problem_found")
)

type endSpec struct{}

func (endSpec) enumSpec() enumSpec {
	return enumSpec{"contract end reason", Art(39), []string{"not_effective", "invalid", "revoked", "terminated"}, []string{"不生效", "无效", "被撤销", "终止"}}
}

// ContractEnd is why an outsourcing contract stopped (Art. 39 para 2).
type ContractEnd = Enum[endSpec]

// Contract end reasons.
var (
	EndNotEffective = mk[endSpec]("not_effective")
	EndInvalid      = mk[endSpec]("invalid")
	EndRevoked      = mk[endSpec]("revoked")
	EndTerminated   = mk[endSpec]("terminated")
)

type accountSpec struct{}

func (accountSpec) enumSpec() enumSpec {
	return enumSpec{"account action", Art(39), []string{"revoked", "password_reset"}, []string{"撤销账号", "重置密码"}}
}

// AccountAction is what was done to a provider's accounts (Art. 39 para 2).
type AccountAction = Enum[accountSpec]

// Account actions.
var (
	AccountRevoked       = mk[accountSpec]("revoked")
	AccountPasswordReset = mk[accountSpec]("password_reset")
)

type deletionSpec struct{}

func (deletionSpec) enumSpec() enumSpec {
	return enumSpec{"deletion method", Art(39), []string{"overwrite", "physical_destruction"}, []string{"数据覆写", "物理销毁"}}
}

// DeletionMethod is an irreversible deletion method (Art. 39 para 2).
type DeletionMethod = Enum[deletionSpec]

// Deletion methods.
var (
	DeletionOverwrite = mk[deletionSpec]("overwrite")
	DeletionPhysical  = mk[deletionSpec]("physical_destruction")
)

type sensitiveSpec struct{}

func (sensitiveSpec) enumSpec() enumSpec {
	return enumSpec{"sensitive category", Art(21), []string{"state_secret", "privacy", "personal_information", "trade_secret", "confidential_business"},
		[]string{"国家秘密", "个人隐私", "个人信息", "商业秘密", "保密商务信息"}}
}

// Sensitive is a category of information that must be sealed or destroyed after an
// emergency (Art. 21) and may not be opened (Art. 30).
type Sensitive = Enum[sensitiveSpec]

// Sensitive categories.
var (
	SensitiveStateSecret  = mk[sensitiveSpec]("state_secret")
	SensitivePrivacy      = mk[sensitiveSpec]("privacy")
	SensitivePersonalInfo = mk[sensitiveSpec]("personal_information")
	SensitiveTradeSecret  = mk[sensitiveSpec]("trade_secret")
	SensitiveConfidential = mk[sensitiveSpec]("confidential_business")
)

type emergencySpec struct{}

func (emergencySpec) enumSpec() enumSpec {
	return enumSpec{"emergency kind", Art(21), []string{"emergency_response", "national_defence_mobilisation"}, []string{"突发事件应对", "国防动员"}}
}

// EmergencyKind is the ground for emergency collection (Art. 21).
type EmergencyKind = Enum[emergencySpec]

// Emergency kinds.
var (
	EmergencyResponse   = mk[emergencySpec]("emergency_response")
	EmergencyMobilising = mk[emergencySpec]("national_defence_mobilisation")
)

type groundSpec struct{}

func (groundSpec) enumSpec() enumSpec {
	return enumSpec{"suspension ground", Art(42), []string{"harmed_interests", "no_security_measures", "platform_rules_violated", "other_serious_violation"},
		[]string{"损害国家利益、社会公共利益和他人合法权益", "未对开放获取的数据采取安全保障措施", "严重违反公共数据平台安全管理要求", "其他严重违反公共数据开放和利用要求"}}
}

// SuspensionGround is the item of Art. 42 that justifies closing a party's access.
type SuspensionGround = Enum[groundSpec]

// Suspension grounds (Art. 42 items 1–4).
var (
	GroundHarmedInterests = mk[groundSpec]("harmed_interests")
	GroundNoSecurity      = mk[groundSpec]("no_security_measures")
	GroundPlatformRules   = mk[groundSpec]("platform_rules_violated")
	GroundOtherSerious    = mk[groundSpec]("other_serious_violation")
)

type actSpec struct{}

func (actSpec) enumSpec() enumSpec {
	return enumSpec{"supervised act", Art(37).ItemOf(5), []string{"copy", "export", "desensitise", "modify", "delete"}, []string{"复制", "导出", "脱敏", "更改", "删除"}}
}

// SupervisedAct is an act that needs a supervising approval (Art. 37(5), 41(8), 41(9)).
type SupervisedAct = Enum[actSpec]

// Supervised acts.
var (
	ActCopy        = mk[actSpec]("copy")
	ActExport      = mk[actSpec]("export")
	ActDesensitise = mk[actSpec]("desensitise")
	ActModify      = mk[actSpec]("modify")
	ActDelete      = mk[actSpec]("delete")
)

type targetSpec struct{}

func (targetSpec) enumSpec() enumSpec {
	return enumSpec{"aggregation target", Art(18), []string{"base_database", "theme_database"}, []string{"基础数据库", "主题数据库"}}
}

// AggregationTarget is where on the platform data is aggregated to (Art. 18, 19).
type AggregationTarget = Enum[targetSpec]

// Aggregation targets.
var (
	TargetBase  = mk[targetSpec]("base_database")
	TargetTheme = mk[targetSpec]("theme_database")
)

type channelSpec struct{}

func (channelSpec) enumSpec() enumSpec {
	return enumSpec{"sharing channel", Art(25), []string{"online", "offline"}, []string{"线上", "线下"}}
}

// Channel is how shared data was obtained: through the platform or, where that is truly
// difficult, offline (Art. 25 para 3).
type Channel = Enum[channelSpec]

// Channels.
var (
	ChannelOnline  = mk[channelSpec]("online")
	ChannelOffline = mk[channelSpec]("offline")
)

type verifySpec struct{}

func (verifySpec) enumSpec() enumSpec {
	return enumSpec{"identity verification", Art(18), []string{"none", "id_document", "biometric", "other"}, []string{"未验证", "有效身份证件", "生物识别", "其他方式"}}
}

// Verification is how a person's identity was verified when data was collected (Art. 18:
// no forced biometric re-verification after an ID document).
type Verification = Enum[verifySpec]

// Verifications.
var (
	VerifyNone       = mk[verifySpec]("none")
	VerifyIDDocument = mk[verifySpec]("id_document")
	VerifyBiometric  = mk[verifySpec]("biometric")
	VerifyOther      = mk[verifySpec]("other")
)

type dispositionSpec struct{}

func (dispositionSpec) enumSpec() enumSpec {
	return enumSpec{"emergency data disposition", Art(21), []string{"seal", "destroy", "retain"}, []string{"封存", "销毁", "保留（不含敏感信息）"}}
}

// Disposition is what an emergency-data evaluation decided (Art. 21 para 2).
type Disposition = Enum[dispositionSpec]

// Dispositions.
var (
	DispositionSeal    = mk[dispositionSpec]("seal")
	DispositionDestroy = mk[dispositionSpec]("destroy")
	DispositionRetain  = mk[dispositionSpec]("retain")
)
