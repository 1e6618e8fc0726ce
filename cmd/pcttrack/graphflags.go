package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/track"
)

// graphOptFlags are the hit-graph flags shared by graph, eval and track.
type graphOptFlags struct {
	trackerCone        float64
	caloCone           float64
	trackerBelow       int32
	removeDisconnected bool
	paperQuirks        bool
	rejectOutside      bool
	trackerCut         float64
	physicsCut         float64
	dropIsolated       bool
	sparse             bool
	forceGraph         bool
	fl                 *pflag.FlagSet
}

// graphFlagNames are the flags of graphOptFlags.options.
var graphFlagNames = []string{"tracker-cone", "calo-cone", "tracker-below", "remove-disconnected", "paper-quirks", "reject-outside", "tracker-cut", "physics-cut", "drop-isolated", "sparse"}

func (f *graphOptFlags) add(fl *pflag.FlagSet) {
	fl.Float64Var(&f.trackerCone, "tracker-cone", graph.DefaultTrackerCone, "cone around the beam axis for segments leaving layers below --tracker-below, rad")
	fl.Float64Var(&f.caloCone, "calo-cone", graph.DefaultCaloCone, "cone for all other segments, rad")
	fl.Int32Var(&f.trackerBelow, "tracker-below", graph.DefaultTrackerConeBelow, "segments whose deeper hit is in a layer below this use --tracker-cone (0: none)")
	fl.BoolVar(&f.removeDisconnected, "remove-disconnected", false, "drop the layers behind the first gap in each frame")
	fl.BoolVar(&f.paperQuirks, "paper-quirks", false, "remove_disconnected with the paper's off-by-one (to match its numbers)")
	fl.BoolVar(&f.rejectOutside, "reject-outside", false, "fail on hits outside the 270.8 × 166.3 mm aperture instead of dropping them")
	fl.Float64Var(&f.trackerCut, "tracker-cut", 0, "keep a tracker-cone segment only if it continues a deeper one within `NSIGMA` Highland sigmas (0 = whole cone)")
	fl.Float64Var(&f.physicsCut, "physics-cut", 0, "drop line-graph pairs scattering by more than `NSIGMA` Highland sigmas at their depth (0 = keep all)")
	fl.BoolVar(&f.dropIsolated, "drop-isolated", false, "drop the segments the physics cut leaves without a pair")
	fl.BoolVar(&f.sparse, "sparse", false, fmt.Sprintf("sparse graphs: --tracker-cut %g --physics-cut %g --drop-isolated", graph.DefaultSparseCut, graph.DefaultSparseCut))
	f.fl = fl
}

// addModel adds --force-graph, for commands that run learned trackers.
func (f *graphOptFlags) addModel(fl *pflag.FlagSet) {
	fl.BoolVar(&f.forceGraph, "force-graph", false, "learned trackers use the graph flags' options instead of those their checkpoint was trained with")
}

// changed reports whether a graph flag was given.
func (f *graphOptFlags) changed() bool {
	for _, n := range graphFlagNames {
		if f.fl != nil && f.fl.Changed(n) {
			return true
		}
	}
	return false
}

// forModels returns the pipeline's graph options for methods ms: the graph
// flags' when given, else the graph all of ms prefer (learned trackers
// with one set of graph options, pipeline.PreferredGraph), else the
// flags' defaults (the paper's graph).
func (f *graphOptFlags) forModels(cmd string, ms []pipeline.Method) (graph.Options, error) {
	opt, err := f.options(cmd)
	if err != nil || f.changed() || f.forceGraph {
		return opt, err
	}
	if g, ok := pipeline.PreferredGraph(ms); ok {
		g.Validate = opt.Validate
		return g, nil
	}
	return opt, nil
}

// modelOptions are the learned trackers' options for the graph flags and
// --paper: with --force-graph they use the flags' graphs (gopt).
func (f *graphOptFlags) modelOptions(assign track.Options, gopt graph.Options) *learned.Options {
	o := &learned.Options{Assign: assign}
	if f.forceGraph {
		o.Graph, o.ForceGraph = &gopt, true
	}
	return o
}

