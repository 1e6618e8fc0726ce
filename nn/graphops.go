package nn

import (
	"math"
	"sync"
)

// Index maps the rows of a Gather output to rows of its input: output row
// r is input row Idx[r]. It lazily builds (once, safely under concurrent
// use) the inverse mapping that the backward pass sums over, so build an
// Index once per graph and reuse it.
type Index struct {
	Idx []int32 // input row of each output row, in [0, N)
	N   int     // number of input rows

	once         sync.Once
	start, order []int32
}

// NewIndex returns an Index over n input rows. It keeps idx (no copy) and
// panics if an entry lies outside [0, n). Cost O(len(idx)).
func NewIndex(idx []int32, n int) *Index {
	for _, v := range idx {
		if v < 0 || int(v) >= n {
			panic("nn: NewIndex entry out of range")
		}
	}
	return &Index{Idx: idx, N: n}
}

// inverse returns the CSR of output rows per input row, in increasing
// output-row order (a stable counting sort), so sums are deterministic.
func (ix *Index) inverse() (start, order []int32) {
	ix.once.Do(func() {
		start := make([]int32, ix.N+1)
		for _, v := range ix.Idx {
			start[v+1]++
		}
		for i := 0; i < ix.N; i++ {
			start[i+1] += start[i]
		}
		order := make([]int32, len(ix.Idx))
		next := append([]int32(nil), start[:ix.N]...)
		for r, v := range ix.Idx {
			order[next[v]] = int32(r)
			next[v]++
		}
		ix.start, ix.order = start, order
	})
	return ix.start, ix.order
}

// Gather returns the rows of x selected by ix (len(ix.Idx) rows). Its
// backward pass sums the gradients of repeated rows in output-row order.
// It panics if ix.N differs from x's row count.
func (t *Tape[T]) Gather(x *Var[T], ix *Index) *Var[T] {
	if ix.N != x.Value.Rows {
		panic("nn: Gather index built for another row count")
	}
	y := t.newVar(len(ix.Idx), x.Value.Cols, anyGrad(x))
	t.forward(node[T]{op: opGather, out: y, a: x, ix: ix}, jGatherFwd, numBlocks(len(ix.Idx)))
	return y
}

func (t *Tape[T]) gatherFwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	c := nd.a.Value.Cols
	lo, hi := blockRange(b, len(nd.ix.Idx))
	x, y := nd.a.Value.Data, nd.out.Value.Data
	for r := lo; r < hi; r++ {
		i := int(nd.ix.Idx[r])
		copy(y[r*c:(r+1)*c], x[i*c:(i+1)*c])
	}
}

func (t *Tape[T]) gatherBackward(nd *node[T]) {
	nd.ix.inverse()
	t.run(jGatherBwd, nd, numBlocks(nd.ix.N), 0)
}

func (t *Tape[T]) gatherBwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	c := nd.a.Value.Cols
	start, order := nd.ix.start, nd.ix.order
	lo, hi := blockRange(b, nd.ix.N)
	dx, dy := nd.a.Grad, nd.out.Grad
	for i := lo; i < hi; i++ {
		g := dx[i*c : (i+1)*c]
		for _, r := range order[start[i]:start[i+1]] {
			for k, v := range dy[int(r)*c : int(r+1)*c] {
				g[k] += v
			}
		}
	}
}

// Segments groups rows into consecutive segments: segment s holds rows
// Rows[Start[s]:Start[s+1]] (or rows Start[s]..Start[s+1]-1 when Rows is
// nil). A row must belong to at most one segment.
type Segments struct {
	Start []int32
	Rows  []int32
}

// Len returns the number of segments.
func (s *Segments) Len() int { return len(s.Start) - 1 }

func (s *Segments) row(k int32) int32 {
	if s.Rows == nil {
		return k
	}
	return s.Rows[k]
}

