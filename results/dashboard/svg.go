package dashboard

// Chart geometry: scales from data to SVG user units, axis ticks, polyline
// paths, point marks and change markers. Everything here is numbers and
// plain strings; the template escapes the strings when it writes them.

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mirrorbench/mirrorbench/results/history"
)

// Size of a chart and its plot area, in SVG user units.
const (
	chartW = 640
	chartH = 300
	padL   = 64 // room for the value axis labels
	padR   = 20
	padT   = 16
	padB   = 44 // room for the time axis labels

	xTicks = 5 // time axis labels
	yTicks = 5 // about this many value axis labels
)

// metric says how one chart shows its values.
type metric struct {
	Title string  // "Throughput"
	Unit  string  // shown on the axis and in tooltips
	Scale float64 // value shown = Point.Value × Scale
}

var (
	throughputMetric = metric{Title: "Throughput", Unit: "samples/s", Scale: 1}
	accuracyMetric   = metric{Title: "Final test accuracy", Unit: "%", Scale: 100}
)

// chartView is one chart as the template draws it.
type chartView struct {
	Title, Unit string
	Label       string // accessible name of the SVG
	Empty       bool   // no finite point: a note instead of a chart
	W, H        int
	Left, Top   string // plot area corners
	Right, Bot  string
	YLabelX     string // right end of the value labels
	XTickY      string // lower end of the time ticks
	XLabelY     string // baseline of the time labels
	XTicks      []tickView
	YTicks      []tickView
	Series      []seriesView
	Changes     []changeView
}

// tickView is one axis tick: its position along the axis and its label.
type tickView struct {
	Pos, Label string
}

// seriesView is one host's line and points.
type seriesView struct {
	Scenario, Host string
	Color, Dash    string
	Points         string // polyline points
	Marks          []markView
}

// markView is one point: a link to its run's table row.
type markView struct {
	X, Y, Key, Tip string
}

// changeView is one change point marker.
type changeView struct {
	X, Y1, Y2      string
	LabelX, LabelY string
	Anchor         string // text-anchor of the label
	Label, Tip     string
	Color          string
}

// linear maps [d0, d1] onto [r0, r1].
type linear struct{ d0, d1, r0, r1 float64 }

func (s linear) at(v float64) float64 {
	return s.r0 + (v-s.d0)/(s.d1-s.d0)*(s.r1-s.r0)
}

// coord formats an SVG coordinate.
func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// plotted is a point with a finite value, in display units.
type plotted struct {
	p history.Point
	v float64
}

// finitePoints returns s's points whose value is finite, scaled, keeping
// for each point its index in s.Points (-1 for left-out ones).
func finitePoints(s history.Series, m metric) (pts []plotted, at []int) {
	at = make([]int, len(s.Points))
	for i, p := range s.Points {
		at[i] = -1
		v := p.Value * m.Scale
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		at[i] = len(pts)
		pts = append(pts, plotted{p, v})
	}
	return pts, at
}

// buildChart lays out one chart of one scenario; colours maps host classes
// to palette indices.
func buildChart(m metric, scenario string, series []history.Series, colours map[string]int) chartView {
	c := chartView{Title: m.Title, Unit: m.Unit, W: chartW, H: chartH,
		Label: fmt.Sprintf("%s (%s) of %s over time", m.Title, m.Unit, scenario)}
	t0, t1, v0, v1, ok := extent(series, m)
	if !ok {
		c.Empty = true
		return c
	}
	left, right, top, bot := float64(padL), float64(chartW-padR), float64(padT), float64(chartH-padB)
	c.Left, c.Right, c.Top, c.Bot = coord(left), coord(right), coord(top), coord(bot)
	c.YLabelX, c.XTickY, c.XLabelY = coord(left-6), coord(bot+5), coord(bot+19)
	td0, td1 := timeDomain(t0, t1)
	xs := linear{td0, td1, left, right}
	vd0, vd1 := valueDomain(v0, v1, m)
	ys := linear{vd0, vd1, bot, top}
	c.XTicks = timeTickViews(t0, t1, xs)
	c.YTicks = valueTickViews(vd0, vd1, ys)
	for _, s := range series {
		sv, changes := buildSeries(s, m, xs, ys, colours[s.Line()])
		c.Series = append(c.Series, sv)
		c.Changes = append(c.Changes, changes...)
	}
	stagger(c.Changes, top, right)
	return c
}

