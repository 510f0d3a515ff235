package assessment

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/registry"
	"github.com/aba-prefecture/dataledger/projections/internal/fold"
	"github.com/aba-prefecture/dataledger/projections/report"
)

// ReportKind is the yearly scorecard as a report kind: `ledgerctl report assessment`
// (Kind is the kind of a measure).
var ReportKind = report.Kind{Name: kindName, Title: kindTitle, New: NewModel}

const kindName = "assessment"

var kindTitle = report.T("年度考核（第四十三条）", "Annual assessment (Art. 43, 第四十三条)")

// NewModel is the kind's read model: the fold, kept level with the log; a report renders
// the scorecards of a year as of a day. A deadline the policy or calendar cannot count
// is kept as a note (it is counted as neither kept nor missed).
func NewModel(o report.Options) (report.Model, error) {
	if err := o.Judging(kindName); err != nil {
		return nil, err
	}
	a := New(o.Policy, o.Calendar)
	return fold.NewModel(kindName, o, a, func(o report.Options, notes []report.Text) (*report.Report, error) {
		return a.render(o, notes), nil
	}), nil
}

var kindText = map[Kind]report.Text{
	ByDeadline:    report.T("按期限：按期完成数／已判定数（按期＋逾期完成＋逾期未完成），未到期者不计入比例", "by deadline: met on time / judged (on time + late + missed); open ones are not judged yet"),
	ByActs:        report.T("按行为：未触发问题的行为数／行为总数", "by acts: acts raising no finding / acts"),
	ByYear:        report.T("按年度：全年职责全部履行为1，否则为0；县级为履行机构所占比例", "by year: 1 when every duty of the year was done, else 0; for a county, the share of its institutions that did"),
	ByEnforcement: report.T("按整改：已整改数／已责令整改数（已整改＋整改中＋逾期移送）；计数为全部问题", "by enforcement: rectified / ordered (rectified + ordered + escalated); the count is every finding"),
}

// render renders the scorecards of the year (o.Year, else the as-of day's year) as they
// stood on the as-of day: one row per institution, one per county, a column per
// measure, and what each measure means.
func (a *Fold) render(o report.Options, notes []report.Text) *report.Report {
	year := o.Year
	if year == 0 {
		year = o.AsOf.Year
	}
	r := &report.Report{
		Kind:  kindName,
		Title: report.T(fmt.Sprintf("%s %d 年度", kindTitle.ZH, year), fmt.Sprintf("%s, %d", kindTitle.EN, year)),
		Basis: report.T("第五条、第六条、第四十三条：数据主管部门对本级公共机构和下级县（市）人民政府的公共数据管理工作进行考核；各项指标由义务期限、违规发现及所计行为得出，不加权",
			"Arts. 5, 6 and 43 (第五条、第六条、第四十三条): the data authority assesses the public institutions at its level and the county governments below it; every measure is derived from the deadlines, the findings and the acts it counts, unweighted"),
	}
	// A year's security duties (F16) are judged once it has ended: before that "no
	// finding" does not mean "done".
	sc := &scoring{year: year, ended: year < o.AsOf.Year, names: countyNames(a.Findings().Registry().Institutions()), unnamed: map[string]bool{}}
	cards := a.Institutions(year, o.AsOf)
	insts := sc.institutions(cards)
	countySection := sc.counties(counties(year, cards))
	r.Figures = []report.Figure{
		{Label: report.T("机构", "institutions"), Value: strconv.Itoa(len(insts.Rows))},
		{Label: report.T("县（市）及州本级", "counties and prefecture level"), Value: strconv.Itoa(len(countySection.Rows))},
		{Label: report.T("已判定的机构指标", "institution measures judged"), Value: strconv.Itoa(sc.judgedCells)},
		report.Fig(report.T("为 0% 的机构指标", "institution measures at 0%"), sc.zero, report.Bad),
		report.Fig(report.T("低于 100% 的机构指标", "institution measures below 100%"), sc.partial, report.Warn),
		report.Fig(report.T("计入指标的问题", "findings counted"), sc.findingsCounted, report.Warn),
	}
	r.Attention = sc.attention
	if len(sc.instHeat) > 0 {
		r.Charts = []report.Chart{
			heat("institutions", report.T("机构 × 指标", "Institutions × measures"), sc.instHeat),
			heat("counties", report.T("县（市） × 指标", "Counties × measures"), sc.countyHeat),
		}
	}
	r.Sections = []report.Section{insts, countySection, definitions()}
	r.Notes = append(notes, report.T("各项数字可在义务报告（ledgerctl report obligations）与违规发现报告（ledgerctl report findings）中逐条核对。",
		"Every number can be checked item by item in the obligations report (ledgerctl report obligations) and the findings report (ledgerctl report findings)."))
	return r
}

