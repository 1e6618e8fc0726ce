package main

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/graph"
)

// graphOptFlags are the hit-graph flags shared by graph, eval and track.
type graphOptFlags struct {
	trackerCone        float64
	caloCone           float64
	trackerBelow       int32
	removeDisconnected bool
	paperQuirks        bool
	rejectOutside      bool
}

func (f *graphOptFlags) add(fl *pflag.FlagSet) {
	fl.Float64Var(&f.trackerCone, "tracker-cone", graph.DefaultTrackerCone, "cone around the beam axis for segments leaving layers below --tracker-below, rad")
	fl.Float64Var(&f.caloCone, "calo-cone", graph.DefaultCaloCone, "cone for all other segments, rad")
	fl.Int32Var(&f.trackerBelow, "tracker-below", graph.DefaultTrackerConeBelow, "segments whose deeper hit is in a layer below this use --tracker-cone (0: none)")
	fl.BoolVar(&f.removeDisconnected, "remove-disconnected", false, "drop the layers behind the first gap in each frame")
	fl.BoolVar(&f.paperQuirks, "paper-quirks", false, "remove_disconnected with the paper's off-by-one (to match its numbers)")
	fl.BoolVar(&f.rejectOutside, "reject-outside", false, "fail on hits outside the 270.8 × 166.3 mm aperture instead of dropping them")
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
	return opt, nil
}

// runOptions describes the graph and tracker options of a track or eval
// run as JSON, for its output metadata: merge refuses shards whose options
// differ.
func runOptions(g graph.Options, paper bool) (string, error) {
	b, err := json.Marshal(struct {
		Graph graph.Options `json:"graph"`
		Paper bool          `json:"paper"`
	}{g, paper})
	if err != nil {
		return "", fmt.Errorf("options: %w", err)
	}
	return string(b), nil
}
