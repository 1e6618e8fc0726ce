package track

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
)

// ModelOptions configures a ModelTracker. The zero value (and a nil
// *ModelOptions) is the paper's set-up: the default assignment Options,
// the paper's Filter and a line graph of every pair of consecutive
// segments.
type ModelOptions struct {
	// Assign configures the per-layer-pair assignment.
	Assign Options
	// Filter selects the tracks kept.
	Filter Filter
	// Line configures the line graph built for the line-graph model
	// (ignored by the hit-graph model). A PairFilter in it is shared by
	// clones.
	Line graph.LineOptions
}

// ModelTracker is the learned tracker: a CostTracker whose segment costs
// are 1 − p with p the probabilities of a network (package model). Track
// builds the frame's line graph, prepares the model input, predicts, and
// assigns, chains and filters as CostTracker does. It owns its workspace
// and is not safe for concurrent use: give each goroutine a Clone.
type ModelTracker struct {
	net   model.Net
	ct    CostTracker
	line  graph.LineOptions
	lb    *graph.LineBuilder
	lg    graph.LineGraph
	in    *model.Input // input of the frame being tracked, nil between calls
	probs []float32
}

var _ Tracker = (*ModelTracker)(nil)

// NewModelTracker returns a tracker scoring segments with net, which it
// uses (not copies); nil opt means the defaults. It panics if net is nil.
func NewModelTracker(net model.Net, opt *ModelOptions) *ModelTracker {
	if net == nil {
		panic("track: NewModelTracker: nil model")
	}
	var o ModelOptions
	if opt != nil {
		o = *opt
	}
	m := &ModelTracker{net: net, line: o.Line}
	m.ct = CostTracker{Options: o.Assign, Filter: o.Filter}
	m.ct.Costs = m.costs
	m.lb = graph.NewLineBuilder(&m.line)
	return m
}

// LoadModelTracker reads the model of the checkpoint at path (see
// model.Load) and returns a tracker using it. A missing, corrupt or
// unusable checkpoint is an error naming the file.
func LoadModelTracker(path string, opt *ModelOptions) (*ModelTracker, error) {
	net, _, err := model.Load(path)
	if err != nil {
		return nil, fmt.Errorf("track: model tracker: %w", err)
	}
	return NewModelTracker(net, opt), nil
}

// Net returns the tracker's model (shared, not a copy).
func (m *ModelTracker) Net() model.Net { return m.net }

// Clone returns an independent tracker with a copy of the model (see
// model.Model.Clone) and the same options, for use on another goroutine.
func (m *ModelTracker) Clone() *ModelTracker {
	return NewModelTracker(m.net.Clone(), &ModelOptions{Assign: m.ct.Options, Filter: m.ct.Filter, Line: m.line})
}

// Track implements Tracker: it builds the line graph of g (line-graph
// model only) and the model input, then tracks as TrackInput does. A
// frame too small for the model (fewer than two segments, or no pair of
// consecutive segments for the line-graph model) gets no segments and no
// tracks. Errors come from a graph the model rejects (bad layout, NaN
// features) or from the assignment. It allocates the model input (see
// model.NewInput); the line graph reuses the tracker's workspace.
func (m *ModelTracker) Track(dst *Result, g *graph.HitGraph) error {
	m.in = nil
	if !m.tooSmall(g, nil) {
		var lg *graph.LineGraph
		if m.net.Config().Kind == model.KindLineGraph {
			if err := m.lb.Build(&m.lg, g); err != nil {
				return fmt.Errorf("track: model tracker: %w", err)
			}
			lg = &m.lg
		}
		if !m.tooSmall(g, lg) {
			in, err := model.NewInput(m.net.Config(), g, lg)
			if err != nil {
				return fmt.Errorf("track: model tracker: %w", err)
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
func (m *ModelTracker) TrackInput(dst *Result, g *graph.HitGraph, in *model.Input) error {
	if in == nil || in.NumSegments != len(g.Src) {
		panic("track: TrackInput: input does not belong to the graph")
	}
	m.in = in
	defer func() { m.in = nil }()
	return m.ct.Track(dst, g)
}

// Probabilities returns the segment probabilities of the last frame
// tracked (zero for a frame too small for the model). The slice is the
// tracker's workspace, overwritten by the next call.
func (m *ModelTracker) Probabilities() []float32 { return m.probs }

// tooSmall reports whether the model cannot run on g (and lg, when not
// nil): batch normalisation needs two rows.
func (m *ModelTracker) tooSmall(g *graph.HitGraph, lg *graph.LineGraph) bool {
	return len(g.Src) < 2 || (lg != nil && len(lg.Src) < 2)
}

// costs is the CostFunc of the tracker: 1 − p, or +Inf everywhere when
// the frame has no model input (too small).
func (m *ModelTracker) costs(dst []float64, g *graph.HitGraph) ([]float64, error) {
	n := len(g.Src)
	if m.in == nil {
		m.probs = growP(m.probs, n)
		clear(m.probs)
		dst = growF(dst, n)
		for i := range dst {
			dst[i] = math.Inf(1)
		}
		return dst, nil
	}
	m.probs = m.net.Predict(m.probs, m.in)
	return ScoreCosts(dst, m.probs), nil
}

func growP(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
