package scenario

import (
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
)

// Type names the scenario uses that are not in the event catalogue: the ledger's own key
// registry (signed by the authority's root key).
const (
	TypeKeyRegistered = ledger.TypeKeyRegistered
	TypeKeyRotated    = ledger.TypeKeyRotated
)

// Authority is the prefecture data bureau: it holds the root key, registers institutions
// and keys, and does the acts only a data authority may do (datadir's default authority).
const Authority = "aba-data-bureau"

// CountyAuthority is Maerkang's own public data authority (Art. 6 para 2).
const CountyAuthority = "maerkang-data-bureau"

// householdDuplicate is catalogued by civil affairs although the police are the
// designated source of the same data (一数一源, Art. 14 para 2, Art. 17).
const householdDuplicate = "aba-civil-affairs.household-members"

// Platform is where institutions aggregate their data (Art. 18).
const Platform = "aba-public-data-platform"

// Person is one member of an institution's staff, named by a pseudonymous id.
type Person struct {
	ID, Name, Title string
}

// Institution is one public institution of the scenario. People[0] is its head, the
// first responsible person (第一责任人, Art. 7); People[1] holds the security-manager
// post (Art. 37(3)); the rest are dedicated staff.
type Institution struct {
	ID            string
	NameZH        string
	NameEN        string
	Level         domain.Level
	Kind          domain.InstitutionKind
	County        string
	DataAuthority bool
	People        []Person
}

// Responsible is the institution's first responsible person.
func (in *Institution) Responsible() string { return in.People[0].ID }

// Security is the holder of its security-manager post.
func (in *Institution) Security() string { return in.People[1].ID }

var (
	pref, county                  = domain.LevelPrefecture, domain.LevelCounty
	organ, operator, agency, auth = domain.KindOrgan, domain.KindPublicServiceOperator, domain.KindDispatchedAgency, domain.KindAuthorisedOrg
)

