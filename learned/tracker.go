package learned

import (
	"errors"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/track"
)

// Options configures a Tracker. The zero value (and a nil *Options) is the
// tool's default set-up, which is not quite the paper's: the paper's track
// filter and the graphs the model was trained on (the paper's full line
// graph for a model without a record of them), but the default assignment
// of package track (a hit may stay unmatched at track.DefaultUnmatchedCost),
// which tracks better than the paper's maximum-cardinality solver; set
// Assign.Paper for the latter.
type Options struct {
	// Assign configures the per-layer-pair assignment.
	Assign track.Options
	// Filter selects the tracks kept.
	Filter track.Filter
	// BatchNorm selects the model's batch-norm statistics (zero: the
	// running ones; model.BNBatch for the paper's validation mode).
	BatchNorm model.BNMode
	// Line configures the line graph built for the line-graph model
	// (ignored by the hit-graph model) beyond the graph options: its
	// Filter applies on top of their physics cut, which it may not set
	// (PhysicsCut and Geometry must be zero). A PairFilter in it is shared
	// by clones.
	Line graph.LineOptions
	// Graph, when not nil, replaces the graph options the model was
	// trained with (see NewTrained): the hit graphs the tracker accepts
	// and the line graph it builds. It must be the trained options (up to
	// Validate) unless ForceGraph is set.
	Graph *graph.Options
	// ForceGraph allows a Graph other than the trained one, and makes
	// Track run on a hit graph built with other options as it comes.
	ForceGraph bool
}

// Tracker is the learned tracker: a track.CostTracker whose segment costs
// are 1 − p with p the probabilities of a network (package model). Track
// builds the frame's line graph, prepares the model input, predicts, and
// assigns, chains and filters as track.CostTracker does.
//
// The tracker knows the graph options of its model (Graph). A hit graph
// built with them is used as it is; one built with the same cones but
// without the model's tracker cut (graph.Options.TrackerCut), such as the
// paper's full graph another tracker needs, is pruned first — the model
// scores the pruned graph and the other segments are forbidden — so that
// both give the same tracks; any other hit graph is an error unless
// ForceGraph is set. With DropIsolated it drops the segments its line
// graph leaves without a pair (graph.Dropper) and forbids them too. It owns its workspace and is not safe for concurrent
// use: give each goroutine a Clone.
type Tracker struct {
	net     model.Net
	ct      track.CostTracker
	line    graph.LineOptions
	bn      model.BNMode
	trained graph.Options // resolved
	graph   graph.Options // resolved, in use
	force   bool
	lb      *graph.LineBuilder
	lg      graph.LineGraph
	input   model.Input
	in      *model.Input // input of the frame being tracked, nil between calls

	// A frame built without the tracker cut: its pruned graph and, per
	// pruned segment, the segment of the frame's graph.
	pb     *graph.Builder
	pruned graph.HitGraph
	// DropIsolated: the graph without isolated segments.
	dropper graph.Dropper
	dropped graph.HitGraph
	segMap  []int32 // per segment of the graph scored, its segment in the frame's
	sub     bool    // the current input is of pruned or dropped, not of the frame's graph

	probs, subProbs []float32
}

var _ track.Tracker = (*Tracker)(nil)

// New returns a tracker scoring segments with net, which it uses (not
// copies), taking net to be trained on the graphs of opt.Graph (nil: the
// paper's); nil opt means the defaults. It panics if net is nil, if
// opt.Graph is invalid (see graph.Options.Resolved) or if opt.Line sets a
// physics cut. NewTrained and Load know what the model was trained on.
func New(net model.Net, opt *Options) *Tracker {
	var trained graph.Options
	if opt != nil && opt.Graph != nil {
		trained = *opt.Graph
	}
	m, err := NewTrained(net, trained, opt)
	if err != nil {
		panic(err.Error())
	}
	return m
}

