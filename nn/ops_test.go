package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/nntest"
)

// dot is a Custom op returning Σ R∘x for a fixed random R, so that every
// output element of the op under test gets a distinct gradient.
type dot struct{ r []float64 }

func (d *dot) Forward(out *nn.Var[float64], in []*nn.Var[float64]) {
	var s float64
	for i, v := range in[0].Value.Data {
		s += d.r[i] * v
	}
	out.Value.Data[0] = s
}

func (d *dot) Backward(out *nn.Var[float64], in []*nn.Var[float64]) {
	if in[0].Grad != nil {
		for i := range in[0].Grad {
			in[0].Grad[i] += out.Grad[0] * d.r[i]
		}
	}
}

func project(t *nn.Tape[float64], y *nn.Var[float64], rng *rand.Rand, cache map[string]*dot, key string) *nn.Var[float64] {
	d, ok := cache[key]
	if !ok || len(d.r) != len(y.Value.Data) {
		d = &dot{r: make([]float64, len(y.Value.Data))}
		for i := range d.r {
			d.r[i] = rng.NormFloat64()
		}
		cache[key] = d
	}
	return t.Custom(d, 1, 1, y)
}

// randomSegments returns nseg segments over rows drawn at random (some
// empty), each row in at most one segment, with a permutation when perm.
func randomSegments(rng *rand.Rand, rows, nseg int, perm bool) *nn.Segments {
	start := make([]int32, nseg+1)
	owner := make([]int, rows)
	for r := range owner {
		owner[r] = rng.IntN(nseg + 1) // nseg means "no segment"
	}
	var list []int32
	for s := 0; s < nseg; s++ {
		for r, o := range owner {
			if o == s {
				list = append(list, int32(r))
			}
		}
		start[s+1] = int32(len(list))
	}
	if !perm {
		// Identity layout: rows must be consecutive, so renumber.
		return &nn.Segments{Start: start}
	}
	return &nn.Segments{Start: start, Rows: list}
}

// opInputs draws the inputs the op tests share from rng: a batch norm of 5
// features with random γ, β and running statistics, x and x2 (7×5), xcol
// (6×1), 0/1 targets y01 and weights w for a 7×5 output.
func opInputs(rng *rand.Rand) (bn *nn.BatchNorm[float64], x, x2, xcol *nn.Var[float64], y01, w []float64) {
	bn = nn.NewBatchNorm[float64]("bn", 5)
	for i := range bn.Gamma.Value.Data {
		bn.Gamma.Value.Data[i] = 0.5 + rng.Float64()
		bn.Beta.Value.Data[i] = rng.NormFloat64()
		bn.RunningMean.Value.Data[i] = rng.NormFloat64()
		bn.RunningVar.Value.Data[i] = 0.5 + rng.Float64()
	}
	x = nntest.RandVar("x", 7, 5, true, rng)
	x2 = nntest.RandVar("x2", 7, 5, true, rng)
	xcol = nntest.RandVar("xcol", 6, 1, true, rng)
	y01 = make([]float64, 7*5)
	w = make([]float64, 7*5)
	for i := range y01 {
		y01[i] = float64(rng.IntN(2))
		w[i] = rng.Float64()
	}
	return bn, x, x2, xcol, y01, w
}

func TestOpGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	lin := nn.NewLinear[float64]("lin", 5, 3, rng)
	lin1 := nn.NewLinear[float64]("lin1", 5, 1, rng)
	bn, x, x2, xcol, y01, w := opInputs(rng)
	w[3] = 0 // a masked element
	ix := nn.NewIndex([]int32{3, 0, 3, 6, 1, 1, 1, 5, 2}, 7)
	seg := randomSegments(rng, 7, 4, true)
	segID := &nn.Segments{Start: []int32{0, 2, 2, 5, 7}}
	cache := map[string]*dot{}
	cases := []struct {
		name string
		vars []*nn.Var[float64]
		f    func(t *nn.Tape[float64]) *nn.Var[float64]
	}{
		{"Linear", append([]*nn.Var[float64]{x}, lin.Params()...), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.Linear(x, lin), rng, cache, "lin")
		}},
		{"LinearOut1", append([]*nn.Var[float64]{}, lin1.Params()...), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.Linear(t.Gather(x, nn.NewIndex([]int32{0, 1, 2, 3, 4, 5, 6}, 7)), &nn.Linear[float64]{W: lin1.W, B: lin1.B}), rng, cache, "lin1")
		}},
		{"LeakyReLU", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.LeakyReLU(x, 0.01), rng, cache, "lrelu")
		}},
		{"Sigmoid", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.Sigmoid(x), rng, cache, "sig")
		}},
		{"BatchNormTrain", append([]*nn.Var[float64]{x}, bn.Params()...), func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.BatchNorm(x, bn), rng, cache, "bn")
		}},
		{"BatchNormEval", append([]*nn.Var[float64]{x}, bn.Params()...), func(t *nn.Tape[float64]) *nn.Var[float64] {
			t.Eval = true
			return project(t, t.BatchNorm(x, bn), rng, cache, "bne")
		}},
		{"Gather", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.Gather(x, ix), rng, cache, "gather")
		}},
		{"SegmentMax", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.SegmentMax(x, seg), rng, cache, "smax")
		}},
		{"SegmentMaxIdentity", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.SegmentMax(x, segID), rng, cache, "smaxid")
		}},
		{"SegmentSum", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.SegmentSum(x, seg), rng, cache, "ssum")
		}},
		{"Concat", []*nn.Var[float64]{x, x2}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.Concat(x, x2, x), rng, cache, "cat")
		}},
		{"AddScale", []*nn.Var[float64]{x, x2}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.Scale(t.Add(x, x2), -2.5), rng, cache, "add")
		}},
		{"SumMean", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.Add(t.Scale(t.Sum(t.Sigmoid(x)), 0.3), t.Mean(t.LeakyReLU(x, 0.2)))
		}},
		{"BCEWithLogitsMean", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.BCEWithLogits(t.Scale(x, 3), y01, nil)
		}},
		{"BCEWithLogitsWeighted", []*nn.Var[float64]{x}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return t.BCEWithLogits(t.Scale(x, 3), y01, w)
		}},
		{"SinEncoding", []*nn.Var[float64]{xcol}, func(t *nn.Tape[float64]) *nn.Var[float64] {
			return project(t, t.SinEncoding(xcol, 8, 1e-3), rng, cache, "enc")
		}},
		{"Composite", append(append([]*nn.Var[float64]{x}, lin.Params()...), bn.Params()...), func(t *nn.Tape[float64]) *nn.Var[float64] {
			h := t.LeakyReLU(t.BatchNorm(x, bn), 0.01)
			h = t.SegmentMax(t.Linear(t.Gather(h, ix), lin), seg)
			return project(t, t.Sigmoid(h), rng, cache, "comp")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := nntest.CheckGrads(tc.f, tc.vars, nntest.Options{})
			t.Log(res)
			if res.MaxRelErr > 1e-6 || res.MaxGrad == 0 {
				t.Fatalf("gradient check failed: %v", res)
			}
		})
	}
}

func TestBatchNormSemantics(t *testing.T) {
	// Column 0 = {1, 2, 3, 6}: mean 3, biased var 3.5, unbiased var 14/3.
	bn := nn.NewBatchNorm[float64]("bn", 2)
	bn.Gamma.Value.Data[0], bn.Beta.Value.Data[0] = 2, 1
	x := []float64{1, 0, 2, 0, 3, 0, 6, 4}
	tp := nn.NewTape[float64]()
	y := tp.BatchNorm(tp.Const(x, 4, 2), bn)
	inv := 1 / math.Sqrt(3.5+1e-5)
	want0 := []float64{2*(1-3)*inv + 1, 2*(2-3)*inv + 1, 1, 2*(6-3)*inv + 1}
	for r, w := range want0 {
		if got := y.Value.Data[2*r]; math.Abs(got-w) > 1e-12 {
			t.Errorf("train y[%d] = %.15g, want %.15g", r, got, w)
		}
	}
	// Running stats: 0.9·0 + 0.1·3 and 0.9·1 + 0.1·14/3.
	if rm, rv := bn.RunningMean.Value.Data[0], bn.RunningVar.Value.Data[0]; math.Abs(rm-0.3) > 1e-15 || math.Abs(rv-(0.9+0.1*14.0/3)) > 1e-15 {
		t.Errorf("running stats %g, %g; want 0.3, %g", rm, rv, 0.9+0.1*14.0/3)
	}
	// Column 1 = {0,0,0,4}: mean 1, var 3; running var 0.9 + 0.1·4.
	if rv := bn.RunningVar.Value.Data[1]; math.Abs(rv-1.3) > 1e-15 {
		t.Errorf("running var of column 1 = %g, want 1.3", rv)
	}
	// Eval mode uses the running statistics and leaves them alone.
	rm0 := bn.RunningMean.Value.Data[0]
	tp.Reset()
	tp.Eval = true
	y = tp.BatchNorm(tp.Const(x, 4, 2), bn)
	rv := 0.9 + 0.1*14.0/3
	if got, want := y.Value.Data[6], 2*(6-0.3)/math.Sqrt(rv+1e-5)+1; math.Abs(got-want) > 1e-12 {
		t.Errorf("eval y = %.15g, want %.15g", got, want)
	}
	if bn.RunningMean.Value.Data[0] != rm0 {
		t.Errorf("eval mode changed the running mean")
	}
}

