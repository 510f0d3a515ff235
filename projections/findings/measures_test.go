package findings_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/domain/calendar"
	"github.com/aba-prefecture/dataledger/domain/policy"
	"github.com/aba-prefecture/dataledger/projections/findings"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// TestArt41EscalationComesFromActsOrDeadlines (第四十一条): a finding under an order
// whose deadline passed unmet is "overdue, not referred", and F17 (拒不整改) is raised
// escalated at once; only a recorded referral (rectification.escalated.v1) makes either
// "referred" (已移送).
func TestArt41EscalationComesFromActsOrDeadlines(t *testing.T) {
	l := base()
	l.Add("data.exported.v1", "health", "2025-06-02", m{"resource": "vac", "records": 3, "reason": "x", "destination": "y", "format": "csv"})
	l.Add("rectification.ordered.v1", "bureau", "2025-06-04", m{"order": "o1", "institution": "health", "findings": []string{"F12"}, "items": []int{9}, "deadline": "2025-06-13"})
	states := func(asOf string) map[string]findings.Finding {
		out := map[string]findings.Finding{}
		for _, x := range fold(t, l).Findings(calendar.MustParse(asOf)) {
			out[x.Rule] = x
		}
		return out
	}
	got := states("2025-06-20")
	if got["F12"].State != findings.Escalated || got["F17"].State != findings.Escalated || got["F17"].StateEN != "overdue, not referred" || got["F12"].StateZH != "逾期未整改，未移送" {
		t.Errorf("deadline passed, nothing referred: F12 %q, F17 %q (%s)", got["F12"].State, got["F17"].State, got["F17"].StateEN)
	}
	l.Add("rectification.escalated.v1", "bureau", "2025-06-23", m{"order": "o1", "to": "州纪委监委", "reason": "逾期拒不整改"})
	if got := states("2025-06-22"); got["F17"].State != findings.Escalated {
		t.Errorf("the day before the referral: F17 %q", got["F17"].State)
	}
	got = states("2025-06-30")
	if got["F12"].State != findings.Referred || got["F17"].State != findings.Referred || got["F17"].StateZH != "已移送有权机关" {
		t.Errorf("after the referral: F12 %q, F17 %q", got["F12"].State, got["F17"].State)
	}
}

// t2s converts the Traditional characters of Art. 41's opening to Simplified.
var t2s = strings.NewReplacer("條", "条", "機", "机", "構", "构", "員", "员", "數", "数", "據", "据", "門", "门", "應", "应", "當", "当",
	"責", "责", "節", "节", "嚴", "严", "權", "权", "關", "关", "對", "对", "負", "负", "給", "给", "處", "处", ",", "，")

// TestArt41BasisQuotesTheMeasures: the findings report's basis (依据) quotes Art. 41 as
// the Measures' own text words it (shared/regulation, Traditional characters).
func TestArt41BasisQuotesTheMeasures(t *testing.T) {
	b, err := os.ReadFile("../../../shared/regulation/aba-public-data-measures.zh.txt")
	if err != nil {
		t.Skipf("the Measures' text is not beside the repository: %v", err)
	}
	var line string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "第四十一條") {
			line = l
		}
	}
	intro, _, ok := strings.Cut(strings.TrimPrefix(line, "第四十一條 "), ":")
	if !ok {
		t.Fatalf("Art. 41 not found: %q", line)
	}
	want := "第四十一条：" + t2s.Replace(intro)
	if findings.Art41ZH != want {
		t.Errorf("quoted\n%s\nthe Measures say\n%s", findings.Art41ZH, want)
	}
	pol, _ := policy.Default()
	opts := report.Options{AsOf: calendar.MustParse("2025-06-30"), Policy: pol, Calendar: calendar.Default()}
	bl, _ := findings.Kind.New(opts)
	r, err := bl.Report(opts)
	if err != nil || !strings.Contains(r.Basis.ZH, want) || !strings.Contains(r.Basis.EN, "refuse to rectify or the case is serious, the competent organs") {
		t.Errorf("basis %+v (%v)", r.Basis, err)
	}
}

