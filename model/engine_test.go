package model

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// trainStep runs forward, the split BCE and backward on a fresh copy of
// net and returns the loss and all parameter gradients.
func trainStep(net Net, in *Input) (float32, [][]float32) {
	m := net.Clone()
	tp := nn.NewTape[float32]()
	var l SplitBCE[float32]
	loss := l.Loss(tp, m.Forward(tp, in), in)
	tp.Backward(loss)
	var grads [][]float32
	for _, p := range m.Params() {
		grads = append(grads, append([]float32(nil), p.Grad...))
	}
	return loss.Value.Data[0], grads
}

func TestDeterministicAcrossCores(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		cfg := Config{Kind: kind}
		in := smallInput(t, cfg, 11)
		net, _ := New(cfg, rand.New(rand.NewPCG(3, 3)))
		prev := runtime.GOMAXPROCS(1)
		l1, g1 := trainStep(net, in)
		runtime.GOMAXPROCS(2)
		l2, g2 := trainStep(net, in)
		l3, _ := trainStep(net, in)
		runtime.GOMAXPROCS(prev)
		if l1 != l2 || l2 != l3 {
			t.Fatalf("losses differ: %v (1 core), %v, %v (2 cores)", l1, l2, l3)
		}
		for i := range g1 {
			for j := range g1[i] {
				if g1[i][j] != g2[i][j] {
					t.Fatalf("gradient %s[%d] differs: %v vs %v", net.Params()[i].Name, j, g1[i][j], g2[i][j])
				}
			}
		}
	})
}

// TestFloat32MatchesFloat64 runs the same weights in float32 (assembly
// kernels where available) and float64 and compares logits and gradients.
func TestFloat32MatchesFloat64(t *testing.T) {
	in := smallInput(t, Config{}, 13)
	m64, _ := perturbedModel[float64](Config{}, 4, 4)
	m32 := float32Copy(t, Config{}, m64)
	for _, asm := range []bool{true, false} {
		was := kern.SetAsm(asm)
		t64 := nn.NewTape[float64]()
		var l64 SplitBCE[float64]
		lo64 := m64.Clone().Forward(t64, in)
		c64 := m64.Clone()
		lo64 = c64.Forward(t64, in)
		t64.Backward(l64.Loss(t64, lo64, in))
		t32 := nn.NewTape[float32]()
		var l32 SplitBCE[float32]
		c32 := m32.Clone()
		lo32 := c32.Forward(t32, in)
		t32.Backward(l32.Loss(t32, lo32, in))
		kern.SetAsm(was)
		for i := range lo64.Value.Data {
			if d := math.Abs(float64(lo32.Value.Data[i]) - lo64.Value.Data[i]); d > 2e-5*math.Max(1, math.Abs(lo64.Value.Data[i])) {
				t.Fatalf("asm=%v logit %d: float32 %v, float64 %v", asm, i, lo32.Value.Data[i], lo64.Value.Data[i])
			}
		}
		var maxg float64
		for _, p := range c64.Params() {
			for _, g := range p.Grad {
				maxg = math.Max(maxg, math.Abs(g))
			}
		}
		for i, p := range c64.Params() {
			for j, g := range p.Grad {
				if d := math.Abs(float64(c32.Params()[i].Grad[j]) - g); d > 1e-4*maxg {
					t.Fatalf("asm=%v %s[%d]: float32 %v, float64 %v", asm, p.Name, j, c32.Params()[i].Grad[j], g)
				}
			}
		}
	}
}

func TestSteadyStateAllocations(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		cfg := Config{Kind: kind}
		in := smallInput(t, cfg, 17)
		net, _ := New(cfg, rand.New(rand.NewPCG(5, 5)))
		var probs []float32
		probs = net.Predict(probs, in)
		if a := testing.AllocsPerRun(5, func() { probs = net.Predict(probs, in) }); a != 0 {
			t.Errorf("Predict allocates %v times per call", a)
		}
		tp := nn.NewTape[float32]()
		var l SplitBCE[float32]
		opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{})
		step := func() {
			tp.Reset()
			net.ZeroGrad()
			tp.Backward(l.Loss(tp, net.Forward(tp, in), in))
			opt.Step(1)
		}
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("training step allocates %v times", a)
		}
	})
}

func TestForwardBackwardPairing(t *testing.T) {
	in := smallInput(t, Config{}, 43)
	net, _ := New(Config{}, rand.New(rand.NewPCG(8, 8)))
	var l SplitBCE[float32]
	// Predict between Forward and Backward does not disturb the gradient.
	tp := nn.NewTape[float32]()
	loss := l.Loss(tp, net.Forward(tp, in), in)
	tp.Backward(loss)
	want := append([]float32(nil), net.Params()[2].Grad...)
	net.ZeroGrad()
	tp.Reset()
	loss = l.Loss(tp, net.Forward(tp, in), in)
	net.Predict(nil, in)
	tp.Backward(loss)
	for i, g := range net.Params()[2].Grad {
		if g != want[i] {
			t.Fatalf("Predict between Forward and Backward changed gradient %d: %v vs %v", i, g, want[i])
		}
	}
	// Two Forwards on one tape before Backward are refused, not miscomputed.
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Forward and Backward in turn") {
			t.Fatalf("recovered %v", r)
		}
	}()
	tp.Reset()
	a := net.Forward(tp, in)
	b := net.Forward(tp, in)
	tp.Backward(tp.Add(tp.Sum(a), tp.Sum(b)))
}