func TestBatchNormTrainNeedsTwoRows(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a one-row batch in training mode")
		}
	}()
	tp := nn.NewTape[float64]()
	tp.BatchNorm(tp.Const([]float64{1, 2}, 1, 2), nn.NewBatchNorm[float64]("bn", 2))
}

func TestSegmentMaxValues(t *testing.T) {
	tp := nn.NewTape[float64]()
	x := tp.Const([]float64{1, 5, 3, 2, 3, -1, 7, 0}, 4, 2)
	seg := &nn.Segments{Start: []int32{0, 3, 3, 4}, Rows: []int32{2, 0, 1, 3}}
	y := tp.SegmentMax(x, seg)
	want := []float64{3, 5, 0, 0, 7, 0}
	for i, w := range want {
		if y.Value.Data[i] != w {
			t.Fatalf("segment max = %v, want %v", y.Value.Data, want)
		}
	}
}

// bigComposite builds a multi-block float32 computation (rows > blockRows)
// and returns its loss and the gradient of the linear layer.
func bigComposite(seed uint64) (float32, []float32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	const n, c = 3000, 16
	lin := nn.NewLinear[float32]("l", c, c, rng)
	bn := nn.NewBatchNorm[float32]("bn", c)
	xd := make([]float32, n*c)
	for i := range xd {
		xd[i] = float32(rng.NormFloat64())
	}
	idx := make([]int32, 2*n)
	for i := range idx {
		idx[i] = int32(rng.IntN(n))
	}
	ix := nn.NewIndex(idx, n)
	seg := &nn.Segments{Start: make([]int32, n/3+1)}
	for s := range seg.Start {
		seg.Start[s] = int32(6 * s)
	}
	y := make([]float32, n/3*c)
	for i := range y {
		y[i] = float32(rng.IntN(2))
	}
	tp := nn.NewTape[float32]()
	h := tp.Gather(tp.LeakyReLU(tp.BatchNorm(tp.Const(xd, n, c), bn), 0.01), ix)
	h = tp.SegmentMax(tp.Linear(h, lin), seg)
	loss := tp.BCEWithLogits(h, y, nil)
	tp.Backward(loss)
	return loss.Value.Data[0], append([]float32(nil), lin.W.Grad...)
}

func TestDeterministicAcrossCores(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	l1, g1 := bigComposite(7)
	runtime.GOMAXPROCS(2)
	l2, g2 := bigComposite(7)
	runtime.GOMAXPROCS(prev)
	if l1 != l2 {
		t.Fatalf("loss differs: %v with 1 core, %v with 2", l1, l2)
	}
	for i := range g1 {
		if g1[i] != g2[i] {
			t.Fatalf("gradient %d differs: %v vs %v", i, g1[i], g2[i])
		}
	}
}

func TestLinearMultiBlockMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n, in, out = 2500, 24, 16
	lin := nn.NewLinear[float32]("l", in, out, rng)
	x := nn.NewParam[float32]("x", n, in)
	for i := range x.Value.Data {
		x.Value.Data[i] = float32(rng.NormFloat64())
	}
	tp := nn.NewTape[float32]()
	y := tp.Linear(x, lin)
	tp.Backward(tp.Sum(y))
	for _, r := range []int{0, 1023, 1024, 2499} {
		for o := 0; o < out; o++ {
			s := float64(lin.B.Value.Data[o])
			for i := 0; i < in; i++ {
				s += float64(x.Value.Data[r*in+i]) * float64(lin.W.Value.Data[o*in+i])
			}
			if d := math.Abs(s - float64(y.Value.Data[r*out+o])); d > 1e-5 {
				t.Fatalf("y[%d][%d] = %v, want %v", r, o, y.Value.Data[r*out+o], s)
			}
		}
	}
	// dL/dW[o][i] = Σ_r x[r][i]; dL/db = n.
	for i := 0; i < in; i++ {
		var s float64
		for r := 0; r < n; r++ {
			s += float64(x.Value.Data[r*in+i])
		}
		if d := math.Abs(s - float64(lin.W.Grad[3*in+i])); d > 1e-3 {
			t.Fatalf("dW[3][%d] = %v, want %v", i, lin.W.Grad[3*in+i], s)
		}
	}
	if lin.B.Grad[0] != n {
		t.Fatalf("db = %v, want %d", lin.B.Grad[0], n)
	}
}

