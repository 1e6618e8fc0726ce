package nn

import (
	"fmt"

	"github.com/pcttrack/pcttrack/nn/kern"
)

// TangentOp is a CustomOp that also supports Hessian-vector products
// (Tape.HVP): the forward-mode derivative of its output and of its input
// gradients along a direction. Tangent slices have the shape of the value
// they belong to; a nil tangent is zero.
type TangentOp[T Float] interface {
	CustomOp[T]
	// ForwardTangent writes into dout (len(out.Value.Data), contents
	// undefined) the derivative of out along the tangents din of the
	// inputs (din[k] nil: in[k] does not move).
	ForwardTangent(dout []T, out *Var[T], in []*Var[T], din [][]T)
	// BackwardTangent adds to rin[k], for every input with a gradient
	// (rin[k] non-nil), the derivative along the same direction of what
	// Backward added to in[k].Grad: the terms from rout (the derivative of
	// out.Grad; nil when zero) and the second-order terms from din and
	// out.Grad. Values and out.Grad are as Forward and Backward left
	// them.
	BackwardTangent(rout []T, out *Var[T], in []*Var[T], din [][]T, rin [][]T)
}

// HVP adds to hv[i] the Hessian-vector product (∇²L·v) restricted to
// params[i], where L is loss, v the direction given by v[i] (one slice per
// parameter, the parameter's shape; nil means 0) and ∇² the Hessian with
// respect to all of params. It is Pearlmutter's R-operator: a forward
// pass of tangents over the recorded operations followed by a reverse pass
// of the tangents of their gradients, exact up to rounding wherever the
// loss is twice differentiable (piecewise-linear operations — LeakyReLU,
// segment max — contribute their local linear pieces, as autograd's
// double backward does).
//
// Call it after t.Backward(loss) and before Reset; it reads the gradients
// that Backward left on the tape's values, not the parameters' Grad
// (which may hold sums over several passes). Every op on the path must
// support tangents: all built-in operations except training-mode batch
// normalisation (the Hessian tools run in Eval mode), and Custom
// operations implementing TangentOp. It panics otherwise, if loss is not
// 1×1, on a NoGrad tape, or if a v[i] or hv[i] has the wrong length. Cost:
// about one more forward and backward pass; it allocates its tangents
// (about twice the memory of the recorded values).
func (t *Tape[T]) HVP(loss *Var[T], params []*Var[T], v, hv [][]T) {
	if t.NoGrad {
		panic("nn: HVP on a NoGrad tape")
	}
	if loss.Value.Rows*loss.Value.Cols != 1 {
		panic("nn: HVP needs a 1×1 loss")
	}
	if len(v) != len(params) || len(hv) != len(params) {
		panic("nn: HVP needs one direction and one output per parameter")
	}
	h := hvpState[T]{dot: map[*Var[T]][]T{}, rgrad: map[*Var[T]][]T{}}
	for i, p := range params {
		n := len(p.Value.Data)
		if (v[i] != nil && len(v[i]) != n) || len(hv[i]) != n {
			panic(fmt.Sprintf("nn: HVP direction or output of %q has the wrong length", p.Name))
		}
		if v[i] != nil {
			h.dot[p] = v[i]
		}
	}
	for i := range t.nodes {
		h.forward(&t.nodes[i])
	}
	for i := len(t.nodes) - 1; i >= 0; i-- {
		h.backward(&t.nodes[i])
	}
	for i, p := range params {
		if r := h.rgrad[p]; r != nil {
			for k, x := range r {
				hv[i][k] += x
			}
		}
	}
}

// hvpState holds the tangents of values (dot) and of gradients (rgrad).
type hvpState[T Float] struct {
	dot, rgrad map[*Var[T]][]T
}

// r returns the gradient tangent of v, allocated (zero) on first use; nil
// when v has no gradient.
func (h *hvpState[T]) r(v *Var[T]) []T {
	if v == nil || v.Grad == nil {
		return nil
	}
	r := h.rgrad[v]
	if r == nil {
		r = make([]T, len(v.Value.Data))
		h.rgrad[v] = r
	}
	return r
}

func (h *hvpState[T]) newDot(v *Var[T]) []T {
	d := make([]T, len(v.Value.Data))
	h.dot[v] = d
	return d
}

