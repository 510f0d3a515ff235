package report

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/rivo/uniseg"
)

// The charts are SVG written here, inline in the page: no script, no network, no font
// of their own (they inherit the page's). Every text that comes from the report is
// escaped (esc), and every label is cut to the room it has, from an estimate of its
// width (textWidth), so that nothing overflows the chart; the browser test checks the
// estimate against the real layout.

// chartWidth is the width of every chart in SVG units: the text width of an A4 page
// (186 mm at 96 dpi ≈ 703 px) less a little, so that one unit is about one CSS pixel.
const chartWidth = 680

// Font sizes in the charts, in SVG units.
const (
	fontLabel = 11
	fontSmall = 10
)

// colours of the tones: the same in the CSS (report.css) and the workbook.
var colours = map[Tone]string{
	Plain:  "#8a96a3",
	Good:   "#4c9a5a",
	Info:   "#4a78b5",
	Warn:   "#d98e1f",
	Bad:    "#c62828",
	Severe: "#6d0f0f",
}

func esc(s string) string { return html.EscapeString(s) }

// textWidth estimates s's width at font size px: a CJK character is one em, anything
// else 0.6 em (wider than the average Latin letter of the sans-serif fonts the page
// names, so that the estimate errs long).
func textWidth(s string, px float64) float64 {
	w := 0.0
	state := -1
	for s != "" {
		var cw int
		_, s, cw, state = uniseg.FirstGraphemeClusterInString(s, state)
		if cw >= 2 {
			w += px
		} else {
			w += 0.6 * px
		}
	}
	return w
}

// fitText cuts s with an ellipsis so that it is at most room units wide at size px.
func fitText(s string, room, px float64) string {
	if textWidth(s, px) <= room {
		return s
	}
	gs := uniseg.NewGraphemes(s)
	var b strings.Builder
	for gs.Next() {
		if textWidth(b.String()+gs.Str()+ellipsis, px) > room {
			break
		}
		b.WriteString(gs.Str())
	}
	return b.String() + ellipsis
}

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// count writes a value of a chart: whole numbers without decimals.
func count(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// svgBuilder collects one chart.
type svgBuilder struct {
	b strings.Builder
}

func (s *svgBuilder) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

// text writes a label at (x, y), cut to room, with its full text as a tooltip when cut.
func (s *svgBuilder) text(x, y float64, anchor, class string, px, room float64, label string) {
	shown := fitText(label, room, px)
	s.f(`<text x="%s" y="%s" text-anchor="%s" class="%s" font-size="%s">`, num(x), num(y), anchor, class, num(px))
	if shown != label {
		s.f(`<title>%s</title>`, esc(label))
	}
	s.f(`%s</text>`, esc(shown))
}

// svg draws c in language l.
func svg(c *Chart, l Lang) string {
	switch c.Kind {
	case Heat:
		return heatSVG(c, l)
	case Months:
		return monthsSVG(c, l)
	}
	return barsSVG(c, l)
}

// open starts the svg element: its size, what it shows (for screen readers), and the
// number of bars it draws (data-bars), which the tests count.
func (s *svgBuilder) open(c *Chart, l Lang, h float64, bars int) {
	s.f(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="%s" data-bars="%d" viewBox="0 0 %d %s" width="100%%" role="img" aria-label="%s">`,
		esc(c.Key), bars, chartWidth, num(h), esc(c.Title.In(l)))
}

// legend draws the swatches of the series that have a value in some bar from (x, y),
// wrapping within the chart (a series with nothing to show would only crowd it, and two
// of the same tone would look alike); it returns the height used.
func (s *svgBuilder) legend(series []Series, bars []Bar, l Lang, y float64) float64 {
	if len(series) < 2 {
		return 0
	}
	x, line := 0.0, 0.0
	for i, se := range series {
		used := false
		for _, b := range bars {
			used = used || b.Values[i] > 0
		}
		if !used {
			continue
		}
		label := se.Label.In(l)
		w := 14 + textWidth(label, fontSmall) + 14
		if x > 0 && x+w > chartWidth {
			x, line = 0, line+16
		}
		// The swatch and its label sit 3 units down, so that the ascent of a CJK label
		// stays inside the chart.
		s.f(`<rect x="%s" y="%s" width="10" height="10" fill="%s"/>`, num(x), num(y+line+3), colours[se.Tone])
		s.text(x+14, y+line+12, "start", "legend", fontSmall, chartWidth-x-14, label)
		x += w
	}
	return line + 22
}

// nice rounds m up to 1, 2 or 5 times a power of ten, and gives the step of its grid.
func nice(m float64) (top, step float64) {
	if m <= 0 {
		return 1, 1
	}
	p := math.Pow(10, math.Floor(math.Log10(m)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*p >= m {
			top = f * p
			break
		}
	}
	step = top / 5
	if step < 1 {
		step = 1
		top = math.Ceil(m)
	}
	for top/step > 5 {
		step *= 2
	}
	top = math.Ceil(m/step) * step
	return top, step
}

func sum(vs []float64) float64 {
	t := 0.0
	for _, v := range vs {
		t += v
	}
	return t
}

// barsSVG draws Bars (lengths to a common scale) and Shares (every bar full width, its
// parts as shares, the first series' share written beside it).
func barsSVG(c *Chart, l Lang) string {
	const (
		labelW = 220.0
		valueW = 48.0
		rowH   = 20.0
		barH   = 13.0
	)
	barX := labelW + 8
	barW := chartWidth - barX - valueW
	var s svgBuilder
	var body svgBuilder
	y := body.legend(c.Series, c.Bars, l, 0)
	top := 1.0
	step := 1.0
	if c.Kind == Bars {
		m := 0.0
		for _, b := range c.Bars {
			m = max(m, sum(b.Values))
		}
		top, step = nice(m)
	}
	gridTop := y
	y += 4
	for _, b := range c.Bars {
		total := sum(b.Values)
		label := b.Label.In(l)
		body.f(`<g class="bar">`)
		body.f(`<title>%s: %s</title>`, esc(label), esc(barTitle(c, b, l)))
		body.text(labelW, y+barH-2.5, "end", "label", fontLabel, labelW, label)
		x := barX
		scale := barW / top
		if c.Kind == Shares {
			scale = 0
			if total > 0 {
				scale = barW / total
			}
			body.f(`<rect x="%s" y="%s" width="%s" height="%s" fill="#eef0f2"/>`, num(barX), num(y), num(barW), num(barH))
		}
		for i, v := range b.Values {
			if v <= 0 {
				continue
			}
			w := v * scale
			body.f(`<rect class="part %s" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, c.Series[i].Tone.class(), num(x), num(y), num(w), num(barH), colours[c.Series[i].Tone])
			x += w
		}
		value := count(total)
		if c.Kind == Shares {
			value = "—"
			if total > 0 {
				value = pct(b.Values[0] / total)
			}
		}
		vx := x + 4
		if c.Kind == Shares {
			vx = barX + barW + 4
		}
		body.text(vx, y+barH-2.5, "start", "value", fontSmall, chartWidth-vx, value)
		body.f(`</g>`)
		y += rowH
	}
	// The scale: grid lines and their values under the bars.
	var grid svgBuilder
	if c.Kind == Bars {
		for v := 0.0; v <= top+step/2; v += step {
			x := barX + v/top*barW
			grid.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>`, num(x), num(gridTop), num(x), num(y))
			grid.text(x, y+11, "middle", "tick", fontSmall-1, 40, count(v))
		}
		y += 14
	} else {
		for _, v := range []float64{0, 0.5, 1} {
			x := barX + v*barW
			grid.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>`, num(x), num(gridTop), num(x), num(y))
			grid.text(x, y+11, "middle", "tick", fontSmall-1, 40, pct(v))
		}
		y += 14
	}
	s.open(c, l, y+2, len(c.Bars))
	s.b.WriteString(grid.b.String())
	s.b.WriteString(body.b.String())
	s.f(`</svg>`)
	return s.b.String()
}

