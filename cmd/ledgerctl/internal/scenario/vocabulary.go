package scenario

// Event types the scenario emits: one table, so that it can be aligned with the domain
// catalogue (package domain) in one place. Stream patterns name the aggregate an event
// belongs to; {x} is filled from the event.
const (
	TypeInstitutionRegistered = "institution.registered.v1"

	TypeCatalogEntryRegistered = "catalog.entry_registered.v1"
	TypeCatalogUpdateTriggered = "catalog.update_triggered.v1"
	TypeCatalogEntryUpdated    = "catalog.entry_updated.v1"
	TypeCatalogUpdateReported  = "catalog.update_reported.v1"

	TypeDataCollected    = "data.collected.v1"
	TypeDataAggregated   = "data.aggregated.v1"
	TypeExportApproved   = "data.export_approved.v1"
	TypeDataExported     = "data.exported.v1"
	TypeDataDesensitised = "data.desensitised.v1"

	TypeShareApplicationSubmitted = "share.application_submitted.v1"
	TypeShareGranted              = "share.granted.v1"
	TypeShareUsed                 = "share.used.v1"

	TypeCorrectionRequested = "correction.requested.v1"
	TypeCorrectionCompleted = "correction.completed.v1"

	TypeEmergencyDeclared      = "emergency.declared.v1"
	TypeEmergencyEnded         = "emergency.ended.v1"
	TypeEmergencyDataEvaluated = "emergency.data_evaluated.v1"
	TypeEmergencyDataSealed    = "emergency.data_sealed.v1"
	TypeEmergencyAppsShutDown  = "emergency.applications_shut_down.v1"

	TypeOutsourcingSigned            = "outsourcing.contract_signed.v1"
	TypeOutsourcingTerminated        = "outsourcing.contract_terminated.v1"
	TypeOutsourcingAccountsRevoked   = "outsourcing.accounts_revoked.v1"
	TypeOutsourcingDeletionEvidenced = "outsourcing.deletion_evidenced.v1"

	TypeSecurityTraining = "security.training_held.v1"
	TypeSecurityBackup   = "security.backup_completed.v1"
	TypeSecurityDrill    = "security.drill_held.v1"
)

// Type describes one event type of the scenario.
type Type struct {
	Name    string // wire type
	Stream  string // stream pattern
	Article string // the article of the Measures the act falls under
	ZH, EN  string
}

// Types is the scenario's event vocabulary.
var Types = []Type{
	{TypeInstitutionRegistered, "institution/{institution}", "第三條、第七條", "公共机构登记", "public institution registered"},
	{TypeCatalogEntryRegistered, "catalog/{resource}", "第十四條、第二十四條、第三十條", "数据资源目录编制", "catalog entry registered"},
	{TypeCatalogUpdateTriggered, "catalog/{resource}", "第十六條", "目录更新事由发生", "catalog update triggered"},
	{TypeCatalogEntryUpdated, "catalog/{resource}", "第十六條", "目录更新", "catalog entry updated"},
	{TypeCatalogUpdateReported, "catalog/{resource}", "第十六條", "目录更新报送主管部门", "catalog update reported"},
	{TypeDataCollected, "resource/{resource}", "第十七條、第十八條", "数据收集", "data collected"},
	{TypeDataAggregated, "resource/{resource}", "第十八條", "数据归集至平台", "data aggregated to the platform"},
	{TypeExportApproved, "resource/{resource}", "第三十七條第(五)項", "数据导出审批", "export approved"},
	{TypeDataExported, "resource/{resource}", "第三十七條第(五)項", "数据导出", "data exported"},
	{TypeDataDesensitised, "resource/{resource}", "第三十七條第(五)項", "数据脱敏", "data desensitised"},
	{TypeShareApplicationSubmitted, "share/{application}", "第二十五條", "共享申请", "share application submitted"},
	{TypeShareGranted, "share/{application}", "第二十五條", "共享申请同意", "share granted"},
	{TypeShareUsed, "share/{application}", "第二十七條", "共享数据使用", "shared data used"},
	{TypeCorrectionRequested, "correction/{request}", "第二十條", "数据校核申请", "correction requested"},
	{TypeCorrectionCompleted, "correction/{request}", "第二十條", "数据校核完成", "correction completed"},
	{TypeEmergencyDeclared, "emergency/{emergency}", "第二十一條", "突发事件应急响应启动", "emergency declared"},
	{TypeEmergencyEnded, "emergency/{emergency}", "第二十一條", "应急响应结束", "emergency ended"},
	{TypeEmergencyDataEvaluated, "emergency/{emergency}", "第二十一條", "应急数据评估", "emergency data evaluated"},
	{TypeEmergencyDataSealed, "emergency/{emergency}", "第二十一條", "应急数据封存", "emergency data sealed"},
	{TypeEmergencyAppsShutDown, "emergency/{emergency}", "第二十一條", "应急相关应用关停", "emergency applications shut down"},
	{TypeOutsourcingSigned, "outsourcing/{contract}", "第三十九條", "外包服务合同签订", "outsourcing contract signed"},
	{TypeOutsourcingTerminated, "outsourcing/{contract}", "第三十九條", "外包服务合同终止", "outsourcing contract terminated"},
	{TypeOutsourcingAccountsRevoked, "outsourcing/{contract}", "第三十九條", "服务商账号注销", "provider accounts revoked"},
	{TypeOutsourcingDeletionEvidenced, "outsourcing/{contract}", "第三十九條", "服务商数据删除证明", "provider deletion evidenced"},
	{TypeSecurityTraining, "institution/{institution}", "第三十七條", "数据安全培训", "security training held"},
	{TypeSecurityBackup, "institution/{institution}", "第三十七條", "灾难备份", "disaster backup completed"},
	{TypeSecurityDrill, "institution/{institution}", "第三十七條", "安全事件应急演练", "incident drill held"},
}