// forward computes the tangent of nd.out from its inputs' tangents.
func (h *hvpState[T]) forward(nd *node[T]) {
	y := nd.out
	switch nd.op {
	case opLeakyReLU, opSigmoid, opGather, opSegmentMax, opSegmentSum, opScale, opSum, opBCE, opEncoding:
		if dx := h.dot[nd.a]; dx != nil {
			unaryTangent(nd, dx, h.newDot(y))
		}
	case opLinear:
		l := nd.lin
		dx, dw := h.dot[nd.a], h.dot[l.W]
		var db []T
		if l.B != nil {
			db = h.dot[l.B]
		}
		if dx == nil && dw == nil && db == nil {
			return
		}
		in, out, n := l.In(), l.Out(), nd.a.Value.Rows
		dy := h.newDot(y)
		if dx != nil {
			kern.MatMul(dy, out, dx, in, nd.save, out, nil, n, in, out, true)
		}
		if dw != nil {
			dwt := transpose(dw, out, in)
			kern.MatMul(dy, out, nd.a.Value.Data, in, dwt, out, nil, n, in, out, true)
		}
		if db != nil {
			for r := 0; r < n; r++ {
				for o, b := range db {
					dy[r*out+o] += b
				}
			}
		}
	case opBatchNorm:
		h.bnForward(nd)
	case opConcat:
		moved := false
		for _, x := range nd.ins {
			moved = moved || h.dot[x] != nil
		}
		if !moved {
			return
		}
		dy := h.newDot(y)
		n, w, off := y.Value.Rows, y.Value.Cols, 0
		for _, x := range nd.ins {
			c := x.Value.Cols
			if dx := h.dot[x]; dx != nil {
				for r := 0; r < n; r++ {
					copy(dy[r*w+off:r*w+off+c], dx[r*c:(r+1)*c])
				}
			}
			off += c
		}
	case opAdd:
		da, db := h.dot[nd.a], h.dot[nd.b]
		if da == nil && db == nil {
			return
		}
		dy := h.newDot(y)
		for _, d := range [2][]T{da, db} {
			for i, v := range d {
				dy[i] += v
			}
		}
	case opCustom:
		op := tangentOp(nd.custom)
		din := make([][]T, len(nd.ins))
		moved := false
		for k, x := range nd.ins {
			din[k] = h.dot[x]
			moved = moved || din[k] != nil
		}
		if !moved {
			return
		}
		op.ForwardTangent(h.newDot(y), y, nd.ins, din)
	default:
		panic(fmt.Sprintf("nn: HVP: operation %d has no tangent rule", nd.op))
	}
}

// unaryTangent sets dy, the tangent of the output of nd, an operation of
// one input, from dx, its input's.
func unaryTangent[T Float](nd *node[T], dx, dy []T) {
	y := nd.out
	switch nd.op {
	case opLeakyReLU:
		for i, x := range nd.a.Value.Data {
			dy[i] = dx[i] * lreluSlope(x, nd.k)
		}
	case opSigmoid:
		for i, s := range y.Value.Data {
			dy[i] = dx[i] * s * (1 - s)
		}
	case opGather:
		c := nd.a.Value.Cols
		for r, i := range nd.ix.Idx {
			copy(dy[r*c:(r+1)*c], dx[int(i)*c:int(i+1)*c])
		}
	case opSegmentMax:
		c := nd.a.Value.Cols
		for i, r := range nd.idx {
			if r >= 0 {
				dy[i] = dx[int(r)*c+i%c]
			}
		}
	case opSegmentSum:
		segSum(nd.seg, nd.a.Value.Cols, dy, dx, 0, nd.seg.Len())
	case opScale:
		for i, v := range dx {
			dy[i] = nd.k * v
		}
	case opSum:
		var s float64
		for _, v := range dx {
			s += float64(v)
		}
		dy[0] = T(s * float64(nd.k))
	case opBCE:
		var s float64
		for i, sg := range nd.save {
			s += bceWeight(nd, i) * (float64(sg) - float64(nd.y[i])) * float64(dx[i])
		}
		dy[0] = T(s)
	case opEncoding:
		dim, yv := nd.dim, y.Value.Data
		for i, d := range dx {
			for k, f := range nd.save {
				s, c := yv[i*dim+2*k], yv[i*dim+2*k+1]
				dy[i*dim+2*k] = f * c * d
				dy[i*dim+2*k+1] = -f * s * d
			}
		}
	}
}