// extent returns the time and display-value ranges of the finite points.
func extent(series []history.Series, m metric) (t0, t1 time.Time, v0, v1 float64, ok bool) {
	for _, s := range series {
		pts, _ := finitePoints(s, m)
		for _, p := range pts {
			if !ok || p.p.Time.Before(t0) {
				t0 = p.p.Time
			}
			if !ok || p.p.Time.After(t1) {
				t1 = p.p.Time
			}
			if !ok || p.v < v0 {
				v0 = p.v
			}
			if !ok || p.v > v1 {
				v1 = p.v
			}
			ok = true
		}
	}
	return t0, t1, v0, v1, ok
}

// unixSeconds is t on the time axis.
func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// timeDomain pads [t0, t1] by 4 % each side (half a day each side of a
// single time) so that no point sits on the frame.
func timeDomain(t0, t1 time.Time) (float64, float64) {
	a, b := unixSeconds(t0), unixSeconds(t1)
	pad := (b - a) * 0.04
	if b == a {
		pad = 12 * 3600
	}
	return a - pad, b + pad
}

// valueDomain pads [v0, v1] by 8 % of its span each side, never below zero
// for data that is not negative.
func valueDomain(v0, v1 float64, m metric) (float64, float64) {
	pad := (v1 - v0) * 0.08
	if pad == 0 {
		pad = math.Max(math.Abs(v0)*0.05, 1e-9)
	}
	lo, hi := v0-pad, v1+pad
	if v0 >= 0 && lo < 0 {
		lo = 0
	}
	if m.Unit == "%" && v1 <= 100 && hi > 100 {
		hi = 100
	}
	return lo, hi
}

// niceStep returns a step of 1, 2 or 5 times a power of ten that cuts span
// into about n parts.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 5} {
		if raw <= f*mag {
			return f * mag
		}
	}
	return 10 * mag
}

// valueTickViews returns the value axis ticks: multiples of a nice step
// within [lo, hi].
func valueTickViews(lo, hi float64, ys linear) []tickView {
	step := niceStep(hi-lo, yTicks)
	var vals []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9 && len(vals) <= 2*yTicks; v += step {
		vals = append(vals, v)
	}
	var ticks []tickView
	for _, v := range vals {
		ticks = append(ticks, tickView{Pos: coord(ys.at(v)), Label: tickLabel(v, step, vals[len(vals)-1])})
	}
	return ticks
}

// tickLabel formats a value tick with as many decimals as step needs, in
// thousands ("12.5k") when the largest tick is 10 000 or more.
func tickLabel(v, step, largest float64) string {
	suffix := ""
	if math.Abs(largest) >= 1e4 {
		v, step, suffix = v/1e3, step/1e3, "k"
	}
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	if math.Abs(v) < step*1e-6 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', dec, 64) + suffix
}

// timeSteps are the time axis steps, from the finest; each comes with its
// label layout.
var timeSteps = []struct {
	d      time.Duration
	layout string
}{
	{time.Hour, "Jan 2 15:04"}, {3 * time.Hour, "Jan 2 15:04"}, {6 * time.Hour, "Jan 2 15:04"},
	{12 * time.Hour, "Jan 2 15:04"}, {24 * time.Hour, "Jan 2"}, {2 * 24 * time.Hour, "Jan 2"},
	{7 * 24 * time.Hour, "Jan 2"}, {14 * 24 * time.Hour, "Jan 2"}, {28 * 24 * time.Hour, "2006-01-02"},
	{91 * 24 * time.Hour, "2006-01-02"}, {364 * 24 * time.Hour, "2006-01-02"},
}