func TestGradientsAccumulate(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	lin := nn.NewLinear[float64]("l", 3, 2, rng)
	x := []float64{1, 2, 3, 4, 5, 6}
	run := func() {
		tp := nn.NewTape[float64]()
		tp.Backward(tp.Sum(tp.Linear(tp.Const(x, 2, 3), lin)))
	}
	run()
	once := append([]float64(nil), lin.W.Grad...)
	run()
	for i := range once {
		if lin.W.Grad[i] != 2*once[i] {
			t.Fatalf("second Backward did not accumulate: %v then %v", once, lin.W.Grad)
		}
	}
	nn.ZeroGrads(lin.Params())
	if lin.W.Grad[0] != 0 || lin.B.Grad[1] != 0 {
		t.Fatal("ZeroGrads left gradients")
	}
}

func TestTapeStopsAllocating(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const n = 2100
	lin := nn.NewLinear[float32]("l", 16, 16, rng)
	bn := nn.NewBatchNorm[float32]("bn", 16)
	xd := make([]float32, n*16)
	y := make([]float32, n*16)
	for i := range xd {
		xd[i] = float32(rng.NormFloat64())
	}
	seg := &nn.Segments{Start: []int32{0, 1000, 2100}}
	tp := nn.NewTape[float32]()
	step := func() {
		tp.Reset()
		h := tp.LeakyReLU(tp.Linear(tp.BatchNorm(tp.Const(xd, n, 16), bn), lin), 0.01)
		h = tp.Concat(h, tp.Sigmoid(h))
		_ = tp.SegmentMax(h, seg)
		tp.Backward(tp.BCEWithLogits(tp.Linear(tp.BatchNorm(tp.Const(xd, n, 16), bn), lin), y, nil))
	}
	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Fatalf("steady-state tape step allocates %v times", a)
	}
}

func TestOptimizers(t *testing.T) {
	// One parameter, gradient 2 accumulated over 2 frames (sum 4, mean 2).
	mk := func() *nn.Var[float64] {
		p := nn.NewParam[float64]("p", 1, 1)
		p.Value.Data[0] = 1
		p.Grad[0] = 4
		return p
	}
	tests := []struct {
		s    nn.OptimizerSettings
		want float64
	}{
		// RMSprop: v = 0.01·4 = 0.04; θ = 1 − 0.1·2/(0.2 + 1e-8).
		{nn.OptimizerSettings{Kind: "rmsprop", LR: 0.1}, 1 - 0.1*2/(0.2+1e-8)},
		// Adam step 1: m = 0.2, v = 0.004; m̂ = 2, v̂ = 4: θ = 1 − 0.1·2/(2 + 1e-8).
		{nn.OptimizerSettings{Kind: "adam", LR: 0.1}, 1 - 0.1*2/(2+1e-8)},
	}
	for _, tc := range tests {
		t.Run(tc.s.Kind, func(t *testing.T) {
			p := mk()
			o, err := nn.NewOptimizer([]*nn.Var[float64]{p}, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			o.Step(2)
			if math.Abs(p.Value.Data[0]-tc.want) > 1e-12 {
				t.Fatalf("after one step θ = %.15g, want %.15g", p.Value.Data[0], tc.want)
			}
			if o.Settings().Steps != 1 {
				t.Fatalf("steps = %d", o.Settings().Steps)
			}
		})
	}
	if _, err := nn.NewOptimizer[float64](nil, nn.OptimizerSettings{Kind: "sgd"}); err == nil {
		t.Fatal("unknown optimizer accepted")
	}
}

func TestOptimizerResumeIsBitIdentical(t *testing.T) {
	for _, kind := range []string{"rmsprop", "adam"} {
		t.Run(kind, func(t *testing.T) {
			grads := func(step int) float32 { return float32(math.Sin(float64(step)) + 0.3) }
			run := func(steps, split int) float32 {
				p := nn.NewParam[float32]("p", 1, 1)
				o, _ := nn.NewOptimizer([]*nn.Var[float32]{p}, nn.OptimizerSettings{Kind: kind})
				for s := 0; s < steps; s++ {
					if s == split {
						// Save and restore into a fresh optimiser.
						saved := map[string]nn.Tensor[float32]{}
						for _, v := range o.State() {
							saved[v.Name] = nn.Tensor[float32]{Rows: 1, Cols: 1, Data: append([]float32(nil), v.Value.Data...)}
						}
						o2, err := nn.NewOptimizer([]*nn.Var[float32]{p}, o.Settings())
						if err != nil {
							t.Fatal(err)
						}
						if err := nn.RestoreState(o2, saved); err != nil {
							t.Fatal(err)
						}
						o = o2
					}
					p.Grad[0] = grads(s)
					o.SetLR(nn.StepLR{StepSize: 3}.LR(s))
					o.Step(1)
				}
				return p.Value.Data[0]
			}
			if a, b := run(10, -1), run(10, 4); a != b {
				t.Fatalf("resumed run gives %v, uninterrupted %v", b, a)
			}
		})
	}
}

func TestStepLR(t *testing.T) {
	for _, tc := range []struct {
		s    nn.StepLR
		step int
		want float64
	}{
		// the zero value: the paper's constant rate
		{nn.StepLR{}, 0, 1e-3}, {nn.StepLR{}, 2500, 1e-3},
		{nn.StepLR{StepSize: 1000}, 999, 1e-3}, {nn.StepLR{StepSize: 1000}, 1000, 5e-4}, {nn.StepLR{StepSize: 1000}, 2500, 2.5e-4},
		{nn.StepLR{Base: 0.003, StepSize: 200, Gamma: 0.1}, 400, 0.003 * 0.1 * 0.1},
	} {
		if got := tc.s.LR(tc.step); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("%+v: LR(%d) = %g, want %g", tc.s, tc.step, got, tc.want)
		}
	}
}

