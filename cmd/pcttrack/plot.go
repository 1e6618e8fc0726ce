package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gonum.org/v1/plot/vg"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/track"
)

func newPlotEventCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "event D.parquet --frame N [--method follower|physics|truth | --model CKPT] --out event.png",
		Short: "Reconstruct one frame and draw its event display",
		Long: "Reads frame --frame (0-based position in the file) of a dataset, builds its hit graph with the\n" +
			"paper's default cuts, reconstructs it with --method or --model and draws the x–z and y–z views:\n" +
			"hits (triangles for secondaries), true tracks in grey, reconstructed tracks in colour, tracks\n" +
			"dropped by the track filter dotted, links between different events in red and missed true\n" +
			"segments in dashed orange; the title gives the frame's purity and efficiency. --extent, --xlim,\n" +
			"--ylim and --zlim zoom. The format (.png or .svg) follows --out, which is written atomically.\n\n" +
			"Methods: " + strings.Join(pipeline.MethodNames(), ", ") + " (truth: assignment on the Monte-Carlo\n" +
			"truth, the upper bound of an assignment tracker). --model [NAME=]CKPT draws the learned tracker\n" +
			"of a checkpoint instead.",
		Args: cobra.ExactArgs(1),
	}, (*plotEventFlags).bind, runPlotEvent, "out")
}

var plotCmd = &cobra.Command{
	Use:   "plot",
	Short: "Draw figures (event displays)",
}

// plotEventFlags are the flags of `pcttrack plot event`.
type plotEventFlags struct {
	frame              int
	method, model, out string
	width, height      float64
	dpi                int
	noLegend           bool
	extent             string
	xlim, ylim, zlim   string
}

// bind registers the flags on fl.
func (f *plotEventFlags) bind(fl *pflag.FlagSet) {
	fl.IntVar(&f.frame, "frame", 0, "frame to draw: 0-based position in the dataset")
	fl.StringVar(&f.method, "method", "", "built-in tracker: "+strings.Join(pipeline.MethodNames(), ", ")+" (default follower)")
	fl.StringVar(&f.model, "model", "", "checkpoint of a learned tracker, [NAME=]PATH (instead of --method)")
	fl.StringVar(&f.out, "out", "", "output image (.png or .svg), required")
	fl.Float64Var(&f.width, "width", 14, "figure width, inch")
	fl.Float64Var(&f.height, "height", 5.5, "figure height, inch")
	fl.IntVar(&f.dpi, "dpi", plot.DefaultDPI, "PNG resolution, pixels per inch")
	fl.StringVar(&f.extent, "extent", "core", "region shown: core (median ± 4 robust sd of the hits), hits (all hits) or aperture (whole sensor)")
	fl.StringVar(&f.xlim, "xlim", "", "x range LO:HI in mm (default: from --extent)")
	fl.StringVar(&f.ylim, "ylim", "", "y range LO:HI in mm (default: from --extent)")
	fl.StringVar(&f.zlim, "zlim", "", "z range LO:HI in mm (default: all hits)")
	fl.BoolVar(&f.noLegend, "no-legend", false, "leave out the legend")
}

func runPlotEvent(cmd *cobra.Command, args []string, f *plotEventFlags) error {
	path := args[0]
	opt, err := f.options()
	if err != nil {
		return err
	}
	method, tr, err := plotTracker(f.method, f.model)
	if err != nil {
		return err
	}
	opt.Method = method

	r, err := dataset.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	if f.frame < 0 || f.frame >= r.NumFrames() {
		return fmt.Errorf("plot event: frame %d out of range: %q has %d frames (0 to %d)", f.frame, path, r.NumFrames(), r.NumFrames()-1)
	}
	var fr dataset.Frame
	if err := r.ReadFrameInto(&fr, f.frame); err != nil {
		return err
	}
	g, err := graph.Build(&fr, nil)
	if err != nil {
		return fmt.Errorf("plot event: frame %d of %q: %w", f.frame, path, err)
	}
	if err := cmd.Context().Err(); err != nil {
		return fmt.Errorf("plot event: %w", err)
	}
	var res track.Result
	if err := tr.Track(&res, g); err != nil {
		return fmt.Errorf("plot event: frame %d of %q: %s: %w", f.frame, path, method, err)
	}
	m := metrics.Evaluate(g, res.Selected, &res.Tracks)
	opt.Scores = &plot.Scores{Purity: m.Purity, Efficiency: m.Efficiency}
	sum, err := plot.Event(f.out, g, &res, opt)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: frame %d, %s: purity %.1f %%, efficiency %.1f %%; %d tracks kept, %d wrong links, %d of %d true segments missed\n",
		f.out, g.Meta.Frame, method, 100*m.Purity, 100*m.Efficiency, sum.Tracks, sum.FalseSelected, sum.Missed, sum.TrueSegments)
	return err
}

// options checks the drawing flags before any data is read.
func (f *plotEventFlags) options() (*plot.EventOptions, error) {
	if _, err := plot.FormatOf(f.out); err != nil {
		return nil, fmt.Errorf("plot event: --out: %w", err)
	}
	if err := checkBounds("plot event", positive("width", f.width), positive("height", f.height), atLeast("dpi", f.dpi, 1)); err != nil {
		return nil, err
	}
	opt := &plot.EventOptions{
		Size:     plot.Size{Width: vg.Length(f.width) * vg.Inch, Height: vg.Length(f.height) * vg.Inch, DPI: f.dpi},
		NoLegend: f.noLegend,
	}
	if err := opt.Size.Validate(); err != nil {
		return nil, fmt.Errorf("plot event: --width/--height/--dpi: %w", err)
	}
	var err error
	if opt.Extent, err = plot.ParseExtent(f.extent); err != nil {
		return nil, fmt.Errorf("plot event: --extent: %w", err)
	}
	w := &opt.Window
	for _, l := range []struct {
		name   string
		s      string
		lo, hi *float64
	}{{"xlim", f.xlim, &w.XMin, &w.XMax}, {"ylim", f.ylim, &w.YMin, &w.YMax}, {"zlim", f.zlim, &w.ZMin, &w.ZMax}} {
		if *l.lo, *l.hi, err = plotParseRange(l.s); err != nil {
			return nil, fmt.Errorf("plot event: --%s: %w", l.name, err)
		}
	}
	return opt, nil
}

// plotTracker resolves --method and --model into the tracker to run and
// its name (one of them; neither means follower).
func plotTracker(method, model string) (string, track.Tracker, error) {
	m, err := pipeline.SelectOne(method, model, baseline.NameFollower, nil)
	if err != nil {
		return "", nil, fmt.Errorf("plot event: %w", err)
	}
	tr, err := m.New()
	if err != nil {
		return "", nil, fmt.Errorf("plot event: %s: %w", m.Name, err)
	}
	return m.Name, tr, nil
}

// plotParseRange parses "LO:HI" (both finite, LO < HI); "" is 0, 0.
func plotParseRange(s string) (lo, hi float64, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if ok {
		if lo, err = strconv.ParseFloat(strings.TrimSpace(a), 64); err == nil {
			hi, err = strconv.ParseFloat(strings.TrimSpace(b), 64)
		}
	}
	if !ok || err != nil || !(lo < hi) || hi-lo > 1e6 {
		return 0, 0, fmt.Errorf("want LO:HI in mm with LO < HI, not %q", s)
	}
	return lo, hi, nil
}

func init() {
	plotCmd.AddCommand(newPlotEventCmd())
	rootCmd.AddCommand(plotCmd)
}
