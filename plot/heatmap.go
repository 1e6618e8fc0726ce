package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The pairwise matrices of model comparisons and the 2-D loss surfaces
// are cell maps: each cell filled with the colour of its value on a
// sequential scale (ColorBrewer's GnBu, as the paper's figures), with a
// colour bar beside the panel.

// gnbu is ColorBrewer's 9-class GnBu, light to dark.
var gnbu = []color.RGBA{
	rgb(0xf7fcf0), rgb(0xe0f3db), rgb(0xccebc5), rgb(0xa8ddb5), rgb(0x7bccc4),
	rgb(0x4eb3d3), rgb(0x2b8cbe), rgb(0x0868ac), rgb(0x084081),
}

// rdbu is ColorBrewer's 11-class RdBu reversed, blue (negative) through
// white to red (positive): the diverging scale of difference images.
var rdbu = []color.RGBA{
	rgb(0x053061), rgb(0x2166ac), rgb(0x4393c3), rgb(0x92c5de), rgb(0xd1e5f0), rgb(0xf7f7f7),
	rgb(0xfddbc7), rgb(0xf4a582), rgb(0xd6604d), rgb(0xb2182b), rgb(0x67001f),
}

// gnbuAt returns the GnBu colour at f ∈ [0, 1], interpolated linearly.
func gnbuAt(f float64) color.RGBA { return paletteAt(gnbu, f) }

// rdbuAt returns the diverging RdBu colour at f ∈ [0, 1] (white at 0.5).
func rdbuAt(f float64) color.RGBA { return paletteAt(rdbu, f) }

func paletteAt(pal []color.RGBA, f float64) color.RGBA {
	f = math.Max(0, math.Min(1, f))
	x := f * float64(len(pal)-1)
	i := min(int(x), len(pal)-2)
	t := x - float64(i)
	a, b := pal[i], pal[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p)*(1-t) + float64(q)*t)) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 0xff}
}

// scale maps values to colours: continuously over [lo, hi], or to the
// band between consecutive levels (filled contours) when levels is set.
type scale struct {
	lo, hi float64
	levels []float64 // increasing band boundaries
	// at is the palette; nil means GnBu
	at func(float64) color.RGBA
}

func (s *scale) palette(f float64) color.RGBA {
	if s.at != nil {
		return s.at(f)
	}
	return gnbuAt(f)
}

func (s *scale) color(v float64) color.Color {
	if math.IsNaN(v) {
		return color.White
	}
	if len(s.levels) > 1 {
		n := len(s.levels) - 1
		band := n - 1
		for k := 1; k <= n; k++ {
			if v < s.levels[k] {
				band = k - 1
				break
			}
		}
		return s.palette(float64(band) / float64(max(n-1, 1)))
	}
	if s.hi <= s.lo {
		return s.palette(0.5)
	}
	return s.palette((v - s.lo) / (s.hi - s.lo))
}

// cells fills the cells of a grid: x and y are the cell edges (len nx+1,
// ny+1), z[j][i] the value of column i, row j.
type cells struct {
	x, y   []float64
	z      [][]float64
	sc     *scale
	values string // fmt verb for values printed in the cells, "" for none
	font   vg.Length
}

// Plot implements gplot.Plotter.
func (g *cells) Plot(c draw.Canvas, plt *gplot.Plot) {
	trX, trY := plt.Transforms(&c)
	for j, row := range g.z {
		for i, v := range row {
			x0, x1 := trX(g.x[i]), trX(g.x[i+1])
			y0, y1 := trY(g.y[j]), trY(g.y[j+1])
			rect := vg.Rectangle{Min: vg.Point{X: min(x0, x1), Y: min(y0, y1)}, Max: vg.Point{X: max(x0, x1), Y: max(y0, y1)}}
			c.SetColor(g.sc.color(v))
			// overlap by a hair so anti-aliasing leaves no seams
			rect.Max.X += 0.3
			rect.Max.Y += 0.3
			c.Fill(rect.Path())
			if g.values != "" && !math.IsNaN(v) {
				st := textStyle(g.font)
				st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
				if lum(g.sc.color(v)) < 0.45 {
					st.Color = color.White
				}
				c.FillText(st, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, fmt.Sprintf(g.values, v))
			}
		}
	}
}

