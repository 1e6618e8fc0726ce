package model

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/internal/memo"
	"github.com/pcttrack/pcttrack/internal/peakrss"
	"github.com/pcttrack/pcttrack/model/internal/synth"
	"github.com/pcttrack/pcttrack/nn"
)

var benchInputs memo.Map[string, *Input]

// benchInput returns the prepared input of a paper-sized synthetic frame
// (built once per process).
func benchInput(b *testing.B, cfg Config, protons int) *Input {
	in, err := benchInputs.Get(fmt.Sprintf("%s/%d", cfg.Kind, protons), func() (*Input, error) {
		hg, lg := synth.Frame(synth.Paper(protons, 1))
		return NewInput(cfg, hg, lg)
	})
	if err != nil {
		b.Fatal(err)
	}
	return in
}

func benchModel(b *testing.B, cfg Config, protons int) {
	b.Run("forward", func(b *testing.B) {
		in := benchInput(b, cfg, protons)
		net, _ := New(cfg, rand.New(rand.NewPCG(1, 1)))
		probs := net.Predict(nil, in)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			probs = net.Predict(probs, in)
		}
		b.StopTimer()
		if probs[0] != probs[0] {
			b.Fatal("NaN probability")
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/frame")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(peakrss.MB(), "MB-peak")
	})
	b.Run("train_step", func(b *testing.B) {
		in := benchInput(b, cfg, protons)
		net, _ := New(cfg, rand.New(rand.NewPCG(1, 1)))
		opt, err := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{Kind: "rmsprop"})
		if err != nil {
			b.Fatal(err)
		}
		tp := nn.NewTape[float32]()
		var loss SplitBCE[float32]
		var last float32
		step := func() {
			tp.Reset()
			l := loss.Loss(tp, net.Forward(tp, in), in)
			tp.Backward(l)
			last = l.Value.Data[0]
			opt.Step(1)
			net.ZeroGrad()
		}
		step()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			step()
		}
		b.StopTimer()
		if last != last {
			b.Fatal("NaN loss")
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/frame")
		b.ReportMetric(peakrss.MB(), "MB-peak")
	})
}

// BenchmarkLineGraph times the paper's line-graph model on synthetic frames
// of the paper's mean size (p100: 14.8k line-graph nodes, 494k edges): the
// forward pass in evaluation mode (Predict) and a PTT training step
// (forward, split BCE, backward, RMSprop). MB-peak is the process's VmHWM,
// so run one sub-benchmark alone for its own peak.
func BenchmarkLineGraph(b *testing.B) {
	for _, p := range []int{100, 50} {
		b.Run(fmt.Sprintf("p%d", p), func(b *testing.B) { benchModel(b, Config{}, p) })
	}
}

// BenchmarkHitGraph times the hit-graph ablation (hidden 64) likewise.
func BenchmarkHitGraph(b *testing.B) {
	for _, p := range []int{100, 50} {
		b.Run(fmt.Sprintf("p%d", p), func(b *testing.B) { benchModel(b, Config{Kind: KindHitGraph}, p) })
	}
}
