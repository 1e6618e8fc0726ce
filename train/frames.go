package train

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/sim"
)

// RawFrames returns the unprepared training and validation frames of cfg
// (resolved here), read from its dataset files or simulated exactly as
// LoadData does, in the same order. Analyses of trained models use it to
// stream the training frames without keeping them all prepared. Progress
// of a simulation goes to w (nil for none).
func RawFrames(ctx context.Context, cfg Config, w io.Writer) (trainFrames, valFrames []dataset.Frame, err error) {
	cfg, err = cfg.Resolved()
	if err != nil {
		return nil, nil, err
	}
	if s := cfg.Data.Simulate; s != nil {
		return simulate(ctx, s, w)
	}
	if trainFrames, err = readFrames(cfg.Data.Train, cfg.Data.TrainFrames); err != nil {
		return nil, nil, err
	}
	if valFrames, err = readFrames(cfg.Data.Val, cfg.Data.ValFrames); err != nil {
		return nil, nil, err
	}
	return trainFrames, valFrames, nil
}

// MetaSimPhysics is the checkpoint metadata key of the simulator physics
// that made a model's training data (Config.SimPhysics).
const MetaSimPhysics = "sim_physics"

// SimPhysics describes the simulator physics of cfg's training and
// validation data, as checkpoints record it: for an inline simulation
// its sim.Physics.Version (0: sim.PhysicsVersion, "3"), followed by the
// options set beside it ("3 water_i=70,no_electron_hits=true"); for
// dataset files the distinct dataset.Meta.SimPhysics of the files, in
// order, comma-separated ("0" for frames not simulated here, e.g. GATE
// imports). Errors: a file that does not open.
func (cfg Config) SimPhysics() (string, error) {
	if s := cfg.Data.Simulate; s != nil {
		ph := s.Physics
		v := strconv.Itoa(cmp.Or(ph.Version, sim.PhysicsVersion))
		if ph.Version = 0; ph == (sim.Physics{}) {
			return v, nil
		}
		b, err := yaml.Marshal(ph)
		if err != nil {
			return "", fmt.Errorf("train: %w", err)
		}
		opts := strings.Split(strings.TrimSpace(string(b)), "\n")
		for i, o := range opts {
			opts[i] = strings.ReplaceAll(o, ": ", "=")
		}
		return v + " " + strings.Join(opts, ","), nil
	}
	var vs []string
	for _, p := range append(slices.Clone(cfg.Data.Train), cfg.Data.Val...) {
		r, err := dataset.Open(p)
		if err != nil {
			return "", fmt.Errorf("train: %w", err)
		}
		v := strconv.Itoa(r.Meta().SimPhysics)
		r.Close()
		if !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	return strings.Join(vs, ","), nil
}

// FramePreparer builds a frame's hit graph, line graph (line-graph model)
// and model input as training does. It reuses its graph builders, so it is
// not safe for concurrent use: give each goroutine its own.
type FramePreparer struct {
	p *preparer
}

// PreparedFrame is one frame ready for a model.
type PreparedFrame struct {
	Graph *graph.HitGraph
	Input *model.Input
	// Bytes estimates the memory the frame holds (as the training cache
	// counts it).
	Bytes int64
}

// NewFramePreparer returns a preparer for models of configuration m on hit
// graphs built with options g (both resolved here; invalid values are
// errors), e.g. a run config's Model and Graph.
func NewFramePreparer(m model.Config, g graph.Options) (*FramePreparer, error) {
	m, err := m.Resolved()
	if err != nil {
		return nil, fmt.Errorf("train: model: %w", err)
	}
	b, err := graph.NewBuilder(&g)
	if err != nil {
		return nil, fmt.Errorf("train: graph: %w", err)
	}
	return &FramePreparer{p: newPreparer(Config{Model: m, Graph: b.Options()})}, nil
}

// Prepare returns frame f prepared into fresh memory. ok is false for a
// frame the model cannot run on (empty, one layer, fewer than two segments
// or line-graph edges), which training skips too. Errors name the problem
// (a graph the model rejects).
func (p *FramePreparer) Prepare(f *dataset.Frame) (pf PreparedFrame, ok bool, err error) {
	pf.Graph, pf.Input, pf.Bytes, ok, err = p.p.prepare(nil, f)
	return pf, ok, err
}

// FrameSet holds the frames a model can run on, prepared as training
// prepares them: the first ones within a memory budget kept prepared, the
// others as raw hits prepared again on each use.
type FrameSet struct{ s frameSet }

// PrepareFrames prepares frames for models of configuration m on hit graphs
// of options g (both resolved here) on GOMAXPROCS goroutines, drops the
// frames the model cannot run on and keeps the first ones within budget
// bytes prepared (< 0: all), decided in frame order. A kept frame's hits
// move into its graph: its Hits become nil. Progress goes to w (nil for
// none) under desc.
func PrepareFrames(ctx context.Context, m model.Config, g graph.Options, frames []dataset.Frame, budget int64, w io.Writer, desc string) (*FrameSet, error) {
	p, err := NewFramePreparer(m, g)
	if err != nil {
		return nil, err
	}
	s := new(FrameSet)
	if err := s.s.prepare(ctx, p.p.cfg, frames, budget, w, desc); err != nil {
		return nil, err
	}
	return s, nil
}

// Len returns the number of usable frames.
func (s *FrameSet) Len() int { return s.s.Len() }

// Skipped returns the number of frames dropped as unusable.
func (s *FrameSet) Skipped() int { return s.s.skipped }

// Kept returns frame i when it is kept prepared (shared and read-only);
// ok is false otherwise.
func (s *FrameSet) Kept(i int) (g *graph.HitGraph, in *model.Input, ok bool) {
	f := &s.s.frames[i]
	return f.g, f.in, f.in != nil
}

// Frame returns frame i prepared: shared and read-only when kept, built
// by p into fresh memory otherwise. With one p per goroutine it is safe
// for concurrent use.
func (s *FrameSet) Frame(i int, p *FramePreparer) (*graph.HitGraph, *model.Input, error) {
	return s.s.get(i, p.p, nil)
}