// Authority is the prefecture data bureau: it holds the root key and registers
// institutions and keys (datadir's default authority).
const Authority = "aba-data-bureau"

// Platform is where institutions aggregate their data (Art. 18).
const Platform = "aba-public-data-platform"

// Institution is one public institution of the scenario.
type Institution struct {
	ID          string
	NameZH      string
	NameEN      string
	Level       string // prefecture | county
	Kind        string // organ | public_service_operator | dispatched_agency | authorised_organisation
	Responsible string // first responsible person (第一責任人), a pseudonym id
	Staff       []string
}

// Institutions are the authority and the bodies of Aba Prefecture that act in the scenario.
var Institutions = []Institution{
	{Authority, "阿坝州数据局", "Aba Prefecture Data Bureau", "prefecture", "organ", "sjj-wang.li", []string{"sjj-chen.jing", "sjj-yang.fan"}},
	{"aba-stats-bureau", "阿坝州统计局", "Aba Prefecture Statistics Bureau", "prefecture", "organ", "tjj-zhang.wei", []string{"tjj-li.na", "tjj-zhao.min"}},
	{"aba-health-commission", "阿坝州卫生健康委员会", "Aba Prefecture Health Commission", "prefecture", "organ", "wjw-liu.yang", []string{"wjw-he.xue", "wjw-gao.jun"}},
	{"aba-public-security", "阿坝州公安局", "Aba Prefecture Public Security Bureau", "prefecture", "organ", "gaj-luo.gang", []string{"gaj-deng.hui", "gaj-tang.lei"}},
	{"aba-civil-affairs", "阿坝州民政局", "Aba Prefecture Civil Affairs Bureau", "prefecture", "organ", "mzj-zhou.ping", []string{"mzj-wu.qian"}},
	{"aba-market-regulation", "阿坝州市场监督管理局", "Aba Prefecture Market Regulation Administration", "prefecture", "organ", "scj-xu.tao", []string{"scj-sun.li"}},
	{"aba-hr-social-security", "阿坝州人力资源和社会保障局", "Aba Prefecture Human Resources and Social Security Bureau", "prefecture", "organ", "rsj-ma.jie", []string{"rsj-hu.yan"}},
	{"aba-emergency-management", "阿坝州应急管理局", "Aba Prefecture Emergency Management Bureau", "prefecture", "organ", "yjj-ze.ren", []string{"yjj-a.bu", "yjj-luo.rong"}},
	{"maerkang-city", "马尔康市人民政府", "Maerkang City People's Government", "county", "organ", "mek-yang.jin", []string{"mek-zhu.lin", "mek-song.bo"}},
	{"jiuzhaigou-county", "九寨沟县人民政府", "Jiuzhaigou County People's Government", "county", "organ", "jzg-tang.xin", []string{"jzg-lan.tian"}},
	{"wenchuan-county", "汶川县人民政府", "Wenchuan County People's Government", "county", "organ", "wc-qiang.hua", []string{"wc-yu.feng"}},
	{"ruoergai-county", "若尔盖县人民政府", "Zoige County People's Government", "county", "organ", "reg-gong.bu", []string{"reg-dan.zhu"}},
	{"aba-power-supply", "国网阿坝供电公司", "State Grid Aba Power Supply Company", "prefecture", "public_service_operator", "gdj-lin.hai", []string{"gdj-fang.yu"}},
}