// scoring renders a year's scorecards and keeps the figures they add up to.
type scoring struct {
	year                 int
	ended                bool
	names                map[string]report.Text // county code → name
	unnamed              map[string]bool        // county codes shown without a name
	instHeat, countyHeat []report.HeatRow
	zero, partial        int
	judgedCells          int
	findingsCounted      int
	attention            []report.Text
}

// countyName names a county after its people's government, or by its code (noted).
func (sc *scoring) countyName(code string) report.Text {
	if code == Prefecture {
		return report.T("州本级", "prefecture level")
	}
	if n, ok := sc.names[code]; ok {
		return n
	}
	sc.unnamed[code] = true
	return report.T(code+"（账本未登记县名）", code+" (no name in the ledger)")
}

// measureColumns are a column per measure.
func measureColumns() []report.Column {
	cols := make([]report.Column, len(Definitions))
	for i, d := range Definitions {
		cols[i] = report.Column{Key: d.Key, Label: report.T(d.LabelZH, d.LabelEN)}
	}
	return cols
}

// scoreLayout is a scorecard table's layout: who, then a narrow column per measure.
func scoreLayout(first report.Merged) *report.Layout {
	cols := []report.Merged{first}
	for _, d := range Definitions {
		cols = append(cols, report.Merged{Key: d.Key, Width: 1, Upright: true})
	}
	return &report.Layout{Columns: cols}
}

func heat(key string, title report.Text, rows []report.HeatRow) report.Chart {
	c := report.Chart{Key: key, Title: title, Kind: report.Heat, Rows: rows,
		Note: report.T("颜色：0% 红，50% 橙，100% 绿；“—”为当年无可判定事项。", "Colour: 0% red, 50% amber, 100% green; \"—\" is nothing to judge that year.")}
	for _, d := range Definitions {
		c.Columns = append(c.Columns, report.T(d.LabelZH, d.LabelEN))
	}
	return c
}

// readingNote says how to read a scorecard's cells.
var readingNote = report.T("读法：“8/10（80%）”为比例的分子／分母；“未到期”为尚未到期、不计入比例的义务；“问题”为计入该指标的违规发现数；“—”表示当年无可判定事项；安全职责在年度结束后判定，此前为“年度未结束”。",
	"Reading: \"8/10 (80%)\" is the ratio's numerator / denominator; \"open\" counts obligations not yet due (not in the ratio); \"findings\" counts the findings held against the measure; \"—\" means nothing to judge that year; security duties are judged once the year has ended, \"year not ended\" before.")

