package plot

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/pcttrack/pcttrack/recon"
)

// RSPImageOptions configures NewRSPImage. The zero value draws the image
// in grey from RSP 0 (black) to 2 (white), 6 × 6.4 inch, without marks.
type RSPImageOptions struct {
	Size  Size
	Title string
	// Lo and Hi are the RSP drawn black and white; both 0 means 0 and 2.
	Lo, Hi float64
	// ROIs are outlined (in orange) and labelled with their names.
	ROIs []recon.ROI
	// Line, if its ends differ, is drawn as the profile's trace:
	// (X0, Z0)–(X1, Z1), mm.
	Line [4]float64
}

// RSPImage draws im (see NewRSPImage) and saves it to path.
func RSPImage(path string, im *recon.Image, opt *RSPImageOptions) error {
	return saveTo(path)(NewRSPImage(im, opt))
}

// NewRSPImage draws a reconstructed RSP slice: X across, Z up (mm), one
// image pixel per grid pixel in grey between Lo and Hi. An image whose
// length does not match its grid, Lo ≥ Hi or a bad Size is an error.
func NewRSPImage(im *recon.Image, opt *RSPImageOptions) (*Figure, error) {
	o := optionsOf(opt)
	g := im.Grid
	if len(im.RSP) != g.NX*g.NZ || g.NX < 1 || g.NZ < 1 {
		return nil, fmt.Errorf("plot: RSP image of %d values on a %d × %d grid", len(im.RSP), g.NX, g.NZ)
	}
	if o.Lo == 0 && o.Hi == 0 {
		o.Hi = 2
	}
	if !(o.Lo < o.Hi) || !finite(o.Lo) || !finite(o.Hi) {
		return nil, fmt.Errorf("plot: RSP window %g … %g", o.Lo, o.Hi)
	}
	size, err := o.Size.resolve(6*vg.Inch, 6.4*vg.Inch)
	if err != nil {
		return nil, err
	}
	img := image.NewGray(image.Rect(0, 0, g.NX, g.NZ))
	for k := range g.NZ {
		for i := range g.NX {
			v := (float64(im.RSP[k*g.NX+i]) - o.Lo) / (o.Hi - o.Lo)
			if math.IsNaN(v) {
				v = 0
			}
			// image rows run downwards, Z upwards
			img.SetGray(i, g.NZ-1-k, color.Gray{Y: uint8(math.Round(255 * math.Max(0, math.Min(1, v))))})
		}
	}
	p, hx, hz := slicePlot(g, img)
	orange := rgb(0xe66100)
	for _, r := range o.ROIs {
		addCircle(p, r, orange, 0.8)
		if r.Name != "" {
			lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: r.X + r.R + 1, Y: r.Z}}, Labels: []string{r.Name}})
			if err == nil {
				lab.TextStyle[0].Color = orange
				lab.TextStyle[0].Font.Size = vg.Points(7)
				p.Add(lab)
			}
		}
	}
	if l := o.Line; l[0] != l[2] || l[1] != l[3] {
		st := runStyle(1, 0.8)
		st.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		p.Add(&polylines{lines: [][]xy{{{l[0], l[1]}, {l[2], l[3]}}}, style: st})
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -hx, hx, -hz, hz
	lay := &layout{title: o.Title, subtitle: fmt.Sprintf("RSP %g (black) … %g (white), %d × %d pixels of %g mm", o.Lo, o.Hi, g.NX, g.NZ, g.Pixel),
		grid: [][]*gplot.Plot{{p}}}
	return newFigure(size, lay.draw), nil
}

// slicePlot returns a panel showing img over the extent of grid g (X
// across, Z up, mm) and the grid's half widths.
func slicePlot(g recon.Grid, img image.Image) (p *gplot.Plot, hx, hz float64) {
	hx, hz = g.HalfWidths()
	p = newPlot("X (mm)", "Z (mm)")
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{6}, niceTicks{6}
	p.Add(plotter.NewImage(img, -hx, -hz, hx, hz))
	return p, hx, hz
}