// timeTickViews returns time ticks at whole multiples of a step (UTC) within
// [t0, t1], no more than about xTicks+1 of them; a single time gets one tick
// of its own.
func timeTickViews(t0, t1 time.Time, xs linear) []tickView {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if t1.Sub(t0) <= s.d*xTicks {
			step = s
			break
		}
	}
	var ticks []tickView
	tick := func(t time.Time) {
		ticks = append(ticks, tickView{Pos: coord(xs.at(unixSeconds(t))), Label: t.UTC().Format(step.layout)})
	}
	for t := t0.UTC().Truncate(step.d); !t.After(t1); t = t.Add(step.d) {
		if !t.Before(t0) {
			tick(t)
		}
	}
	if len(ticks) == 0 {
		tick(t0)
	}
	return ticks
}

// buildSeries lays out one series' line (a host class and a
// configuration), its points and its change markers.
func buildSeries(s history.Series, m metric, xs, ys linear, colour int) (seriesView, []changeView) {
	sv := seriesView{Scenario: s.Scenario, Host: s.Line(),
		Color: palette[colour%len(palette)], Dash: dashes[colour/len(palette)%len(dashes)]}
	pts, at := finitePoints(s, m)
	var line []byte
	for _, p := range pts {
		x, y := coord(xs.at(unixSeconds(p.p.Time))), coord(ys.at(p.v))
		line = fmt.Appendf(line, "%s,%s ", x, y)
		sv.Marks = append(sv.Marks, markView{X: x, Y: y, Key: pointKey(p.p), Tip: pointTip(s, p, m)})
	}
	sv.Points = string(line)
	var changes []changeView
	for _, ch := range s.Changes {
		if ch.Index < 0 || ch.Index >= len(at) || at[ch.Index] < 0 {
			continue
		}
		p := pts[at[ch.Index]]
		changes = append(changes, changeView{X: coord(xs.at(unixSeconds(p.p.Time))),
			Y1: coord(ys.r1), Y2: coord(ys.r0), Color: sv.Color,
			Label: changeLabel(ch), Tip: changeTip(s, ch, m)})
	}
	return sv, changes
}

// stagger places change labels at the top of the plot, on rows of their
// own so that neighbours do not overprint, right-aligned near the right
// edge.
func stagger(cs []changeView, top, right float64) {
	for i := range cs {
		x, _ := strconv.ParseFloat(cs[i].X, 64)
		cs[i].LabelY = coord(top + 12 + 13*float64(i%4))
		cs[i].LabelX, cs[i].Anchor = coord(x+3), "start"
		if x > right-60 {
			cs[i].LabelX, cs[i].Anchor = coord(x-3), "end"
		}
	}
}

// changeLabel is the change of the level in per cent, signed: "-8.1 %".
func changeLabel(ch history.Change) string {
	if ch.Before == 0 {
		return "change"
	}
	return fmt.Sprintf("%+.1f %%", (ch.After/ch.Before-1)*100)
}

// changeTip tells a change point's facts.
func changeTip(s history.Series, ch history.Change, m metric) string {
	return fmt.Sprintf("Change point on %s: %s → %s %s (%s), p = %.2g; marked at the first run after the change",
		s.Line(), value(ch.Before*m.Scale), value(ch.After*m.Scale), m.Unit, changeLabel(ch), ch.P)
}

// pointTip tells a point's facts in its tooltip.
func pointTip(s history.Series, p plotted, m metric) string {
	return fmt.Sprintf("%s %s\n%s\n%s\ncommit %s\nrun %s (click for details)",
		value(p.v), m.Unit, s.Line(), p.p.Time.UTC().Format(timeLayout),
		commitText(p.p.Commit, p.p.Run.Dirty), short(pointKey(p.p), 12))
}

// value formats a measured value with four significant digits.
func value(v float64) string {
	if math.Abs(v) >= 1e4 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
