package model

import (
	"math"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/nn"
)

// TestSpotRelativeFeatures moves a frame 37.5 mm across the detector with
// its spot: each kind of model must score it as before (logits, running
// batch-norm statistics), and must not when the spot is left behind
// (absolute positions, what the paper's features are for its single spot
// at (0, 0)).
func TestSpotRelativeFeatures(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		cfg := Config{Kind: kind}
		hg, lg := smallFrame(17, 5, 6)
		m, _ := perturbedModel[float64](cfg, 3, 3)
		logits := func(hg *graph.HitGraph) []float64 {
			tp := nn.NewTape[float64]()
			setBN(tp, BNRunning)
			return m.Forward(tp, mustInput(t, cfg, hg, lg)).Value.Data
		}
		want := logits(hg)
		moved := *hg
		moved.Hits = slices.Clone(hg.Hits)
		for i := range moved.Hits {
			moved.Hits[i].X += 37.5
			moved.Hits[i].Y -= 12.25
		}
		maxDiff := func() float64 {
			var d float64
			for i, v := range logits(&moved) {
				d = max(d, math.Abs(v-want[i]))
			}
			return d
		}
		absolute := maxDiff()
		if absolute < 1e-2 {
			t.Fatalf("moving the hits without the spot changes the logits by only %g", absolute)
		}
		moved.Meta.SpotX, moved.Meta.SpotY = hg.Meta.SpotX+37.5, hg.Meta.SpotY-12.25
		// float32 positions round when moved: a few ulps of 40 mm
		if d := maxDiff(); d > absolute/1000 {
			t.Errorf("moving hits and spot together changes the logits by %g (without the spot %g)", d, absolute)
		}
	})
}
