package zoo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/train"
)

// DataOptions selects the frames an analysis runs on. The zero value is
// every training frame of the models' runs, none kept prepared.
type DataOptions struct {
	// Files are dataset files (package dataset) to take the frames from,
	// in order; empty means the training frames of the members' runs,
	// which must then have run configs.
	Files []string
	// Frames is the number of frames used; 0 means all.
	Frames int
	// First takes the first Frames frames instead of Frames frames spread
	// evenly over the N available (frame ⌊k·N/Frames⌋ for k < Frames), like
	// the paper's every-⌈N/100⌉-th subset of the training set.
	First bool
	// CacheMB is the memory budget for frames kept prepared (hit graph,
	// line graph, model input; ~1–10 MB each), filled in frame order;
	// other frames are prepared again on every use. 0 keeps none, a
	// negative value keeps all.
	CacheMB int
}

// Data are the frames of an analysis. Frame is safe for concurrent use.
type Data struct {
	cfg     model.Config
	gopt    graph.Options
	frames  *train.FrameSet
	pool    sync.Pool
	Skipped int // selected frames the models cannot run on (dropped)
	// Source describes where the frames come from, for reports.
	Source string
}

// LoadData reads or simulates the frames of opt for the models ms (which
// Load has checked to be comparable), prepares each selected frame once
// (GOMAXPROCS goroutines) to drop frames the models cannot run on and to
// fill the cache, and returns them. Progress goes to w (nil for none).
// Errors name the file or frame; no usable frame is an error.
func LoadData(ctx context.Context, ms []*Member, opt DataOptions, w io.Writer) (*Data, error) {
	if len(ms) == 0 {
		return nil, errors.New("zoo: no models")
	}
	if opt.Frames < 0 {
		return nil, fmt.Errorf("zoo: %d frames", opt.Frames)
	}
	d := &Data{cfg: ms[0].Net.Config()}
	if c := ms[0].Config; c != nil {
		d.gopt = c.Graph
	}
	var all []dataset.Frame
	var err error
	if len(opt.Files) > 0 {
		for _, p := range opt.Files {
			_, fs, err := dataset.ReadAll(p)
			if err != nil {
				return nil, fmt.Errorf("zoo: %w", err)
			}
			all = append(all, fs...)
		}
		d.Source = fmt.Sprintf("%d frames of %v", len(all), opt.Files)
	} else {
		c := ms[0].Config
		if c == nil {
			return nil, fmt.Errorf("zoo: %s has no run config (%s) beside it: give the frames as dataset files", ms[0].Path, train.FileConfig)
		}
		if all, _, err = train.RawFrames(ctx, *c, w); err != nil {
			return nil, fmt.Errorf("zoo: %w", err)
		}
		d.Source = fmt.Sprintf("the %d training frames of %s", len(all), ms[0].Path)
	}
	if err := d.prepareAll(ctx, pick(all, opt.Frames, opt.First), opt.CacheMB, w); err != nil {
		return nil, err
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("zoo: no usable frames (%d skipped)", d.Skipped)
	}
	return d, nil
}

// pick returns n frames of all: the first n, or n evenly spread ones
// (frames ⌊k·N/n⌋, k < n, which is every (N/n)-th for a divisor).
func pick(all []dataset.Frame, n int, first bool) []dataset.Frame {
	if n == 0 || n >= len(all) {
		return all
	}
	if first {
		return all[:n]
	}
	out := make([]dataset.Frame, n)
	for k := range out {
		out[k] = all[k*len(all)/n]
	}
	return out
}

func (d *Data) preparer() (*train.FramePreparer, error) {
	if p, ok := d.pool.Get().(*train.FramePreparer); ok {
		return p, nil
	}
	return train.NewFramePreparer(d.cfg, d.gopt)
}

// prepareAll prepares every frame of raw once, drops the unusable ones and
// keeps the first ones within the budget prepared.
func (d *Data) prepareAll(ctx context.Context, raw []dataset.Frame, cacheMB int, w io.Writer) error {
	budget := int64(cacheMB) << 20
	if cacheMB < 0 {
		budget = -1
	}
	fs, err := train.PrepareFrames(ctx, d.cfg, d.gopt, raw, budget, w, "prepare frames")
	if err != nil {
		return fmt.Errorf("zoo: %w", err)
	}
	d.frames, d.Skipped = fs, fs.Skipped()
	return nil
}

// Len returns the number of usable frames.
func (d *Data) Len() int { return d.frames.Len() }

// Frame returns frame i prepared (shared and read-only when cached, fresh
// otherwise). Safe for concurrent use.
func (d *Data) Frame(i int) (*graph.HitGraph, *model.Input, error) {
	if g, in, ok := d.frames.Kept(i); ok {
		return g, in, nil
	}
	p, err := d.preparer()
	if err != nil {
		return nil, nil, fmt.Errorf("zoo: %w", err)
	}
	defer d.pool.Put(p)
	g, in, err := d.frames.Frame(i, p)
	if err != nil {
		return nil, nil, fmt.Errorf("zoo: frame %d: %w", i, err)
	}
	return g, in, nil
}

// Graph returns the hit-graph options the frames are built with.
func (d *Data) Graph() graph.Options { return d.gopt }
