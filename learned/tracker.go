package learned

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/track"
)

// Options configures a Tracker. The zero value (and a nil *Options) is the
// tool's default set-up, which is not quite the paper's: the paper's track
// filter and a line graph of every pair of consecutive segments, but the
// default assignment of package track (a hit may stay unmatched at
// track.DefaultUnmatchedCost), which tracks better than the paper's
// maximum-cardinality solver; set Assign.Paper for the latter.
type Options struct {
	// Assign configures the per-layer-pair assignment.
	Assign track.Options
	// Filter selects the tracks kept.
	Filter track.Filter
	// BatchNorm selects the model's batch-norm statistics (zero: the
	// running ones; model.BNBatch for the paper's validation mode).
	BatchNorm model.BNMode
	// Line configures the line graph built for the line-graph model
	// (ignored by the hit-graph model). A PairFilter in it is shared by
	// clones.
	Line graph.LineOptions
}

// Tracker is the learned tracker: a track.CostTracker whose segment costs
// are 1 − p with p the probabilities of a network (package model). Track
// builds the frame's line graph, prepares the model input, predicts, and
// assigns, chains and filters as track.CostTracker does. It owns its
// workspace and is not safe for concurrent use: give each goroutine a
// Clone.
type Tracker struct {
	net   model.Net
	ct    track.CostTracker
	line  graph.LineOptions
	bn    model.BNMode
	lb    *graph.LineBuilder
	lg    graph.LineGraph
	in    *model.Input // input of the frame being tracked, nil between calls
	probs []float32
}

var _ track.Tracker = (*Tracker)(nil)

// New returns a tracker scoring segments with net, which it uses (not
// copies); nil opt means the defaults. It panics if net is nil.
func New(net model.Net, opt *Options) *Tracker {
	if net == nil {
		panic("learned: New: nil model")
	}
	var o Options
	if opt != nil {
		o = *opt
	}
	m := &Tracker{net: net, line: o.Line, bn: o.BatchNorm}
	m.ct = track.CostTracker{Options: o.Assign, Filter: o.Filter}
	m.ct.Costs = m.costs
	m.lb = graph.NewLineBuilder(&m.line)
	return m
}

// Load reads the model of the checkpoint at path (see model.Load) and
// returns a tracker using it. A missing, corrupt or unusable checkpoint is
// an error naming the file.
func Load(path string, opt *Options) (*Tracker, error) {
	net, _, err := model.Load(path)
	if err != nil {
		return nil, fmt.Errorf("learned: %w", err)
	}
	return New(net, opt), nil
}

// Net returns the tracker's model (shared, not a copy).
func (m *Tracker) Net() model.Net { return m.net }

// Clone returns an independent tracker with a copy of the model (see
// model.Model.Clone) and the same options, for use on another goroutine.
func (m *Tracker) Clone() *Tracker {
	return New(m.net.Clone(), m.Options())
}

// Options returns the tracker's options.
func (m *Tracker) Options() *Options {
	return &Options{Assign: m.ct.Options, Filter: m.ct.Filter, Line: m.line, BatchNorm: m.bn}
}

// Track implements track.Tracker: it builds the line graph of g (line-graph
// model only) and the model input, then tracks as TrackInput does. A
// frame too small for the model (fewer than two segments, or no pair of
// consecutive segments for the line-graph model) gets no segments and no
// tracks. Errors come from a graph the model rejects (bad layout, NaN
// features) or from the assignment. It allocates the model input (see
// model.NewInput); the line graph reuses the tracker's workspace.
func (m *Tracker) Track(dst *track.Result, g *graph.HitGraph) error {
	m.in = nil
	if !m.tooSmall(g, nil) {
		var lg *graph.LineGraph
		if m.net.Config().Kind == model.KindLineGraph {
			if err := m.lb.Build(&m.lg, g); err != nil {
				return fmt.Errorf("learned: %w", err)
			}
			lg = &m.lg
		}
		if !m.tooSmall(g, lg) {
			in, err := model.NewInput(m.net.Config(), g, lg)
			if err != nil {
				return fmt.Errorf("learned: %w", err)
			}
			m.in = in
		}
	}
	defer func() { m.in = nil }()
	return m.ct.Track(dst, g)
}

// TrackInput tracks frame g from its prepared model input in (from
// model.NewInput with this tracker's model configuration on g and its
// line graph), as a training loop does with cached inputs: it predicts,
// takes the costs 1 − p and assigns, chains and filters. It allocates
// nothing once its workspace and dst have grown. It panics if in was
// prepared for another configuration or another graph size.
func (m *Tracker) TrackInput(dst *track.Result, g *graph.HitGraph, in *model.Input) error {
	if in == nil || in.NumSegments != len(g.Src) {
		panic("learned: TrackInput: input does not belong to the graph")
	}
	m.in = in
	defer func() { m.in = nil }()
	return m.ct.Track(dst, g)
}

// Probabilities returns the segment probabilities of the last frame
// tracked (zero for a frame too small for the model). The slice is the
// tracker's workspace, overwritten by the next call.
func (m *Tracker) Probabilities() []float32 { return m.probs }

// tooSmall reports whether the model cannot run on g (and lg, when not
// nil): batch normalisation needs two rows.
func (m *Tracker) tooSmall(g *graph.HitGraph, lg *graph.LineGraph) bool {
	return len(g.Src) < 2 || (lg != nil && len(lg.Src) < 2)
}

// costs is the track.CostFunc of the tracker: 1 − p, or +Inf everywhere when
// the frame has no model input (too small).
func (m *Tracker) costs(dst []float64, g *graph.HitGraph) ([]float64, error) {
	n := len(g.Src)
	if m.in == nil {
		m.probs = scratch.Zeroed(m.probs, n)
		dst = scratch.Grow(dst, n)
		for i := range dst {
			dst[i] = math.Inf(1)
		}
		return dst, nil
	}
	m.probs = m.net.PredictBN(m.probs, m.in, m.bn)
	return track.ScoreCosts(dst, m.probs), nil
}
