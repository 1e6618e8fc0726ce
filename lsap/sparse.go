package lsap

import (
	"math"

	"github.com/pcttrack/pcttrack/internal/scratch"
)

// Sparse is a cost matrix in compressed sparse row (CSR) form that lists
// only the allowed pairs: row i may be paired with the columns
// Col[RowStart[i]:RowStart[i+1]] at the costs Cost[RowStart[i]:RowStart[i+1]].
// Columns within a row may come in any order but must not repeat. Absent
// pairs, and pairs with cost +Inf, are forbidden.
type Sparse struct {
	Rows, Cols int
	// RowStart has Rows+1 entries: 0, then nondecreasing, ending with
	// len(Col). It may be empty when Rows is 0.
	RowStart []int32
	Col      []int32
	Cost     []float64
}

// FromDense sets p to the allowed (non +Inf) entries of the dense rows×cols
// row-major matrix cost, reusing p's slices, and returns p. It allocates
// only when p's slices are too short, and panics if rows or cols is
// negative or len(cost) != rows·cols.
func (p *Sparse) FromDense(cost []float64, rows, cols int) *Sparse {
	if rows < 0 || cols < 0 || rows > math.MaxInt32 || cols > math.MaxInt32 {
		panic("lsap: bad matrix size")
	}
	if (rows != 0 && cols > math.MaxInt/rows) || len(cost) != rows*cols {
		panic("lsap: len(cost) != rows*cols")
	}
	p.Rows, p.Cols = rows, cols
	p.RowStart = append(p.RowStart[:0], 0)
	p.Col, p.Cost = p.Col[:0], p.Cost[:0]
	for i := 0; i < rows; i++ {
		for j, c := range cost[i*cols : i*cols+cols] {
			if c != inf {
				p.Col = append(p.Col, int32(j))
				p.Cost = append(p.Cost, c)
			}
		}
		if len(p.Col) > math.MaxInt32 {
			panic("lsap: more than MaxInt32 allowed pairs")
		}
		p.RowStart = append(p.RowStart, int32(len(p.Col)))
	}
	return p
}

// Sparse solves the problem p under opt; nil opt means scipy's semantics.
// It searches only the allowed pairs and never builds a dense matrix.
//
// Errors wrap ErrInvalid for a malformed p (RowStart not starting at 0,
// decreasing or not ending at len(Col); a column out of range or repeated
// within a row) or a NaN or -Inf cost, naming the entry, and ErrInfeasible,
// naming the row or column, when the required pairs cannot all be formed.
// Ties are broken as in Dense, though Dense and Sparse may return different
// optimal matchings when several exist.
//
// Each row is added by a Dijkstra search over the allowed pairs reachable
// from it, O(E log n) for E allowed pairs, so O(n·E log n) in all; most
// rows of pCT-like problems are settled by one scan of their own pairs.
// Sparse does not allocate once the Solver's workspace has grown; it copies
// p only to drop explicit +Inf entries or to transpose it (in the same
// cases as Dense). It panics if Rows or Cols is negative, len(RowStart) is
// not Rows+1 or len(Col) != len(Cost).
func (s *Solver) Sparse(p *Sparse, opt *Options) (Result, error) {
	rows, cols := p.Rows, p.Cols
	if rows < 0 || cols < 0 || rows > math.MaxInt32 || cols > math.MaxInt32 {
		panic("lsap: bad matrix size")
	}
	rowStart := p.RowStart
	if len(rowStart) == 0 && rows == 0 {
		rowStart = []int32{0}
	}
	if len(rowStart) != rows+1 {
		panic("lsap: len(RowStart) != Rows+1")
	}
	if len(p.Col) != len(p.Cost) {
		panic("lsap: len(Col) != len(Cost)")
	}
	s.ok = false
	pl, err := makePlan(rows, cols, opt)
	if err != nil {
		return Result{}, err
	}
	hasInf, cmin, cmax, err := s.checkSparse(p, rowStart)
	if err != nil {
		return Result{}, err
	}
	if pl.maxCard {
		if pl.a, err = maxCardCost(cmin, cmax, min(rows, cols)); err != nil {
			return Result{}, err
		}
	}

	nr, nc := rows, cols
	rs, cl, cc := rowStart, p.Col, p.Cost
	switch {
	case pl.transpose:
		nr, nc = cols, rows
		rs, cl, cc = s.transposeCSR(rowStart, p.Col, p.Cost, rows, cols)
	case hasInf:
		rs, cl, cc = s.compactCSR(rowStart, p.Col, p.Cost)
	}
	s.reset(nr, nc, pl.transpose, pl.b)
	s.predArc = scratch.Grow(s.predArc, nc)
	s.xArc = scratch.Grow(s.xArc, nr)
	s.popped = scratch.Grow(s.popped, nc)[:0]
	s.heap.h = scratch.Grow(s.heap.h, nc)[:0]
	s.heap.pos = scratch.Grow(s.heap.pos, nc)
	s.heap.d, s.heap.y = s.d, s.y
	for i := 0; i < nr; i++ {
		if !s.sparseRow(rs, cl, cc, pl.a, i) {
			return Result{}, s.infeasibleRow(i)
		}
	}
	r := s.result(&pl)
	for i, j := range r.RowToCol {
		if j < 0 {
			continue
		}
		k := i // internal row
		if s.transposed {
			k = int(j)
		}
		r.Cost += cc[s.xArc[k]]
	}
	return r, nil
}