func lum(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 0xffff
}

// labelTicks labels integer cell centres with names.
type labelTicks []string

// Ticks implements gplot.Ticker.
func (l labelTicks) Ticks(lo, hi float64) []gplot.Tick {
	var t []gplot.Tick
	for i, s := range l {
		t = append(t, gplot.Tick{Value: float64(i) + 0.5, Label: s})
	}
	return t
}

// colorBar is a vertical bar of the scale in its own panel.
func colorBar(sc *scale, label string) *gplot.Plot {
	p := newPlot("", label)
	p.X.Tick.Marker = gplot.ConstantTicks(nil)
	p.HideX()
	var edges []float64
	if len(sc.levels) > 1 {
		// bands drawn with equal heights, labelled with their boundaries
		n := len(sc.levels) - 1
		for k := 0; k <= n; k++ {
			edges = append(edges, float64(k))
		}
		z := make([][]float64, n)
		for k := range z {
			z[k] = []float64{(sc.levels[k] + sc.levels[k+1]) / 2}
		}
		p.Add(&cells{x: []float64{0, 1}, y: edges, z: z, sc: sc})
		var ticks []gplot.Tick
		step := max(1, n/6)
		for k := 0; k <= n; k += step {
			ticks = append(ticks, gplot.Tick{Value: float64(k), Label: fmtLevel(sc.levels[k])})
		}
		if (n % step) != 0 {
			ticks = append(ticks, gplot.Tick{Value: float64(n), Label: fmtLevel(sc.levels[n])})
		}
		p.Y.Tick.Marker = gplot.ConstantTicks(ticks)
		p.Y.Min, p.Y.Max = 0, float64(n)
	} else {
		const n = 64
		for k := 0; k <= n; k++ {
			edges = append(edges, sc.lo+(sc.hi-sc.lo)*float64(k)/n)
		}
		z := make([][]float64, n)
		for k := range z {
			z[k] = []float64{(edges[k] + edges[k+1]) / 2}
		}
		p.Add(&cells{x: []float64{0, 1}, y: edges, z: z, sc: sc})
		p.Y.Tick.Marker = niceTicks{5}
		p.Y.Min, p.Y.Max = sc.lo, sc.hi
	}
	p.X.Min, p.X.Max = 0, 1
	return p
}

