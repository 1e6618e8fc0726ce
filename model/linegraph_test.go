package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/nntest"
)

func TestParameterCounts(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want int
	}{
		{Config{}, 4961},
		{Config{Kind: KindHitGraph}, 39839},
		{Config{Hidden: 8, EncodingDim: 16}, 0}, // computed below
	} {
		m, err := New(tc.cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		got := nn.NumParams(m.Params())
		want := tc.want
		if want == 0 {
			// R1 BN(32)+Lin(32→8)+BN(8)+Lin(8→8)+BN(8)+Lin(8→8); O BN(16)+Lin(16→8)+3·BN(8)+2·Lin(8→8); R2 ...
			want = (64 + 264 + 16 + 72 + 16 + 72) + (32 + 136 + 16 + 72 + 16 + 72 + 16) + (16 + 72 + 16 + 72 + 16 + 9)
		}
		if got != want || ParamCount(tc.cfg) != want {
			t.Errorf("%+v: %d parameters (ParamCount %d), want %d", tc.cfg, got, ParamCount(tc.cfg), want)
		}
	}
	m, _ := New(Config{}, rand.New(rand.NewPCG(1, 1)))
	var r1, o, r2 int
	for _, p := range m.Params() {
		switch p.Name[:2] {
		case "R1":
			r1 += len(p.Value.Data)
		case "O.":
			o += len(p.Value.Data)
		case "R2":
			r2 += len(p.Value.Data)
		}
	}
	if r1 != 3216 || o != 1088 || r2 != 657 {
		t.Errorf("line graph R1/O/R2 = %d/%d/%d, want 3216/1088/657", r1, o, r2)
	}
}

// TestFusedMatchesComposition checks the fused message pass against the
// plain-op composition in float64: logits, every parameter gradient and
// the running statistics, in training and evaluation mode.
func TestFusedMatchesComposition(t *testing.T) {
	forModes(t, func(t *testing.T, eval bool) {
		in := smallInput(t, Config{}, 3)
		if len(in.lg.chunks) < 4 {
			t.Fatalf("test graph has only %d chunks", len(in.lg.chunks)-1)
		}
		mi, _ := perturbedModel[float64](Config{}, 2, 2)
		fused := mi.(*LineGraph[float64])
		ref := fused.Clone().(*LineGraph[float64])
		labels := make([]float64, in.NumSegments)
		for i, l := range in.Labels {
			labels[i] = float64(l)
		}
		run := func(m *LineGraph[float64], f func(*nn.Tape[float64]) *nn.Var[float64]) []float64 {
			tp := nn.NewTape[float64]()
			tp.Eval = eval
			logits := f(tp)
			out := append([]float64(nil), logits.Value.Data...)
			tp.Backward(tp.BCEWithLogits(logits, labels, nil))
			return out
		}
		a := run(fused, func(tp *nn.Tape[float64]) *nn.Var[float64] { return fused.Forward(tp, in) })
		b := run(ref, func(tp *nn.Tape[float64]) *nn.Var[float64] { return lgReference(tp, ref, in) })
		for i := range a {
			if d := relDiff(a[i], b[i]); d > 1e-10 {
				t.Fatalf("logit %d: fused %.15g, composition %.15g", i, a[i], b[i])
			}
		}
		var maxg float64
		for _, p := range ref.Params() {
			for _, g := range p.Grad {
				maxg = math.Max(maxg, math.Abs(g))
			}
		}
		for k, p := range fused.Params() {
			q := ref.Params()[k]
			for i := range p.Grad {
				if d := math.Abs(p.Grad[i]-q.Grad[i]) / math.Max(math.Abs(q.Grad[i]), 1e-6*maxg); d > 1e-9 {
					t.Fatalf("%s[%d]: fused grad %.15g, composition %.15g", p.Name, i, p.Grad[i], q.Grad[i])
				}
			}
		}
		for k, v := range fused.Buffers() {
			w := ref.Buffers()[k]
			for i := range v.Value.Data {
				if d := relDiff(v.Value.Data[i], w.Value.Data[i]); d > 1e-10 {
					t.Fatalf("%s[%d]: fused %.15g, composition %.15g", v.Name, i, v.Value.Data[i], w.Value.Data[i])
				}
			}
		}
	})
}

func TestLineGraphGradients(t *testing.T) {
	forModes(t, func(t *testing.T, eval bool) {
		in := smallInput(t, Config{}, 5)
		m, rng := perturbedModel[float64](Config{}, 6, 6)
		var loss SplitBCE[float64]
		// Every entry in training mode; 25 random entries per tensor in
		// evaluation mode (the fused backward shares all code but the
		// batch-norm constants).
		opt := nntest.Options{}
		if eval {
			opt = nntest.Options{MaxPerVar: 25, Rand: rng}
		}
		res := nntest.CheckGrads(func(tp *nn.Tape[float64]) *nn.Var[float64] {
			tp.Eval = eval
			return loss.Loss(tp, m.Forward(tp, in), in)
		}, m.Params(), opt)
		t.Log(res)
		if res.MaxRelErr > 1e-6 {
			t.Fatalf("gradient check failed: %v", res)
		}
	})
}

// TestPredictBNModes: BNBatch predicts what a training-mode forward pass
// computes, without touching the running statistics; BNRunning is
// Predict; the two differ for a model whose running statistics are not
// the frame's.
func TestPredictBNModes(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		in := smallInput(t, Config{Kind: kind}, 4)
		m, _ := perturbedModel[float64](Config{Kind: kind}, 3, 3)
		var before []float64
		for _, b := range m.Buffers() {
			before = append(before, b.Value.Data...)
		}
		batch := m.PredictBN(nil, in, BNBatch)
		var after []float64
		for _, b := range m.Buffers() {
			after = append(after, b.Value.Data...)
		}
		if !slices.Equal(before, after) {
			t.Fatal("PredictBN(BNBatch) changed the running statistics")
		}
		tp := nn.NewTape[float64]()
		logits := m.Clone().Forward(tp, in) // training mode on a copy
		var maxDiff, runDiff float64
		running := m.Predict(nil, in)
		for s, l := range logits.Value.Data {
			maxDiff = max(maxDiff, math.Abs(batch[s]-1/(1+math.Exp(-l))))
			runDiff = max(runDiff, math.Abs(batch[s]-running[s]))
		}
		if maxDiff > 1e-12 {
			t.Errorf("BNBatch differs from a training-mode forward by %g", maxDiff)
		}
		if runDiff < 1e-6 {
			t.Errorf("BNBatch and BNRunning agree to %g: the modes are not distinct", runDiff)
		}
		if again := m.PredictBN(nil, in, BNRunning); !slices.Equal(again, running) {
			t.Error("PredictBN(BNRunning) differs from Predict")
		}
	})
}