// checkSparse validates p and reports whether it has +Inf costs and the
// range of its finite costs.
func (s *Solver) checkSparse(p *Sparse, rowStart []int32) (hasInf bool, cmin, cmax float64, err error) {
	if rowStart[0] != 0 {
		return false, 0, 0, errorf(ErrInvalid, "sparse RowStart[0] is %d, want 0", rowStart[0])
	}
	if int(rowStart[p.Rows]) != len(p.Col) {
		return false, 0, 0, errorf(ErrInvalid, "sparse RowStart[%d] is %d, want len(Col) = %d", p.Rows, rowStart[p.Rows], len(p.Col))
	}
	for i := 0; i < p.Rows; i++ {
		if lo, hi := rowStart[i], rowStart[i+1]; hi < lo {
			return false, 0, 0, errorf(ErrInvalid, "sparse RowStart decreases at row %d (%d > %d)", i, lo, hi)
		}
	}
	s.mark = scratch.Grow(s.mark, max(p.Rows, p.Cols))
	cmin, cmax = inf, math.Inf(-1)
	for i := 0; i < p.Rows; i++ {
		lo, hi := rowStart[i], rowStart[i+1]
		ep := s.nextEpoch()
		for e := lo; e < hi; e++ {
			j, c := p.Col[e], p.Cost[e]
			if j < 0 || int(j) >= p.Cols {
				return false, 0, 0, errorf(ErrInvalid, "sparse row %d has column %d outside [0, %d)", i, j, p.Cols)
			}
			if s.mark[j] == ep {
				return false, 0, 0, errorf(ErrInvalid, "sparse row %d lists column %d twice", i, j)
			}
			s.mark[j] = ep
			switch {
			case !(c > math.Inf(-1)):
				return false, 0, 0, errorf(ErrInvalid, "sparse cost of row %d, column %d is %v", i, j, c)
			case c == inf:
				hasInf = true
			default:
				cmin, cmax = min(cmin, c), max(cmax, c)
			}
		}
	}
	return hasInf, cmin, cmax, nil
}

// nextEpoch returns a fresh stamp for s.mark.
func (s *Solver) nextEpoch() uint32 {
	s.epoch++
	if s.epoch == 0 {
		clear(s.mark[:cap(s.mark)])
		s.epoch = 1
	}
	return s.epoch
}

