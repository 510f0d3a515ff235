package report

import (
	_ "embed" // the page template and its stylesheet
	"html/template"
	"io"
	"strconv"
	"strings"
)

// The page is written here (page.html, report.css): one self-contained document with
// the stylesheet inline, no script and nothing fetched, so that it can be mailed,
// archived and printed as it is.
var (
	//go:embed page.html
	pageText string
	//go:embed report.css
	pageCSS string

	page = template.Must(template.New("report").Parse(pageText))
)

type (
	htmlPage struct {
		HTMLLang, Kind, Title, AsOfLabel, AsOf, BasisLabel, Basis string
		SummaryLabel, AttentionLabel, NotesLabel, Generated       string
		CSS                                                       template.CSS
		HasSummary                                                bool
		Figures                                                   []htmlFigure
		Attention                                                 []string
		Charts                                                    []htmlChart
		Lead, Detail                                              []htmlSection
		Notes                                                     []string
	}
	htmlFigure struct{ Label, Value, Class string }
	htmlChart  struct {
		Key, Title, Note string
		// SVG is written by svg.go, which escapes every text it takes from the report.
		SVG template.HTML
	}
	htmlSection struct {
		Key, Title, None, Collapsed string
		Cols                        []htmlCol
		Rows                        []htmlRow
		Notes                       []string
	}
	htmlCol struct {
		Label, Class, Percent string
		Upright               bool
	}
	htmlRow struct {
		Class string
		Cells []htmlCell
	}
	htmlCell struct {
		Main, Class string
		// Detail is a Cell's Detail: its own lines under the main value.
		Detail string
		Parts  []viewPart
	}
)

// Label and Value are the template's names for a part of a cell's second line.
func (p viewPart) Label() string { return p.label }

// Value is the part's value.
func (p viewPart) Value() string { return p.value }

func renderHTML(w io.Writer, r *Report, l Lang, o options) error {
	htmlLang := "zh-CN"
	if l == EN {
		htmlLang = "en"
	}
	p := htmlPage{HTMLLang: htmlLang, Kind: r.Kind, Title: r.Title.In(l), AsOfLabel: words.asOf.In(l), AsOf: r.AsOf.String(),
		BasisLabel: words.basis.In(l) + (map[Lang]string{ZH: "：", EN: ":"})[l], Basis: r.Basis.In(l),
		SummaryLabel: words.summary.In(l), AttentionLabel: words.attention.In(l), NotesLabel: words.notes.In(l),
		Generated: words.generated.In(l), CSS: template.CSS(pageCSS), Attention: attention(r, l), Notes: texts(r.Notes, l)}
	for _, f := range r.Figures {
		p.Figures = append(p.Figures, htmlFigure{Label: f.Label.In(l), Value: f.Value, Class: f.Tone.class()})
	}
	for i := range r.Charts {
		c := &r.Charts[i]
		p.Charts = append(p.Charts, htmlChart{Key: c.Key, Title: c.Title.In(l), Note: c.Note.In(l), SVG: template.HTML(svg(c, l))})
	}
	for _, s := range ordered(r) {
		hs := htmlSectionOf(see(s, l, o.all), l)
		if s.Lead {
			p.Lead = append(p.Lead, hs)
		} else {
			p.Detail = append(p.Detail, hs)
		}
	}
	p.HasSummary = len(p.Figures) > 0 || len(p.Attention) > 0 || len(p.Charts) > 0 || len(p.Lead) > 0
	return page.Execute(w, p)
}

func htmlSectionOf(v view, l Lang) htmlSection {
	hs := htmlSection{Key: v.key, Title: v.title, None: words.none.In(l), Collapsed: v.collapsed, Notes: v.notes}
	total := 0
	for _, c := range v.cols {
		total += c.width
	}
	for _, c := range v.cols {
		var cls []string
		if c.num {
			cls = append(cls, "num")
		}
		if c.upright {
			cls = append(cls, "upright")
		}
		hs.Cols = append(hs.Cols, htmlCol{Label: c.label, Class: strings.Join(cls, " "), Upright: c.upright,
			Percent: strconv.FormatFloat(float64(c.width)*100/float64(total), 'f', 2, 64)})
	}
	for _, r := range v.rows {
		hr := htmlRow{}
		if r.tone >= Warn {
			hr.Class = "row-" + r.tone.class()
		}
		for i, c := range r.cells {
			var cls []string
			if c.tone != Plain {
				cls = append(cls, c.tone.class())
			}
			if word(c.code) {
				cls = append(cls, c.code)
			}
			if v.cols[i].num {
				cls = append(cls, "num")
			}
			if v.cols[i].upright {
				cls = append(cls, "narrow")
			}
			hc := htmlCell{Main: c.main, Class: strings.Join(cls, " ")}
			for _, p := range c.parts {
				if p.detail {
					hc.Detail = p.value
				} else {
					hc.Parts = append(hc.Parts, p)
				}
			}
			hr.Cells = append(hr.Cells, hc)
		}
		hs.Rows = append(hs.Rows, hr)
	}
	return hs
}

// word is true for a code that can be a CSS class as it is (overdue, met_on_time).
func word(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || r >= '0' && r <= '9' && s[0] > '9') {
			return false
		}
	}
	return true
}