// institutions is the institutions' scorecards, one row each.
func (sc *scoring) institutions(cards []Scorecard) report.Section {
	s := report.Section{Key: "institutions", Title: report.T("机构考核", "Institutions"), Columns: append([]report.Column{
		{Key: "institution", Label: report.T("机构", "institution")},
		{Key: "name", Label: report.T("名称", "name")},
		{Key: "county", Label: report.T("县（市）", "county")},
		{Key: "county_name", Label: report.T("县（市）名称", "county name")},
	}, measureColumns()...)}
	var notJudged []string
	for _, card := range cards {
		name := report.Name(card.NameZH, card.NameEN)
		row := report.Row{report.V(card.ID), {Text: name}, report.V(card.County), {Text: sc.countyName(card.County)}}
		hr := report.HeatRow{Label: name}
		if name.ZH == "（未登记）" {
			hr.Label = report.T(card.ID, card.ID)
		}
		if !card.Judged {
			for range card.Measures {
				row = append(row, report.Coded("not_judged", report.T("未纳入考核（"+card.Registered.String()+" 登记）", "not judged (registered "+card.Registered.String()+")")))
				hr.Cells = append(hr.Cells, nil)
			}
			notJudged = append(notJudged, card.ID)
		} else {
			row, hr = sc.judged(card, row, hr)
		}
		s.Rows = append(s.Rows, row)
		sc.instHeat = append(sc.instHeat, hr)
	}
	if len(s.Rows) == 0 {
		s.Notes = append(s.Notes, report.T("账本中没有登记的机构。", "The ledger registers no institution."))
	}
	if len(notJudged) > 0 {
		s.Notes = append(s.Notes, report.T(
			fmt.Sprintf("以下机构于 %d 年之后登记，该年度不负有义务，未纳入考核，亦不计入县（市）汇总：%s。", sc.year, strings.Join(notJudged, "、")),
			fmt.Sprintf("These institutions were registered after %d, owed nothing that year and are not judged, nor summed into their county: %s.", sc.year, strings.Join(notJudged, ", "))))
	}
	s.Notes = append(s.Notes, readingNote)
	s.Layout = scoreLayout(report.Merged{Key: "name", Label: report.T("机构", "institution"),
		Sub: []report.Part{report.Sub("institution"), report.Sub("county_name")}, Width: 4, Drop: 0})
	return s
}

// judged adds a judged institution's measures to its row and heat row, and counts them.
func (sc *scoring) judged(card Scorecard, row report.Row, hr report.HeatRow) (report.Row, report.HeatRow) {
	for i, m := range card.Measures {
		c := cell(Definitions[i], m, false, sc.ended)
		row = append(row, c)
		hr.Cells = append(hr.Cells, shown(Definitions[i], m, sc.ended))
		sc.findingsCounted += m.Findings
		r := shown(Definitions[i], m, sc.ended)
		if r == nil {
			continue
		}
		sc.judgedCells++
		switch {
		case *r == 0:
			sc.zero++
			sc.attention = append(sc.attention, report.T(
				fmt.Sprintf("%s · %s：%s", hr.Label.ZH, Definitions[i].LabelZH, c.Text.ZH),
				fmt.Sprintf("%s · %s: %s", hr.Label.EN, Definitions[i].LabelEN, c.Text.EN)))
		case *r < 1:
			sc.partial++
		}
	}
	return row, hr
}

// counties is the counties' sums, one row each.
func (sc *scoring) counties(cards []Scorecard) report.Section {
	s := report.Section{Key: "counties", Title: report.T("县（市）及州本级汇总", "Counties and prefecture level"), Columns: append([]report.Column{
		{Key: "county", Label: report.T("县（市）", "county")},
		{Key: "name", Label: report.T("名称", "name")},
	}, measureColumns()...)}
	for _, card := range cards {
		name := sc.countyName(card.ID)
		row := report.Row{report.V(card.ID), {Text: name}}
		hr := report.HeatRow{Label: name}
		for i, m := range card.Measures {
			row = append(row, cell(Definitions[i], m, true, sc.ended))
			hr.Cells = append(hr.Cells, shown(Definitions[i], m, sc.ended))
		}
		s.Rows = append(s.Rows, row)
		sc.countyHeat = append(sc.countyHeat, hr)
	}
	if len(sc.unnamed) > 0 {
		codes := slices.Sorted(maps.Keys(sc.unnamed))
		s.Notes = append(s.Notes, report.T(
			"账本未登记以下县（市）的人民政府，名称以代码表示："+strings.Join(codes, "、")+"。",
			"The ledger registers no people's government for these counties, so they are shown by code: "+strings.Join(codes, ", ")+"."))
	}
	s.Notes = append(s.Notes, report.T("县（市）为其所属机构之和，比例按和重新计算；州级机构列于“州本级”。",
		"A county is the sum of its institutions, ratios recomputed from the sums; prefecture-level institutions are under \"prefecture\"."))
	s.Layout = scoreLayout(report.Merged{Key: "name", Label: report.T("县（市）", "county"), Sub: []report.Part{report.Sub("county")}, Width: 4})
	return s
}

