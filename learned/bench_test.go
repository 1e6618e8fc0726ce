package learned_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/cputime"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/track"
)

// simFrame is one simulated frame behind 100 mm of water (shared:
// read-only).
func simFrame(tb testing.TB, protons int, seed uint64) *dataset.Frame {
	return &simframes.Must(tb, protons, 1, seed)[0]
}

// sparseGraph is the graph options of the sparse benchmarks.
var sparseGraph = graph.Options{TrackerCut: 4, PhysicsCut: 4}

// benchTracker returns the tracker of a benchmark: the checkpoint in
// $PCTTRACK_BENCH_FULL or $PCTTRACK_BENCH_SPARSE (line-graph model, full or
// sparse graphs) when set, else an untrained model on those graphs.
func benchTracker(b *testing.B, kind string, sparse bool) *learned.Tracker {
	env, g := "PCTTRACK_BENCH_FULL", graph.Options{}
	if sparse {
		env, g = "PCTTRACK_BENCH_SPARSE", sparseGraph
	}
	if p := os.Getenv(env); p != "" && kind == model.KindLineGraph {
		tr, err := learned.Load(p, nil)
		if err != nil {
			b.Fatal(err)
		}
		return tr
	}
	return learned.New(newNet(b, kind), &learned.Options{Graph: &g})
}

// BenchmarkTracker is the learned tracker's inference on one frame: line
// graph, model input, forward pass (GOMAXPROCS workers), the per-layer
// LSAPs, chaining and the filter, on the hit graph built with the
// tracker's graph options (not timed), full or sparse. cpu-ns/op is the
// CPU time of the process per frame, less inflated than ns/op on a shared
// machine. Set PCTTRACK_BENCH_FULL and PCTTRACK_BENCH_SPARSE to trained
// line-graph checkpoints to time them.
func BenchmarkTracker(b *testing.B) {
	for _, p := range []int{50, 100, 150} {
		f := simFrame(b, p, 7)
		for _, kind := range []string{model.KindLineGraph, model.KindHitGraph} {
			for _, sparse := range []bool{false, true} {
				name := "full"
				if sparse {
					name = "sparse"
				}
				b.Run(fmt.Sprintf("%s/%s/p%d", kind, name, p), func(b *testing.B) {
					tr := benchTracker(b, kind, sparse)
					gopt := tr.Graph()
					g, err := graph.Build(f, &gopt)
					if err != nil {
						b.Fatal(err)
					}
					var res track.Result
					if err := tr.Track(&res, g); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					c0, _ := cputime.Process()
					for b.Loop() {
						if err := tr.Track(&res, g); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(cputime.Since(c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
					b.ReportMetric(float64(len(g.Src)), "segments")
				})
			}
		}
	}
}
