package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/nntest"
)

func randDirections[T nn.Float](params []*nn.Var[T], rng *rand.Rand) [][]T {
	v := make([][]T, len(params))
	for i, p := range params {
		v[i] = make([]T, len(p.Value.Data))
		for k := range v[i] {
			v[i][k] = T(rng.NormFloat64())
		}
	}
	return v
}

// TestLineGraphHVP checks the fused operation's tangents three ways: against
// the R-operator through the plain-op composition (lgReference, exact to
// rounding), and against central differences of the gradient.
func TestLineGraphHVP(t *testing.T) {
	in := smallInput(t, Config{}, 3)
	mi, rng := perturbedModel[float64](Config{}, 5, 5)
	fused := mi.(*LineGraph[float64])
	ref := fused.Clone().(*LineGraph[float64])
	var loss SplitBCE[float64]
	v := randDirections(fused.Params(), rng)
	hvp := func(m *LineGraph[float64], fwd func(*nn.Tape[float64]) *nn.Var[float64]) [][]float64 {
		tp := nn.NewTape[float64]()
		tp.Eval = true
		l := loss.Loss(tp, fwd(tp), in)
		tp.Backward(l)
		hv := make([][]float64, len(v))
		for i := range hv {
			hv[i] = make([]float64, len(v[i]))
		}
		tp.HVP(l, m.Params(), v, hv)
		return hv
	}
	a := hvp(fused, func(tp *nn.Tape[float64]) *nn.Var[float64] { return fused.Forward(tp, in) })
	b := hvp(ref, func(tp *nn.Tape[float64]) *nn.Var[float64] { return lgReference(tp, ref, in) })
	var maxv float64
	for _, r := range b {
		for _, x := range r {
			maxv = math.Max(maxv, math.Abs(x))
		}
	}
	if maxv == 0 {
		t.Fatal("Hv = 0")
	}
	for k, p := range fused.Params() {
		for i := range a[k] {
			if d := math.Abs(a[k][i]-b[k][i]) / math.Max(math.Abs(b[k][i]), 1e-6*maxv); d > 1e-9 {
				t.Fatalf("%s[%d]: fused Hv %.15g, composition %.15g", p.Name, i, a[k][i], b[k][i])
			}
		}
	}
	res := nntest.CheckHVP(func(tp *nn.Tape[float64]) *nn.Var[float64] {
		tp.Eval = true
		return loss.Loss(tp, fused.Forward(tp, in), in)
	}, fused.Params(), v, nntest.Options{})
	t.Log(res)
	if res.MaxRelErr > 1e-6 {
		t.Fatalf("HVP against finite differences: %v", res)
	}
}

func TestLineGraphHVPNeedsEval(t *testing.T) {
	in := smallInput(t, Config{}, 3)
	m, rng := newModel[float64](Config{}, 5, 5)
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic for a training-mode HVP")
		}
	}()
	var loss SplitBCE[float64]
	tp := nn.NewTape[float64]()
	l := loss.Loss(tp, m.Forward(tp, in), in)
	tp.Backward(l)
	v := randDirections(m.Params(), rng)
	tp.HVP(l, m.Params(), v, randDirections(m.Params(), rng))
}

func TestHitGraphHVP(t *testing.T) {
	m, in, rng := hitGraphCase(t, 8)
	var loss SplitBCE[float64]
	res := nntest.CheckHVP(func(tp *nn.Tape[float64]) *nn.Var[float64] {
		tp.Eval = true
		return loss.Loss(tp, m.Forward(tp, in), in)
	}, m.Params(), randDirections(m.Params(), rng), nntest.Options{})
	t.Log(res)
	if res.MaxRelErr > 1e-6 || res.MaxGrad == 0 {
		t.Fatalf("HVP against finite differences: %v", res)
	}
}
