package plot

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
)

// Format is an output image format.
type Format int

// Output formats.
const (
	PNG Format = iota + 1
	SVG
)

// String returns "png" or "svg".
func (f Format) String() string {
	switch f {
	case PNG:
		return "png"
	case SVG:
		return "svg"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatOf returns the format named by the extension of path: ".png" or
// ".svg" (any case). Any other extension is an error.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	}
	return 0, fmt.Errorf("plot: %q: unknown image format %q (want .png or .svg)", path, filepath.Ext(path))
}

// DefaultDPI is the resolution of PNG output when Size.DPI is 0.
const DefaultDPI = 150

// maxPixels bounds each side of a PNG so that a typo in a size flag cannot
// allocate gigabytes.
const maxPixels = 20000

// Size is the size of a figure. The zero value means the figure's default
// size at DefaultDPI.
type Size struct {
	// Width and Height of the figure (vg.Inch, vg.Centimeter, ... or
	// points); 0 means the figure's default.
	Width, Height vg.Length
	// DPI is the resolution of PNG output in pixels per inch; 0 means
	// DefaultDPI. A w × h figure is w/vg.Inch·DPI × h/vg.Inch·DPI pixels
	// (rounded). SVG output ignores it.
	DPI int
}

// Validate reports a size that cannot be drawn: a negative, NaN or
// infinite length, a negative DPI, or more than 20000 pixels on a side.
// Zero fields (defaults) are valid.
func (s Size) Validate() error {
	_, err := s.resolve(1, 1)
	return err
}

// resolve fills the defaults and checks the size.
func (s Size) resolve(defW, defH vg.Length) (Size, error) {
	s.Width = cmp.Or(s.Width, defW)
	s.Height = cmp.Or(s.Height, defH)
	s.DPI = cmp.Or(s.DPI, DefaultDPI)
	w, h := float64(s.Width), float64(s.Height)
	if !(w > 0) || !(h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) || s.DPI < 0 {
		return s, fmt.Errorf("plot: bad figure size %gpt × %gpt at %d dpi", w, h, s.DPI)
	}
	if px := max(w, h) / float64(vg.Inch) * float64(s.DPI); px > maxPixels {
		return s, fmt.Errorf("plot: figure size %gpt × %gpt at %d dpi is %.0f pixels wide, more than %d", w, h, s.DPI, px, maxPixels)
	}
	return s, nil
}

// Figure is a drawn figure ready to be encoded. Build one with NewEvent,
// NewCurves, NewVersusProtons or NewStability. A Figure holds copies of
// its data and can be encoded any number of times, also concurrently.
type Figure struct {
	// Size is the size the figure is encoded at; the NewX functions set
	// it from their options, and callers may change it (zero fields then
	// mean the size NewX chose).
	Size Size

	def  Size       // the size NewX chose
	mu   sync.Mutex // gonum's Plot.Draw normalises axis ranges in place
	draw func(c draw.Canvas)
}

// newFigure returns a figure of the resolved size sz drawn by fn.
func newFigure(sz Size, fn func(draw.Canvas)) *Figure {
	return &Figure{Size: sz, def: sz, draw: fn}
}

// Encode draws the figure and writes it to w in the given format. An
// unknown format, a bad Size or a write error is an error.
func (f *Figure) Encode(w io.Writer, format Format) error {
	sz, err := f.Size.resolve(f.def.Width, f.def.Height)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var wt io.WriterTo
	switch format {
	case PNG:
		c := vgimg.NewWith(vgimg.UseWH(sz.Width, sz.Height), vgimg.UseDPI(sz.DPI), vgimg.UseBackgroundColor(color.White))
		f.draw(draw.New(c))
		wt = vgimg.PngCanvas{Canvas: c}
	case SVG:
		c := vgsvg.NewWith(vgsvg.UseWH(sz.Width, sz.Height))
		dc := draw.New(c)
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
		f.draw(dc)
		wt = c
	default:
		return fmt.Errorf("plot: unknown format %v", format)
	}
	if _, err := wt.WriteTo(w); err != nil {
		return fmt.Errorf("plot: writing %v: %w", format, err)
	}
	return nil
}

// saveTo returns a function that saves the figure a New… function drew
// to path, or returns its drawing error naming path, so that each drawing
// function's save-to-a-file form is saveTo(path)(New…(…)).
func saveTo(path string) func(*Figure, error) error {
	return func(fig *Figure, err error) error {
		if err != nil {
			return fmt.Errorf("%w (for %q)", err, path)
		}
		return fig.Save(path)
	}
}

// optionsOf returns *opt, or the zero options (the documented defaults)
// for nil.
func optionsOf[O any](opt *O) O {
	var o O
	if opt != nil {
		o = *opt
	}
	return o
}

// Save writes the figure to path in the format of its extension (.png or
// .svg), atomically: on any error the previous file, if any, is left
// untouched and no partial file remains.
func (f *Figure) Save(path string) (err error) {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	if _, err := f.Size.resolve(f.def.Width, f.def.Height); err != nil {
		return fmt.Errorf("%w (for %q)", err, path)
	}
	out, err := atomicfile.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	defer out.Close()
	if err := f.Encode(out, format); err != nil {
		return fmt.Errorf("%w (to %q)", err, path)
	}
	if err := out.Commit(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// Fonts and sizes shared by all figures: a sans face reads better than
// gonum's serif default at small sizes.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 9
	legendSize = 10
)

func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sansFont, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: gplot.DefaultTextHandler,
	}
}