// definitions says what each measure counts and means.
func definitions() report.Section {
	s := report.Section{Key: "measures", Title: report.T("指标说明", "Measures explained"), Columns: []report.Column{
		{Key: "measure", Label: report.T("指标", "measure")},
		{Key: "label", Label: report.T("名称", "name")},
		{Key: "scored", Label: report.T("计分方式", "how scored")},
		{Key: "meaning", Label: report.T("含义", "meaning")},
		{Key: "articles", Label: report.T("依据条款", "articles")},
		{Key: "deadlines", Label: report.T("期限", "deadlines")},
		{Key: "rules", Label: report.T("计入的问题规则", "findings counted")},
	}}
	for _, d := range Definitions {
		s.Rows = append(s.Rows, report.Row{report.Coded(string(d.Kind), report.T(d.Key, d.Key)), report.L(d.LabelZH, d.LabelEN),
			{Text: kindText[d.Kind]}, report.L(d.MeaningZH, d.MeaningEN), {Text: report.Cites(d.Articles)},
			report.V(report.Dash(strings.Join(d.Deadlines, ", "))), report.V(report.Dash(strings.Join(d.Rules, ", ")))})
	}
	s.Notes = append(s.Notes, report.T("比例为简单比例，不是加权得分：办法未规定权重，由考核办法确定。义务计入其起因发生之年，问题计入其发生之年（F16计入其所判年度）。",
		"A ratio is a plain share, not a weighted grade: the Measures give no weights; an assessment method (考核办法) would. An obligation counts in the year its trigger happened, a finding in the year it arose (F16 in the year it judges)."))
	s.Layout = &report.Layout{Columns: []report.Merged{
		{Key: "label", Sub: []report.Part{report.Sub("measure")}, Width: 3},
		{Key: "meaning", Sub: []report.Part{report.Sub("scored")}, Width: 8},
		{Key: "articles", Sub: []report.Part{report.Labelled("deadlines"), report.Labelled("rules")}, Width: 3},
	}}
	return s
}

