package nn

import (
	"math"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/nn/kern"
)

// Linear is a fully connected layer y = x·Wᵀ + b with W of shape Out×In
// (PyTorch's layout) and b of shape 1×Out (nil for no bias).
type Linear[T Float] struct {
	W, B *Var[T]
}

// NewLinear returns an in→out layer named name (parameters name+".weight"
// and name+".bias") initialised like PyTorch: W and b drawn from
// U(-1/√in, 1/√in), W first in row-major order, then b. It allocates.
func NewLinear[T Float](name string, in, out int, rng *rand.Rand) *Linear[T] {
	l := &Linear[T]{
		W: NewParam[T](name+".weight", out, in),
		B: NewParam[T](name+".bias", 1, out),
	}
	bound := 1 / math.Sqrt(float64(in))
	Uniform(l.W.Value.Data, bound, rng)
	Uniform(l.B.Value.Data, bound, rng)
	return l
}

// In returns the input width.
func (l *Linear[T]) In() int { return l.W.Value.Cols }

// Out returns the output width.
func (l *Linear[T]) Out() int { return l.W.Value.Rows }

// Params returns W and b (if any).
func (l *Linear[T]) Params() []*Var[T] {
	if l.B == nil {
		return []*Var[T]{l.W}
	}
	return []*Var[T]{l.W, l.B}
}

// Linear returns x·Wᵀ + b for an n×In input. Cost O(n·In·Out), split over
// row blocks. It panics if x has the wrong width.
func (t *Tape[T]) Linear(x *Var[T], l *Linear[T]) *Var[T] {
	in, out := l.In(), l.Out()
	if x.Value.Cols != in {
		panic("nn: Linear input width does not match the layer")
	}
	n := x.Value.Rows
	y := t.newVar(n, out, anyGrad(x, l.W, l.B))
	wt := t.mem.get(in * out)
	w := l.W.Value.Data
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			wt[i*out+o] = w[o*in+i]
		}
	}
	t.forward(node[T]{op: opLinear, out: y, a: x, lin: l, save: wt}, jLinearFwd, numBlocks(n))
	return y
}

func (t *Tape[T]) linearFwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	x, y, l := nd.a, nd.out, nd.lin
	in, out := l.In(), l.Out()
	lo, hi := blockRange(b, x.Value.Rows)
	var bias []T
	if l.B != nil {
		bias = l.B.Value.Data
	}
	kern.MatMul(y.Value.Data[lo*out:], out, x.Value.Data[lo*in:], in, nd.save, out, bias, hi-lo, in, out, false)
}

func (t *Tape[T]) linearBackward(nd *node[T]) {
	l := nd.lin
	in, out := l.In(), l.Out()
	n := nd.a.Value.Rows
	nb := numBlocks(n)
	wantW := l.W.Grad != nil
	if wantW {
		t.job.aux = t.mem.zero(nb * in * out)
	}
	part := t.run(jLinearBwd, nd, nb, out)
	if l.B != nil && l.B.Grad != nil {
		db := t.fmem.get(out)
		reduce(db, part, out)
		for o, v := range db {
			l.B.Grad[o] += T(v)
		}
	}
	if wantW {
		acc := t.fmem.zero(in * out)
		for b := 0; b < nb; b++ {
			for i, v := range t.job.aux[b*in*out : (b+1)*in*out] {
				acc[i] += float64(v)
			}
		}
		g := l.W.Grad
		for i := 0; i < in; i++ {
			for o := 0; o < out; o++ {
				g[o*in+i] += T(acc[i*out+o])
			}
		}
	}
	t.job.aux = nil
}

func (t *Tape[T]) linearBwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	x, y, l := nd.a, nd.out, nd.lin
	in, out := l.In(), l.Out()
	lo, hi := blockRange(b, x.Value.Rows)
	dy := y.Grad[lo*out : hi*out]
	if x.Grad != nil {
		kern.MatMul(x.Grad[lo*in:], in, dy, out, l.W.Value.Data, in, nil, hi-lo, out, in, true)
	}
	if j.aux != nil {
		kern.MatMulTA(j.aux[b*in*out:], out, x.Value.Data[lo*in:], in, dy, out, hi-lo, in, out)
	}
	p := j.part[b*out : (b+1)*out]
	for r := 0; r < hi-lo; r++ {
		for o, v := range dy[r*out : (r+1)*out] {
			p[o] += float64(v)
		}
	}
}
