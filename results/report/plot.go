package report

// Figures of runs, drawn with gonum.org/v1/plot: test accuracy and test loss
// per epoch, and the throughput bar chart. Each figure is written as PNG
// (150 dpi) and SVG, atomically. Legends sit in a column right of the plot
// area so they never hide a curve or a bar.

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mirrorbench/mirrorbench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Kinds of throughput bars.
const (
	ThroughputMeasured  = "measured"  // timed by this tool on this host
	ThroughputProjected = "projected" // extrapolated, not timed
	ThroughputReported  = "reported"  // quoted from elsewhere
)

// ThroughputBar is one bar of the throughput plot: a label and microseconds
// per training sample, of a Kind (ThroughputMeasured, ThroughputProjected or
// ThroughputReported).
type ThroughputBar struct {
	Label       string
	USPerSample float64
	Kind        string
}

const (
	pngDPI    = 150
	legendPad = vg.Length(12) // points either side of the legend column
)

var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

	// Okabe-Ito colours, distinguishable with colour-blindness; yellow left
	// out as too faint on white.
	runColors = []color.Color{
		color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
		color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
		color.RGBA{0x00, 0x9E, 0x73, 0xff}, // bluish green
		color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
		color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
		color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky blue
		color.RGBA{0x00, 0x00, 0x00, 0xff}, // black
	}

	kindOrder = []string{ThroughputMeasured, ThroughputProjected, ThroughputReported}
	kindStyle = map[string]struct {
		fill  color.Color
		hatch bool
	}{
		ThroughputMeasured:  {color.RGBA{0x00, 0x72, 0xB2, 0xff}, false},
		ThroughputProjected: {color.RGBA{0xE6, 0x9F, 0x00, 0xff}, true},
		ThroughputReported:  {color.RGBA{0x99, 0x99, 0x99, 0xff}, false},
	}
)