// Institutions are the authorities and the bodies of Aba Prefecture that act in the
// scenario: organs at prefecture and county level, public-service operators, a dispatched
// national agency and an authorised organisation (Art. 3), the prefecture data authority
// and one county authority (Art. 6).
var Institutions = []Institution{
	{Authority, "阿坝州数据局", "Aba Prefecture Data Bureau", pref, organ, "", true, []Person{{"sjj-wang.li", "王丽", "局长"}, {"sjj-chen.jing", "陈静", "数据安全科科长"}, {"sjj-yang.fan", "杨帆", "数据资源科科员"}}},
	{"aba-stats-bureau", "阿坝州统计局", "Aba Prefecture Statistics Bureau", pref, organ, "", false, []Person{{"tjj-zhang.wei", "张伟", "局长"}, {"tjj-li.na", "李娜", "信息中心主任"}, {"tjj-zhao.min", "赵敏", "统计师"}}},
	{"aba-health-commission", "阿坝州卫生健康委员会", "Aba Prefecture Health Commission", pref, organ, "", false, []Person{{"wjw-liu.yang", "刘洋", "主任"}, {"wjw-he.xue", "何雪", "网络安全管理员"}, {"wjw-gao.jun", "高军", "信息科科员"}}},
	{"aba-public-security", "阿坝州公安局", "Aba Prefecture Public Security Bureau", pref, organ, "", false, []Person{{"gaj-luo.gang", "罗刚", "局长"}, {"gaj-deng.hui", "邓辉", "网安支队副支队长"}, {"gaj-tang.lei", "唐磊", "户政科科员"}}},
	{"aba-civil-affairs", "阿坝州民政局", "Aba Prefecture Civil Affairs Bureau", pref, organ, "", false, []Person{{"mzj-zhou.ping", "周萍", "局长"}, {"mzj-wu.qian", "吴倩", "信息化专员"}, {"mzj-yang.ming", "杨明", "社会救助科科员"}}},
	{"aba-market-regulation", "阿坝州市场监督管理局", "Aba Prefecture Market Regulation Administration", pref, organ, "", false, []Person{{"scj-xu.tao", "徐涛", "局长"}, {"scj-sun.li", "孙莉", "信息中心主任"}, {"scj-ma.rui", "马瑞", "登记注册科科员"}}},
	{"aba-hr-social-security", "阿坝州人力资源和社会保障局", "Aba Prefecture Human Resources and Social Security Bureau", pref, organ, "", false, []Person{{"rsj-ma.jie", "马杰", "局长"}, {"rsj-hu.yan", "胡燕", "信息中心主任"}, {"rsj-li.qiang", "李强", "社保经办员"}}},
	{"aba-emergency-management", "阿坝州应急管理局", "Aba Prefecture Emergency Management Bureau", pref, organ, "", false, []Person{{"yjj-ze.ren", "泽仁", "局长"}, {"yjj-a.bu", "阿布", "指挥中心主任"}, {"yjj-luo.rong", "罗蓉", "灾害救助科科员"}}},
	{"maerkang-city", "马尔康市人民政府", "Maerkang City People's Government", county, organ, "maerkang", false, []Person{{"mek-yang.jin", "杨瑾", "市长"}, {"mek-zhu.lin", "朱琳", "政务服务中心主任"}, {"mek-song.bo", "宋波", "政务服务中心科员"}}},
	{"jiuzhaigou-county", "九寨沟县人民政府", "Jiuzhaigou County People's Government", county, organ, "jiuzhaigou", false, []Person{{"jzg-tang.xin", "唐欣", "县长"}, {"jzg-lan.tian", "兰天", "县大数据中心主任"}, {"jzg-ge.sang", "格桑", "文旅局科员"}}},
	{"wenchuan-county", "汶川县人民政府", "Wenchuan County People's Government", county, organ, "wenchuan", false, []Person{{"wc-qiang.hua", "羌华", "县长"}, {"wc-yu.feng", "余峰", "县大数据中心主任"}, {"wc-wang.yu", "王宇", "住建局科员"}}},
	{"ruoergai-county", "若尔盖县人民政府", "Zoige County People's Government", county, organ, "ruoergai", false, []Person{{"reg-gong.bu", "贡布", "县长"}, {"reg-dan.zhu", "旦珠", "县信息中心主任"}, {"reg-ma.lan", "马兰", "农牧局科员"}}},
	{"aba-power-supply", "国网阿坝供电公司", "State Grid Aba Power Supply Company", pref, operator, "", false, []Person{{"gdj-lin.hai", "林海", "总经理"}, {"gdj-fang.yu", "方宇", "网络安全专责"}, {"gdj-xie.na", "谢娜", "营销部专责"}}},
	{"aba-tax-bureau", "国家税务总局阿坝藏族羌族自治州税务局", "Aba Prefecture Tax Service, State Taxation Administration", pref, agency, "", false, []Person{{"swj-jiang.hong", "蒋红", "局长"}, {"swj-peng.cheng", "彭程", "信息中心主任"}, {"swj-xu.lei", "徐蕾", "征管科科员"}}},
	{"aba-housing-fund", "阿坝州住房公积金管理中心", "Aba Prefecture Housing Provident Fund Management Centre", pref, auth, "", false, []Person{{"gjj-luo.bin", "罗斌", "主任"}, {"gjj-zeng.yi", "曾怡", "信息科科长"}, {"gjj-bai.ma", "白玛", "归集科科员"}}},
	{CountyAuthority, "马尔康市数据局", "Maerkang City Data Bureau", county, organ, "maerkang", true, []Person{{"meksj-ren.jie", "任杰", "局长"}, {"meksj-qin.lu", "秦璐", "数据安全专员"}, {"meksj-he.ping", "何平", "科员"}}},
	{"maerkang-water", "马尔康市供水有限责任公司", "Maerkang Water Supply Co., Ltd.", county, operator, "maerkang", false, []Person{{"mksw-deng.yu", "邓宇", "总经理"}, {"mksw-lu.fang", "卢芳", "信息安全专员"}, {"mksw-yang.kai", "杨凯", "营业所职员"}}},
}

