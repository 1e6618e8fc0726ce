package e2e

import (
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
)

// Hamming is the paper's PAT loss (E2E losses.py and train.py): the mean
// Hamming error y(1−t) + (1−y)t of the per-segment outputs y against
// Input.Labels t, taken separately over the segments touching layers 0–2
// (Input.NearTracker) and over the others, the two means summed (weights
// Input.SplitWeight). y is usually the solver layer's 0/1
// assignment, but any values work (the loss is linear in y, with
// ∂L/∂y_s = (1 − 2t_s)/n_part). It keeps its scratch between calls, so use
// one per training loop (not concurrently); the zero value is ready.
type Hamming[T nn.Float] struct {
	op hammingOp[T]
}

// Loss records the loss of y (n×1 or any shape with n = in.NumSegments
// elements) on t and returns the 1×1 result. The scratch it hands to the
// tape stays valid until the next call, which must come after Backward.
// Cost O(n), no allocation once grown. It panics if in has no labels or y
// has the wrong size.
func (h *Hamming[T]) Loss(t *nn.Tape[T], y *nn.Var[T], in *model.Input) *nn.Var[T] {
	if in.Labels == nil {
		panic("e2e: Hamming needs labelled input")
	}
	n := in.NumSegments
	if len(y.Value.Data) != n || len(in.Labels) != n || len(in.SplitWeight) != n {
		panic("e2e: Hamming: size of y, labels or split weights differs from the number of segments")
	}
	op := &h.op
	op.c, op.t = scratch.Grow(op.c, n), scratch.Grow(op.t, n)
	for s := range n {
		op.t[s] = T(in.Labels[s])
		op.c[s] = T(in.SplitWeight[s])
	}
	return t.Custom(op, 1, 1, y)
}

// hammingOp computes Σ c_s·(y_s(1−t_s) + (1−y_s)t_s) with c_s = 1/n_part.
type hammingOp[T nn.Float] struct {
	c, t []T
}

func (o *hammingOp[T]) Forward(out *nn.Var[T], in []*nn.Var[T]) {
	var sum float64
	for s, y := range in[0].Value.Data {
		yv, tv := float64(y), float64(o.t[s])
		sum += float64(o.c[s]) * (yv*(1-tv) + (1-yv)*tv)
	}
	out.Value.Data[0] = T(sum)
}

func (o *hammingOp[T]) Backward(out *nn.Var[T], in []*nn.Var[T]) {
	dy := in[0].Grad
	if dy == nil {
		return
	}
	g := out.Grad[0]
	for s, c := range o.c {
		dy[s] += g * c * (1 - 2*o.t[s])
	}
}
