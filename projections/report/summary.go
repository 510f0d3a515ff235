package report

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/aba-prefecture/dataledger/domain/calendar"
)

// Helpers the kinds share to build the person-facing parts of a report (figures,
// charts, counts), so that every report counts and words them alike.

// Percent is a share as a whole percent ("67%"). Only a full share reads 100% and only
// an empty one 0%: 222 of 223 is "99%", not a rounded-up "100%" that hides the one
// missed.
func Percent(r float64) string { return pct(r) }

// Count is a count cell, marked with tone t when it is not zero (a column of missed
// deadlines shows red only where something was missed).
func Count(n int, t Tone) Cell {
	c := V(strconv.Itoa(n))
	if n > 0 {
		c.Tone = t
	}
	return c
}

// Fig is a headline figure of n, marked with tone t when n is not zero.
func Fig(label Text, n int, t Tone) Figure {
	f := Figure{Label: label, Value: strconv.Itoa(n)}
	if n > 0 {
		f.Tone = t
	}
	return f
}

// Counter counts items by category and series, for a chart's bars: Add each item, then
// take Bars. Categories keep the order they were first added in.
type Counter struct {
	series int
	keys   []string
	labels map[string]Text
	values map[string][]float64
}

// NewCounter counts in series series.
func NewCounter(series int) *Counter {
	return &Counter{series: series, labels: map[string]Text{}, values: map[string][]float64{}}
}

// Add counts one item of category key (labelled label) in series s.
func (c *Counter) Add(key string, label Text, s int) {
	v, ok := c.values[key]
	if !ok {
		v = make([]float64, c.series)
		c.values[key] = v
		c.labels[key] = label
		c.keys = append(c.keys, key)
	}
	v[s]++
}

// Len is the number of categories counted.
func (c *Counter) Len() int { return len(c.keys) }

// Bars returns a bar per category in the order added.
func (c *Counter) Bars() []Bar {
	out := make([]Bar, 0, len(c.keys))
	for _, k := range c.keys {
		out = append(out, Bar{Label: c.labels[k], Values: slices.Clone(c.values[k])})
	}
	return out
}

// ByTotal returns the bars with the largest totals first (ties in the order added).
func (c *Counter) ByTotal() []Bar {
	out := c.Bars()
	slices.SortStableFunc(out, func(a, b Bar) int {
		switch ta, tb := sum(a.Values), sum(b.Values); {
		case ta > tb:
			return -1
		case ta < tb:
			return 1
		}
		return 0
	})
	return out
}

// ByKey returns the bars in the natural order of their keys (D2 before D10).
func (c *Counter) ByKey() []Bar {
	keys := slices.Clone(c.keys)
	slices.SortFunc(keys, natural)
	out := make([]Bar, 0, len(keys))
	for _, k := range keys {
		out = append(out, Bar{Label: c.labels[k], Values: slices.Clone(c.values[k])})
	}
	return out
}

// Month is the month of d ("2025-07"): the category of a trend chart.
func Month(d calendar.Date) string { return fmt.Sprintf("%04d-%02d", d.Year, d.Month) }

// ByMonth returns the bars of a counter keyed by Month, one per month from the first to
// the last, empty months included, so that a trend shows the quiet months too.
func (c *Counter) ByMonth() []Bar {
	if len(c.keys) == 0 {
		return nil
	}
	keys := slices.Clone(c.keys)
	slices.Sort(keys)
	var y, m, ly, lm int
	fmt.Sscanf(keys[0], "%d-%d", &y, &m)
	fmt.Sscanf(keys[len(keys)-1], "%d-%d", &ly, &lm)
	var out []Bar
	for y < ly || y == ly && m <= lm {
		k := fmt.Sprintf("%04d-%02d", y, m)
		v, ok := c.values[k]
		if !ok {
			v = make([]float64, c.series)
		}
		out = append(out, Bar{Label: V(k).Text, Values: slices.Clone(v)})
		if m++; m > 12 {
			y, m = y+1, 1
		}
	}
	return out
}