// Resource is a catalog entry (data resource) and how it is used in the scenario.
type Resource struct {
	ID         string
	Holder     string
	NameZH     string
	NameEN     string
	Class      string
	Period     domain.UpdatePeriod
	Sharing    domain.SharingAttribute
	Opening    domain.OpeningAttribute
	Items      []string // attribute names; those in personalItems carry personal information
	Purposes   []string // purposes other institutions apply to use it for (Art. 27)
	LegalBasis string   // the statutory duty it is collected under (Art. 17)
	System     string
}

// Personal reports whether the resource carries personal information.
func (r *Resource) Personal() bool {
	for _, it := range r.Items {
		if personalItems[it] {
			return true
		}
	}
	return false
}

var personalItems = map[string]bool{"姓名": true, "公民身份号码": true, "手机号码": true, "住址": true, "户主": true, "申请人": true, "用户户号": true, "纳税人识别号": true, "缴存人": true}

var (
	daily, monthly, quarterly, yearly = domain.PeriodDaily, domain.PeriodMonthly, domain.PeriodQuarterly, domain.PeriodYearly
	realtime                          = domain.PeriodRealTime
	sU, sC, sN                        = domain.SharingUnconditional, domain.SharingConditional, domain.SharingNone
	oU, oC, oN                        = domain.OpeningUnconditional, domain.OpeningConditional, domain.OpeningNone
)

