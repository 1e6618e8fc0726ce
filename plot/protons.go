package plot

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pcttrack/pcttrack/metrics"
)

// Point is the result of one method at one number of protons per frame,
// e.g. a metrics.Group: purity and efficiency as fractions with their
// standard deviations (0 draws no error bar).
type Point struct {
	Method                   string
	ProtonsPerFrame          int
	Purity, PuritySD         float64
	Efficiency, EfficiencySD float64
}

// PointOf returns the Point of a metrics group: its method, protons per
// frame and mean ± sd purity and efficiency. Groups of several phantoms
// should be drawn in separate figures (or their Method renamed first).
func PointOf(g metrics.Group) Point {
	return Point{
		Method: g.Key.Method, ProtonsPerFrame: g.Key.ProtonsPerFrame,
		Purity: g.Purity.Mean, PuritySD: g.Purity.SD,
		Efficiency: g.Efficiency.Mean, EfficiencySD: g.Efficiency.SD,
	}
}

// VersusOptions configures NewVersusProtons. The zero value draws a 10 ×
// 4.6 inch figure without title, every method solid.
type VersusOptions struct {
	// Size of the figure; zero fields mean 10 × 4.6 inch.
	Size Size
	// Title of the figure; "" means none.
	Title string
	// Dashed names methods drawn with dashed lines and open markers,
	// e.g. the paper's published values next to measured ones.
	Dashed []string
}

// VersusProtons draws rows (see NewVersusProtons) and saves the figure to
// path.
func VersusProtons(path string, rows []Point, opt *VersusOptions) error {
	return saveTo(path)(NewVersusProtons(rows, opt))
}

// NewVersusProtons draws purity and efficiency (in percent) against the
// number of protons per frame, side by side: one line per Method (in order
// of first appearance) through its points sorted by protons per frame, with
// ±SD error bars; methods sharing an x value are spread sideways a little so
// their bars stay apart. No rows, two rows for the same method and protons,
// a non-positive protons per frame, a non-finite value or a negative SD is
// an error. O(rows·log rows).
func NewVersusProtons(rows []Point, opt *VersusOptions) (*Figure, error) {
	o := optionsOf(opt)
	if len(rows) == 0 {
		return nil, fmt.Errorf("plot: versus protons: %w", errNoData)
	}
	size, err := o.Size.resolve(10*vg.Inch, 4.6*vg.Inch)
	if err != nil {
		return nil, err
	}
	var methods []string
	var protons []float64
	seen := map[string]map[int]bool{}
	for _, r := range rows {
		if r.ProtonsPerFrame <= 0 {
			return nil, fmt.Errorf("plot: versus protons: method %q: %d protons per frame", r.Method, r.ProtonsPerFrame)
		}
		for _, v := range []float64{r.Purity, r.PuritySD, r.Efficiency, r.EfficiencySD} {
			if !finite(v) {
				return nil, fmt.Errorf("plot: versus protons: method %q at %d protons per frame: non-finite value %g", r.Method, r.ProtonsPerFrame, v)
			}
		}
		if r.PuritySD < 0 || r.EfficiencySD < 0 {
			return nil, fmt.Errorf("plot: versus protons: method %q at %d protons per frame: negative standard deviation", r.Method, r.ProtonsPerFrame)
		}
		if seen[r.Method] == nil {
			seen[r.Method] = map[int]bool{}
			methods = append(methods, r.Method)
		}
		if seen[r.Method][r.ProtonsPerFrame] {
			return nil, fmt.Errorf("plot: versus protons: method %q has two rows at %d protons per frame", r.Method, r.ProtonsPerFrame)
		}
		seen[r.Method][r.ProtonsPerFrame] = true
		if x := float64(r.ProtonsPerFrame); !slices.Contains(protons, x) {
			protons = append(protons, x)
		}
	}
	slices.Sort(protons)

	pur := newPlot("protons per frame", "purity (%)")
	eff := newPlot("protons per frame", "efficiency (%)")
	var legend []legendItem
	for _, p := range []*gplot.Plot{pur, eff} {
		p.X.Tick.Marker = valueTicks(protons)
		p.Y.Tick.Marker = niceTicks{6}
		p.Add(yGrid())
		span := protons[len(protons)-1] - protons[0]
		span = cmp.Or(span, protons[0])
		p.X.Min, p.X.Max = protons[0]-0.08*span, protons[len(protons)-1]+0.08*span
	}
	rp, re := newRange(), newRange()
	const dodge = 5 // points between methods at one x
	for i, m := range methods {
		var pts []Point
		for _, r := range rows {
			if r.Method == m {
				pts = append(pts, r)
			}
		}
		slices.SortFunc(pts, func(a, b Point) int { return cmp.Compare(a.ProtonsPerFrame, b.ProtonsPerFrame) })
		dashed := slices.Contains(o.Dashed, m)
		line := runStyle(i, 1.4)
		glyph := draw.GlyphStyle{Color: line.Color, Radius: 3, Shape: filledGlyphs[i%len(filledGlyphs)]}
		if dashed {
			line.Dashes = []vg.Length{5, 3}
			glyph.Shape = openGlyphs[i%len(openGlyphs)]
		}
		dx := vg.Length(float64(i)-float64(len(methods)-1)/2) * dodge
		mp := &methodPlot{line: line, glyph: glyph, dx: dx}
		me := &methodPlot{line: line, glyph: glyph, dx: dx}
		for _, r := range pts {
			x := float64(r.ProtonsPerFrame)
			mp.pts = append(mp.pts, xy{x, 100 * r.Purity})
			mp.sd = append(mp.sd, 100*r.PuritySD)
			me.pts = append(me.pts, xy{x, 100 * r.Efficiency})
			me.sd = append(me.sd, 100*r.EfficiencySD)
			rp.add(x, 100*(r.Purity-r.PuritySD))
			rp.add(x, 100*(r.Purity+r.PuritySD))
			re.add(x, 100*(r.Efficiency-r.EfficiencySD))
			re.add(x, 100*(r.Efficiency+r.EfficiencySD))
		}
		pur.Add(mp)
		eff.Add(me)
		legend = append(legend, legendItem{m, mp})
	}
	for _, c := range []struct {
		p *gplot.Plot
		r dataRange
	}{{pur, rp}, {eff, re}} {
		xmin, xmax := c.p.X.Min, c.p.X.Max
		c.r.apply(c.p, 0.08, false)
		c.p.X.Min, c.p.X.Max = xmin, xmax
	}
	l := &layout{title: o.Title, grid: [][]*gplot.Plot{{pur, eff}}, legend: legend}
	return newFigure(size, l.draw), nil
}

