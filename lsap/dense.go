package lsap

import (
	"math"

	"github.com/pcttrack/pcttrack/internal/scratch"
)

// Dense solves the rows×cols problem with the row-major cost matrix cost
// (cost[i*cols+j] pairs row i with column j; +Inf forbids the pair) under
// opt; nil opt means scipy's semantics.
//
// Errors wrap ErrInvalid for a NaN or -Inf cost or unmatched cost, naming
// the entry, and ErrInfeasible, naming the row or column, when the required
// pairs cannot all be formed from allowed pairs. Ties are broken
// deterministically: the result depends only on the input, searches prefer
// a free column to a matched one and then the lower column index, and a
// constant square matrix gives the identity, as in scipy.
//
// Square problems that must be fully matched start with the
// Jonker–Volgenant column reduction and a bounded auction (augmenting row
// reduction); every other row is added by one shortest augmenting path
// search, O(rows·cols) at worst, so O(n³) in all; uniform random costs take
// far less (see the benchmarks). Dense does not allocate once the Solver's
// workspace has grown. When the internal rows must be the caller's columns
// (rows > cols without options or with MaxCardinality, or an infinite
// UnmatchedColCost) it solves a transposed copy kept in the workspace.
// It panics if rows or cols is negative or len(cost) != rows·cols.
func (s *Solver) Dense(cost []float64, rows, cols int, opt *Options) (Result, error) {
	if rows < 0 || cols < 0 {
		panic("lsap: negative matrix size")
	}
	if rows > math.MaxInt32 || cols > math.MaxInt32 {
		panic("lsap: matrix dimension exceeds MaxInt32")
	}
	if (rows != 0 && cols > math.MaxInt/rows) || len(cost) != rows*cols {
		panic("lsap: len(cost) != rows*cols")
	}
	s.ok = false
	p, err := makePlan(rows, cols, opt)
	if err != nil {
		return Result{}, err
	}
	for k, c := range cost {
		if !(c > math.Inf(-1)) { // NaN or -Inf
			return Result{}, errorf(ErrInvalid, "cost[%d][%d] is %v", k/cols, k%cols, c)
		}
	}
	if p.maxCard {
		cmin, cmax := inf, math.Inf(-1)
		for _, c := range cost {
			if c < inf {
				cmin, cmax = math.Min(cmin, c), math.Max(cmax, c)
			}
		}
		if p.a, err = maxCardCost(cmin, cmax, min(rows, cols)); err != nil {
			return Result{}, err
		}
	}

	nr, nc, c := rows, cols, cost
	if p.transpose {
		nr, nc = cols, rows
		s.ct = scratch.Grow(s.ct, len(cost))
		transpose(s.ct, cost, rows, cols)
		c = s.ct
	}
	s.reset(nr, nc, p.transpose, p.b)
	if p.jv {
		if err := s.jv(c, nr); err != nil {
			return Result{}, err
		}
	} else {
		for i := 0; i < nr; i++ {
			if !s.denseRow(c, nc, p.a, i) {
				return Result{}, s.infeasibleRow(i)
			}
		}
	}
	r := s.result(&p)
	for i, j := range r.RowToCol {
		if j >= 0 {
			r.Cost += cost[i*cols+int(j)]
		}
	}
	return r, nil
}