// Resources are the catalog of the scenario (Art. 14), one or more per institution.
var Resources = []Resource{
	{"aba-stats-bureau.population-sample-survey", "aba-stats-bureau", "人口抽样调查数据", "Population sample survey", "人口/抽样调查", yearly, sC, oN,
		[]string{"调查小区", "年龄组", "性别", "民族", "户规模", "姓名"}, []string{"人口发展规划", "公共服务设施布局"}, "《中华人民共和国统计法》第七条", "sys.stats-survey"},
	{"aba-stats-bureau.county-economy", "aba-stats-bureau", "县域经济主要指标", "County economic indicators", "经济/国民经济核算", quarterly, sU, oU,
		[]string{"县（市）", "地区生产总值", "第一产业增加值", "第三产业增加值"}, []string{"经济运行监测 (economic monitoring)", "年度目标考核"}, "《中华人民共和国统计法》第七条", "sys.stats-survey"},
	{"aba-health-commission.vaccination-records", "aba-health-commission", "预防接种记录", "Vaccination records", "卫生健康/疾病预防", daily, sC, oN,
		[]string{"姓名", "公民身份号码", "疫苗名称", "剂次", "接种日期", "接种单位"}, []string{"入学查验接种证", "疫情防控"}, "《中华人民共和国疫苗管理法》第四十七条", "sys.immunisation"},
	{"aba-health-commission.medical-institutions", "aba-health-commission", "医疗机构名录", "Register of medical institutions", "卫生健康/医疗服务", monthly, sU, oU,
		[]string{"机构名称", "地址", "等级", "床位数"}, []string{"急救资源调度", "便民服务地图"}, "《医疗机构管理条例》第十条", "sys.health-admin"},
	{"aba-public-security.household-registration", "aba-public-security", "户籍人口基本信息", "Household registration", "人口/户籍", daily, sC, oN,
		[]string{"姓名", "公民身份号码", "住址", "户号"}, []string{"低保对象核查", "社保待遇资格认证", "医保参保核验"}, "《中华人民共和国户口登记条例》第三条", "sys.household"},
	{"aba-public-security.vehicle-registration", "aba-public-security", "机动车登记信息", "Motor vehicle registration", "交通/车辆管理", daily, sN, oN,
		[]string{"号牌号码", "户主", "车辆型号"}, nil, "《中华人民共和国道路交通安全法》第八条", "sys.traffic"},
	{"aba-civil-affairs.subsistence-allowance", "aba-civil-affairs", "最低生活保障对象信息", "Subsistence allowance recipients", "社会救助/低保", monthly, sC, oN,
		[]string{"姓名", "公民身份号码", "家庭人口", "保障金额"}, []string{"医疗救助资格核定", "教育资助对象认定"}, "《社会救助暂行办法》第十一条", "sys.social-assistance"},
	{"aba-civil-affairs.household-members", "aba-civil-affairs", "救助家庭成员户籍信息", "Household members of assisted families", "人口/户籍", monthly, sC, oN,
		[]string{"姓名", "公民身份号码", "住址"}, []string{"救助对象核查"}, "《社会救助暂行办法》第十一条", "sys.social-assistance"},
	{"aba-market-regulation.business-registration", "aba-market-regulation", "市场主体登记信息", "Business registration", "市场监管/登记注册", daily, sU, oU,
		[]string{"统一社会信用代码", "名称", "登记状态", "成立日期"}, []string{"招商引资服务", "信用监管"}, "《中华人民共和国市场主体登记管理条例》第八条", "sys.market-registry"},
	{"aba-hr-social-security.social-insurance", "aba-hr-social-security", "社会保险参保信息", "Social insurance enrolment", "社会保障/参保登记", monthly, sC, oN,
		[]string{"姓名", "公民身份号码", "险种", "参保状态"}, []string{"就业援助", "低保对象核查"}, "《中华人民共和国社会保险法》第五十七条", "sys.social-insurance"},
	{"aba-emergency-management.disaster-reports", "aba-emergency-management", "自然灾害灾情信息", "Natural disaster reports", "应急管理/灾情统计", realtime, sU, oC,
		[]string{"县（市）", "灾害类型", "受灾人口", "直接经济损失"}, []string{"灾后重建规划", "保险理赔核查"}, "《自然灾害情况统计调查制度》", "sys.disaster-reporting"},
	{"maerkang-city.government-services", "maerkang-city", "政务服务办件信息", "Government service cases", "政务服务/办件", daily, sC, oN,
		[]string{"办件编号", "申请人", "事项名称", "办理状态"}, []string{"一网通办效能评估"}, "《四川省一体化政务服务平台管理办法》", "sys.gov-services"},
	{"jiuzhaigou-county.tourist-flow", "jiuzhaigou-county", "景区游客流量", "Scenic-area visitor flows", "文化旅游/客流", realtime, sU, oU,
		[]string{"景区", "时段", "入园人数"}, []string{"交通疏导", "旅游市场监测"}, "《中华人民共和国旅游法》第四十五条", "sys.tourism"},
	{"wenchuan-county.reconstruction-projects", "wenchuan-county", "灾后重建项目信息", "Reconstruction projects", "城乡建设/项目管理", monthly, sU, oC,
		[]string{"项目名称", "总投资", "形象进度"}, []string{"项目资金审计"}, "《汶川地震灾后恢复重建条例》", "sys.projects"},
	{"ruoergai-county.grassland-grazing", "ruoergai-county", "草原禁牧与草畜平衡信息", "Grassland grazing balance", "自然资源/草原", quarterly, sU, oU,
		[]string{"乡镇", "草场面积", "牲畜存栏"}, []string{"生态补偿核算"}, "《中华人民共和国草原法》第二十二条", "sys.grassland"},
	{"aba-power-supply.residential-electricity", "aba-power-supply", "居民用电信息", "Residential electricity use", "能源/电力", monthly, sC, oN,
		[]string{"用户户号", "住址", "月用电量"}, []string{"空置房屋核查", "低保对象核查"}, "《电力供应与使用条例》第二十六条", "sys.power-marketing"},
	{"aba-tax-bureau.taxpayer-registration", "aba-tax-bureau", "纳税人登记信息", "Taxpayer registration", "税务/征收管理", daily, sN, oN,
		[]string{"纳税人识别号", "纳税人名称", "登记状态"}, nil, "《中华人民共和国税收征收管理法》第十五条", "sys.tax"},
	{"aba-housing-fund.deposit-records", "aba-housing-fund", "住房公积金缴存信息", "Housing provident fund deposits", "住房保障/公积金", monthly, sC, oN,
		[]string{"缴存人", "公民身份号码", "缴存基数", "缴存状态"}, []string{"人才住房补贴审核"}, "《住房公积金管理条例》第十五条", "sys.housing-fund"},
	{"maerkang-water.water-usage", "maerkang-water", "居民用水信息", "Residential water use", "能源/供水", monthly, sC, oN,
		[]string{"用户户号", "住址", "月用水量"}, []string{"空置房屋核查"}, "《城市供水条例》第二十六条", "sys.water-billing"},
}

