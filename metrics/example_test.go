package metrics_test

import (
	"fmt"
	"os"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/track"
)

// Two protons through three layers, tracked with costs that prefer the true
// segments and with costs that prefer the wrong ones.
func ExampleEvaluator() {
	c := testframes.Cases()[0] // "two-protons"
	g, err := graph.Build(&c.Frame, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	costs := func(wrong float64) track.CostFunc {
		return func(dst []float64, g *graph.HitGraph) ([]float64, error) {
			dst = dst[:0]
			for _, ok := range g.Label {
				c := wrong
				if ok {
					c = 1 - wrong
				}
				dst = append(dst, c)
			}
			return dst, nil
		}
	}
	// Three-hit tracks: keep them all, and call three hits reconstructable.
	keepAll := track.Filter{MinHits: -1, MinDeepestEdep: -1}
	e := metrics.Evaluator{Options: metrics.Options{ReconstructableHits: 3}}
	for _, wrong := range []float64{1, 0} {
		tr := &track.CostTracker{Costs: costs(wrong), Filter: keepAll}
		var res track.Result
		if err := tr.Track(&res, g); err != nil {
			fmt.Println(err)
			return
		}
		f := e.Evaluate(g, res.Selected, &res.Tracks)
		fmt.Printf("purity %.2f efficiency %.2f TPR %.2f FPR %.2f DM %.2f fakes %.2f\n",
			f.Purity, f.Efficiency, f.TPR, f.FPR, f.DMEfficiency, f.FakeRate)
	}
	// Output:
	// purity 1.00 efficiency 1.00 TPR 1.00 FPR 0.00 DM 1.00 fakes 0.00
	// purity 0.00 efficiency 0.00 TPR 0.00 FPR 1.00 DM 1.00 fakes 0.00
}

// Per-seed groups from an Aggregator, merged over seeds as in the paper's
// tables.
func ExampleOverSeeds() {
	var a metrics.Aggregator
	for seed, purity := range []float64{0.90, 0.92, 0.91} {
		k := metrics.Key{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: uint64(seed)}
		for _, d := range []float64{-0.05, 0.05} { // two frames per seed
			a.Add(k, metrics.Frame{Rates: metrics.Rates{Purity: purity + d}})
		}
	}
	g := metrics.OverSeeds(a.Groups())[0]
	fmt.Printf("%s %s: purity %.1f ± %.1f %% over %d seeds, %d frames\n",
		g.Key.Method, g.Key.Phantom, 100*g.Purity.Mean, 100*g.Purity.SD, g.Seeds, g.Frames)
	// Output:
	// pat water:100: purity 91.0 ± 0.8 % over 3 seeds, 6 frames
}

func ExampleAggregator_WriteText() {
	var a metrics.Aggregator
	k := metrics.Key{Method: "truth", Phantom: "water:100", ProtonsPerFrame: 100}
	a.Add(k, metrics.Frame{Rates: metrics.Rates{Purity: 0.9, Efficiency: 0.8, TPR: 0.99}})
	a.Add(k, metrics.Frame{Rates: metrics.Rates{Purity: 1.0, Efficiency: 0.9, TPR: 1}})
	if err := a.WriteText(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// method  phantom    p/frame  frames    purity %  efficiency %       TPR %      FPR %   DM eff %  fake rate %
	// truth   water:100      100       2  95.0 ± 7.1    85.0 ± 7.1  99.5 ± 0.7  0.0 ± 0.0  0.0 ± 0.0    0.0 ± 0.0
}
