package landscape

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/internal/zootest"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/zoo"
)

// benchZoo: two untrained models (PTT, PAT λ=50) on 4 frames of 50
// protons behind 100 mm of water, the small-* configs' frames.
var benchZoo = sync.OnceValues(func() (*fixture, error) {
	tb := &testing.B{}
	dir, err := osMkdirTemp()
	if err != nil {
		return nil, err
	}
	paths := zootest.Build(tb, dir, 4, 50, []zootest.Spec{{Method: "ptt", Seed: 0}, {Method: "pat", Lambda: 50, Seed: 1}})
	ms, d, err := zootest.Load(paths, 1)
	return &fixture{ms: ms, d: d, dir: dir}, err
})

func benchFixture(b *testing.B) *fixture {
	f, err := benchZoo()
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkHVP is one Hessian-vector product on one frame (the Hessian
// of a plane averages 10).
func BenchmarkHVP(b *testing.B) {
	f := benchFixture(b)
	g, in, _ := f.d.Frame(0)
	for _, m := range f.ms {
		hf := HessianFrame{Graph: g, Input: in}
		if m.Method == "pat" {
			hf.G, _ = SolverGradient(m.Net, g, in, e2e.Options{Lambda: 5000, Batch: 1}, track.Options{Paper: true})
		}
		for _, method := range []HVPMethod{HVPExact, HVPDiff} {
			b.Run(m.Method+"/"+method.String(), func(b *testing.B) {
				h, _ := NewHessian(m.Net, []HessianFrame{hf}, method)
				rng := rand.New(rand.NewPCG(1, 1))
				v := Of(m.Net.Params()).Zero()
				for i := range v {
					for k := range v[i] {
						v[i][k] = rng.NormFloat64()
					}
				}
				out := v.Zero()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := h.Apply(context.Background(), out, v); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(in.NumSegments), "segments")
			})
		}
	}
}

// BenchmarkGridPoint evaluates one plane point on one frame (the paper's
// plane: 2500 points × 10 frames).
func BenchmarkGridPoint(b *testing.B) {
	f := benchFixture(b)
	m := f.ms[0]
	one, err := zoo.LoadData(context.Background(), f.ms[:1], zoo.DataOptions{Frames: 1, First: true, CacheMB: -1}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bn := range []BNMode{BNBatch, BNRunning} {
		b.Run(bn.String(), func(b *testing.B) {
			pe := newPointEval(m.Net, EvalOptions{BN: bn})
			p := pointOf(m.Net)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := pe.eval(context.Background(), p, one); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFitFrame is one frame of a Bézier fit step (a fit is 1000
// steps × 8 frames).
func BenchmarkFitFrame(b *testing.B) {
	f := benchFixture(b)
	a, c := pointOf(f.ms[0].Net), pointOf(f.ms[1].Net)
	for _, loss := range []string{LossHamming, LossBCE} {
		b.Run(loss, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := Fit(context.Background(), f.ms[0].Net, a, c, f.d, FitOptions{Loss: loss, Steps: b.N, Batch: 1}); err != nil {
				b.Fatal(err)
			}
		})
	}
}
