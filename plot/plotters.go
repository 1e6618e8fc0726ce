package plot

import (
	"cmp"
	"image/color"
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The event display draws thousands of segments and hits; these plotters
// draw them in one pass each instead of one gonum plotter per track.

// xy is a point in data coordinates.
type xy struct{ X, Y float64 }

// polylines draws lines in data coordinates with one style; a non-nil
// colors gives line i the colour colors[i%len(colors)].
type polylines struct {
	lines  [][]xy
	style  draw.LineStyle
	colors []color.Color
}

// Plot implements gplot.Plotter.
func (p *polylines) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, trY := plt.Transforms(&c)
	var pts []vg.Point
	sty := p.style
	for i, l := range p.lines {
		pts = pts[:0]
		for _, q := range l {
			pts = append(pts, vg.Point{X: trX(q.X), Y: trY(q.Y)})
		}
		if len(p.colors) > 0 {
			sty.Color = p.colors[i%len(p.colors)]
		}
		c.StrokeLines(sty, c.ClipLinesXY(pts)...)
	}
}

// Thumbnail implements gplot.Thumbnailer: a horizontal line, or with
// several colours one short line per colour.
func (p *polylines) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if len(p.colors) == 0 {
		c.StrokeLine2(p.style, c.Min.X, y, c.Max.X, y)
		return
	}
	n := min(len(p.colors), 3)
	w := (c.Max.X - c.Min.X) / vg.Length(n)
	sty := p.style
	for i := range n {
		sty.Color = p.colors[i]
		x0 := c.Min.X + vg.Length(i)*w
		c.StrokeLine2(sty, x0+0.5, y, x0+w-0.5, y)
	}
}

// glyphs draws one glyph per point.
type glyphs struct {
	pts   []xy
	style draw.GlyphStyle
}

// Plot implements gplot.Plotter.
func (g *glyphs) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, trY := plt.Transforms(&c)
	for _, q := range g.pts {
		c.DrawGlyph(g.style, vg.Point{X: trX(q.X), Y: trY(q.Y)})
	}
}

// Thumbnail implements gplot.Thumbnailer.
func (g *glyphs) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(g.style, c.Center())
}

// vlines draws vertical lines across the whole data area at the given x.
type vlines struct {
	x     []float64
	style draw.LineStyle
}

// Plot implements gplot.Plotter.
func (v *vlines) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, _ := plt.Transforms(&c)
	for _, x := range v.x {
		if px := trX(x); c.ContainsX(px) {
			c.StrokeLine2(v.style, px, c.Min.Y, px, c.Max.Y)
		}
	}
}

// Thumbnail implements gplot.Thumbnailer.
func (v *vlines) Thumbnail(c *draw.Canvas) {
	x := c.Center().X
	c.StrokeLine2(v.style, x, c.Min.Y, x, c.Max.Y)
}

// rgb returns an opaque colour from a 0xRRGGBB value.
func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// palette colours reconstructed tracks and runs. Red, orange and grey are
// left out: they mark errors and the truth.
var palette = []color.Color{
	rgb(0x1f77b4), rgb(0x2ca02c), rgb(0x9467bd), rgb(0x8c564b), rgb(0x17becf),
	rgb(0xbcbd22), rgb(0x393b79), rgb(0xe377c2), rgb(0x637939), rgb(0x3182bd),
}

var (
	colTruth   = rgb(0xb8b8b8)
	colLayer   = rgb(0xe8e8e8)
	colFalse   = rgb(0xd62728)
	colMissed  = rgb(0xff7f0e)
	colHit     = rgb(0x262626)
	colRejects = rgb(0x808080)
)

// niceTicks is a gonum Ticker with about n labelled ticks at steps of 1,
// 2, 2.5 or 5 × 10^k and unlabelled minor ticks between them (gonum's
// default gives only three or four labels on a wide axis).
type niceTicks struct{ n int }