// backward adds the tangents of the input gradients of nd.
func (h *hvpState[T]) backward(nd *node[T]) {
	y := nd.out
	ry := h.rgrad[y] // nil: the tangent of y's gradient is zero
	switch nd.op {
	case opLinear:
		l := nd.lin
		in, out, n := l.In(), l.Out(), nd.a.Value.Rows
		dx, dw := h.dot[nd.a], h.dot[l.W]
		// x̄ = ȳ·W:  R{x̄} = R{ȳ}·W + ȳ·Ẇ.
		if rx := h.r(nd.a); rx != nil {
			if ry != nil {
				kern.MatMul(rx, in, ry, out, l.W.Value.Data, in, nil, n, out, in, true)
			}
			if dw != nil {
				kern.MatMul(rx, in, y.Grad, out, dw, in, nil, n, out, in, true)
			}
		}
		// W̄ = ȳᵀ·x:  R{W̄} = R{ȳ}ᵀ·x + ȳᵀ·ẋ (accumulated as in×out, then
		// transposed into the out×in layout).
		if rw := h.r(l.W); rw != nil && (ry != nil || dx != nil) {
			acc := make([]T, in*out)
			if ry != nil {
				kern.MatMulTA(acc, out, nd.a.Value.Data, in, ry, out, n, in, out)
			}
			if dx != nil {
				kern.MatMulTA(acc, out, dx, in, y.Grad, out, n, in, out)
			}
			for i := 0; i < in; i++ {
				for o := 0; o < out; o++ {
					rw[o*in+i] += acc[i*out+o]
				}
			}
		}
		if l.B != nil && ry != nil {
			if rb := h.r(l.B); rb != nil {
				for r := 0; r < n; r++ {
					for o := 0; o < out; o++ {
						rb[o] += ry[r*out+o]
					}
				}
			}
		}
	case opLeakyReLU:
		if rx := h.r(nd.a); rx != nil && ry != nil {
			for i, x := range nd.a.Value.Data {
				rx[i] += ry[i] * lreluSlope(x, nd.k)
			}
		}
	case opSigmoid:
		rx := h.r(nd.a)
		if rx == nil {
			return
		}
		dy := h.dot[y]
		for i, s := range y.Value.Data {
			var v T
			if ry != nil {
				v = ry[i] * s * (1 - s)
			}
			if dy != nil {
				v += (1 - 2*s) * dy[i] * y.Grad[i]
			}
			rx[i] += v
		}
	case opBatchNorm:
		h.bnBackward(nd, ry)
	case opGather:
		if rx := h.r(nd.a); rx != nil && ry != nil {
			c := nd.a.Value.Cols
			for r, i := range nd.ix.Idx {
				for k := 0; k < c; k++ {
					rx[int(i)*c+k] += ry[r*c+k]
				}
			}
		}
	case opSegmentMax:
		if rx := h.r(nd.a); rx != nil && ry != nil {
			c := nd.a.Value.Cols
			for i, r := range nd.idx {
				if r >= 0 {
					rx[int(r)*c+i%c] += ry[i]
				}
			}
		}
	case opSegmentSum:
		if rx := h.r(nd.a); rx != nil && ry != nil {
			segSpread(nd.seg, nd.a.Value.Cols, rx, ry, 0, nd.seg.Len())
		}
	case opConcat:
		if ry == nil {
			return
		}
		n, w, off := y.Value.Rows, y.Value.Cols, 0
		for _, x := range nd.ins {
			c := x.Value.Cols
			if rx := h.r(x); rx != nil {
				for r := 0; r < n; r++ {
					for k := 0; k < c; k++ {
						rx[r*c+k] += ry[r*w+off+k]
					}
				}
			}
			off += c
		}
	case opAdd:
		if ry == nil {
			return
		}
		for _, x := range [2]*Var[T]{nd.a, nd.b} {
			if rx := h.r(x); rx != nil {
				for i, v := range ry {
					rx[i] += v
				}
			}
		}
	case opScale:
		if rx := h.r(nd.a); rx != nil && ry != nil {
			for i, v := range ry {
				rx[i] += nd.k * v
			}
		}
	case opSum:
		if rx := h.r(nd.a); rx != nil && ry != nil {
			g := ry[0] * nd.k
			for i := range rx {
				rx[i] += g
			}
		}
	case opBCE:
		// x̄_i = ḡ·w_i·(σ_i − y_i): R{x̄_i} = R{ḡ}·w_i·(σ_i − y_i) + ḡ·w_i·σ_i(1−σ_i)·ẋ_i.
		rx := h.r(nd.a)
		if rx == nil {
			return
		}
		g, dx := float64(y.Grad[0]), h.dot[nd.a]
		var rg float64
		if ry != nil {
			rg = float64(ry[0])
		}
		for i, sg := range nd.save {
			w, s := bceWeight(nd, i), float64(sg)
			v := rg * w * (s - float64(nd.y[i]))
			if dx != nil {
				v += g * w * s * (1 - s) * float64(dx[i])
			}
			rx[i] += T(v)
		}
	case opEncoding:
		// x̄_i = Σ_k f_k(c·ȳ_2k − s·ȳ_2k+1), whose derivative adds
		// −f_k²(s·ȳ_2k + c·ȳ_2k+1)·ẋ_i.
		rx := h.r(nd.a)
		if rx == nil {
			return
		}
		dim, yv, dx := nd.dim, y.Value.Data, h.dot[nd.a]
		for i := range rx {
			var v float64
			for k, f := range nd.save {
				s, c := float64(yv[i*dim+2*k]), float64(yv[i*dim+2*k+1])
				ff := float64(f)
				if ry != nil {
					v += ff * (c*float64(ry[i*dim+2*k]) - s*float64(ry[i*dim+2*k+1]))
				}
				if dx != nil {
					v -= ff * ff * (s*float64(y.Grad[i*dim+2*k]) + c*float64(y.Grad[i*dim+2*k+1])) * float64(dx[i])
				}
			}
			rx[i] += T(v)
		}
	case opCustom:
		op := tangentOp(nd.custom)
		din := make([][]T, len(nd.ins))
		rin := make([][]T, len(nd.ins))
		for k, x := range nd.ins {
			din[k] = h.dot[x]
			rin[k] = h.r(x)
		}
		op.BackwardTangent(ry, y, nd.ins, din, rin)
	}
}

