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
	hx, hz := g.HalfWidths()
	p := newPlot("X (mm)", "Z (mm)")
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{6}, niceTicks{6}
	p.Add(plotter.NewImage(img, -hx, -hz, hx, hz))
	orange := rgb(0xe66100)
	for _, r := range o.ROIs {
		var l []xy
		for k := 0; k <= 48; k++ {
			s, c := math.Sincos(2 * math.Pi * float64(k) / 48)
			l = append(l, xy{r.X + r.R*c, r.Z + r.R*s})
		}
		st := runStyle(0, 0.8)
		st.Color = orange
		p.Add(&polylines{lines: [][]xy{l}, style: st})
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