// transpose writes the cols×rows transpose of the rows×cols matrix src into
// dst.
func transpose(dst, src []float64, rows, cols int) {
	const blk = 32 // cache blocking
	for i0 := 0; i0 < rows; i0 += blk {
		i1 := min(i0+blk, rows)
		for j0 := 0; j0 < cols; j0 += blk {
			j1 := min(j0+blk, cols)
			for i := i0; i < i1; i++ {
				row := src[i*cols : i*cols+cols]
				for j := j0; j < j1; j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}

// better reports whether column j wins a tie of distances against column k:
// free before matched, then the lower index.
func better(y []int32, j, k int32) bool {
	fj, fk := y[j] < 0, y[k] < 0
	if fj != fk {
		return fj
	}
	return j < k
}

// denseRow adds internal row i to the solution by one shortest augmenting
// path search over the dense matrix c with nc columns; a is the cost of
// leaving a row unmatched (+Inf: rows must be matched). It reports false if
// row i cannot be matched and a is +Inf.
//
// Distances are shifted by row i's unknown dual: the search starts with
// d_j = c_ij − v_j and u_i = 0, and row i's own termination candidate is a.
// Every other arc has a reduced cost c_kj − u_k − v_j ≥ 0, so the search is
// Dijkstra's; it ends at the first free column or, when cheaper, by
// unmatching a scanned row k (candidate d_k + a − u_k).
func (s *Solver) denseRow(c []float64, nc int, a float64, i int) bool {
	u, x, y := s.u, s.x, s.y
	u[i] = 0
	if nc == 0 {
		if a == inf {
			return false
		}
		u[i] = a
		return true
	}
	row := c[i*nc : i*nc+nc : i*nc+nc]
	v := s.v[:len(row)]
	d := s.d[:len(row)]
	pred := s.pred[:len(row)]
	cols := s.cols[:len(row)]
	i32 := int32(i)

	// First scan: every column, in order, which also resets cols.
	lowest := row[0] - v[0]
	d[0], pred[0], cols[0] = lowest, i32, 0
	tmin := 0
	for j := 1; j < len(row); j++ {
		r := row[j] - v[j]
		d[j], pred[j], cols[j] = r, i32, int32(j)
		if r <= lowest && (r < lowest || (y[j] < 0 && y[tmin] >= 0)) {
			lowest, tmin = r, j
		}
	}

	best, bestRow := a, i32 // cheapest way found to end by unmatching a row
	lo := 0                 // cols[:lo] are scanned
	sink := int32(-1)
	for {
		if lowest == inf && best == inf {
			return false
		}
		if lowest > best || (lowest == best && y[cols[tmin]] >= 0) {
			break // unmatch bestRow
		}
		j := cols[tmin]
		cols[tmin], cols[lo] = cols[lo], j
		lo++
		k := y[j]
		if k < 0 {
			sink = j
			break
		}
		dj := d[j]
		if cand := dj + a - u[k]; cand < best {
			best, bestRow = cand, k
		}
		if lo == len(cols) {
			lowest = inf
			continue
		}
		h := dj - u[k]
		rowk := c[int(k)*nc : int(k)*nc+nc : int(k)*nc+nc]
		// The tie rule of better, with the current best's index and
		// freedom kept in registers.
		tmin, lowest = lo, inf
		jbest := cols[lo]
		bestFree := y[jbest] < 0
		for t := lo; t < len(cols); t++ {
			jj := cols[t]
			r := h + rowk[jj] - v[jj]
			dd := d[jj]
			if r < dd {
				d[jj], pred[jj] = r, k
				dd = r
			}
			if dd <= lowest {
				free := y[jj] < 0
				if dd < lowest || (free && !bestFree) || (free == bestFree && jj < jbest) {
					lowest, tmin, jbest, bestFree = dd, t, jj, free
				}
			}
		}
	}

	// Dual update: scanned columns and their rows move by D − d.
	dist := best
	if sink >= 0 {
		dist = d[sink]
	}
	for _, j := range cols[:lo] {
		delta := dist - d[j]
		v[j] -= delta
		if k := y[j]; k >= 0 {
			u[k] += delta
		}
	}
	u[i] += dist

	switch {
	case sink >= 0:
		augment(x, y, pred, sink, i32)
	case bestRow != i32:
		j := x[bestRow]
		x[bestRow] = Unmatched
		augment(x, y, pred, j, i32)
	default:
		x[i] = Unmatched
	}
	return true
}

// augment flips the alternating path that ends with column j (free, or just
// released by its row) back to the search root i along pred.
func augment(x, y, pred []int32, j, i int32) {
	for {
		k := pred[j]
		y[j] = k
		prev := x[k]
		x[k] = j
		if k == i {
			return
		}
		j = prev
	}
}