// cell is one measure of a scorecard: the ratio as numerator/denominator and percent,
// then what the ratio leaves out (open obligations) and the findings counted. The
// year's duties of a year not ended by the as-of day are not judged. Where columns are
// narrow (a page, a terminal) it shows the percent, with the rest on a second line; a
// 0% is marked as a failure and anything below 100% as needing a look.
func cell(d Definition, m Measure, county, ended bool) report.Cell {
	var zh, en, shortZH, shortEN string
	var restZH, restEN []string
	switch {
	case d.Kind == ByYear && !ended:
		zh, en = "年度未结束", "year not ended"
		m.Ratio = nil
	case d.Kind == ByYear && m.Ratio != nil && !county:
		zh, en = "未履行", "not done"
		if *m.Ratio == 1 {
			zh, en = "已履行", "done"
		}
	case d.Kind == ByYear && m.Ratio != nil:
		p := report.Percent(*m.Ratio)
		zh, en = "履行 "+p, p+" done"
		shortZH, shortEN = p, p
		restZH, restEN = []string{"履行"}, []string{"done"}
	default:
		num, den := m.OnTime, m.OnTime+m.Late+m.Missed
		if d.Kind == ByActs {
			den = m.Total
		}
		if m.Ratio == nil {
			zh, en = "—", "—"
		} else {
			p := report.Percent(*m.Ratio)
			s := fmt.Sprintf("%d/%d (%s)", num, den, p)
			zh, en = s, s
			shortZH, shortEN = p, p
			frac := fmt.Sprintf("%d/%d", num, den)
			restZH, restEN = []string{frac}, []string{frac}
		}
	}
	if d.Kind == ByDeadline && m.Open > 0 {
		zh += fmt.Sprintf("，未到期 %d", m.Open)
		en += fmt.Sprintf(", %d open", m.Open)
		restZH, restEN = append(restZH, fmt.Sprintf("未到期 %d", m.Open)), append(restEN, fmt.Sprintf("%d open", m.Open))
	}
	if m.Migrated > 0 {
		zh += fmt.Sprintf("，迁移 %d", m.Migrated)
		en += fmt.Sprintf(", %d migrated", m.Migrated)
		restZH, restEN = append(restZH, fmt.Sprintf("迁移 %d", m.Migrated)), append(restEN, fmt.Sprintf("%d migrated", m.Migrated))
	}
	if m.Findings > 0 {
		zh += fmt.Sprintf("，问题 %d", m.Findings)
		f := fmt.Sprintf("%d finding", m.Findings)
		if m.Findings > 1 {
			f += "s"
		}
		en += ", " + f
		restZH, restEN = append(restZH, fmt.Sprintf("问题 %d", m.Findings)), append(restEN, f)
	}
	code := ""
	if m.Ratio != nil {
		code = strconv.FormatFloat(*m.Ratio, 'f', 4, 64)
	}
	c := report.Coded(code, report.T(zh, en))
	if shortZH != "" {
		c.Short = report.T(shortZH, shortEN)
		c.Detail = report.T(strings.Join(restZH, "\n"), strings.Join(restEN, "\n"))
	} else if len(restZH) > 0 { // "—, 2 findings", "not done, 1 finding"
		first, _, _ := strings.Cut(zh, "，")
		firstEN, _, _ := strings.Cut(en, ", ")
		c.Short = report.T(first, firstEN)
		c.Detail = report.T(strings.Join(restZH, "\n"), strings.Join(restEN, "\n"))
	}
	if m.Ratio != nil {
		switch {
		case *m.Ratio == 0:
			c.Tone = report.Bad
		case *m.Ratio < 1:
			c.Tone = report.Warn
		}
	}
	return c
}

// shown is the share a heat map shows for a measure: nil when nothing was judged (or
// the year's duties wait for the year's end).
func shown(d Definition, m Measure, ended bool) *float64 {
	if d.Kind == ByYear && !ended {
		return nil
	}
	return m.Ratio
}

// countyNames names each county after its people's government as the ledger registers
// it (an organ at county level of that county whose Chinese name ends in 人民政府 or
// 政府: 汶川县人民政府 names 汶川县, "Wenchuan County People's Government" names
// "Wenchuan County"). A county whose government the ledger does not register has no
// name here, and the report shows its code and says so.
func countyNames(ins []registry.Institution) map[string]report.Text {
	out := map[string]report.Text{}
	for _, in := range ins {
		if in.County == "" || in.Level != domain.LevelCounty || in.Kind != domain.KindOrgan {
			continue
		}
		zh, ok := strings.CutSuffix(in.NameZH, "人民政府")
		if !ok {
			zh, ok = strings.CutSuffix(in.NameZH, "政府")
		}
		if !ok || zh == "" {
			continue
		}
		en := strings.TrimSpace(in.NameEN)
		for _, suffix := range []string{" People's Government", " People’s Government", " Government"} {
			if e, ok := strings.CutSuffix(en, suffix); ok {
				en = e
				break
			}
		}
		if en == strings.TrimSpace(in.NameEN) { // no English name, or not a government's: say it in Chinese
			en = zh
		}
		if _, dup := out[in.County]; !dup {
			out[in.County] = report.T(zh, en)
		}
	}
	return out
}
