package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bar is one bar of the stability chart: the fraction of test edges whose
// assignment differs between seeds for one method (or λ), optionally within
// a group such as a phantom thickness.
type Bar struct {
	// Label is the category on the x axis, e.g. "PTT" or "PAT λ=50".
	Label string
	// Group, when not "", sorts bars of one Label into coloured groups
	// (e.g. "100 mm", "200 mm"), with a legend.
	Group string
	// Value is the fraction in [0, 1]; SD its standard deviation (0
	// draws no error bar).
	Value, SD float64
}

// StabilityOptions configures NewStability. The zero value draws a figure
// 1.1 inch wide per label (at least 5 inch) and 4.2 inch high, with the
// values printed above the bars.
type StabilityOptions struct {
	// Size of the figure; zero fields mean the default above.
	Size Size
	// Title of the figure; "" means none.
	Title string
	// YLabel labels the y axis; "" means "differs between seeds (% of
	// edges)".
	YLabel string
	// NoValues leaves out the value printed above each bar.
	NoValues bool
}

// Stability draws bars (see NewStability) and saves the figure to path.
func Stability(path string, bars []Bar, opt *StabilityOptions) error {
	return saveTo(path)(NewStability(bars, opt))
}

// NewStability draws a bar chart of the seed instability of methods: one
// bar per Label (in order of first appearance), or one bar per Group within
// each Label, heights in percent with ±SD error bars. No bars, a value
// outside [0, 1], a negative or non-finite SD, or two bars with the same
// Label and Group is an error. O(bars²) (bars are few).
func NewStability(bars []Bar, opt *StabilityOptions) (*Figure, error) {
	o := optionsOf(opt)
	if len(bars) == 0 {
		return nil, fmt.Errorf("plot: stability: %w", errNoData)
	}
	o.YLabel = cmp.Or(o.YLabel, "differs between seeds (% of edges)")
	var labels, groups []string
	for i, b := range bars {
		if !(b.Value >= 0 && b.Value <= 1) || !(b.SD >= 0) || !finite(b.SD) {
			return nil, fmt.Errorf("plot: stability: bar %d (%q, %q): value %g ± %g is not a fraction", i, b.Label, b.Group, b.Value, b.SD)
		}
		for _, c := range bars[:i] {
			if c.Label == b.Label && c.Group == b.Group {
				return nil, fmt.Errorf("plot: stability: two bars for %q, group %q", b.Label, b.Group)
			}
		}
		if !slices.Contains(labels, b.Label) {
			labels = append(labels, b.Label)
		}
		if !slices.Contains(groups, b.Group) {
			groups = append(groups, b.Group)
		}
	}
	size, err := o.Size.resolve(max(5*vg.Inch, 1.1*vg.Inch*vg.Length(len(labels))), 4.2*vg.Inch)
	if err != nil {
		return nil, err
	}

	p := newPlot("", o.YLabel)
	p.NominalX(labels...)
	p.X.Tick.Label.Font.Size = labelSize
	p.Y.Tick.Marker = niceTicks{6}
	p.X.Min, p.X.Max = -0.6, float64(len(labels))-0.4
	p.Add(yGrid())
	width := 0.8 / float64(len(groups))
	top := 0.0
	var legend []legendItem
	for gi, g := range groups {
		bp := &barPlot{width: width, fill: palette[gi%len(palette)], values: !o.NoValues}
		for _, b := range bars {
			if b.Group != g {
				continue
			}
			x := float64(slices.Index(labels, b.Label)) + (float64(gi)-float64(len(groups)-1)/2)*width
			bp.pts = append(bp.pts, xy{x, 100 * b.Value})
			bp.sd = append(bp.sd, 100*b.SD)
			top = max(top, 100*(b.Value+b.SD))
		}
		p.Add(bp)
		if g != "" {
			legend = append(legend, legendItem{g, bp})
		}
	}
	p.Y.Min, p.Y.Max = 0, top*1.15
	if top == 0 {
		p.Y.Max = 1
	}
	l := &layout{title: o.Title, grid: [][]*gplot.Plot{{p}}, legend: legend}
	return newFigure(size, l.draw), nil
}

// barPlot draws bars from 0 to pts[i].Y centred at pts[i].X, width in
// data units, with ±sd error bars and optionally the value above.
type barPlot struct {
	pts    []xy
	sd     []float64
	width  float64
	fill   color.Color
	values bool
}

// Plot implements gplot.Plotter.
func (b *barPlot) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, trY := plt.Transforms(&c)
	edge := draw.LineStyle{Color: colHit, Width: 0.5}
	bar := draw.LineStyle{Color: colHit, Width: 1}
	st := textStyle(tickSize)
	st.XAlign = draw.XCenter
	for i, q := range b.pts {
		x0, x1 := trX(q.X-b.width/2), trX(q.X+b.width/2)
		y0, y1 := trY(0), trY(q.Y)
		poly := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
		c.FillPolygon(b.fill, c.ClipPolygonXY(poly))
		c.StrokeLines(edge, c.ClipLinesXY(append(poly, poly[0]))...)
		xm, ytop := (x0+x1)/2, y1
		if sd := b.sd[i]; sd > 0 {
			lo, hi := trY(q.Y-sd), trY(q.Y+sd)
			c.StrokeLines(bar, c.ClipLinesXY([]vg.Point{{X: xm, Y: lo}, {X: xm, Y: hi}})...)
			c.StrokeLines(bar, c.ClipLinesXY([]vg.Point{{X: xm - 3, Y: hi}, {X: xm + 3, Y: hi}})...)
			ytop = hi
		}
		if b.values {
			c.FillText(st, vg.Point{X: xm, Y: ytop + 2}, percentLabel(q.Y))
		}
	}
}

// Thumbnail implements gplot.Thumbnailer.
func (b *barPlot) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(b.fill, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
}

// percentLabel prints v (already in percent, the axis says so) with at
// most three significant digits and four decimals, never in exponent form.
func percentLabel(v float64) string {
	if v == 0 {
		return "0"
	}
	prec := min(max(0, 2-int(math.Floor(math.Log10(v)))), 4)
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
