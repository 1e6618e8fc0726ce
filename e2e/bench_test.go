package e2e

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
)

var bench struct {
	once sync.Once
	hg   *graph.HitGraph
	in   *model.Input
	err  error
}

// benchFrame simulates one frame of 100 protons behind 100 mm of water
// (seed 1) and prepares it for the paper's line-graph model.
func benchFrame(b *testing.B) (*graph.HitGraph, *model.Input) {
	bench.once.Do(func() {
		frames, err := simframes.Water(100, 1, 1)
		if err != nil {
			bench.err = err
			return
		}
		if bench.hg, err = graph.Build(&frames[0], nil); err != nil {
			bench.err = err
			return
		}
		lg, err := graph.NewLineGraph(bench.hg, nil)
		if err != nil {
			bench.err = err
			return
		}
		bench.in, bench.err = model.NewInput(model.Config{}, bench.hg, lg)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.hg, bench.in
}

// BenchmarkLayer times the solver layer alone (forward solve, perturbed
// solve, gradient) on the simulated frame, with the probabilities of an
// untrained model and with confident ones (true 0.8, false 0.2, ±0.15).
func BenchmarkLayer(b *testing.B) {
	hg, in := benchFrame(b)
	n := len(hg.Src)
	net, err := model.New(model.Config{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 1))
	confident := make([]float32, n)
	for s := range n {
		confident[s] = 0.2 + 0.3*float32(rng.Float64()-0.5)
		if hg.Label[s] {
			confident[s] += 0.6
		}
	}
	inputs := map[string][]float32{"untrained": net.Predict(nil, in), "confident": confident}
	for _, name := range []string{"untrained", "confident"} {
		for _, workers := range []int{1, 2} {
			b.Run(name+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				l := &Layer[float32]{Options: Options{Workers: workers}}
				gy := make([]float32, n)
				for s := range gy {
					gy[s] = (1 - 2*in.Labels[s]) / float32(n/2)
				}
				runLayerInto(l, hg, inputs[name], gy) // warm-up: grow the workspace
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					runLayerInto(l, hg, inputs[name], gy)
				}
				b.StopTimer()
				if l.Err() != nil || l.Stats().Selected == 0 {
					b.Fatal(l.Err(), l.Stats())
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/frame")
			})
		}
	}
}

var benchVars struct {
	in, out nn.Var[float32]
	ins     [1]*nn.Var[float32]
	dp, y   []float32
}

func runLayerInto(l *Layer[float32], g *graph.HitGraph, p, gy []float32) {
	n := len(g.Src)
	v := &benchVars
	if len(v.dp) != n {
		v.dp, v.y = make([]float32, n), make([]float32, n)
	}
	v.in = nn.Var[float32]{Value: nn.Tensor[float32]{Rows: n, Cols: 1, Data: p}, Grad: v.dp}
	v.out = nn.Var[float32]{Value: nn.Tensor[float32]{Rows: n, Cols: 1, Data: v.y}, Grad: gy}
	v.ins[0] = &v.in
	l.Prepare(g, nil, nil)
	l.Forward(&v.out, v.ins[:])
	l.Backward(&v.out, v.ins[:])
}

// BenchmarkTrainStep compares a full training step of the paper's
// line-graph model on the simulated frame (forward, loss, backward,
// RMSprop) with the PTT loss (split BCE) and the PAT loss (solver layer +
// split Hamming, default Options). "ratio" alternates the two steps and
// reports the PAT/PTT time ratio.
func BenchmarkTrainStep(b *testing.B) {
	hg, in := benchFrame(b)
	setup := func(b *testing.B) (step func(pat bool) float32) {
		net, err := model.New(model.Config{}, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			b.Fatal(err)
		}
		opt, err := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{})
		if err != nil {
			b.Fatal(err)
		}
		tp := nn.NewTape[float32]()
		var ptt model.SplitBCE[float32]
		var pat Loss[float32]
		return func(usePAT bool) float32 {
			tp.Reset()
			net.ZeroGrad()
			logits := net.Forward(tp, in)
			var loss *nn.Var[float32]
			if usePAT {
				if loss, err = pat.Loss(tp, logits, hg, in); err != nil {
					b.Fatal(err)
				}
			} else {
				loss = ptt.Loss(tp, logits, in)
			}
			tp.Backward(loss)
			opt.Step(1)
			return loss.Value.Data[0]
		}
	}
	for _, name := range []string{"ptt", "pat"} {
		b.Run(name, func(b *testing.B) {
			step := setup(b)
			step(name == "pat")
			b.ReportAllocs()
			b.ResetTimer()
			var last float32
			for range b.N {
				last = step(name == "pat")
			}
			b.StopTimer()
			if last != last {
				b.Fatal("NaN loss")
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/step")
			b.ReportMetric(float64(len(hg.Src)), "segments")
		})
	}
	b.Run("ratio", func(b *testing.B) {
		step := setup(b)
		step(false)
		step(true)
		var tPTT, tPAT time.Duration
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			step(false)
			t1 := time.Now()
			step(true)
			tPTT += t1.Sub(t0)
			tPAT += time.Since(t1)
		}
		b.StopTimer()
		b.ReportMetric(tPAT.Seconds()/tPTT.Seconds(), "pat/ptt")
		b.ReportMetric(float64(tPTT.Microseconds())/1e3/float64(b.N), "ms-ptt")
		b.ReportMetric(float64(tPAT.Microseconds())/1e3/float64(b.N), "ms-pat")
	})
}