// barTitle is a bar's tooltip: each series and its value.
func barTitle(c *Chart, b Bar, l Lang) string {
	parts := make([]string, 0, len(b.Values))
	for i, v := range b.Values {
		if len(c.Series) == 1 {
			parts = append(parts, count(v))
			continue
		}
		parts = append(parts, c.Series[i].Label.In(l)+" "+count(v))
	}
	if l == ZH {
		return strings.Join(parts, "，")
	}
	return strings.Join(parts, ", ")
}

// monthsSVG draws one column per month, stacked by series, with its total on top.
func monthsSVG(c *Chart, l Lang) string {
	const (
		axisW  = 34.0
		plotH  = 130.0
		labelH = 16.0
	)
	var body svgBuilder
	y0 := body.legend(c.Series, c.Bars, l, 0) + 14
	m := 0.0
	for _, b := range c.Bars {
		m = max(m, sum(b.Values))
	}
	top, step := nice(m)
	plotW := chartWidth - axisW
	base := y0 + plotH
	var grid svgBuilder
	for v := 0.0; v <= top+step/2; v += step {
		y := base - v/top*plotH
		grid.f(`<line x1="%s" y1="%s" x2="%d" y2="%s" class="grid"/>`, num(axisW), num(y), chartWidth, num(y))
		grid.text(axisW-4, y+3.5, "end", "tick", fontSmall-1, axisW-4, count(v))
	}
	slot := plotW / float64(max(len(c.Bars), 1))
	colW := min(slot*0.6, 48)
	for i, b := range c.Bars {
		x := axisW + slot*float64(i) + (slot-colW)/2
		label := b.Label.In(l)
		body.f(`<g class="bar">`)
		body.f(`<title>%s: %s</title>`, esc(label), esc(barTitle(c, b, l)))
		y := base
		for j, v := range b.Values {
			if v <= 0 {
				continue
			}
			h := v / top * plotH
			y -= h
			body.f(`<rect class="part %s" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, c.Series[j].Tone.class(), num(x), num(y), num(colW), num(h), colours[c.Series[j].Tone])
		}
		body.text(x+colW/2, y-3, "middle", "value", fontSmall, slot, count(sum(b.Values)))
		body.text(x+colW/2, base+12, "middle", "label", fontSmall, slot-2, label)
		body.f(`</g>`)
	}
	var s svgBuilder
	s.open(c, l, base+labelH+2, len(c.Bars))
	s.b.WriteString(grid.b.String())
	s.b.WriteString(body.b.String())
	s.f(`</svg>`)
	return s.b.String()
}

// heatColour is the fill of a share r (0 red, ½ amber, 1 pale green) and the text
// colour that reads on it.
func heatColour(r float64) (fill, ink string) {
	type rgb struct{ r, g, b float64 }
	lo, mid, hi := rgb{198, 40, 40}, rgb{242, 184, 92}, rgb{206, 233, 208}
	mix := func(a, b rgb, t float64) rgb { return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t} }
	var c rgb
	if r < 0.5 {
		c = mix(lo, mid, r*2)
	} else {
		c = mix(mid, hi, (r-0.5)*2)
	}
	ink = "#1d2329"
	if r < 0.3 {
		ink = "#ffffff"
	}
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(c.r)), int(math.Round(c.g)), int(math.Round(c.b))), ink
}

// heatSVG draws a grid of shares: a row per Rows entry, a column per Columns entry
// (labels slanted above), each cell coloured by its share and labelled with it.
func heatSVG(c *Chart, l Lang) string {
	const (
		labelW = 200.0
		rowH   = 19.0
		slant  = 60.0 // degrees above the horizontal of the column labels
	)
	// Room for the slanted column labels: the longest, cut to labelRoom units, rises
	// above the grid and reaches right of its column's centre, so the grid leaves that
	// much room on its right.
	const labelRoom = 130.0
	longest := 0.0
	for _, col := range c.Columns {
		longest = max(longest, min(textWidth(col.In(l), fontSmall), labelRoom))
	}
	rad := slant * math.Pi / 180
	headH := longest*math.Sin(rad) + 12
	n := float64(max(len(c.Columns), 1))
	// The last label starts at its column's centre, (cellW/2) from the grid's right edge.
	cellW := (chartWidth - labelW - 4) / n
	if over := longest*math.Cos(rad) + fontSmall - cellW/2; over > 0 {
		cellW = (chartWidth - labelW - 4 - over) / n
	}
	var s svgBuilder
	var body svgBuilder
	y := headH
	for j, col := range c.Columns {
		x := labelW + 4 + cellW*float64(j) + cellW/2
		body.f(`<g transform="translate(%s %s) rotate(-%s)">`, num(x), num(y-4), num(slant))
		body.text(0, 0, "start", "label", fontSmall, labelRoom, col.In(l))
		body.f(`</g>`)
	}
	for _, row := range c.Rows {
		label := row.Label.In(l)
		body.f(`<g class="row">`)
		body.text(labelW, y+rowH-6, "end", "label", fontLabel, labelW, label)
		for j, v := range row.Cells {
			x := labelW + 4 + cellW*float64(j)
			col := c.Columns[j].In(l)
			if v == nil {
				body.f(`<rect class="cell none" x="%s" y="%s" width="%s" height="%s" fill="#f1f3f5"><title>%s · %s: —</title></rect>`, num(x+1), num(y+1), num(cellW-2), num(rowH-2), esc(label), esc(col))
				body.text(x+cellW/2, y+rowH-6, "middle", "none", fontSmall, cellW-2, "—")
				continue
			}
			fill, ink := heatColour(*v)
			cls := "cell"
			if *v == 0 {
				cls += " bad"
			}
			body.f(`<rect class="%s" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s · %s: %s</title></rect>`, cls, num(x+1), num(y+1), num(cellW-2), num(rowH-2), fill, esc(label), esc(col), pct(*v))
			body.f(`<text x="%s" y="%s" text-anchor="middle" font-size="%d" fill="%s">%s</text>`, num(x+cellW/2), num(y+rowH-6), fontSmall, ink, pct(*v))
		}
		body.f(`</g>`)
		y += rowH
	}
	s.open(c, l, y+4, len(c.Rows))
	s.b.WriteString(body.b.String())
	s.f(`</svg>`)
	return s.b.String()
}

// pct is a share as a whole percent ("67%"), rounded down from 99.5 so that only a
// full share reads 100%.
func pct(r float64) string {
	p := math.Round(r * 100)
	if p == 100 && r < 1 {
		p = 99
	}
	if p == 0 && r > 0 {
		p = 1
	}
	return strconv.Itoa(int(p)) + "%"
}