// PlotRuns writes, for a set of run records, a figure of test accuracy per
// epoch (one line per run, legend "scenario seed N") and one of test loss
// per epoch, each as PNG and SVG: dir/accuracy.png, dir/accuracy.svg,
// dir/loss.png, dir/loss.svg. Records without epochs are left out, as are
// non-finite values (a diverged run's NaN loss); it is an error when no
// record has epochs. dir is created if need be. It returns the paths written.
func PlotRuns(dir string, recs []*results.Record) ([]string, error) {
	type run struct {
		label  string
		epochs []results.Epoch
	}
	var runs []run
	seen := map[string]int{}
	for _, r := range recs {
		if r == nil || len(r.Epochs) == 0 {
			continue
		}
		label := fmt.Sprintf("%s seed %d", r.Scenario, r.Seed)
		seen[label]++
		if n := seen[label]; n > 1 {
			label = fmt.Sprintf("%s (%d)", label, n)
		}
		runs = append(runs, run{label, r.Epochs})
	}
	if len(runs) == 0 {
		return nil, errors.New("plot runs: no run record has epochs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	var paths []string
	for _, m := range []struct {
		file, title, ylabel string
		value               func(results.Epoch) float64
	}{
		{"accuracy", "Test accuracy per epoch", "test accuracy", func(e results.Epoch) float64 { return e.TestAccuracy }},
		{"loss", "Test loss per epoch", "test loss", func(e results.Epoch) float64 { return e.TestLoss }},
	} {
		f := newFigure(m.title, "epoch", m.ylabel)
		f.p.X.Tick.Marker = integerTicks{}
		f.p.Add(grid())
		for i, r := range runs {
			var xys plotter.XYs
			for j, e := range r.epochs {
				x, y := float64(e.Epoch), m.value(e)
				if e.Epoch == 0 {
					x = float64(j + 1)
				}
				if results.IsFinite(y) {
					xys = append(xys, plotter.XY{X: x, Y: y})
				}
			}
			if len(xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return paths, fmt.Errorf("plot %s: %s: %w", m.file, r.label, err)
			}
			c := runColors[i%len(runColors)]
			line.Color = c
			line.Width = vg.Points(1.5)
			line.Dashes = plotutil.Dashes(i / len(runColors))
			points.Color = c
			points.Shape = plotutil.Shape(i)
			points.Radius = vg.Points(3)
			f.p.Add(line, points)
			f.legend(r.label, line, points)
		}
		// Keep the plot area at least 5.5 inches wide beside a wide legend.
		w := max(8*vg.Inch, 5.5*vg.Inch+f.legendWidth())
		h := max(5*vg.Inch, f.legendHeight()+1.5*vg.Inch)
		written, err := f.write(dir, m.file, w, h)
		paths = append(paths, written...)
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// PlotThroughput writes dir/throughput.png and dir/throughput.svg: a
// horizontal bar chart of microseconds per training sample, one bar per
// label in the given order from the top, each bar's value written at its
// end. The axis is logarithmic when the largest value is more than 100 times
// the smallest. Bars are coloured by Kind (projected ones also hatched, so the
// figure survives greyscale printing), with a legend of the kinds present.
// dir is created if need be. It returns the paths written.
func PlotThroughput(dir string, bars []ThroughputBar) ([]string, error) {
	if len(bars) == 0 {
		return nil, errors.New("plot throughput: no bars")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, b := range bars {
		if _, ok := kindStyle[b.Kind]; !ok {
			return nil, fmt.Errorf("plot throughput: bar %q: kind %q, want measured, projected or reported", b.Label, b.Kind)
		}
		if !results.IsFinite(b.USPerSample) || b.USPerSample <= 0 {
			return nil, fmt.Errorf("plot throughput: bar %q: %v µs per sample, want a positive number", b.Label, b.USPerSample)
		}
		lo, hi = min(lo, b.USPerSample), max(hi, b.USPerSample)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	logScale := hi > 100*lo
	title := "Training throughput"
	base := 0.0
	if logScale {
		title += " (log scale)"
		base = math.Pow(10, math.Floor(math.Log10(lo)))
		if lo/base < 1.5 { // keep the shortest bar visible
			base /= 10
		}
	}
	f := newFigure(title, "µs per training sample (lower is better)", "")

	n := len(bars)
	names := make([]string, n)
	byKind := map[string]*hbars{}
	var labels plotter.XYLabels
	for i, b := range bars {
		y := float64(n - 1 - i) // first bar on top
		names[n-1-i] = b.Label
		hb := byKind[b.Kind]
		if hb == nil {
			s := kindStyle[b.Kind]
			hb = &hbars{base: base, fill: s.fill, hatch: s.hatch}
			byKind[b.Kind] = hb
		}
		hb.bars = append(hb.bars, plotter.XY{X: b.USPerSample, Y: y})
		labels.XYs = append(labels.XYs, plotter.XY{X: b.USPerSample, Y: y})
		labels.Labels = append(labels.Labels, formatUS(b.USPerSample))
	}

	g := grid()
	g.Horizontal.Color = nil
	f.p.Add(g)
	for _, k := range kindOrder {
		if hb := byKind[k]; hb != nil {
			f.p.Add(hb)
			f.legend(k, hb)
		}
	}
	values, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("plot throughput: %w", err)
	}
	for i := range values.TextStyle {
		values.TextStyle[i].Font = font.From(sansFont, 10)
		values.TextStyle[i].YAlign = draw.YCenter
	}
	values.Offset = vg.Point{X: vg.Points(4)}
	f.p.Add(values)

	f.p.NominalY(names...)
	f.p.Y.Min, f.p.Y.Max = -0.6, float64(n)-0.4
	f.p.X.Min = base
	if logScale {
		f.p.X.Scale = plot.LogScale{}
		f.p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		f.p.X.Max *= 1.2 // a little room beyond the longest bar
	} else {
		f.p.X.Max *= 1.05
	}

	w, h := 8*vg.Inch, max(3*vg.Inch, vg.Length(n)*0.42*vg.Inch+1.6*vg.Inch)
	return f.write(dir, "throughput", w, h)
}

// figure is a plot and its legend, which is drawn right of the plot area.
type figure struct {
	p       *plot.Plot
	leg     plot.Legend
	entries int
}

func newFigure(title, xlabel, ylabel string) *figure {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFont, 14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, 12)
		a.Tick.Label.Font = font.From(sansFont, 10)
	}
	leg := plot.NewLegend()
	leg.TextStyle.Font = font.From(sansFont, 11)
	leg.Top, leg.Left = true, true
	leg.Padding = vg.Points(4)
	leg.ThumbnailWidth = vg.Points(24)
	return &figure{p: p, leg: leg}
}

func (f *figure) legend(name string, thumbs ...plot.Thumbnailer) {
	f.leg.Add(name, thumbs...)
	f.entries++
}

// legendWidth is the width of the legend column, padding included.
func (f *figure) legendWidth() vg.Length {
	if f.entries == 0 {
		return 0
	}
	return f.leg.Rectangle(draw.Canvas{}).Size().X + 2*legendPad
}

// legendHeight is the height of the legend column.
func (f *figure) legendHeight() vg.Length {
	entry := f.leg.TextStyle.Rectangle("Xg").Size().Y
	return vg.Length(f.entries) * (entry + f.leg.Padding)
}

// draw lays the figure out on c: the plot, then the legend in a column on
// the right, its top level with the top of the plot area.
func (f *figure) draw(c draw.Canvas) {
	margin := vg.Points(6)
	c = draw.Crop(c, margin, -margin, margin, -margin)
	legendW := f.legendWidth()
	f.p.Draw(draw.Crop(c, 0, -legendW, 0, 0))
	if f.entries == 0 {
		return
	}
	top := f.p.Title.TextStyle.Rectangle(f.p.Title.Text).Size().Y + f.p.Title.Padding
	lc := draw.Crop(c, c.Size().X-legendW+legendPad, -legendPad, 0, -top)
	f.leg.Draw(lc)
}

// write renders the figure as dir/name.png and dir/name.svg.
func (f *figure) write(dir, name string, w, h vg.Length) ([]string, error) {
	var paths []string
	for _, format := range []string{"png", "svg"} {
		var c vg.CanvasWriterTo
		switch format {
		case "png":
			c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))}
		case "svg":
			c = vgsvg.New(w, h)
		}
		f.draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return paths, fmt.Errorf("plot %s.%s: %w", name, format, err)
		}
		path := filepath.Join(dir, name+"."+format)
		if err := results.WriteFileAtomic(path, buf.Bytes()); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func grid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{0xdd}
	g.Horizontal.Color = color.Gray{0xdd}
	g.Vertical.Dashes, g.Horizontal.Dashes = nil, nil
	return g
}