// addCircle outlines ROI r on p.
func addCircle(p *gplot.Plot, r recon.ROI, c color.Color, width vg.Length) {
	var l []xy
	for k := 0; k <= 48; k++ {
		s, co := math.Sincos(2 * math.Pi * float64(k) / 48)
		l = append(l, xy{r.X + r.R*co, r.Z + r.R*s})
	}
	st := runStyle(0, width)
	st.Color = c
	p.Add(&polylines{lines: [][]xy{l}, style: st})
}

// ProfileSeries returns the curves of a profile figure (draw them with
// NewCurves, XLabel "position along the profile (mm)"): the reconstructed
// values and, if truth is not nil, the true RSP at the same points.
func ProfileSeries(dist, val, truth []float64, name string) []Series {
	s := []Series{{Name: cmp.Or(name, "reconstruction"), Panel: "RSP", X: dist, Y: val}}
	if truth != nil {
		s = append(s, Series{Name: "truth", Panel: "RSP", X: dist, Y: truth})
	}
	return s
}

// DiffImageOptions configures NewDiffImage. The zero value draws a
// 7 × 6 inch figure with a symmetric scale over the largest |Δ| on the
// image, without marks.
type DiffImageOptions struct {
	Size  Size
	Title string
	// Limit fixes the scale at −Limit (blue) … +Limit (red); 0 means the
	// largest |Δ| of the image.
	Limit float64
	// ROIs are outlined (in black).
	ROIs []recon.ROI
	// Label of the colour bar; "" means "ΔRSP".
	Label string
}

// DiffImage draws d (see NewDiffImage) and saves it to path.
func DiffImage(path string, d *recon.Image, opt *DiffImageOptions) error {
	fig, err := NewDiffImage(d, opt)
	if err != nil {
		return fmt.Errorf("%w (for %q)", err, path)
	}
	return fig.Save(path)
}

// NewDiffImage draws a difference of two RSP slices (recon.Subtract) on a
// diverging scale, white at 0, with a colour bar: X across, Z up (mm). An
// image whose length does not match its grid, a negative or non-finite
// Limit or a bad Size is an error; an image of zeros draws white.
func NewDiffImage(d *recon.Image, opt *DiffImageOptions) (*Figure, error) {
	var o DiffImageOptions
	if opt != nil {
		o = *opt
	}
	g := d.Grid
	if len(d.RSP) != g.NX*g.NZ || g.NX < 1 || g.NZ < 1 {
		return nil, fmt.Errorf("plot: difference image of %d values on a %d × %d grid", len(d.RSP), g.NX, g.NZ)
	}
	if o.Limit < 0 || !finite(o.Limit) {
		return nil, fmt.Errorf("plot: difference scale ±%g", o.Limit)
	}
	lim := o.Limit
	if lim == 0 {
		for _, v := range d.RSP {
			if a := math.Abs(float64(v)); a > lim && finite(a) {
				lim = a
			}
		}
	}
	if lim == 0 {
		lim = 1e-3
	}
	size, err := o.Size.resolve(7*vg.Inch, 6*vg.Inch)
	if err != nil {
		return nil, err
	}
	sc := &scale{lo: -lim, hi: lim, at: rdbuAt}
	img := image.NewRGBA(image.Rect(0, 0, g.NX, g.NZ))
	for k := range g.NZ {
		for i := range g.NX {
			img.Set(i, g.NZ-1-k, sc.color(float64(d.RSP[k*g.NX+i])))
		}
	}
	p, hx, hz := slicePlot(g, img)
	for _, r := range o.ROIs {
		addCircle(p, r, color.Black, 0.6)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -hx, hx, -hz, hz
	return newFigure(size, withBar(o.Title, p, colorBar(sc, cmp.Or(o.Label, "ΔRSP")))), nil
}
