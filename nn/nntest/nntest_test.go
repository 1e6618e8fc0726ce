package nntest_test

import (
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/nntest"
)

// square computes Σx² with a backward pass scaled by k (k = 2 is correct).
type square struct{ k float64 }

func (s square) Forward(out *nn.Var[float64], in []*nn.Var[float64]) {
	out.Value.Data[0] = 0
	for _, v := range in[0].Value.Data {
		out.Value.Data[0] += v * v
	}
}

func (s square) Backward(out *nn.Var[float64], in []*nn.Var[float64]) {
	for i, v := range in[0].Value.Data {
		in[0].Grad[i] += s.k * v * out.Grad[0]
	}
}

func TestCheckGradsCatchesWrongGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := nntest.RandVar("x", 3, 4, true, rng)
	for _, tc := range []struct {
		k    float64
		fail bool
	}{{2, false}, {2.0001, true}, {-2, true}} {
		res := nntest.CheckGrads(func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.Custom(square{tc.k}, 1, 1, x)
		}, []*nn.Var[float64]{x}, nntest.Options{})
		if (res.MaxRelErr > 1e-6) != tc.fail || res.Checked != 12 {
			t.Errorf("k = %v: %v", tc.k, res)
		}
	}
}