// transposeCSR stores the transpose of the rows×cols CSR matrix, without
// its +Inf entries, in the workspace. Rows of the transpose list their
// columns in increasing order.
func (s *Solver) transposeCSR(rowStart, col []int32, cost []float64, rows, cols int) ([]int32, []int32, []float64) {
	rs := scratch.Grow(s.rs, cols+1)
	clear(rs)
	n := 0
	for e, j := range col {
		if cost[e] != inf {
			rs[j+1]++
			n++
		}
	}
	for j := 0; j < cols; j++ {
		rs[j+1] += rs[j]
	}
	cl, cc := scratch.Grow(s.cl, n), scratch.Grow(s.cc, n)
	for i := 0; i < rows; i++ {
		for e := rowStart[i]; e < rowStart[i+1]; e++ {
			if c := cost[e]; c != inf {
				j := col[e]
				cl[rs[j]], cc[rs[j]] = int32(i), c
				rs[j]++
			}
		}
	}
	copy(rs[1:], rs[:cols])
	rs[0] = 0
	s.rs, s.cl, s.cc = rs, cl, cc
	return rs, cl, cc
}

// compactCSR stores the CSR matrix without its +Inf entries in the
// workspace.
func (s *Solver) compactCSR(rowStart, col []int32, cost []float64) ([]int32, []int32, []float64) {
	rs, cl, cc := scratch.Grow(s.rs, len(rowStart)), s.cl[:0], s.cc[:0]
	rs[0] = 0
	for i := 0; i+1 < len(rowStart); i++ {
		for e := rowStart[i]; e < rowStart[i+1]; e++ {
			if cost[e] != inf {
				cl, cc = append(cl, col[e]), append(cc, cost[e])
			}
		}
		rs[i+1] = int32(len(cl))
	}
	s.rs, s.cl, s.cc = rs, cl, cc
	return rs, cl, cc
}

// sparseRow is denseRow over the allowed arcs rs, cl, cc (no +Inf): the
// search visits only arcs of scanned rows. A row whose cheapest arc leads
// to a free column (or whose unmatched cost is cheaper than any arc) is
// settled by that first scan, without a search.
func (s *Solver) sparseRow(rs, cl []int32, cc []float64, a float64, i int) bool {
	u, v, x, y, d := s.u, s.v, s.x, s.y, s.d
	i32 := int32(i)
	u[i] = 0
	lo, hi := rs[i], rs[i+1]
	lowest, jmin, emin := inf, int32(-1), int32(-1)
	for e := lo; e < hi; e++ {
		j := cl[e]
		r := cc[e] - v[j]
		if r < lowest || (r == lowest && jmin >= 0 && better(y, j, jmin)) {
			lowest, jmin, emin = r, j, e
		}
	}
	switch {
	case jmin < 0 && a == inf:
		return false
	case jmin < 0 || lowest > a || (lowest == a && y[jmin] >= 0):
		x[i], u[i] = Unmatched, a
		return true
	case y[jmin] < 0:
		x[i], y[jmin], s.xArc[i], u[i] = jmin, i32, emin, lowest
		return true
	}

	// Labeled, unscanned columns live in q.h: an unordered list while
	// short (a linear minimum search beats heap upkeep for the handful of
	// columns of a pCT layer), a binary heap once longer than listMax.
	ep := s.nextEpoch()
	mark, pred, predArc, q := s.mark, s.pred, s.predArc, &s.heap
	pos := q.pos
	q.h = q.h[:0]
	isHeap := false
	popped := s.popped[:0]
	for e := lo; e < hi; e++ {
		j := cl[e]
		mark[j], d[j], pred[j], predArc[j] = ep, cc[e]-v[j], i32, e
		pos[j] = int32(len(q.h))
		q.h = append(q.h, j)
	}
	best, bestRow, sink := a, i32, int32(-1)
	for {
		if (len(q.h) > listMax || s.forceHeap) && !isHeap {
			q.heapify()
			isHeap = true
		}
		if len(q.h) == 0 {
			if best == inf {
				s.popped = popped
				return false
			}
			break
		}
		t, j := 0, q.h[0]
		dj := d[j]
		if !isHeap {
			for tt := 1; tt < len(q.h); tt++ {
				jj := q.h[tt]
				if dd := d[jj]; dd < dj || (dd == dj && better(y, jj, j)) {
					t, j, dj = tt, jj, dd
				}
			}
		}
		if dj > best || (dj == best && y[j] >= 0) {
			break
		}
		if isHeap {
			q.pop()
		} else {
			last := q.h[len(q.h)-1]
			q.h[t], pos[last] = last, int32(t)
			q.h = q.h[:len(q.h)-1]
			pos[j] = -1
		}
		popped = append(popped, j)
		k := y[j]
		if k < 0 {
			sink = j
			break
		}
		if cand := dj + a - u[k]; cand < best {
			best, bestRow = cand, k
		}
		h := dj - u[k]
		for e := rs[k]; e < rs[k+1]; e++ {
			jj := cl[e]
			r := h + cc[e] - v[jj]
			if mark[jj] != ep {
				mark[jj], d[jj], pred[jj], predArc[jj] = ep, r, k, e
				if isHeap {
					q.push(jj)
				} else {
					pos[jj] = int32(len(q.h))
					q.h = append(q.h, jj)
				}
			} else if p := pos[jj]; p >= 0 && r < d[jj] {
				d[jj], pred[jj], predArc[jj] = r, k, e
				if isHeap {
					q.up(int(p))
				}
			}
		}
	}
	s.popped = popped

	dist := best
	if sink >= 0 {
		dist = d[sink]
	}
	for _, j := range popped {
		delta := dist - d[j]
		v[j] -= delta
		if k := y[j]; k >= 0 {
			u[k] += delta
		}
	}
	u[i] += dist

	j := sink
	switch {
	case sink >= 0:
	case bestRow != i32:
		j = x[bestRow]
		x[bestRow] = Unmatched
	default:
		x[i] = Unmatched
		return true
	}
	for {
		k := pred[j]
		y[j] = k
		prev := x[k]
		x[k], s.xArc[k] = j, predArc[j]
		if k == i32 {
			return true
		}
		j = prev
	}
}

