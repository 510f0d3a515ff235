package scenario

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
)

var (
	collectPurposes = []string{"履行法定职责：日常业务办理 (routine service)", "窗口受理登记", "线上申报采集 (online filing)", "年度核查更新"}
	systems         = []string{"business-system", "data-exchange", "analytics"}
	databases       = map[domain.AggregationTarget][]string{
		domain.TargetBase:  {"base.population", "base.legal-entities", "base.geography"},
		domain.TargetTheme: {"theme.health", "theme.social-assistance", "theme.tourism", "theme.public-utilities", "theme.emergency"},
	}
	exportDestinations = []string{"四川省对口业务厅局（政务外网文件交换）", "州政府办公室统计报表", "审计部门专项审计 (audit)"}
	desensMethods      = []string{"姓名掩码、身份证号截断", "泛化至乡镇级并删除直接标识符", "假名化处理 (pseudonymisation)"}
)

// routine adds one everyday flow, chosen by weight, of at most budget events: the volume
// --events scales. Every flow is valid for the checker in the order the waves append it.
func (g *gen) routine(budget int) {
	r := &Resources[g.r.IntN(len(Resources))]
	t := g.at(0.02 + 0.93*g.r.Float64())
	recs := int64(1 + g.r.IntN(5000))
	switch w := g.r.IntN(100); {
	case w < 28 || budget < 4:
		if r.ID == householdDuplicate {
			return // the police are its designated source from early on: collecting it again is the storyline's F4
		}
		p := &events.DataCollected{Resource: r.ID, Records: recs, Purpose: collectPurposes[g.r.IntN(len(collectPurposes))], LegalBasis: r.LegalBasis}
		if r.Personal() {
			p.Verification = []domain.Verification{domain.VerifyIDDocument}
		}
		g.add(-1, t, r.Holder, "", events.DataCollectedV1, p)
	case w < 40:
		target := []domain.AggregationTarget{domain.TargetBase, domain.TargetTheme}[g.r.IntN(2)]
		dbs := databases[target]
		g.add(-1, t, r.Holder, "", events.DataAggregatedV1, &events.DataAggregated{Resource: r.ID, Records: recs * 4, Target: target, Database: dbs[g.r.IntN(len(dbs))]})
	case w < 46:
		h := events.DataHandled{Resource: r.ID, Records: recs, System: r.System, Purpose: "集中存储与备份"}
		switch g.r.IntN(3) {
		case 0:
			g.add(-1, t, r.Holder, "", events.DataStoredV1, &events.DataStored{DataHandled: h})
		case 1:
			h.Purpose = "统计分析 (statistics)"
			g.add(-1, t, r.Holder, "", events.DataProcessedV1, &events.DataProcessed{DataHandled: h, Operation: "按县（市）、月份汇总"})
		default:
			h.Purpose = "归集至州大数据平台"
			g.add(-1, t, r.Holder, "", events.DataTransmittedV1, &events.DataTransmitted{DataHandled: h, To: Platform, Encrypted: true})
		}
	case w < 64:
		applicant := Institutions[1+g.r.IntN(len(Institutions)-1)].ID
		if applicant == r.Holder || r.Sharing == sN {
			return
		}
		if r.Sharing == sU { // unconditional: obtained directly, then used (Art. 25)
			o := g.add(-1, t, applicant, "", events.ShareDataObtainedV1, &events.ShareDataObtained{Resource: r.ID, Records: recs, Channel: domain.ChannelOnline})
			g.add(o, g.wd(t, 1+g.r.IntN(3)), applicant, "", events.ShareDataUsedV1, &events.ShareDataUsed{Resource: r.ID, Purpose: r.Purposes[g.r.IntN(len(r.Purposes))],
				Records: 1 + recs/2})
			return
		}
		g.shareFlow(r, applicant, t, 1+g.r.IntN(deadline("D5", t)), min(1+g.r.IntN(4), budget-3))
	case w < 74:
		a, apv := g.approve(-1, t, r.Holder, r.ID, "向上级部门报送统计材料", domain.ActExport, domain.ActCopy)
		if g.r.IntN(3) == 0 {
			g.add(a, g.wd(t, 1), r.Holder, "", events.DataCopiedV1, &events.DataCopied{Supervised: events.Supervised{Resource: r.ID, Records: recs, Approval: apv,
				Reason: "测试环境数据准备 (test data)"}, Destination: r.System + "-test"})
			return
		}
		g.add(a, g.wd(t, 1), r.Holder, "", events.DataExportedV1, &events.DataExported{Supervised: events.Supervised{Resource: r.ID, Records: recs, Approval: apv,
			Reason: "报送上级部门"}, Destination: exportDestinations[g.r.IntN(len(exportDestinations))], Format: []string{"csv", "xlsx", "json"}[g.r.IntN(3)]})
	case w < 80:
		if !r.Personal() {
			return
		}
		a, apv := g.approve(-1, t, r.Holder, r.ID, "共享开放前脱敏", domain.ActDesensitise)
		g.add(a, g.wd(t, 1), r.Holder, "", events.DataDesensitisedV1, &events.DataDesensitised{Supervised: events.Supervised{Resource: r.ID, Records: recs, Approval: apv,
			Reason: "共享开放前脱敏"}, Method: desensMethods[g.r.IntN(len(desensMethods))], Output: r.ID + "-desensitised"})
	case w < 85:
		errs := int64(g.r.IntN(20))
		g.add(-1, t, r.Holder, "", events.DataQualityCheckedV1, &events.QualityChecked{Resource: r.ID, ErrorsFound: errs, Corrected: errs - int64(g.r.IntN(int(errs)+1))})
	case w < 92:
		if r.Opening != oU {
			return
		}
		p := Parties[g.r.IntN(len(Parties))]
		g.add(-1, t, r.Holder, "", events.OpeningDataObtainedV1, &events.OpeningDataObtained{Resource: r.ID, Party: p, Records: recs})
	case w < 95:
		req := g.id("sub")
		p := Parties[3+g.r.IntN(3)]
		q := g.add(-1, t, r.Holder, "", events.SubjectRequestReceivedV1, &events.SubjectRequestReceived{Request: req, Kind: domain.SubjectAccess, Party: p, Resource: r.ID})
		g.add(q, g.wd(t, 1+g.r.IntN(deadline("D12", t))), r.Holder, "", events.SubjectRequestAnsweredV1, &events.SubjectRequestAnswered{Request: req,
			Outcome: domain.OutcomeGranted, Measures: "提供本人信息查阅结果"})
	case w < 98:
		req := g.id("cor")
		q := g.add(-1, t, r.Holder, "", events.CorrectionRequestedV1, &events.CorrectionRequested{Request: req, Resource: r.ID, Party: Parties[3+g.r.IntN(3)],
			Description: "登记信息与实际不符，申请校核"})
		g.add(q, g.wd(t, 1+g.r.IntN(deadline("D3", t))), r.Holder, "", events.CorrectionCompletedV1, &events.CorrectionCompleted{Request: req,
			Outcome: []domain.Outcome{domain.OutcomeGranted, domain.OutcomePartlyGranted, domain.OutcomeRefused}[g.r.IntN(3)], Result: "已核实并告知申请人", Notified: true})
	default:
		in := &Institutions[g.r.IntN(len(Institutions))]
		g.add(-1, t, in.ID, in.Security(), events.SecurityBackupCompletedV1, &events.BackupCompleted{System: fmt.Sprintf("sys.%s", in.ID), Location: "本地备份机房", Verified: g.r.IntN(4) > 0})
	}
}

