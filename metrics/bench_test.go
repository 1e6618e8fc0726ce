package metrics_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/track"
)

// benchFrame is one simulated frame tracked with the true labels as costs.
type benchFrame struct {
	g   *graph.HitGraph
	res track.Result
}

// truthCosts gives labelled (same-event) segments cost 0, the others 1.
func truthCosts(dst []float64, g *graph.HitGraph) ([]float64, error) {
	dst = slices.Grow(dst[:0], len(g.Src))[:len(g.Src)]
	for s, ok := range g.Label {
		dst[s] = 1
		if ok {
			dst[s] = 0
		}
	}
	return dst, nil
}

// benchFrames simulates 4 frames of p protons behind 100 mm of water (seed
// 1) and tracks them with truth costs and the paper's filter.
var benchFrames = sync.OnceValues(func() (map[int][]*benchFrame, error) {
	out := map[int][]*benchFrame{}
	for _, p := range []int{50, 100, 150} {
		fs, err := simframes.Water(p, 4, 1)
		if err != nil {
			return nil, err
		}
		tr := &track.CostTracker{Costs: truthCosts}
		for i := range fs {
			g, err := graph.Build(&fs[i], nil)
			if err != nil {
				return nil, err
			}
			bf := &benchFrame{g: g}
			if err := tr.Track(&bf.res, g); err != nil {
				return nil, err
			}
			out[p] = append(out[p], bf)
		}
	}
	return out, nil
})

// BenchmarkEvaluate times Evaluator.Evaluate on simulated 100 mm frames
// (tracker selection given, and derived from the tracks) and reports the
// truth tracker's mean purity and efficiency as a sanity figure.
func BenchmarkEvaluate(b *testing.B) {
	frames, err := benchFrames()
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []int{50, 100, 150} {
		for _, derive := range []bool{false, true} {
			name := fmt.Sprintf("p%d", p)
			if derive {
				name += "-derived"
			}
			b.Run(name, func(b *testing.B) {
				fs := frames[p]
				var e metrics.Evaluator
				var pur, eff float64
				for _, f := range fs {
					m := e.Evaluate(f.g, f.res.Selected, &f.res.Tracks)
					pur += m.Purity / float64(len(fs))
					eff += m.Efficiency / float64(len(fs))
				}
				b.ReportAllocs()
				b.ResetTimer()
				tracks := 0
				for i := 0; i < b.N; i++ {
					f := fs[i%len(fs)]
					sel := f.res.Selected
					if derive {
						sel = nil
					}
					tracks += e.Evaluate(f.g, sel, &f.res.Tracks).Tracks
				}
				if tracks == 0 {
					b.Fatal("no tracks")
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
				b.ReportMetric(100*pur, "purity%")
				b.ReportMetric(100*eff, "eff%")
			})
		}
	}
}
