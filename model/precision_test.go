package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/model/internal/synth"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// float32Copy returns a float32 model with the weights and buffers of m.
func float32Copy(t testing.TB, cfg Config, m Model[float64]) Net {
	t.Helper()
	m32, err := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		for j, v := range p.Value.Data {
			m32.Params()[i].Value.Data[j] = float32(v)
		}
	}
	for i, b := range m.Buffers() {
		for j, v := range b.Value.Data {
			m32.Buffers()[i].Value.Data[j] = float32(v)
		}
	}
	return m32
}

// normRelErr returns ‖a − b‖₂ / ‖b‖₂ over the concatenated slices.
func normRelErr(a [][]float32, b [][]float64) float64 {
	var d, n float64
	for i := range b {
		for j, v := range b[i] {
			x := float64(a[i][j]) - v
			d += x * x
			n += v * v
		}
	}
	return math.Sqrt(d / n)
}

func grads[T nn.Float](m Model[T]) [][]T {
	var g [][]T
	for _, p := range m.Params() {
		g = append(g, p.Grad)
	}
	return g
}

// TestFloat32PrecisionPaperSize runs the float32 line-graph model (with
// and without the assembly kernels) and the float64 one with the same
// weights on a paper-size frame, 100 protons with about 494k line-graph
// edges, in training mode with the split BCE: the norm-wise relative
// errors of the logits and of the gradient (all parameters) must stay
// below 1e-4.
//
// The max aggregation makes the gradient jump where two messages tie: if
// float32 rounding picks another maximising edge than float64 does, the
// gradient flows through another edge. Such flips are counted and must be
// rare; the gradient is compared with the float64 maximisers imposed on
// the float32 backward pass (both are valid at a tie), and the error
// without that alignment is logged (for the assembly kernels).
func TestFloat32PrecisionPaperSize(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s: a paper-size frame in float64")
	}
	hg, lg := synth.Frame(synth.Paper(100, 1))
	if e := len(lg.Src); e < 450_000 {
		t.Fatalf("%d line-graph edges, want a paper-size frame (≈ 494k)", e)
	}
	cfg := Config{Kind: KindLineGraph}
	in := mustInput(t, cfg, hg, lg)
	rng := rand.New(rand.NewPCG(4, 4))
	m64, err := NewModel[float64](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	perturb(m64, rng)
	t64 := nn.NewTape[float64]()
	var l64 SplitBCE[float64]
	lo64 := m64.Forward(t64, in)
	t64.Backward(l64.Loss(t64, lo64, in))
	arg64 := m64.(*LineGraph[float64]).msg.argmax

	const tol = 1e-4
	var worst float64
	for _, run := range []struct{ asm, align bool }{{true, false}, {true, true}, {false, true}} {
		asm, align := run.asm, run.align
		was := kern.SetAsm(asm)
		m32 := float32Copy(t, cfg, m64)
		t32 := nn.NewTape[float32]()
		var l32 SplitBCE[float32]
		lo32 := m32.Forward(t32, in)
		msg := &m32.(*LineGraph[float32]).msg
		flips := 0
		for i, e := range arg64 {
			if msg.argmax[i] != e {
				flips++
			}
		}
		if align {
			copy(msg.argmax, arg64)
		}
		t32.Backward(l32.Loss(t32, lo32, in))
		el := normRelErr([][]float32{lo32.Value.Data}, [][]float64{lo64.Value.Data})
		eg := normRelErr(grads(m32), grads(m64))
		t.Logf("asm=%v aligned=%v: %d of %d maximisers flipped; relative error logits %.3g, gradient %.3g",
			asm, align, flips, len(arg64), el, eg)
		if el > tol {
			t.Errorf("asm=%v: logits: norm-wise relative error %.3g > %g", asm, el, tol)
		}
		if flips > len(arg64)/10000 {
			t.Errorf("asm=%v: %d of %d maximisers differ from float64's", asm, flips, len(arg64))
		}
		if align {
			if eg > tol {
				t.Errorf("asm=%v: gradient: norm-wise relative error %.3g > %g", asm, eg, tol)
			}
			worst = max(worst, el, eg)
		}
		kern.SetAsm(was)
	}
	t.Logf("largest norm-wise relative error (float64 maximisers): %.3g", worst)
}