// IngestPeople is how many officials of each institution Ingest's acts name; an
// institution registers them (IngestPerson(0) first, itself) before they act.
const IngestPeople = 97

// IngestPerson is the id of Ingest's i-th official.
func IngestPerson(i int) string { return fmt.Sprintf("bench-%02d", i) }

// Ingest returns n submissions-to-be for a throughput benchmark: routine acts by the given
// institutions on resources named after them, each valid for the event catalogue's
// checker on its own, whatever order and concurrency they are appended in (no act
// answers another). Person ids are the bench officials IngestPerson names.
func Ingest(n int, seed uint64, insts []string, end time.Time) []Event {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), end: end.Add(-time.Minute), seq: map[string]int{}}
	g.start = g.end.Add(-30 * 24 * time.Hour)
	out := make([]Event, 0, n)
	for i := range n {
		inst := insts[i%len(insts)]
		r := &Resources[g.r.IntN(len(Resources))]
		res := inst + "." + r.ID[len(r.Holder)+1:]
		at := g.at(g.r.Float64())
		recs := int64(1 + g.r.IntN(5000))
		var typ string
		var p events.Payload
		switch w := g.r.IntN(100); {
		case w < 40:
			typ, p = events.DataCollectedV1, &events.DataCollected{Resource: res, Records: recs, Purpose: collectPurposes[g.r.IntN(len(collectPurposes))], LegalBasis: r.LegalBasis,
				Verification: []domain.Verification{domain.VerifyIDDocument}}
		case w < 60:
			typ, p = events.DataAggregatedV1, &events.DataAggregated{Resource: res, Records: recs, Target: domain.TargetTheme, Database: "theme.public-utilities"}
		case w < 70:
			typ, p = events.DataProcessedV1, &events.DataProcessed{DataHandled: events.DataHandled{Resource: res, Records: recs, System: "sys." + systems[g.r.IntN(len(systems))],
				Purpose: "统计分析 (statistics)"}, Operation: "按县（市）、月份汇总"}
		case w < 85:
			typ, p = events.ShareDataUsedV1, &events.ShareDataUsed{Resource: r.ID, Grant: fmt.Sprintf("grt-%05d", g.r.IntN(10000)), Purpose: r.purpose0(), Records: recs}
		default:
			typ, p = events.DataQualityCheckedV1, &events.QualityChecked{Resource: res, ErrorsFound: recs % 7, Corrected: recs % 7}
		}
		t, _ := events.Lookup(typ)
		stream, _ := t.StreamFor(inst, p)
		out = append(out, Event{ID: g.uuid(at), Type: typ, Stream: stream, Institution: inst, Person: IngestPerson(i % IngestPeople), At: at, Payload: p, Parent: -1})
	}
	return out
}

// purpose0 is a purpose other institutions use the resource for.
func (r *Resource) purpose0() string {
	if len(r.Purposes) == 0 {
		return "业务协同 (inter-agency work)"
	}
	return r.Purposes[0]
}