// colHeap holds sparseRow's labeled columns: a list, or a binary min-heap
// keyed by (d, free first, index) with each column's position for
// decrease-key.
type colHeap struct {
	h   []int32
	pos []int32 // valid for columns pushed in the current search; −1 once popped
	d   []float64
	y   []int32
}

func (q *colHeap) less(a, b int32) bool {
	if da, db := q.d[a], q.d[b]; da != db {
		return da < db
	}
	return better(q.y, a, b)
}

func (q *colHeap) push(j int32) {
	q.h = append(q.h, j)
	q.up(len(q.h) - 1)
}

// up moves the entry at position i towards the root.
func (q *colHeap) up(i int) {
	h, j := q.h, q.h[i]
	for i > 0 {
		p := (i - 1) / 2
		pj := h[p]
		if !q.less(j, pj) {
			break
		}
		h[i], q.pos[pj] = pj, int32(i)
		i = p
	}
	h[i], q.pos[j] = j, int32(i)
}

// listMax is the longest label list sparseRow scans linearly.
const listMax = 64

// heapify orders q.h as a heap and records every position.
func (q *colHeap) heapify() {
	for i, j := range q.h {
		q.pos[j] = int32(i)
	}
	for i := len(q.h)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

// pop removes the minimum (h[0]).
func (q *colHeap) pop() {
	h := q.h
	q.pos[h[0]] = -1
	n := len(h) - 1
	last := h[n]
	q.h = h[:n]
	if n > 0 {
		q.h[0] = last
		q.down(0)
	}
}

// down moves the entry at position i towards the leaves.
func (q *colHeap) down(i int) {
	h := q.h
	n := len(h)
	j := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && q.less(h[c+1], h[c]) {
			c++
		}
		if !q.less(h[c], j) {
			break
		}
		h[i], q.pos[h[c]] = h[c], int32(i)
		i = c
	}
	h[i], q.pos[j] = j, int32(i)
}