func ExampleTape() {
	// A linear layer trained for one step on one example.
	rng := rand.New(rand.NewPCG(1, 1))
	lin := nn.NewLinear[float64]("fc", 2, 1, rng)
	opt, _ := nn.NewOptimizer(lin.Params(), nn.OptimizerSettings{Kind: "adam", LR: 0.1})
	tp := nn.NewTape[float64]()
	x := tp.Const([]float64{1, -2}, 1, 2)
	loss := tp.BCEWithLogits(tp.Linear(x, lin), []float64{1}, nil)
	tp.Backward(loss)
	before := loss.Value.Data[0] // tape values are valid until Reset
	opt.Step(1)
	tp.Reset()
	after := tp.BCEWithLogits(tp.Linear(tp.Const([]float64{1, -2}, 1, 2), lin), []float64{1}, nil)
	fmt.Printf("loss %.4f -> %.4f\n", before, after.Value.Data[0])
	// Output: loss 1.2557 -> 0.9868
}

// threshold is a Custom op in the style of a combinatorial solver layer:
// the forward pass rounds probabilities to 0/1, and the backward pass
// returns a user-defined gradient (here the straight-through estimator; the
// PAT loss uses the blackbox rule π − π' of a perturbed second solve).
type threshold struct{}

func (threshold) Forward(out *nn.Var[float64], in []*nn.Var[float64]) {
	for i, p := range in[0].Value.Data {
		out.Value.Data[i] = 0
		if p > 0.5 {
			out.Value.Data[i] = 1
		}
	}
}

func (threshold) Backward(out *nn.Var[float64], in []*nn.Var[float64]) {
	if in[0].Grad != nil {
		for i, g := range out.Grad {
			in[0].Grad[i] += g
		}
	}
}

func ExampleTape_Custom() {
	w := nn.NewParam[float64]("w", 1, 3)
	copy(w.Value.Data, []float64{-1, 0.5, 2})
	tp := nn.NewTape[float64]()
	p := tp.Sigmoid(w)
	pi := tp.Custom(threshold{}, 1, 3, p) // a discrete decision inside the graph
	loss := tp.Sum(pi)
	tp.Backward(loss)
	fmt.Println(pi.Value.Data, loss.Value.Data[0])
	fmt.Printf("%.3f %.3f %.3f\n", w.Grad[0], w.Grad[1], w.Grad[2])
	// Output:
	// [0 1 1] 2
	// 0.197 0.235 0.105
}