// Resource is a catalog entry (data resource) and how it is used in the scenario.
type Resource struct {
	ID       string
	Holder   string
	NameZH   string
	Class    string // classification
	Format   string
	Period   int    // update period in days
	Sharing  string // unconditional | conditional | none
	Opening  string // unconditional | conditional | none
	Fields   []string
	Purposes []string // purposes other institutions apply to use it for
	Personal bool     // holds personal information (exports are desensitised first)
}

// Resources are the catalog of the scenario.
var Resources = []Resource{
	{"aba-stats-bureau.population-sample-survey", "aba-stats-bureau", "人口抽样调查数据", "人口", "table", 365, "conditional", "none", []string{"region", "age_group", "sex", "ethnicity", "household_size"}, []string{"人口发展规划", "公共服务设施布局"}, true},
	{"aba-stats-bureau.county-economy", "aba-stats-bureau", "县域经济主要指标", "经济", "table", 90, "unconditional", "unconditional", []string{"county", "gdp", "primary_industry", "tertiary_industry"}, []string{"经济运行监测", "考核评估"}, false},
	{"aba-health-commission.vaccination-records", "aba-health-commission", "预防接种记录", "卫生健康", "table", 1, "conditional", "none", []string{"name", "id_no", "vaccine", "dose", "date", "clinic"}, []string{"入学查验接种证", "疫情防控"}, true},
	{"aba-health-commission.medical-institutions", "aba-health-commission", "医疗机构名录", "卫生健康", "table", 30, "unconditional", "unconditional", []string{"name", "address", "level", "beds"}, []string{"急救资源调度", "便民服务地图"}, false},
	{"aba-public-security.household-registration", "aba-public-security", "户籍人口基本信息", "人口", "table", 1, "conditional", "none", []string{"name", "id_no", "address", "household_no"}, []string{"低保对象核查", "社保待遇资格认证"}, true},
	{"aba-public-security.vehicle-registration", "aba-public-security", "机动车登记信息", "交通", "table", 1, "none", "none", []string{"plate", "owner", "model"}, nil, true},
	{"aba-civil-affairs.subsistence-allowance", "aba-civil-affairs", "最低生活保障对象信息", "社会救助", "table", 30, "conditional", "none", []string{"name", "id_no", "household_size", "allowance"}, []string{"医疗救助资格核定", "教育资助对象认定"}, true},
	{"aba-market-regulation.business-registration", "aba-market-regulation", "市场主体登记信息", "市场监管", "table", 1, "unconditional", "unconditional", []string{"uscc", "name", "legal_rep", "address", "status"}, []string{"招商引资服务", "信用监管"}, false},
	{"aba-hr-social-security.social-insurance", "aba-hr-social-security", "社会保险参保信息", "社会保障", "table", 30, "conditional", "none", []string{"name", "id_no", "insurance_type", "status"}, []string{"就业援助", "低保对象核查"}, true},
	{"aba-emergency-management.disaster-reports", "aba-emergency-management", "自然灾害灾情信息", "应急管理", "table", 1, "unconditional", "conditional", []string{"county", "event", "affected", "losses"}, []string{"灾后重建规划", "保险理赔核查"}, false},
	{"maerkang-city.government-services", "maerkang-city", "政务服务办件信息", "政务服务", "table", 7, "conditional", "none", []string{"case_no", "applicant", "item", "status"}, []string{"一网通办效能评估"}, true},
	{"jiuzhaigou-county.tourist-flow", "jiuzhaigou-county", "景区游客流量", "文化旅游", "api", 1, "unconditional", "unconditional", []string{"scenic_area", "hour", "visitors"}, []string{"交通疏导", "旅游市场监测"}, false},
	{"wenchuan-county.reconstruction-projects", "wenchuan-county", "灾后重建项目信息", "城乡建设", "table", 30, "unconditional", "conditional", []string{"project", "investment", "progress"}, []string{"项目资金审计"}, false},
	{"ruoergai-county.grassland-grazing", "ruoergai-county", "草原禁牧与草畜平衡信息", "自然资源", "table", 90, "unconditional", "unconditional", []string{"township", "pasture_area", "livestock"}, []string{"生态补偿核算"}, false},
	{"aba-power-supply.residential-electricity", "aba-power-supply", "居民用电信息", "能源", "table", 30, "conditional", "none", []string{"account", "address", "monthly_kwh"}, []string{"空置房屋核查", "低保对象核查"}, true},
}