// formatUS renders microseconds with three significant digits or whole
// numbers, whichever is shorter to read.
func formatUS(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + " µs"
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " µs"
}

// integerTicks marks whole numbers only (epochs), at steps of 1, 2, 5, 10, ...
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	first, last := math.Ceil(lo), math.Floor(hi)
	step := 1.0
	for (last-first)/step > 10 {
		switch s := step / math.Pow(10, math.Floor(math.Log10(step))); s {
		case 1, 5:
			step *= 2
		default: // 2
			step *= 2.5
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(first/step) * step; v <= last; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	if len(ticks) < 2 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	return ticks
}

// hbars is a set of horizontal bars from base to each point's X at the
// point's Y, filled, optionally hatched, outlined; its thumbnail is a patch
// in the same style.
type hbars struct {
	bars  plotter.XYs
	base  float64
	fill  color.Color
	hatch bool
}

var barOutline = draw.LineStyle{Color: color.Gray{0x33}, Width: vg.Points(0.6)}

func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	thick := vg.Length(math.Abs(float64(trY(1)-trY(0)))) * 0.65
	thick = min(thick, 0.4*vg.Inch)
	for _, b := range h.bars {
		y := trY(b.Y)
		h.patch(&c, vg.Rectangle{
			Min: vg.Point{X: trX(h.base), Y: y - thick/2},
			Max: vg.Point{X: trX(b.X), Y: y + thick/2},
		})
	}
}

func (h *hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = h.base, h.base, math.Inf(1), math.Inf(-1)
	for _, b := range h.bars {
		xmax = max(xmax, b.X)
		ymin, ymax = min(ymin, b.Y), max(ymax, b.Y)
	}
	return xmin, xmax, ymin, ymax
}

func (h *hbars) Thumbnail(c *draw.Canvas) {
	inset := vg.Points(2)
	h.patch(c, vg.Rectangle{
		Min: vg.Point{X: c.Min.X, Y: c.Min.Y + inset},
		Max: vg.Point{X: c.Max.X, Y: c.Max.Y - inset},
	})
}

// patch draws one bar's rectangle r.
func (h *hbars) patch(c *draw.Canvas, r vg.Rectangle) {
	corners := []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
	c.FillPolygon(h.fill, corners)
	if h.hatch {
		// 45° white lines, clipped to the rectangle.
		hatch := draw.LineStyle{Color: color.White, Width: vg.Points(1.2)}
		step, height := vg.Points(5), r.Max.Y-r.Min.Y
		for k := r.Min.X - height; k < r.Max.X; k += step {
			a := vg.Point{X: k, Y: r.Min.Y}
			b := vg.Point{X: k + height, Y: r.Max.Y}
			if a.X < r.Min.X {
				a = vg.Point{X: r.Min.X, Y: r.Min.Y + (r.Min.X - k)}
			}
			if b.X > r.Max.X {
				b = vg.Point{X: r.Max.X, Y: r.Max.Y - (b.X - r.Max.X)}
			}
			if a.X < b.X {
				c.StrokeLines(hatch, []vg.Point{a, b})
			}
		}
	}
	c.StrokeLines(barOutline, append(corners, corners[0]))
}