// bnForward: y = (x − μ)·invstd·γ + β with constant (running) statistics,
// so ẏ = ẋ·α + (x − μ)·invstd·γ̇ + β̇ with α = γ·invstd.
func (h *hvpState[T]) bnForward(nd *node[T]) {
	if nd.train {
		panic("nn: HVP through a training-mode batch norm is not supported (set Tape.Eval)")
	}
	bn := nd.bn
	dx, dg, db := h.dot[nd.a], h.dot[bn.Gamma], h.dot[bn.Beta]
	if dx == nil && dg == nil && db == nil {
		return
	}
	c, n := bn.C(), nd.a.Value.Rows
	dy := h.newDot(nd.out)
	mean, invstd := nd.f64[:c], nd.f64[c:]
	x := nd.a.Value.Data
	for r := 0; r < n; r++ {
		for k := 0; k < c; k++ {
			var v float64
			if dx != nil {
				v += float64(dx[r*c+k]) * float64(bn.Gamma.Value.Data[k]) * invstd[k]
			}
			if dg != nil {
				v += (float64(x[r*c+k]) - mean[k]) * invstd[k] * float64(dg[k])
			}
			if db != nil {
				v += float64(db[k])
			}
			dy[r*c+k] = T(v)
		}
	}
}

// bnBackward: x̄ = ȳ·α, γ̄ = Σ ȳ·x̂, β̄ = Σ ȳ with x̂ = (x − μ)·invstd:
// R{x̄} = R{ȳ}·α + ȳ·invstd·γ̇, R{γ̄} = Σ R{ȳ}·x̂ + ȳ·ẋ·invstd, R{β̄} = Σ R{ȳ}.
func (h *hvpState[T]) bnBackward(nd *node[T], ry []T) {
	bn := nd.bn
	c, n := bn.C(), nd.a.Value.Rows
	mean, invstd := nd.f64[:c], nd.f64[c:]
	x, gy := nd.a.Value.Data, nd.out.Grad
	dx, dg := h.dot[nd.a], h.dot[bn.Gamma]
	if rx := h.r(nd.a); rx != nil && (ry != nil || dg != nil) {
		for r := 0; r < n; r++ {
			for k := 0; k < c; k++ {
				var v float64
				if ry != nil {
					v += float64(ry[r*c+k]) * float64(bn.Gamma.Value.Data[k]) * invstd[k]
				}
				if dg != nil {
					v += float64(gy[r*c+k]) * invstd[k] * float64(dg[k])
				}
				rx[r*c+k] += T(v)
			}
		}
	}
	if rg := h.r(bn.Gamma); rg != nil && (ry != nil || dx != nil) {
		for k := 0; k < c; k++ {
			var v float64
			for r := 0; r < n; r++ {
				if ry != nil {
					v += float64(ry[r*c+k]) * (float64(x[r*c+k]) - mean[k]) * invstd[k]
				}
				if dx != nil {
					v += float64(gy[r*c+k]) * float64(dx[r*c+k]) * invstd[k]
				}
			}
			rg[k] += T(v)
		}
	}
	if rb := h.r(bn.Beta); rb != nil && ry != nil {
		for k := 0; k < c; k++ {
			var v float64
			for r := 0; r < n; r++ {
				v += float64(ry[r*c+k])
			}
			rb[k] += T(v)
		}
	}
}

func tangentOp[T Float](op CustomOp[T]) TangentOp[T] {
	t, ok := op.(TangentOp[T])
	if !ok {
		panic(fmt.Sprintf("nn: HVP: custom operation %T does not implement TangentOp", op))
	}
	return t
}

func lreluSlope[T Float](x, slope T) T {
	if x > 0 {
		return 1
	}
	return slope
}

func bceWeight[T Float](nd *node[T], i int) float64 {
	if nd.w != nil {
		return float64(nd.w[i])
	}
	return 1 / float64(len(nd.a.Value.Data))
}

// transpose returns the cols×rows transpose of the rows×cols matrix a.
func transpose[T Float](a []T, rows, cols int) []T {
	t := make([]T, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			t[c*rows+r] = a[r*cols+c]
		}
	}
	return t
}