// NewTrained returns a tracker scoring segments with net, a model trained
// on graphs built with the options trained (model.Checkpoint.GraphOptions),
// which the tracker uses unless opt.Graph replaces them; nil opt means the
// defaults. It returns an error for invalid graph options, and for an
// opt.Graph other than trained without opt.ForceGraph. It panics if net is
// nil.
func NewTrained(net model.Net, trained graph.Options, opt *Options) (*Tracker, error) {
	if net == nil {
		panic("learned: New: nil model")
	}
	var o Options
	if opt != nil {
		o = *opt
	}
	tr, err := trained.Resolved()
	if err != nil {
		return nil, fmt.Errorf("learned: trained graph options: %w", err)
	}
	tr.Validate = false
	use := tr
	if o.Graph != nil {
		if use, err = o.Graph.Resolved(); err != nil {
			return nil, fmt.Errorf("learned: %w", err)
		}
		v := use.Validate
		use.Validate = false
		same := graph.SameHitGraph(use, tr) && use.TrackerCut == tr.TrackerCut && use.PhysicsCut == tr.PhysicsCut
		if !same && !o.ForceGraph {
			return nil, fmt.Errorf("learned: the model was trained on graphs with %s, not %s (force to use them anyway)", tr.Summary(), use.Summary())
		}
		use.Validate = v
	}
	m := &Tracker{net: net, line: o.Line, bn: o.BatchNorm, trained: tr, graph: use, force: o.ForceGraph}
	m.ct = track.CostTracker{Options: o.Assign, Filter: o.Filter}
	m.ct.Costs = m.costs
	if o.Line.PhysicsCut != 0 || o.Line.Geometry != nil {
		return nil, errors.New("learned: set the physics cut in Options.Graph, not in Options.Line")
	}
	lo := graph.LineOptionsOf(use)
	lo.Filter, lo.Validate = o.Line.Filter, o.Line.Validate || use.Validate
	m.lb = graph.NewLineBuilder(&lo)
	if use.TrackerCut > 0 {
		if m.pb, err = graph.NewBuilder(&use); err != nil {
			return nil, fmt.Errorf("learned: %w", err)
		}
	}
	return m, nil
}

// Load reads the model of the checkpoint at path (see model.Load) and
// returns a tracker using it with the graph options it was trained with
// (NewTrained). A missing, corrupt or unusable checkpoint, or an opt.Graph
// NewTrained rejects, is an error naming the file.
func Load(path string, opt *Options) (*Tracker, error) {
	net, ck, err := model.Load(path)
	if err != nil {
		return nil, fmt.Errorf("learned: %w", err)
	}
	m, err := NewTrained(net, ck.GraphOptions(), opt)
	if err != nil {
		return nil, fmt.Errorf("%w (checkpoint %s)", err, path)
	}
	return m, nil
}

// Net returns the tracker's model (shared, not a copy).
func (m *Tracker) Net() model.Net { return m.net }

// Graph returns the graph options in use (resolved): the trained ones or
// Options.Graph.
func (m *Tracker) Graph() graph.Options { return m.graph }

// Trained returns the graph options the model was trained with (resolved).
func (m *Tracker) Trained() graph.Options { return m.trained }

// Clone returns an independent tracker with a copy of the model (see
// model.Model.Clone) and the same options, for use on another goroutine.
func (m *Tracker) Clone() *Tracker {
	c, err := NewTrained(m.net.Clone(), m.trained, m.Options())
	if err != nil {
		panic("learned: Clone: " + err.Error()) // checked by the original
	}
	return c
}

// Options returns the tracker's options.
func (m *Tracker) Options() *Options {
	g := m.graph
	return &Options{Assign: m.ct.Options, Filter: m.ct.Filter, Line: m.line, BatchNorm: m.bn, Graph: &g, ForceGraph: m.force}
}

// Track implements track.Tracker: it checks g's options against the
// tracker's graph (see Tracker), prunes g when it lacks the tracker cut,
// builds the line graph (line-graph model only) and the model input, then
// tracks as TrackInput does. A frame too small for the model (fewer than
// two segments, or no pair of consecutive segments for the line-graph
// model) gets no segments and no tracks. Errors come from a hit graph
// built with incompatible options, a graph the model rejects (bad layout,
// NaN features) or from the assignment. Once its workspace has grown to
// the largest frame seen it allocates nothing for the line-graph model.
func (m *Tracker) Track(dst *track.Result, g *graph.HitGraph) error {
	m.in, m.sub = nil, false
	defer func() { m.in, m.sub = nil, false }()
	sg := g
	switch mode, err := m.graphMode(g); {
	case err != nil:
		return err
	case mode == prune:
		if err := m.prune(g); err != nil {
			return err
		}
		sg, m.sub = &m.pruned, true
	}
	if !m.tooSmall(sg, nil) {
		lineModel := m.net.Config().Kind == model.KindLineGraph
		var lg *graph.LineGraph
		if lineModel || m.graph.DropIsolated {
			if err := m.lb.Build(&m.lg, sg); err != nil {
				return fmt.Errorf("learned: %w", err)
			}
			lg = &m.lg
		}
		if m.graph.DropIsolated && !m.tooSmall(sg, lg) {
			m.drop(sg, g)
			sg = &m.dropped
		}
		if !lineModel {
			lg = nil
		}
		if !m.tooSmall(sg, lg) {
			if err := m.input.Prepare(m.net.Config(), sg, lg); err != nil {
				return fmt.Errorf("learned: %w", err)
			}
			m.in = &m.input
		}
	}
	return m.ct.Track(dst, g)
}

