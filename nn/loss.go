package nn

import "math"

// BCEWithLogits returns the 1×1 weighted binary cross-entropy
//
//	L = Σ_i w_i·[max(x_i,0) − x_i·y_i + log(1+exp(−|x_i|))]
//
// of logits x (any shape, read element-wise) against targets y ∈ [0,1],
// which equals −w_i·[y·log σ(x) + (1−y)·log(1−σ(x))] without overflow.
// weight nil means w_i = 1/n (the mean). Weights express masks (w = 0) and
// split losses: the paper's loss averages the edges touching layers z < 3
// and the others separately and adds the two means, i.e. w_i = 1/n_near or
// 1/n_far. target and weight must stay unchanged until Backward. It panics
// if their lengths differ from x's.
func (t *Tape[T]) BCEWithLogits(x *Var[T], target, weight []T) *Var[T] {
	n := len(x.Value.Data)
	if len(target) != n || (weight != nil && len(weight) != n) {
		panic("nn: BCEWithLogits target or weight length differs from the logits")
	}
	y := t.newVar(1, 1, anyGrad(x))
	// σ(x) is saved for the backward pass; one exp per element serves both.
	sig := t.mem.get(n)
	var s float64
	for i, v := range x.Value.Data {
		xv := float64(v)
		e := math.Exp(-math.Abs(xv))
		if xv >= 0 {
			sig[i] = T(1 / (1 + e))
		} else {
			sig[i] = T(e / (1 + e))
		}
		w := 1 / float64(n)
		if weight != nil {
			w = float64(weight[i])
		}
		if w != 0 {
			s += w * (math.Max(xv, 0) - xv*float64(target[i]) + math.Log1p(e))
		}
	}
	y.Value.Data[0] = T(s)
	t.begin(node[T]{op: opBCE, out: y, a: x, y: target, w: weight, save: sig})
	t.record()
	return y
}

func (t *Tape[T]) bceBackward(nd *node[T]) {
	g := float64(nd.out.Grad[0])
	n := len(nd.a.Value.Data)
	for i, s := range nd.save {
		w := 1 / float64(n)
		if nd.w != nil {
			w = float64(nd.w[i])
		}
		nd.a.Grad[i] += T(g * w * (float64(s) - float64(nd.y[i])))
	}
}