// SegmentMax returns the column-wise maximum of each segment's rows of x
// (0 for an empty segment), one row per segment. The gradient flows to the
// first row attaining each maximum.
func (t *Tape[T]) SegmentMax(x *Var[T], seg *Segments) *Var[T] {
	ns, c := seg.Len(), x.Value.Cols
	y := t.newVar(ns, c, anyGrad(x))
	arg := t.imem.get(ns * c)
	t.forward(node[T]{op: opSegmentMax, out: y, a: x, seg: seg, idx: arg}, jSegMaxFwd, numBlocks(ns))
	return y
}

func (t *Tape[T]) segMaxFwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	seg, c := nd.seg, nd.a.Value.Cols
	x, y := nd.a.Value.Data, nd.out.Value.Data
	lo, hi := blockRange(b, seg.Len())
	for s := lo; s < hi; s++ {
		ys, as := y[s*c:(s+1)*c], nd.idx[s*c:(s+1)*c]
		if seg.Start[s] == seg.Start[s+1] {
			clear(ys)
			for k := range as {
				as[k] = -1
			}
			continue
		}
		for k := range ys {
			ys[k] = T(math.Inf(-1))
			as[k] = -1
		}
		for p := seg.Start[s]; p < seg.Start[s+1]; p++ {
			r := seg.row(p)
			for k, v := range x[int(r)*c : int(r+1)*c] {
				if v > ys[k] || as[k] < 0 {
					ys[k], as[k] = v, r
				}
			}
		}
	}
}

func (t *Tape[T]) segmentMaxBackward(nd *node[T]) {
	if nd.a.Grad == nil {
		return
	}
	c := nd.a.Value.Cols
	dx := nd.a.Grad
	for i, g := range nd.out.Grad {
		if r := nd.idx[i]; r >= 0 {
			dx[int(r)*c+i%c] += g
		}
	}
}

// SegmentSum returns the column-wise sum of each segment's rows of x (0
// for an empty segment), one row per segment.
func (t *Tape[T]) SegmentSum(x *Var[T], seg *Segments) *Var[T] {
	ns, c := seg.Len(), x.Value.Cols
	y := t.newVar(ns, c, anyGrad(x))
	t.forward(node[T]{op: opSegmentSum, out: y, a: x, seg: seg}, jSegSumFwd, numBlocks(ns))
	return y
}

func (t *Tape[T]) segSumFwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	lo, hi := blockRange(b, nd.seg.Len())
	c := nd.a.Value.Cols
	y := nd.out.Value.Data
	clear(y[lo*c : hi*c])
	segSum(nd.seg, c, y, nd.a.Value.Data, lo, hi)
}

func (t *Tape[T]) segmentSumBackward(nd *node[T]) {
	if nd.a.Grad != nil {
		t.run(jSegSumBwd, nd, numBlocks(nd.seg.Len()), 0)
	}
}

func (t *Tape[T]) segSumBwdBlock(j *tapeJob[T], b int) {
	nd := j.nd
	lo, hi := blockRange(b, nd.seg.Len())
	segSpread(nd.seg, nd.a.Value.Cols, nd.a.Grad, nd.out.Grad, lo, hi)
}

// segSum adds the rows of each segment s in [lo, hi) of x (c columns) to
// row s of y: y += S·x.
func segSum[T Float](seg *Segments, c int, y, x []T, lo, hi int) {
	for s := lo; s < hi; s++ {
		ys := y[s*c : (s+1)*c]
		for p := seg.Start[s]; p < seg.Start[s+1]; p++ {
			r := int(seg.row(p))
			for k, v := range x[r*c : (r+1)*c] {
				ys[k] += v
			}
		}
	}
}

// segSpread adds row s of y to every row of segment s in [lo, hi) of x:
// x += Sᵀ·y.
func segSpread[T Float](seg *Segments, c int, x, y []T, lo, hi int) {
	for s := lo; s < hi; s++ {
		ys := y[s*c : (s+1)*c]
		for p := seg.Start[s]; p < seg.Start[s+1]; p++ {
			r := int(seg.row(p))
			for k, v := range ys {
				x[r*c+k] += v
			}
		}
	}
}
