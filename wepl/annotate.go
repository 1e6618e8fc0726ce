package wepl

import (
	"context"
	"fmt"
	"strings"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
)

// Source says which detector and beam a tracks file's tracks come from:
// the simulation configuration its dataset recorded (dataset.Meta.Config),
// else the geometry name it recorded as a preset, with the beam energy
// unknown (0: the calibration's is assumed).
func Source(m dataset.Meta) (*detector.Geometry, float64, error) {
	if strings.TrimSpace(m.Config) != "" {
		if c, err := sim.ParseConfig([]byte(m.Config)); err == nil {
			g := c.Geometry
			if g == nil {
				g = detector.Default()
			}
			e := c.Beam.Energy
			if e == 0 {
				e = sim.DefaultEnergy
			}
			return g, e, nil
		}
	}
	g, err := detector.Preset(m.Geometry)
	if err != nil {
		return nil, 0, fmt.Errorf("wepl: the tracks' geometry %q: %w (give the geometry)", m.Geometry, err)
	}
	return g, 0, nil
}

// NewFor returns an Estimator for the tracks of a dataset with metadata m:
// its geometry and beam energy as Source finds them.
func NewFor(m dataset.Meta, opt *Options) (*Estimator, error) {
	g, e, err := Source(m)
	if err != nil {
		return nil, err
	}
	return New(g, e, opt)
}

// AnnotateOptions configures Annotate. The zero value measures with the
// default Options on the geometry and energy the file records (Source).
type AnnotateOptions struct {
	Options
	// Geometry overrides the file's geometry; nil means Source's.
	Geometry *detector.Geometry
	// Energy overrides the file's beam energy, MeV; 0 means Source's.
	Energy float64
	// Progress, if not nil, is called after each frame with the number
	// done and the total.
	Progress func(done, total int)
}

// AnnotateSummary counts what Annotate wrote.
type AnnotateSummary struct {
	Frames, Tracks, OK int // frames, tracks, tracks passing the cuts
}

// Annotate reads the tracks file in, measures every track and writes the
// tracks with their WEPL columns to out (atomically: after any error, or a
// cancelled ctx, nothing is left at out). A file without the columns the
// method needs (cluster_size for MethodFitCluster) is an error before
// anything is written, as is a frame that does not read (NaN positions or
// deposits) during the run.
func Annotate(ctx context.Context, in, out string, opt *AnnotateOptions) (AnnotateSummary, error) {
	var o AnnotateOptions
	if opt != nil {
		o = *opt
	}
	var sum AnnotateSummary
	r, err := dataset.OpenTracks(in)
	if err != nil {
		return sum, err
	}
	defer r.Close()
	if o.Method == MethodFitCluster && !r.HasClusterSize() {
		return sum, fmt.Errorf("wepl: %q has no column cluster_size (written before tracks files had it): use --wepl-method fit or re-run pcttrack track", in)
	}
	meta := r.Meta()
	g, e, err := Source(meta.Dataset)
	if err != nil {
		return sum, err
	}
	if o.Geometry != nil {
		g = o.Geometry
	}
	if o.Energy != 0 {
		e = o.Energy
	}
	est, err := New(g, e, &o.Options)
	if err != nil {
		return sum, err
	}
	meta.WEPL = est.String()
	w, err := dataset.CreateTracks(out, meta)
	if err != nil {
		return sum, err
	}
	defer w.Abort()
	var ft dataset.FrameTracks
	var tracks []Track
	for i := range r.NumFrames() {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if err := r.ReadFrameInto(&ft, i); err != nil {
			return sum, err
		}
		if tracks, err = est.Frame(tracks, &ft); err != nil {
			return sum, err
		}
		ft.WEPL = ft.WEPL[:0]
		for k := range tracks {
			ft.WEPL = append(ft.WEPL, tracks[k].Record())
			if tracks[k].OK() {
				sum.OK++
			}
		}
		if err := w.Write(&ft); err != nil {
			return sum, err
		}
		sum.Frames++
		sum.Tracks += len(tracks)
		if o.Progress != nil {
			o.Progress(i+1, r.NumFrames())
		}
	}
	return sum, w.Close()
}

// EditTracks returns a function for pipeline.Options.EditTracks that
// measures the tracks of every frame with est (not safe for concurrent
// use, like est; WriteTracks calls it from one goroutine).
func EditTracks(est *Estimator) func(*dataset.FrameTracks, *pipeline.Output) error {
	var buf []Track
	return func(ft *dataset.FrameTracks, _ *pipeline.Output) error {
		var err error
		if buf, err = est.Frame(buf, ft); err != nil {
			return err
		}
		ft.WEPL = ft.WEPL[:0]
		for k := range buf {
			ft.WEPL = append(ft.WEPL, buf[k].Record())
		}
		return nil
	}
}