// options checks the flags and returns the graph options; cmd prefixes
// errors.
func (f *graphOptFlags) options(cmd string) (graph.Options, error) {
	if !(f.trackerCone > 0 && f.trackerCone < math.Pi/2) || !(f.caloCone > 0 && f.caloCone < math.Pi/2) {
		return graph.Options{}, fmt.Errorf("%s: cones must be in (0, π/2) rad (--tracker-cone %g, --calo-cone %g)", cmd, f.trackerCone, f.caloCone)
	}
	if f.trackerBelow < 0 {
		return graph.Options{}, fmt.Errorf("%s: --tracker-below must be >= 0, not %d", cmd, f.trackerBelow)
	}
	below := f.trackerBelow
	if below == 0 {
		below = -1 // no layer is below 0; Options reads 0 as the default
	}
	opt := graph.Options{
		TrackerCone: f.trackerCone, CaloCone: f.caloCone, TrackerConeBelow: below,
		RemoveDisconnected: f.removeDisconnected || f.paperQuirks, DisconnectedOffByOne: f.paperQuirks,
	}
	if f.rejectOutside {
		opt.Outside = graph.RejectOutside
	}
	opt.TrackerCut, opt.PhysicsCut, opt.DropIsolated = f.trackerCut, f.physicsCut, f.dropIsolated
	if f.sparse {
		if f.fl.Changed("tracker-cut") || f.fl.Changed("physics-cut") || f.fl.Changed("drop-isolated") {
			return graph.Options{}, fmt.Errorf("%s: give --sparse or the cuts, not both", cmd)
		}
		s := graph.SparseOptions()
		opt.TrackerCut, opt.PhysicsCut, opt.DropIsolated = s.TrackerCut, s.PhysicsCut, s.DropIsolated
	}
	if _, err := opt.Resolved(); err != nil {
		return graph.Options{}, fmt.Errorf("%s: --tracker-cut/--physics-cut/--drop-isolated: %s", cmd, strings.TrimPrefix(err.Error(), "graph: "))
	}
	return opt, nil
}

// runOptions describes the graph and tracker options of a track or eval
// run as JSON, for its output metadata: merge refuses shards whose options
// differ.
func runOptions(g graph.Options, a track.Options) (string, error) {
	b, err := json.Marshal(struct {
		Graph         graph.Options `json:"graph"`
		Paper         bool          `json:"paper"`
		UnmatchedCost float64       `json:"unmatched_cost,omitempty"`
	}{g, a.Paper, a.UnmatchedCost})
	if err != nil {
		return "", fmt.Errorf("options: %w", err)
	}
	return string(b), nil
}

// trackingFlags are the flags shared by the commands that run trackers on
// datasets (eval, track): graph and assignment options, frames, workers.
type trackingFlags struct {
	assign          assignFlags
	graph           graphOptFlags
	frames, workers int
}

// add registers the flags on fl; frames is the help of --frames.
func (f *trackingFlags) add(fl *pflag.FlagSet, frames string) {
	f.assign.add(fl)
	fl.IntVar(&f.frames, "frames", 0, frames)
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
	f.graph.add(fl)
	f.graph.addModel(fl)
}

// options checks the counts and returns the graph options, the assignment
// options and the learned trackers' options of the flags.
func (f *trackingFlags) options(cmd string) (graph.Options, track.Options, *learned.Options, error) {
	if err := checkBounds(cmd, atLeast("frames", f.frames, 0), atLeast("workers", f.workers, 0)); err != nil {
		return graph.Options{}, track.Options{}, nil, err
	}
	gopt, err := f.graph.options(cmd)
	if err != nil {
		return graph.Options{}, track.Options{}, nil, err
	}
	aopt, err := f.assign.options(cmd)
	if err != nil {
		return graph.Options{}, track.Options{}, nil, err
	}
	return gopt, aopt, f.graph.modelOptions(aopt, gopt), nil
}
