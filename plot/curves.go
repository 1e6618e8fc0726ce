package plot

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Series is one curve of a training-curve figure: Y against X (the step).
type Series struct {
	// Name is the legend entry, e.g. the run name; all series of one
	// Name get the same colour in every panel.
	Name string
	// Panel is the quantity on the y axis, e.g. "loss" or "validation
	// purity"; series with the same Panel share one panel, labelled with
	// it. Panels appear in the order of their first series.
	Panel string
	// X and Y are the points, of equal length. Non-finite points (and
	// y <= 0 on a log axis) break the line.
	X, Y []float64
	// Smooth, in [0, 1), is the weight of an exponential moving average
	// (TensorBoard's smoothing, debiased at the start) drawn over the
	// series, which is then drawn faint underneath; 0 means none. Useful
	// for per-step losses, not for sparse validation points.
	Smooth float64
}

// CurvesOptions configures NewCurves. The zero value draws up to three
// panels per row, 4.5 × 3.4 inch each, against "step", linear axes and no
// title.
type CurvesOptions struct {
	// Size of the figure; zero fields mean 4.5 inch per panel column
	// and 3.4 inch per panel row plus the title and legend.
	Size Size
	// Title of the figure; "" means none.
	Title string
	// XLabel labels the shared x axis; "" means "step".
	XLabel string
	// LogY names the panels drawn with a logarithmic y axis.
	LogY []string
	// Columns is the number of panels per row; 0 means
	// min(number of panels, 3).
	Columns int
}

// Curves draws the series (see NewCurves) and saves the figure to path.
func Curves(path string, series []Series, opt *CurvesOptions) error {
	return saveTo(path)(NewCurves(series, opt))
}

// NewCurves draws training curves: one panel per distinct Series.Panel,
// several runs overlaid (one colour per Series.Name) with a shared legend.
// No series, len(X) != len(Y), a panel without a single finite point, a
// Series.Smooth outside [0, 1), negative Columns or a bad Size is an
// error. O(points).
func NewCurves(series []Series, opt *CurvesOptions) (*Figure, error) {
	o := optionsOf(opt)
	if len(series) == 0 {
		return nil, fmt.Errorf("plot: curves: %w", errNoData)
	}
	if o.Columns < 0 {
		return nil, fmt.Errorf("plot: curves: %d columns", o.Columns)
	}
	o.XLabel = cmp.Or(o.XLabel, "step")
	var panels, names []string
	for i, s := range series {
		if !(s.Smooth >= 0 && s.Smooth < 1) {
			return nil, fmt.Errorf("plot: curves: series %d (%q, %q): smoothing %g outside [0, 1)", i, s.Name, s.Panel, s.Smooth)
		}
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plot: curves: series %d (%q, %q) has %d x and %d y values", i, s.Name, s.Panel, len(s.X), len(s.Y))
		}
		if !slices.Contains(panels, s.Panel) {
			panels = append(panels, s.Panel)
		}
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	cols := o.Columns
	cols = cmp.Or(cols, min(len(panels), 3))
	cols = min(cols, len(panels))
	rows := (len(panels) + cols - 1) / cols
	size, err := o.Size.resolve(4.5*vg.Inch*vg.Length(cols), 3.4*vg.Inch*vg.Length(rows)+0.7*vg.Inch)
	if err != nil {
		return nil, err
	}

	grid := make([][]*gplot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*gplot.Plot, cols)
	}
	for k, name := range panels {
		logY := slices.Contains(o.LogY, name)
		p := newPlot(o.XLabel, name)
		p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{6}, niceTicks{6}
		if logY {
			p.Y.Scale, p.Y.Tick.Marker = gplot.LogScale{}, logTicks{}
		}
		p.Add(yGrid())
		rng := newRange()
		for _, s := range series {
			if s.Panel != name {
				continue
			}
			run := slices.Index(names, s.Name)
			raw := breakLines(s.X, s.Y, logY)
			for _, l := range raw {
				for _, q := range l {
					rng.add(q.X, q.Y)
				}
			}
			st := runStyle(run, 1.4)
			if s.Smooth > 0 {
				faint := st
				faint.Width = 0.8
				faint.Color = fade(st.Color, 0.3)
				p.Add(&polylines{lines: raw, style: faint})
				p.Add(&polylines{lines: smoothLines(raw, s.Smooth), style: st})
			} else {
				p.Add(&polylines{lines: raw, style: st})
			}
		}
		if rng.empty() {
			return nil, fmt.Errorf("plot: curves: panel %q has no finite point", name)
		}
		rng.apply(p, 0.05, logY)
		grid[k/cols][k%cols] = p
	}
	l := &layout{title: o.Title, grid: grid}
	if len(names) > 1 || names[0] != "" {
		for i, n := range names {
			l.legend = append(l.legend, legendItem{n, &polylines{style: runStyle(i, 1.6)}})
		}
	}
	return newFigure(size, l.draw), nil
}

// smoothLines returns the exponential moving averages of the lines with
// weight w, debiased as TensorBoard does so the start is not pulled to 0.
func smoothLines(lines [][]xy, w float64) [][]xy {
	out := make([][]xy, len(lines))
	for i, l := range lines {
		out[i] = make([]xy, len(l))
		var acc, norm float64
		for j, q := range l {
			acc = w*acc + (1-w)*q.Y
			norm = w*norm + (1 - w)
			out[i][j] = xy{q.X, acc / norm}
		}
	}
	return out
}

// fade mixes c with white, keeping the fraction keep of the colour.
func fade(c color.Color, keep float64) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8(keep*float64(v>>8) + (1-keep)*255 + 0.5) }
	return color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 0xff}
}

var _ gplot.Thumbnailer = (*polylines)(nil)

// TrainingRun is one training run's curves: the loss of every step and the
// metrics of every validation, for TrainingSeries.
type TrainingRun struct {
	// Name labels the run (legend and loss panel); "" for a single run.
	Name string
	// Loss names the training loss in its panel title, e.g. "BCE".
	Loss string
	// Step and Value are the training loss per step.
	Step, Value []float64
	// ValStep, Purity and Efficiency are the validations.
	ValStep, Purity, Efficiency []float64
}

// TrainingSeries returns the curves of training runs for Curves: per run a
// panel of its training loss, smoothed over about 1 % of the steps
// (TensorBoard's EMA, weight at most 0.95), then one panel each for
// validation purity and efficiency, shared by the runs.
func TrainingSeries(runs []TrainingRun) []Series {
	var ser []Series
	for _, r := range runs {
		if len(r.Step) == 0 {
			continue
		}
		panel := "training loss"
		if r.Loss != "" {
			panel += " (" + r.Loss + ")"
		}
		if r.Name != "" {
			panel = r.Name + " " + panel
		}
		smooth := 0.0
		if n := len(r.Step); n >= 20 {
			smooth = min(0.95, 1-1/(0.01*float64(n)+1))
		}
		ser = append(ser, Series{Name: r.Name, Panel: panel, X: r.Step, Y: r.Value, Smooth: smooth})
	}
	for _, panel := range []string{"validation purity", "validation efficiency"} {
		for _, r := range runs {
			y := r.Purity
			if panel == "validation efficiency" {
				y = r.Efficiency
			}
			ser = append(ser, Series{Name: r.Name, Panel: panel, X: r.ValStep, Y: y})
		}
	}
	return ser
}
