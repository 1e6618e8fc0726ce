package nn_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/nntest"
)

// ForwardTangent implements nn.TangentOp: the projection is linear.
func (d *dot) ForwardTangent(dout []float64, _ *nn.Var[float64], _ []*nn.Var[float64], din [][]float64) {
	var s float64
	for i, v := range din[0] {
		s += d.r[i] * v
	}
	dout[0] = s
}

// BackwardTangent implements nn.TangentOp.
func (d *dot) BackwardTangent(rout []float64, _ *nn.Var[float64], _ []*nn.Var[float64], _ [][]float64, rin [][]float64) {
	if rin[0] != nil && rout != nil {
		for i := range rin[0] {
			rin[0][i] += rout[0] * d.r[i]
		}
	}
}

func randDirs(vars []*nn.Var[float64], rng *rand.Rand) [][]float64 {
	v := make([][]float64, len(vars))
	for i, p := range vars {
		v[i] = make([]float64, len(p.Value.Data))
		for k := range v[i] {
			v[i][k] = rng.NormFloat64()
		}
	}
	return v
}

func TestHVPAgainstFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	lin := nn.NewLinear[float64]("lin", 5, 3, rng)
	bn, x, x2, xcol, y01, w := opInputs(rng)
	ix := nn.NewIndex([]int32{3, 0, 3, 6, 1, 1, 1, 5, 2}, 7)
	seg := randomSegments(rng, 7, 4, true)
	cache := map[string]*dot{}
	// head makes every output element matter non-linearly.
	head := func(t *nn.Tape[float64], y *nn.Var[float64], key string) *nn.Var[float64] {
		return project(t, t.Sigmoid(y), rng, cache, key)
	}
	params := func(vs ...[]*nn.Var[float64]) []*nn.Var[float64] {
		var out []*nn.Var[float64]
		for _, v := range vs {
			out = append(out, v...)
		}
		return out
	}
	one := func(v *nn.Var[float64]) []*nn.Var[float64] { return []*nn.Var[float64]{v} }
	cases := []struct {
		name string
		vars []*nn.Var[float64]
		f    func(t *nn.Tape[float64]) *nn.Var[float64]
	}{
		{"Linear", params(one(x), lin.Params()), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.Linear(x, lin), "lin")
		}},
		{"LeakyReLU", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.LeakyReLU(t.Scale(x, 2), 0.1), "lrelu")
		}},
		{"Sigmoid", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.Sigmoid(x), "sig")
		}},
		{"BatchNormEval", params(one(x), bn.Params()), func(t *nn.Tape[float64]) *nn.Var[float64] {
			t.Eval = true
			return head(t, t.BatchNorm(x, bn), "bn")
		}},
		{"Gather", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.Gather(x, ix), "gather")
		}},
		{"SegmentMax", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.SegmentMax(x, seg), "smax")
		}},
		{"SegmentSum", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.SegmentSum(x, seg), "ssum")
		}},
		{"Concat", params(one(x), one(x2)), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.Concat(x, x2, x), "cat")
		}},
		{"AddScale", params(one(x), one(x2)), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.Scale(t.Add(x, x2), -2.5), "add")
		}},
		{"SumMean", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.Sigmoid(t.Add(t.Scale(t.Sum(t.Sigmoid(x)), 0.3), t.Mean(t.LeakyReLU(x, 0.2))))
		}},
		{"BCEWithLogitsMean", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.BCEWithLogits(t.Scale(x, 3), y01, nil)
		}},
		{"BCEWithLogitsWeighted", one(x), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.BCEWithLogits(t.Scale(x, 3), y01, w)
		}},
		{"SinEncoding", one(xcol), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return head(t, t.SinEncoding(xcol, 8, 0.1), "enc")
		}},
		{"Composite", params(one(x), lin.Params(), bn.Params()), func(t *nn.Tape[float64]) *nn.Var[float64] {
			t.Eval = true
			h := t.LeakyReLU(t.BatchNorm(x, bn), 0.01)
			h = t.SegmentMax(t.Linear(t.Gather(h, ix), lin), seg)
			return t.BCEWithLogits(h, y01[:len(h.Value.Data)], nil)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := nntest.CheckHVP(tc.f, tc.vars, randDirs(tc.vars, rng), nntest.Options{})
			t.Log(res)
			if res.MaxRelErr > 1e-6 || res.MaxGrad == 0 {
				t.Fatalf("HVP check failed: %v", res)
			}
		})
	}
}

// TestHVPSymmetric checks uᵀ(Hv) = vᵀ(Hu): the R-operator computes the
// product with one symmetric matrix.
func TestHVPSymmetric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	l1 := nn.NewLinear[float64]("l1", 4, 6, rng)
	l2 := nn.NewLinear[float64]("l2", 6, 1, rng)
	x := nntest.RandVar("x", 9, 4, false, rng)
	y := make([]float64, 9)
	for i := range y {
		y[i] = float64(i % 2)
	}
	vars := append(l1.Params(), l2.Params()...)
	hvOf := func(v [][]float64) [][]float64 {
		hv := make([][]float64, len(vars))
		for i, p := range vars {
			hv[i] = make([]float64, len(p.Value.Data))
		}
		tp := nn.NewTape[float64]()
		loss := tp.BCEWithLogits(tp.Linear(tp.Sigmoid(tp.Linear(x, l1)), l2), y, nil)
		tp.Backward(loss)
		tp.HVP(loss, vars, v, hv)
		return hv
	}
	u, v := randDirs(vars, rng), randDirs(vars, rng)
	dot := func(a, b [][]float64) float64 {
		var s float64
		for i := range a {
			for k := range a[i] {
				s += a[i][k] * b[i][k]
			}
		}
		return s
	}
	a, b := dot(u, hvOf(v)), dot(v, hvOf(u))
	if d := a - b; d > 1e-12*max(1, a) || d < -1e-12*max(1, a) {
		t.Fatalf("uᵀHv = %.15g, vᵀHu = %.15g", a, b)
	}
}

func TestHVPUnsupported(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	bn := nn.NewBatchNorm[float64]("bn", 3)
	x := nntest.RandVar("x", 5, 3, true, rng)
	type plain struct{ nn.CustomFunc[float64] }
	cases := []struct {
		name, want string
		f          func(t *nn.Tape[float64]) *nn.Var[float64]
	}{
		{"train-mode batch norm", "training-mode batch norm", func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.Sum(t.Sigmoid(t.BatchNorm(x, bn)))
		}},
		{"custom op without tangents", "does not implement TangentOp", func(t *nn.Tape[float64]) *nn.Var[float64] {
			op := plain{nn.CustomFunc[float64]{
				Fwd: func(out *nn.Var[float64], in []*nn.Var[float64]) { copy(out.Value.Data, in[0].Value.Data) },
				Bwd: func(out *nn.Var[float64], in []*nn.Var[float64]) {
					for i, g := range out.Grad {
						in[0].Grad[i] += g
					}
				},
			}}
			return t.Sum(t.Sigmoid(t.Custom(op, 5, 3, x)))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Fatalf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tp := nn.NewTape[float64]()
			loss := tc.f(tp)
			tp.Backward(loss)
			tp.HVP(loss, []*nn.Var[float64]{x}, [][]float64{make([]float64, 15)}, [][]float64{make([]float64, 15)})
		})
	}
}