var (
	filledGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}
	openGlyphs   = []draw.GlyphDrawer{draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}}
)

// methodPlot draws one method: a line through its points, ±sd error bars
// and markers, shifted sideways by dx.
type methodPlot struct {
	pts   []xy
	sd    []float64
	line  draw.LineStyle
	glyph draw.GlyphStyle
	dx    vg.Length
}

// Plot implements gplot.Plotter.
func (m *methodPlot) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, trY := plt.Transforms(&c)
	pts := make([]vg.Point, len(m.pts))
	for i, q := range m.pts {
		pts[i] = vg.Point{X: trX(q.X) + m.dx, Y: trY(q.Y)}
	}
	c.StrokeLines(m.line, c.ClipLinesXY(pts)...)
	bar := draw.LineStyle{Color: m.line.Color, Width: 1}
	for i, q := range m.pts {
		if m.sd[i] <= 0 {
			continue
		}
		x, lo, hi := pts[i].X, trY(q.Y-m.sd[i]), trY(q.Y+m.sd[i])
		c.StrokeLines(bar, c.ClipLinesXY([]vg.Point{{X: x, Y: lo}, {X: x, Y: hi}})...)
		for _, y := range []vg.Length{lo, hi} {
			c.StrokeLines(bar, c.ClipLinesXY([]vg.Point{{X: x - 3, Y: y}, {X: x + 3, Y: y}})...)
		}
	}
	for _, p := range pts {
		c.DrawGlyph(m.glyph, p)
	}
}

// Thumbnail implements gplot.Thumbnailer.
func (m *methodPlot) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(m.line, c.Min.X, y, c.Max.X, y)
	c.DrawGlyph(m.glyph, c.Center())
}

// valueTicks labels exactly the given values.
type valueTicks []float64

// Ticks implements gplot.Ticker.
func (v valueTicks) Ticks(lo, hi float64) []gplot.Tick {
	var t []gplot.Tick
	for _, x := range v {
		if x >= lo && x <= hi {
			t = append(t, gplot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)})
		}
	}
	return t
}
