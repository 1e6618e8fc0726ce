package learned_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/track"
)

// simGraph is the hit graph of one simulated frame behind 100 mm of water
// with the paper's cuts.
func simGraph(b *testing.B, protons int) *graph.HitGraph {
	b.Helper()
	ph, err := sim.ParsePhantom("water:100")
	if err != nil {
		b.Fatal(err)
	}
	var g *graph.HitGraph
	err = sim.Run(context.Background(), sim.Config{Phantom: ph, ProtonsPerFrame: protons, Frames: 1, Seed: 7}, func(f *dataset.Frame) error {
		g, err = graph.Build(f, nil)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkTracker is the learned tracker's inference on one frame:
// line graph, model input, forward pass (GOMAXPROCS workers), the
// per-layer LSAPs, chaining and the filter.
func BenchmarkTracker(b *testing.B) {
	for _, p := range []int{50, 100, 150} {
		g := simGraph(b, p)
		for _, kind := range []string{model.KindLineGraph, model.KindHitGraph} {
			b.Run(fmt.Sprintf("%s/p%d", kind, p), func(b *testing.B) {
				tr := learned.New(newNet(b, kind), nil)
				var res track.Result
				if err := tr.Track(&res, g); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if err := tr.Track(&res, g); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			})
		}
	}
}