func fmtLevel(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// withBar draws panel p with the colour bar cb at the right (about a
// tenth of the width) under a title.
func withBar(title string, p, cb *gplot.Plot) func(draw.Canvas) {
	return func(c draw.Canvas) {
		c = draw.Crop(c, margin, -margin, margin, -margin)
		top := c.Max.Y
		if title != "" {
			st := textStyle(titleSize)
			st.XAlign, st.YAlign = draw.XCenter, draw.YTop
			if w := st.Width(title); w > c.Size().X {
				st.Font.Size *= c.Size().X / w
			}
			c.FillText(st, vg.Point{X: c.Center().X, Y: top}, title)
			top -= st.Height(title) + 4
		}
		c.Max.Y = top
		w := c.Size().X
		main := c
		main.Max.X = c.Min.X + 0.82*w
		bar := c
		bar.Min.X = c.Min.X + 0.84*w
		p.Draw(main)
		// align the bar vertically with the data area of the panel
		cb.Draw(draw.Crop(bar, 0, 0, p.X.Tick.Label.Height("0")+p.X.Label.TextStyle.Height("0")+8, 0))
	}
}

// MatrixOptions configures NewMatrix. The zero value draws a square
// figure of 0.35 inch per row (at least 5 inch), a continuous scale over
// the off-diagonal values, and the values printed in the cells up to 20
// rows.
type MatrixOptions struct {
	// Size of the figure; zero fields mean the default above.
	Size Size
	// Title of the figure and ColorLabel of its colour bar ("" for none).
	Title, ColorLabel string
	// Min and Max fix the colour scale; both 0 means the range of the
	// off-diagonal values.
	Min, Max float64
	// Values is the fmt verb of the printed values ("" means "%.3f");
	// NoValues prints none.
	Values   string
	NoValues bool
}

// Matrix draws a symmetric pairwise matrix (see NewMatrix) and saves it
// to path.
func Matrix(path string, labels []string, values [][]float64, opt *MatrixOptions) error {
	return saveTo(path)(NewMatrix(labels, values, opt))
}

// NewMatrix draws an n×n matrix of pairwise values (row i, column j =
// values[i][j]; row 0 at the top, as printed) as coloured cells labelled
// with labels on both axes. An empty or non-square matrix, a label count
// other than n, or a non-finite value is an error. O(n²).
func NewMatrix(labels []string, values [][]float64, opt *MatrixOptions) (*Figure, error) {
	o := optionsOf(opt)
	n := len(values)
	if n == 0 || len(labels) != n {
		return nil, fmt.Errorf("plot: matrix: %d rows and %d labels: %w", n, len(labels), errNoData)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, row := range values {
		if len(row) != n {
			return nil, fmt.Errorf("plot: matrix: row %d has %d values, want %d", i, len(row), n)
		}
		for j, v := range row {
			if !finite(v) {
				return nil, fmt.Errorf("plot: matrix: value (%d, %d) = %g is not finite", i, j, v)
			}
			if i != j || n == 1 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if o.Min != 0 || o.Max != 0 {
		lo, hi = o.Min, o.Max
	}
	side := max(5*vg.Inch, 0.35*vg.Inch*vg.Length(n)+1.6*vg.Inch)
	size, err := o.Size.resolve(side*1.15, side)
	if err != nil {
		return nil, err
	}
	sc := &scale{lo: lo, hi: hi}
	edges := make([]float64, n+1)
	for i := range edges {
		edges[i] = float64(i)
	}
	// row 0 at the top: cell row j of the plot is matrix row n−1−j
	z := make([][]float64, n)
	for j := range z {
		z[j] = values[n-1-j]
	}
	verb := cmp.Or(o.Values, "%.3f")
	if o.NoValues || n > 20 {
		verb = ""
	}
	p := newPlot("", "")
	p.Add(&cells{x: edges, y: edges, z: z, sc: sc, values: verb, font: vg.Length(max(4, min(8, 90/float64(n))))})
	rev := make([]string, n)
	for i, l := range labels {
		rev[n-1-i] = l
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = labelTicks(labels), labelTicks(rev)
	p.X.Tick.Label.Rotation, p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = math.Pi/2, draw.XRight, draw.YCenter
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, float64(n), 0, float64(n)
	cb := colorBar(sc, o.ColorLabel)
	return newFigure(size, withBar(o.Title, p, cb)), nil
}

// DefaultLevels is the number of contour levels of a surface (the paper's
// 25).
const DefaultLevels = 25

// SurfaceOptions configures NewSurface. The zero value draws a 6.4 × 5.4
// inch figure with DefaultLevels log-spaced levels and a star at the
// origin.
type SurfaceOptions struct {
	Size                  Size
	Title, XLabel, YLabel string
	ColorLabel            string
	Levels                int  // 0 means DefaultLevels
	Linear                bool // linearly spaced levels instead of logarithmic ones
	NoStar                bool // leave out the star at (0, 0)
	NoLines               bool // leave out the black contour lines
	Min, Max              float64
}

// Surface draws a 2-D surface (see NewSurface) and saves it to path.
func Surface(path string, x, y []float64, z [][]float64, opt *SurfaceOptions) error {
	return saveTo(path)(NewSurface(x, y, z, opt))
}

// NewSurface draws z[j][i] = f(x[i], y[j]) on the grid points x × y
// (increasing) as filled contours — each grid cell coloured by the band,
// between consecutive levels, of its value — with black contour lines at
// the levels: Levels levels spaced logarithmically from the smallest to
// the largest value (linearly with Linear, or when a value is ≤ 0), the
// paper's 25 log levels by default. Fewer than two points per axis,
// mismatched lengths or a NaN or infinite value is an error. O(points).
func NewSurface(x, y []float64, z [][]float64, opt *SurfaceOptions) (*Figure, error) {
	o := optionsOf(opt)
	if len(x) < 2 || len(y) < 2 || len(z) != len(y) {
		return nil, fmt.Errorf("plot: surface: %d × %d points and %d rows: %w", len(x), len(y), len(z), errNoData)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for j, row := range z {
		if len(row) != len(x) {
			return nil, fmt.Errorf("plot: surface: row %d has %d values, want %d", j, len(row), len(x))
		}
		for i, v := range row {
			if !finite(v) {
				return nil, fmt.Errorf("plot: surface: value at (%d, %d) = %g is not finite", i, j, v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if o.Min != 0 || o.Max != 0 {
		lo, hi = o.Min, o.Max
	}
	nl := cmp.Or(o.Levels, DefaultLevels)
	if nl < 2 {
		return nil, fmt.Errorf("plot: surface: %d levels", nl)
	}
	levels := Levels(lo, hi, nl, !o.Linear)
	size, err := o.Size.resolve(6.4*vg.Inch, 5.4*vg.Inch)
	if err != nil {
		return nil, err
	}
	sc := &scale{lo: lo, hi: hi, levels: levels}
	edge := func(v []float64) []float64 {
		e := make([]float64, len(v)+1)
		for i := 1; i < len(v); i++ {
			e[i] = (v[i-1] + v[i]) / 2
		}
		e[0] = v[0] - (e[1] - v[0])
		e[len(v)] = v[len(v)-1] + (v[len(v)-1] - e[len(v)-1])
		return e
	}
	p := newPlot(o.XLabel, o.YLabel)
	ex, ey := edge(x), edge(y)
	p.Add(&cells{x: ex, y: ey, z: z, sc: sc})
	if !o.NoLines {
		ct := plotter.NewContour(grid{x, y, z}, levels[1:len(levels)-1], nil)
		ct.LineStyles = []draw.LineStyle{{Color: color.Black, Width: 0.4}}
		p.Add(ct)
	}
	if !o.NoStar && x[0] <= 0 && x[len(x)-1] >= 0 && y[0] <= 0 && y[len(y)-1] >= 0 {
		s, err := plotter.NewScatter(plotter.XYs{{X: 0, Y: 0}})
		if err == nil {
			s.GlyphStyle = draw.GlyphStyle{Color: rgb(0xd62728), Radius: 5, Shape: starGlyph{}}
			p.Add(s)
		}
	}
	p.X.Min, p.X.Max = ex[0], ex[len(ex)-1]
	p.Y.Min, p.Y.Max = ey[0], ey[len(ey)-1]
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{5}, niceTicks{5}
	return newFigure(size, withBar(o.Title, p, colorBar(sc, o.ColorLabel))), nil
}

// Levels returns n level boundaries from lo to hi inclusive, spaced
// logarithmically when log holds and lo > 0, linearly otherwise. lo ≥ hi
// gives levels around lo.
func Levels(lo, hi float64, n int, log bool) []float64 {
	if !(hi > lo) {
		hi = lo + math.Max(math.Abs(lo)*1e-6, 1e-12)
	}
	out := make([]float64, n)
	for k := range out {
		f := float64(k) / float64(n-1)
		if log && lo > 0 {
			out[k] = math.Exp(math.Log(lo) + f*(math.Log(hi)-math.Log(lo)))
		} else {
			out[k] = lo + f*(hi-lo)
		}
	}
	out[0], out[n-1] = lo, hi
	return out
}

// grid adapts a surface to gonum's GridXYZ (column c = x, row r = y).
type grid struct {
	x, y []float64
	z    [][]float64
}

func (g grid) Dims() (c, r int)   { return len(g.x), len(g.y) }
func (g grid) Z(c, r int) float64 { return g.z[r][c] }
func (g grid) X(c int) float64    { return g.x[c] }
func (g grid) Y(r int) float64    { return g.y[r] }

// starGlyph is a five-pointed star.
type starGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (starGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	var p vg.Path
	for k := 0; k < 10; k++ {
		r := sty.Radius
		if k%2 == 1 {
			r *= 0.45
		}
		a := math.Pi/2 + float64(k)*math.Pi/5
		q := vg.Point{X: pt.X + r*vg.Length(math.Cos(a)), Y: pt.Y + r*vg.Length(math.Sin(a))}
		if k == 0 {
			p.Move(q)
		} else {
			p.Line(q)
		}
	}
	p.Close()
	c.SetColor(sty.Color)
	c.Fill(p)
}
