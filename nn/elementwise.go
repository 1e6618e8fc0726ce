package nn

import (
	"math"

	"github.com/pcttrack/pcttrack/nn/kern"
)

// LeakyReLU returns x where x > 0 and slope·x elsewhere (PyTorch's default
// slope is 0.01). slope must lie in [0, 1].
func (t *Tape[T]) LeakyReLU(x *Var[T], slope float64) *Var[T] {
	y := t.newVar(x.Value.Rows, x.Value.Cols, anyGrad(x))
	kern.LeakyReLU(y.Value.Data, x.Value.Data, T(slope))
	t.begin(node[T]{op: opLeakyReLU, out: y, a: x, k: T(slope)})
	t.record()
	return y
}

func (t *Tape[T]) leakyReLUBackward(nd *node[T]) {
	kern.LeakyReLUBackAcc(nd.a.Grad, nd.out.Grad, nd.a.Value.Data, nd.k)
}

// Sigmoid returns 1/(1+exp(-x)) element-wise.
func (t *Tape[T]) Sigmoid(x *Var[T]) *Var[T] {
	y := t.newVar(x.Value.Rows, x.Value.Cols, anyGrad(x))
	Sigmoid(y.Value.Data, x.Value.Data)
	t.begin(node[T]{op: opSigmoid, out: y, a: x})
	t.record()
	return y
}

// Sigmoid sets dst[i] = 1/(1+exp(-src[i])) without overflow and returns
// dst. dst may alias src; it panics if dst is shorter than src.
func Sigmoid[T Float](dst, src []T) []T {
	if len(dst) < len(src) {
		panic("nn: Sigmoid dst shorter than src")
	}
	for i, v := range src {
		dst[i] = T(sigmoid(float64(v)))
	}
	return dst[:len(src)]
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func (t *Tape[T]) sigmoidBackward(nd *node[T]) {
	dx, dy, y := nd.a.Grad, nd.out.Grad, nd.out.Value.Data
	for i, s := range y {
		dx[i] += dy[i] * s * (1 - s)
	}
}

// Add returns a + b element-wise. It panics if the shapes differ.
func (t *Tape[T]) Add(a, b *Var[T]) *Var[T] {
	if a.Value.Rows != b.Value.Rows || a.Value.Cols != b.Value.Cols {
		panic("nn: Add shapes differ")
	}
	y := t.newVar(a.Value.Rows, a.Value.Cols, anyGrad(a, b))
	yd, bd := y.Value.Data, b.Value.Data
	for i, v := range a.Value.Data {
		yd[i] = v + bd[i]
	}
	t.begin(node[T]{op: opAdd, out: y, a: a, b: b})
	t.record()
	return y
}

func (t *Tape[T]) addBackward(nd *node[T]) {
	for _, in := range [2]*Var[T]{nd.a, nd.b} {
		if in.Grad != nil {
			for i, g := range nd.out.Grad {
				in.Grad[i] += g
			}
		}
	}
}

// Scale returns s·x.
func (t *Tape[T]) Scale(x *Var[T], s float64) *Var[T] {
	y := t.newVar(x.Value.Rows, x.Value.Cols, anyGrad(x))
	for i, v := range x.Value.Data {
		y.Value.Data[i] = T(s) * v
	}
	t.begin(node[T]{op: opScale, out: y, a: x, k: T(s)})
	t.record()
	return y
}

func (t *Tape[T]) scaleBackward(nd *node[T]) {
	for i, g := range nd.out.Grad {
		nd.a.Grad[i] += nd.k * g
	}
}

// Sum returns the 1×1 sum of all elements of x, accumulated in float64.
func (t *Tape[T]) Sum(x *Var[T]) *Var[T] { return t.sum(x, 1) }

// Mean returns the 1×1 mean of all elements of x (0 for an empty x).
func (t *Tape[T]) Mean(x *Var[T]) *Var[T] {
	n := len(x.Value.Data)
	if n == 0 {
		return t.sum(x, 1)
	}
	return t.sum(x, 1/float64(n))
}

func (t *Tape[T]) sum(x *Var[T], scale float64) *Var[T] {
	y := t.newVar(1, 1, anyGrad(x))
	var s float64
	for _, v := range x.Value.Data {
		s += float64(v)
	}
	y.Value.Data[0] = T(s * scale)
	t.begin(node[T]{op: opSum, out: y, a: x, k: T(scale)})
	t.record()
	return y
}

func (t *Tape[T]) sumBackward(nd *node[T]) {
	g := nd.out.Grad[0] * nd.k
	for i := range nd.a.Grad {
		nd.a.Grad[i] += g
	}
}

// Concat joins xs side by side: all must have the same number of rows, and
// the result has the sum of their widths. It panics otherwise.
func (t *Tape[T]) Concat(xs ...*Var[T]) *Var[T] {
	if len(xs) == 0 {
		panic("nn: Concat of nothing")
	}
	n, w := xs[0].Value.Rows, 0
	for _, x := range xs {
		if x.Value.Rows != n {
			panic("nn: Concat row counts differ")
		}
		w += x.Value.Cols
	}
	ins := t.vsl.get(len(xs))
	copy(ins, xs)
	y := t.newVar(n, w, anyGrad(ins...))
	off := 0
	for _, x := range ins {
		c := x.Value.Cols
		for r := 0; r < n; r++ {
			copy(y.Value.Data[r*w+off:r*w+off+c], x.Value.Data[r*c:(r+1)*c])
		}
		off += c
	}
	t.begin(node[T]{op: opConcat, out: y, ins: ins})
	t.record()
	return y
}

func (t *Tape[T]) concatBackward(nd *node[T]) {
	n, w := nd.out.Value.Rows, nd.out.Value.Cols
	off := 0
	for _, x := range nd.ins {
		c := x.Value.Cols
		if x.Grad != nil {
			for r := 0; r < n; r++ {
				g := x.Grad[r*c : (r+1)*c]
				for i, v := range nd.out.Grad[r*w+off : r*w+off+c] {
					g[i] += v
				}
			}
		}
		off += c
	}
}