// drop removes the isolated segments of sg (g or the pruned g) into
// m.dropped, renumbering m.lg, and maps them to g's segments in m.segMap.
func (m *Tracker) drop(sg, g *graph.HitGraph) {
	keep := m.dropper.Drop(&m.dropped, sg, &m.lg)
	if sg == g {
		m.segMap = append(m.segMap[:0], keep...)
	} else {
		for n, s := range keep {
			m.segMap[n] = m.segMap[s] // keep is increasing: n <= s
		}
		m.segMap = m.segMap[:len(keep)]
	}
	m.sub = true
}

type graphMode int

const (
	direct graphMode = iota
	prune
)

// graphMode decides how to use a hit graph built with g.Options.
func (m *Tracker) graphMode(g *graph.HitGraph) (graphMode, error) {
	o := g.Options
	switch {
	case o == (graph.Options{}):
		return direct, nil // made by hand
	case m.canPrune(o):
		return prune, nil
	case graph.SameHitGraph(o, m.graph) && o.TrackerCut == m.graph.TrackerCut:
		return direct, nil
	case m.force:
		return direct, nil
	}
	return direct, fmt.Errorf("learned: frame %d: the hit graph was built with %s, the model's graphs have %s: build them with the model's graph options or force them",
		g.Meta.Frame, o.Summary(), m.graph.Summary())
}

// canPrune reports whether a graph built with o is the tracker's graph
// without its tracker cut.
func (m *Tracker) canPrune(o graph.Options) bool {
	return m.pb != nil && o.TrackerCut == 0 && graph.SameHitGraph(o, m.graph)
}

// prune builds the tracker-cut graph of g's hits into m.pruned and maps
// its segments to g's. The cut keeps a subset of g's segments between the
// same hits, in the same order.
func (m *Tracker) prune(g *graph.HitGraph) error {
	f := dataset.Frame{Meta: g.Meta, Hits: g.Hits}
	if err := m.pb.Build(&m.pruned, &f); err != nil {
		return fmt.Errorf("learned: tracker cut: %w", err)
	}
	p := &m.pruned
	if len(p.Hits) != len(g.Hits) {
		return fmt.Errorf("learned: frame %d: the tracker cut dropped hits (%d of %d left)", g.Meta.Frame, len(p.Hits), len(g.Hits))
	}
	m.segMap = scratch.Grow(m.segMap, len(p.Src))
	s := int32(0)
	for q := range p.Src {
		a, b := p.Src[q], p.Dst[q]
		for s < int32(len(g.Src)) && (g.Src[s] < a || g.Src[s] == a && g.Dst[s] < b) {
			s++
		}
		if s == int32(len(g.Src)) || g.Src[s] != a || g.Dst[s] != b {
			return fmt.Errorf("learned: frame %d: the tracker cut made segment %d→%d, which the frame's graph lacks", g.Meta.Frame, a, b)
		}
		m.segMap[q] = s
	}
	return nil
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

// costs is the track.CostFunc of the tracker: 1 − p, +Inf for the
// segments the tracker cut removed, or +Inf everywhere when the frame has
// no model input (too small).
func (m *Tracker) costs(dst []float64, g *graph.HitGraph) ([]float64, error) {
	n := len(g.Src)
	dst = scratch.Grow(dst, n)
	if m.in == nil {
		m.probs = scratch.Zeroed(m.probs, n)
		for i := range dst {
			dst[i] = math.Inf(1)
		}
		return dst, nil
	}
	if !m.sub {
		m.probs = m.net.PredictBN(m.probs, m.in, m.bn)
		return track.ScoreCosts(dst, m.probs), nil
	}
	m.subProbs = m.net.PredictBN(m.subProbs, m.in, m.bn)
	m.probs = scratch.Zeroed(m.probs, n)
	for i := range dst {
		dst[i] = math.Inf(1)
	}
	for q, s := range m.segMap[:len(m.subProbs)] {
		p := m.subProbs[q]
		m.probs[s] = p
		dst[s] = 1 - float64(p)
	}
	return dst, nil
}