// Ticks implements gplot.Ticker.
func (t niceTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return gplot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / float64(max(t.n, 2))
	exp := math.Floor(math.Log10(raw))
	base := math.Pow(10, exp)
	// The candidate step whose number of ticks is closest to n.
	var step float64
	var minor int
	best := math.Inf(1)
	for _, m := range []struct {
		f     float64
		minor int
	}{{1, 5}, {2, 4}, {2.5, 5}, {5, 5}, {10, 5}} {
		if d := math.Abs((hi-lo)/(m.f*base) - float64(t.n)); d < best {
			best, step, minor = d, m.f*base, m.minor
		}
	}
	prec := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	if math.Abs(step/math.Pow(10, -float64(prec))-math.Round(step/math.Pow(10, -float64(prec)))) > 1e-9 {
		prec++ // 2.5 × 10^k needs one more digit
	}
	var ticks []gplot.Tick
	i0 := int(math.Floor(lo/step+1e-9)) - 1
	sub := step / float64(minor)
	// The count bound only guards against float64 steps below the
	// resolution of huge coordinates.
	for i := i0; float64(i)*step <= hi+1e-9*step && i-i0 < 1000; i++ {
		v := float64(i) * step
		if v >= lo-1e-9*step {
			label := strconv.FormatFloat(v, 'f', prec, 64)
			if strings.Trim(label, "-0.") == "" {
				label = "0"
			}
			ticks = append(ticks, gplot.Tick{Value: v, Label: label})
		}
		for k := 1; k < minor; k++ {
			if m := v + float64(k)*sub; m >= lo && m <= hi {
				ticks = append(ticks, gplot.Tick{Value: m})
			}
		}
	}
	return ticks
}

// thumbs draws several thumbnails on top of each other (a line and its
// marker).
type thumbs []gplot.Thumbnailer

// Thumbnail implements gplot.Thumbnailer.
func (t thumbs) Thumbnail(c *draw.Canvas) {
	for _, th := range t {
		th.Thumbnail(c)
	}
}

// runStyle returns the line style of the i-th run or method: palette
// colours, then dashed variants once the palette is used up.
func runStyle(i int, width vg.Length) draw.LineStyle {
	st := draw.LineStyle{Color: palette[i%len(palette)], Width: width}
	switch (i / len(palette)) % 3 {
	case 1:
		st.Dashes = []vg.Length{4, 2}
	case 2:
		st.Dashes = []vg.Length{1, 2}
	}
	return st
}

// breakLines splits the points at non-finite coordinates (and, for a log
// axis, at y <= 0) into polylines.
func breakLines(x, y []float64, logY bool) [][]xy {
	var out [][]xy
	var cur []xy
	for i := range x {
		if !finite(x[i]) || !finite(y[i]) || (logY && y[i] <= 0) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, xy{x[i], y[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// dataRange is the bounding box of drawn points; empty until extended.
type dataRange struct{ xmin, xmax, ymin, ymax float64 }

func newRange() dataRange {
	return dataRange{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
}

func (r *dataRange) add(x, y float64) {
	r.xmin, r.xmax = min(r.xmin, x), max(r.xmax, x)
	r.ymin, r.ymax = min(r.ymin, y), max(r.ymax, y)
}

func (r *dataRange) empty() bool { return r.xmin > r.xmax }

// apply sets the axes of p to r, padding y by frac of its span (a
// factor for a log axis); an empty range leaves the axes alone.
func (r *dataRange) apply(p *gplot.Plot, frac float64, logY bool) {
	if r.empty() {
		return
	}
	p.X.Min, p.X.Max = r.xmin, r.xmax
	lo, hi := r.ymin, r.ymax
	if logY {
		f := math.Pow(hi/lo, frac)
		if hi == lo {
			f = 2
		}
		p.Y.Min, p.Y.Max = lo/f, hi*f
		return
	}
	d := frac * (hi - lo)
	d = cmp.Or(d, max(math.Abs(hi)*frac, 1e-3))
	p.Y.Min, p.Y.Max = lo-d, hi+d
}

// logTicks is a Ticker for log axes: labels at 1, 2 and 5 × 10^k when the
// range spans less than three decades (gonum's LogTicks labels only
// powers of ten, often a single one), at powers of ten otherwise, with
// unlabelled minor ticks at the other integer mantissas.
type logTicks struct{}

// Ticks implements gplot.Ticker.
func (logTicks) Ticks(lo, hi float64) []gplot.Tick {
	if !(lo > 0) || !(hi > lo) || !finite(hi) {
		return gplot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	dense := e1-e0 <= 3
	var ticks []gplot.Tick
	for e := e0; e <= e1; e++ {
		base := math.Pow(10, float64(e))
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := gplot.Tick{Value: v}
			if m == 1 || dense && (m == 2 || m == 5) {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// yGrid returns faint horizontal grid lines at the major y ticks.
func yGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = nil
	g.Horizontal = draw.LineStyle{Color: rgb(0xe4e4e4), Width: 0.5}
	return g
}
