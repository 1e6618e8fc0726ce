package e2e

import (
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// toyProblem is a synthetic frame without secondaries or nuclear losses,
// whose true segments form a matching per layer pair (so Hamming 0 is
// reachable), with its labelled input.
func toyProblem(t *testing.T, protons int) (*graph.HitGraph, *model.Input) {
	t.Helper()
	rng := rand.New(rand.NewPCG(8, 1))
	f := testframes.Synthetic(rng, testframes.SynthOptions{Protons: protons, Nuclear: -1, Delta: -1})
	g, err := graph.Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, in := make([]int, len(g.Hits)), make([]int, len(g.Hits))
	for s, ok := range g.Label {
		if ok {
			out[g.Src[s]]++
			in[g.Dst[s]]++
		}
	}
	for h := range out {
		if out[h] > 1 || in[h] > 1 {
			t.Fatalf("labels are not a matching at hit %d", h)
		}
	}
	return g, labelled(g)
}

// TestTrainThroughSolver trains one free logit per segment only through
// the solver layer (RMSprop) until the assignment equals the truth
// (Hamming loss 0), for every variant.
func TestTrainThroughSolver(t *testing.T) {
	g, in := toyProblem(t, 30)
	cases := []struct {
		name     string
		opt      Options
		paper    bool
		maxSteps int
	}{
		{"blackbox", Options{Lambda: 1000, Variant: Blackbox}, false, 200},
		{"blackbox-paper-mode", Options{Lambda: 1000, Variant: Blackbox}, true, 200},
		{"unscaled", Options{Lambda: 1000, Variant: Unscaled}, false, 200},
		{"identity", Options{Variant: Identity}, false, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(9, 1))
			x := nn.NewParam[float32]("logits", len(g.Src), 1)
			// Start adversarially: false segments preferred.
			nn.Uniform(x.Value.Data, 0.5, rng)
			for s, ok := range g.Label {
				if ok {
					x.Value.Data[s] -= 1
				} else {
					x.Value.Data[s] += 1
				}
			}
			opt, err := nn.NewOptimizer([]*nn.Var[float32]{x}, nn.OptimizerSettings{LR: 0.01})
			if err != nil {
				t.Fatal(err)
			}
			tp := nn.NewTape[float32]()
			l := &Loss[float32]{Options: tc.opt, Assign: track.Options{Paper: tc.paper}}
			var first, last float32
			steps := 0
			for ; steps < tc.maxSteps; steps++ {
				tp.Reset()
				x.ZeroGrad()
				loss, err := l.Loss(tp, x, g, in)
				if err != nil {
					t.Fatal(err)
				}
				last = loss.Value.Data[0]
				if steps == 0 {
					first = last
				}
				if last == 0 {
					break
				}
				tp.Backward(loss)
				if err := l.Err(); err != nil {
					t.Fatal(err)
				}
				opt.Step(1)
			}
			if first < 0.4 || last != 0 {
				t.Fatalf("Hamming loss %.3f -> %.3f after %d steps, want > 0.4 -> 0", first, last, steps)
			}
			for s, y := range l.Assignment() {
				if y != g.Label[s] {
					t.Fatalf("segment %d: assigned %v, label %v", s, y, g.Label[s])
				}
			}
			t.Logf("%s: %d segments, loss %.3f -> 0 in %d steps", tc.name, len(g.Src), first, steps)
		})
	}
}