// TestArt37CitationsCarryTheItem (第三十七条): F16 cites the item of Art. 37 each missed
// duty falls under, in both languages: no drill → 第三十七条第(八)项 / Art. 37(8); a
// backup gap → 第三十七条第(七)项. F12 (export without approval) cites 第三十七条第(五)项.
func TestArt37CitationsCarryTheItem(t *testing.T) {
	l := base()
	l.Add("security.training_held.v1", "health", "2025-03-03", m{"held_on": "2025-03-03", "topic": "x", "participants": 3})
	l.Add("security.stress_tested.v1", "health", "2025-03-04", m{"system": "s", "passed": true, "result": "x"})
	for d := calendar.MustParse("2025-01-10"); d.Year == 2025; d = d.AddDays(25) {
		l.Add("security.backup_completed.v1", "health", d.String(), m{"system": "s", "location": "x", "verified": true})
	}
	l.Add("data.exported.v1", "health", "2025-06-02", m{"resource": "vac", "records": 3, "reason": "x", "destination": "y", "format": "csv"})
	got := map[string][]findings.Finding{}
	for _, x := range fold(t, l).Findings(calendar.MustParse("2026-01-01")) {
		got[x.Rule+"/"+x.Institution] = append(got[x.Rule+"/"+x.Institution], x)
	}
	if fs := got["F16/health"]; len(fs) != 1 || fs[0].CiteZH != "第四十一条第(十)项、第三十七条第(八)项" || fs[0].CiteEN != "Art. 41(10), Art. 37(8)" {
		t.Errorf("health, no drill: %+v", fs)
	}
	if fs := got["F16/police"]; len(fs) != 1 || !strings.Contains(fs[0].CiteZH, "第三十七条第(四)项") || !strings.Contains(fs[0].CiteZH, "第三十七条第(七)项") ||
		!strings.Contains(fs[0].CiteZH, "第三十七条第(八)项") || !strings.Contains(fs[0].CiteEN, "Art. 37(6)") || strings.Contains(fs[0].CiteZH, "第三十七条、") {
		t.Errorf("police, no duty at all: %+v", fs)
	}
	if fs := got["F12/health"]; len(fs) != 1 || !strings.Contains(fs[0].CiteEN, "Art. 37(5)") {
		t.Errorf("F12: %+v", fs)
	}
}

// TestArt12F2FallsOnTheProjectOwner (第十二条): the authority's preliminary review names
// the owner; the approving body records the approval without any project catalog having
// been compiled: F2 is held against the owner (the unit that compiles the catalog), with
// the approver named as approver, not against the approver.
func TestArt12F2FallsOnTheProjectOwner(t *testing.T) {
	l := base()
	l.Add("institution.registered.v1", "bureau", "2025-01-02", m{"institution": "drc", "name_zh": "州发改委", "level": "prefecture", "kind": "organ"})
	l.Add("project.preliminary_reviewed.v1", "bureau", "2025-03-03", m{"project": "prj-1", "owner": "health", "passed": true, "opinion": "同意"})
	l.Add("project.approved.v1", "drc", "2025-03-10", m{"project": "prj-1", "approver": "drc", "approval_ref": "阿州发改〔2025〕1号"})
	var f2 []findings.Finding
	for _, x := range fold(t, l).Findings(calendar.MustParse("2025-12-01")) {
		if x.Rule == "F2" {
			f2 = append(f2, x)
		}
	}
	if len(f2) != 1 || f2[0].Institution != "health" || f2[0].Actor != "" || !strings.Contains(f2[0].NoteEN, "approved by drc") || f2[0].Responsible != "head-health" {
		t.Errorf("F2: %+v", f2)
	}
}

// TestArt37BackupsJudgedInDayOrder: backups recorded out of day order (concurrent
// writers, late or migrated records) are judged by their days, not by their order in the
// log: monthly backups recorded shuffled raise no F16 for the backup gap.
func TestArt37BackupsJudgedInDayOrder(t *testing.T) {
	l := base()
	var days []string
	for d := calendar.MustParse("2025-01-10"); d.Year == 2025; d = d.AddDays(25) {
		days = append(days, d.String())
	}
	for i := range days { // recorded odd days first, then even ones
		if i%2 == 1 {
			l.Add("security.backup_completed.v1", "health", days[i], m{"system": "s", "location": "x", "verified": true})
		}
	}
	for i := range days {
		if i%2 == 0 {
			l.Add("security.backup_completed.v1", "health", days[i], m{"system": "s", "location": "x", "verified": true})
		}
	}
	for _, x := range fold(t, l).Findings(calendar.MustParse("2026-01-01")) {
		if x.Rule == "F16" && x.Institution == "health" && strings.Contains(x.CiteZH, "第三十七条第(七)项") {
			t.Errorf("backup gap from the log's order: %s", x.NoteEN)
		}
	}
}