// newPlot returns a gonum plot with pcttrack's fonts and faint grid-free
// axes; titles of single panels stay empty (the figure has one title).
func newPlot(xlabel, ylabel string) *gplot.Plot {
	p := gplot.New()
	for _, ax := range []*gplot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, labelSize)
		ax.Tick.Label.Font = font.From(sansFont, tickSize)
		ax.Padding = vg.Points(2)
	}
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	p.Title.TextStyle.Font = font.From(sansFont, labelSize)
	p.Legend.TextStyle.Font = font.From(sansFont, legendSize)
	return p
}

// legendItem is one entry of a figure-wide legend.
type legendItem struct {
	label string
	thumb gplot.Thumbnailer
}

// layout is a figure made of a title, a grid of aligned panels and a
// horizontal legend strip below them.
type layout struct {
	title, subtitle string
	grid            [][]*gplot.Plot
	legend          []legendItem
}

const (
	margin     = vg.Length(6)
	thumbWidth = vg.Length(22)
)

func (l *layout) draw(c draw.Canvas) {
	c = draw.Crop(c, margin, -margin, margin, -margin)
	top := c.Max.Y
	for i, txt := range []string{l.title, l.subtitle} {
		if txt == "" {
			continue
		}
		st := textStyle(titleSize)
		if i == 1 {
			st = textStyle(labelSize)
			st.Color = color.Gray{Y: 0x30}
		}
		st.XAlign, st.YAlign = draw.XCenter, draw.YTop
		if w := st.Width(txt); w > c.Size().X {
			st.Font.Size *= c.Size().X / w // shrink to fit a small figure
		}
		c.FillText(st, vg.Point{X: c.Center().X, Y: top}, txt)
		top -= st.Height(txt) + 2
	}
	bottom := c.Min.Y
	if len(l.legend) > 0 {
		bottom += l.drawLegend(c) + 4
	}
	c.Max.Y, c.Min.Y = top-4, bottom
	if len(l.grid) == 0 || len(l.grid[0]) == 0 {
		return
	}
	tiles := draw.Tiles{Rows: len(l.grid), Cols: len(l.grid[0]), PadX: 3 * margin, PadY: 2 * margin}
	canv := gplot.Align(l.grid, tiles, c)
	for i, row := range l.grid {
		for j, p := range row {
			if p != nil {
				p.Draw(canv[i][j])
			}
		}
	}
}

// drawLegend draws the legend as centred rows at the bottom of c and
// returns the height it took.
func (l *layout) drawLegend(c draw.Canvas) vg.Length {
	st := textStyle(legendSize)
	gap := st.Width("  ")
	h := st.Height("Mg") + 2
	var rows [][]legendItem
	var widths []vg.Length
	var w vg.Length
	for _, it := range l.legend {
		iw := thumbWidth + gap/2 + st.Width(it.label)
		if len(rows) == 0 || w+gap+iw > c.Size().X {
			rows = append(rows, nil)
			widths = append(widths, 0)
			w = -gap
		}
		w += gap + iw
		rows[len(rows)-1] = append(rows[len(rows)-1], it)
		widths[len(widths)-1] = w
	}
	y := c.Min.Y + vg.Length(len(rows)-1)*h
	for r, row := range rows {
		x := c.Center().X - widths[r]/2
		for _, it := range row {
			thumb := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y + 1}, Max: vg.Point{X: x + thumbWidth, Y: y + h - 3},
			}}
			it.thumb.Thumbnail(&thumb)
			x += thumbWidth + gap/2
			c.FillText(st, vg.Point{X: x, Y: y + 1}, it.label)
			x += st.Width(it.label) + gap
		}
		y -= h
	}
	return vg.Length(len(rows)) * h
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

var errNoData = errors.New("no data")
