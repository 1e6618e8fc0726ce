package e2e_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
)

// Train the paper's line-graph model through the tracker (PAT): logits →
// σ → per-layer-pair LSAP → split Hamming loss, back-propagated with the
// blackbox rule.
func ExampleLoss() {
	rng := rand.New(rand.NewPCG(1, 1))
	frame := testframes.Synthetic(rng, testframes.SynthOptions{Protons: 5, Nuclear: -1, Delta: -1})
	hg, err := graph.Build(&frame, nil)
	if err != nil {
		panic(err)
	}
	lg, err := graph.NewLineGraph(hg, nil)
	if err != nil {
		panic(err)
	}
	cfg := model.Config{}
	in, err := model.NewInput(cfg, hg, lg)
	if err != nil {
		panic(err)
	}
	net, _ := model.New(cfg, rng)
	opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{LR: 0.01})
	pat := &e2e.Loss[float32]{Options: e2e.Options{Lambda: 1000, Variant: e2e.Blackbox}}
	tp := nn.NewTape[float32]()
	var first, last float32
	for step := range 30 {
		tp.Reset()
		net.ZeroGrad()
		loss, err := pat.Loss(tp, net.Forward(tp, in), hg, in)
		if err != nil {
			panic(err)
		}
		tp.Backward(loss)
		if err := pat.Err(); err != nil {
			panic(err)
		}
		opt.Step(1)
		if step == 0 {
			first = loss.Value.Data[0]
		}
		last = loss.Value.Data[0]
	}
	fmt.Printf("%d segments in %d layer pairs\n", len(hg.Src), pat.Stats().Pairs)
	fmt.Printf("Hamming loss %.2f at the start, 0 after 30 steps: %v\n", first, last == 0)
	// Output:
	// 175 segments in 30 layer pairs
	// Hamming loss 0.51 at the start, 0 after 30 steps: true
}

// The solver layer alone on two crossing protons: the costs prefer the
// wrong pairs, and the gradient of a loss rewarding the true ones raises
// their probability.
func ExampleLayer() {
	var c testframes.Case
	for _, k := range testframes.Cases() {
		if k.Name == "two-protons" {
			c = k
		}
	}
	g, _ := graph.Build(&c.Frame, nil)
	n := len(g.Src)
	p := nn.NewParam[float64]("p", n, 1)
	for s := range n {
		p.Value.Data[s] = 0.6 // false segments: cost 0.4
		if g.Label[s] {
			p.Value.Data[s] = 0.55 // true segments: cost 0.45
		}
	}
	layer := &e2e.Layer[float64]{Options: e2e.Options{Lambda: 0.5, Variant: e2e.Blackbox}}
	layer.Prepare(g, nil, nil)
	tp := nn.NewTape[float64]()
	y := tp.Custom(layer, n, 1, p)
	// L = Σ (1 − 2t)·y: +1 per false segment chosen, −1 per true one.
	target := make([]float64, n)
	for s := range n {
		if g.Label[s] {
			target[s] = 1
		}
	}
	loss := tp.Sum(tp.Custom(nn.CustomFunc[float64]{
		Fwd: func(out *nn.Var[float64], in []*nn.Var[float64]) {
			for s, v := range in[0].Value.Data {
				out.Value.Data[s] = (1 - 2*target[s]) * v
			}
		},
		Bwd: func(out *nn.Var[float64], in []*nn.Var[float64]) {
			for s, g := range out.Grad {
				in[0].Grad[s] += (1 - 2*target[s]) * g
			}
		},
	}, n, 1, y))
	tp.Backward(loss)
	fmt.Println("labels:", g.Label)
	fmt.Println("y:     ", y.Value.Data)
	fmt.Println("dL/dp: ", p.Grad)
	// Output:
	// labels: [true false false true true false false true]
	// y:      [0 1 1 0 0 1 1 0]
	// dL/dp:  [-2 2 2 -2 -2 2 2 -2]
}