// Parties are the natural and legal persons (by pseudonym) that apply for open data,
// development qualifications and corrections. SuspendedParty is suspended in the
// storyline (Art. 42) and appears nowhere in routine acts.
var Parties = []events.Party{
	{Party: "org-91513200ma62ykx5b1", PartyKind: domain.PartyLegalPerson},
	{Party: "org-91513200ma7b3n4q2c", PartyKind: domain.PartyLegalPerson},
	{Party: "org-52513200mj4412857w", PartyKind: domain.PartyUnincorpOrg},
	{Party: "np-7f3a91", PartyKind: domain.PartyNaturalPerson},
	{Party: "np-c2e810", PartyKind: domain.PartyNaturalPerson},
	{Party: "np-5b77d4", PartyKind: domain.PartyNaturalPerson},
}

// SuspendedParty is the legal person whose access the authority suspends (Art. 42).
var SuspendedParty = events.Party{Party: "org-91513200mac9x7r60k", PartyKind: domain.PartyLegalPerson}

func institution(id string) *Institution {
	for i := range Institutions {
		if Institutions[i].ID == id {
			return &Institutions[i]
		}
	}
	panic("scenario: unknown institution " + id)
}

func resource(id string) *Resource {
	for i := range Resources {
		if Resources[i].ID == id {
			return &Resources[i]
		}
	}
	panic("scenario: unknown resource " + id)
}

var (
	postSecurityManager = domain.PostSecurityManager
	postDedicatedStaff  = domain.PostDedicatedStaff
)

// Entry is the resource's catalog entry with every Art. 14 attribute, the reasons,
// conditions or legal basis its sharing attribute needs (Art. 24) and its opening
// attribute (Art. 30).
func (r *Resource) Entry() events.CatalogEntry {
	e := events.CatalogEntry{
		Resource: r.ID, TitleZH: r.NameZH, TitleEN: r.NameEN, Classification: r.Class, Responsible: r.Holder,
		Formats: []string{"json", "csv"}, UpdatePeriod: r.Period, System: r.System,
		UsageRequirements: "仅限申请用途使用，不得向第三方提供或用于商业目的 (for the granted purpose only)",
	}
	for _, it := range r.Items {
		d := events.DataItem{Name: it, Format: "string"}
		if personalItems[it] {
			d.Sensitive = []domain.Sensitive{domain.SensitivePersonalInfo}
		}
		e.Items = append(e.Items, d)
	}
	switch r.Sharing {
	case sU:
		e.Sharing = events.Sharing{Attribute: sU, Method: domain.MethodAPI}
	case sC:
		e.Sharing = events.Sharing{Attribute: sC, Method: domain.MethodAPI, Reason: "含个人信息，须核验申请用途 (contains personal information)",
			Conditions: "经数据提供单位审核同意，限于申请用途，通过平台接口按需调用"}
	case sN:
		e.Sharing = events.Sharing{Attribute: sN, LegalBasis: r.LegalBasis + "及相关保密规定 (statutory confidentiality)"}
	}
	switch r.Opening {
	case oU:
		e.Opening = events.Opening{Attribute: oU}
	case oC:
		e.Opening = events.Opening{Attribute: oC, Conditions: "签署安全承诺书和开放利用协议后，经审核按需开放"}
	case oN:
		e.Opening = events.Opening{Attribute: oN, Reason: "含个人信息或依法不予开放 (personal information; Art. 30)"}
	}
	return e
}
