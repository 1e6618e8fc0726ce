package lsap

import (
	"errors"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/internal/scratch"
)

// Unmatched is the value of RowToCol and ColToRow for a row or column
// without a partner.
const Unmatched = -1

// ErrInfeasible is wrapped by the error returned when the required pairs
// cannot be formed from the allowed (finite-cost) pairs, e.g. a row whose
// costs are all +Inf without Options.AllowUnmatched.
var ErrInfeasible = errors.New("lsap: infeasible assignment")

// ErrInvalid is wrapped by the error returned for bad input data: a NaN or
// -Inf cost, a NaN or -Inf unmatched cost, or a malformed Sparse matrix.
var ErrInvalid = errors.New("lsap: invalid input")

// lsapError carries a full message and a sentinel for errors.Is.
type lsapError struct {
	msg  string
	kind error
}

func (e *lsapError) Error() string { return e.msg }
func (e *lsapError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &lsapError{msg: "lsap: " + fmt.Sprintf(format, args...), kind: kind}
}

// Options selects what a solve may leave unmatched. A nil *Options and the
// zero value both mean scipy's semantics: min(rows, cols) pairs, so every
// row (if rows ≤ cols) or every column (if rows ≥ cols) must be matched.
//
// AllowUnmatched is the rectangular problem extended with one private dummy
// column per row, at cost UnmatchedRowCost, and one private dummy row per
// column, at cost UnmatchedColCost, where a dummy row and a dummy column may
// be paired for free. Only the dummy–dummy pairs that transpose an allowed
// pair are needed (any matching extends to a complete one through them), so
// the extension stays as sparse as the problem. The solver never builds it:
// a search may also end by unmatching a row, and columns start with dual
// v = UnmatchedColCost. Its LP dual is u_i + v_j ≤ c_ij for allowed pairs,
// u_i ≤ UnmatchedRowCost and v_j ≤ UnmatchedColCost, with equality on
// matched pairs, unmatched rows and unmatched columns (see Solver.Duals).
// Without options the same holds with an infinite cost for the side that
// must be matched and 0 for the other.
type Options struct {
	// AllowUnmatched lets any row and any column stay unmatched. The
	// solver then minimises
	//
	//	sum of matched costs + UnmatchedRowCost·(unmatched rows)
	//	                     + UnmatchedColCost·(unmatched columns),
	//
	// so a lone pair is worth matching when its cost is below
	// UnmatchedRowCost + UnmatchedColCost, and the problem is always
	// feasible when both costs are finite. See the package comment for
	// the equivalent rectangular problem.
	AllowUnmatched bool
	// UnmatchedRowCost is the cost of each unmatched row when
	// AllowUnmatched is set; 0 means unmatched rows are free, +Inf means
	// every row must be matched. It may be negative; NaN and -Inf are
	// errors.
	UnmatchedRowCost float64
	// UnmatchedColCost is the same for columns.
	UnmatchedColCost float64
	// MaxCardinality gives the paper's (lapsolver's) behaviour: the largest
	// possible number of pairs among the allowed ones, and among those
	// matchings the cheapest. It overrides the three fields above. It is
	// implemented as AllowUnmatched with cost K for each unmatched row of
	// the smaller side (0 for the larger side), where
	// K = 2·(max(cmax, 0) + min(rows, cols)·(cmax − cmin)) + 1 over the
	// finite costs, so that one more pair always beats any cost saving.
	MaxCardinality bool
}

// Result is the solution of one problem. Its slices belong to the Solver
// that returned it and stay valid until that Solver's next call.
type Result struct {
	// RowToCol[i] is the column matched to row i, or Unmatched;
	// len(RowToCol) = rows.
	RowToCol []int32
	// ColToRow[j] is the row matched to column j, or Unmatched;
	// len(ColToRow) = cols.
	ColToRow []int32
	// Cost is the sum of the costs of the matched pairs, added in row
	// order; it excludes the costs of unmatched rows and columns.
	Cost float64
	// Matched is the number of pairs: rows − Matched rows and
	// cols − Matched columns are unmatched.
	Matched int
	// RowUnmatchedCost and ColUnmatchedCost are the per-row and per-column
	// costs of staying unmatched in the problem actually solved: +Inf for
	// a side that had to be fully matched, 0 for the larger side of a
	// rectangular problem without options, K for MaxCardinality. With the
	// duals they form the optimality certificate (see Solver.Duals).
	RowUnmatchedCost, ColUnmatchedCost float64
}

// Solve solves the dense rows×cols row-major cost matrix with scipy's
// semantics and returns each row's column (Unmatched for the rows left over
// when rows > cols) and the total cost. It allocates a Solver and the
// result; use a Solver to solve many problems without allocating.
// It panics if rows or cols is negative or len(cost) != rows·cols; see
// Solver.Dense for errors and complexity.
func Solve(cost []float64, rows, cols int) (rowToCol []int, total float64, err error) {
	var s Solver
	res, err := s.Dense(cost, rows, cols, nil)
	if err != nil {
		return nil, 0, err
	}
	rowToCol = make([]int, rows)
	for i, j := range res.RowToCol {
		rowToCol[i] = int(j)
	}
	return rowToCol, res.Cost, nil
}

// Solver solves assignment problems in a reusable workspace. The zero value
// is ready to use. A Solver is not safe for concurrent use.
//
// Each row is added by one Dijkstra search on reduced costs
// c_ij − u_i − v_j ≥ 0, which ends at a free column or, with unmatched
// costs, by unmatching a row; the duals of the scanned rows and columns are
// then shifted so that they stay feasible and tight. Rectangular problems
// are solved with the side that must be matched as rows. Square dense
// problems first assign most rows with the Jonker–Volgenant column
// reduction and a bounded auction; sparse searches visit only allowed pairs
// and keep their frontier in a short list, or a binary heap once it grows.
type Solver struct {
	// Internal orientation: nr rows, nc columns (the user's problem,
	// possibly transposed).
	nr, nc     int
	transposed bool
	ok         bool // the last call succeeded: duals are valid

	u, v []float64 // duals
	x, y []int32   // row→col, col→row
	d    []float64 // Dijkstra distances per column
	pred []int32   // Dijkstra predecessor row per column
	cols []int32   // dense: column permutation [scanned | todo]
	free []int32   // dense JV: free rows

	// sparse search
	predArc   []int32 // arc that reached each column
	xArc      []int32 // arc of each matched row
	mark      []uint32
	epoch     uint32
	heap      colHeap
	popped    []int32
	forceHeap bool // tests: always use the heap in sparse searches

	// copies: transposed dense matrix, transposed or compacted CSR
	ct     []float64
	rs, cl []int32
	cc     []float64
}

// Duals returns the dual potentials of the last successful solve: u has one
// entry per row and v one per column, in the caller's orientation. With
// a = Result.RowUnmatchedCost and b = Result.ColUnmatchedCost they satisfy,
// up to rounding, u_i + v_j ≤ c_ij for every allowed pair, u_i ≤ a,
// v_j ≤ b, with equality for matched pairs, unmatched rows and unmatched
// columns; this proves the result optimal. Both are nil after a failed
// solve. The slices belong to the Solver and are valid until its next call.
func (s *Solver) Duals() (u, v []float64) {
	if !s.ok {
		return nil, nil
	}
	u, v = s.u[:s.nr], s.v[:s.nc]
	if s.transposed {
		u, v = v, u
	}
	return u, v
}

// plan is the internal form of a problem's options: the unmatched costs of
// internal rows (a) and columns (b), and whether to transpose.
type plan struct {
	a, b      float64 // internal row / column unmatched cost
	transpose bool
	jv        bool // square, fully matched: dense JV initialisation
	maxCard   bool
}

var inf = math.Inf(1)

// makePlan chooses the orientation and unmatched costs; it does not look at
// the costs (MaxCardinality's K is filled in later).
func makePlan(rows, cols int, opt *Options) (plan, error) {
	var p plan
	switch {
	case opt != nil && opt.MaxCardinality:
		p.maxCard = true
		p.transpose = rows > cols
		p.b = 0
	case opt != nil && opt.AllowUnmatched:
		a, b := opt.UnmatchedRowCost, opt.UnmatchedColCost
		if !(a > math.Inf(-1)) || !(b > math.Inf(-1)) {
			return p, errorf(ErrInvalid, "unmatched costs (row %v, column %v) must not be NaN or -Inf", a, b)
		}
		switch {
		case a == inf && b == inf:
			if rows != cols {
				return p, errorf(ErrInfeasible, "every row and column must be matched (both unmatched costs +Inf) but the matrix is %d×%d", rows, cols)
			}
			return scipyPlan(rows, cols), nil
		case b == inf:
			// The internal column side must have a finite cost.
			p.transpose, p.a, p.b = true, b, a
		default:
			p.a, p.b = a, b
		}
	default:
		return scipyPlan(rows, cols), nil
	}
	return p, nil
}

func scipyPlan(rows, cols int) plan {
	return plan{a: inf, b: 0, transpose: rows > cols, jv: rows == cols}
}

// maxCardCost returns MaxCardinality's unmatched cost K for finite costs in
// [cmin, cmax] and n = min(rows, cols).
func maxCardCost(cmin, cmax float64, n int) (float64, error) {
	if cmin > cmax { // no finite cost
		return 1, nil
	}
	k := 2*(math.Max(cmax, 0)+float64(n)*(cmax-cmin)) + 1
	if math.IsInf(k, 0) {
		return 0, errorf(ErrInvalid, "cost range [%g, %g] too wide for MaxCardinality", cmin, cmax)
	}
	return k, nil
}

// result builds the Result in the caller's orientation (Cost is set by the
// caller) and marks the solve successful.
func (s *Solver) result(p *plan) Result {
	s.ok = true
	matched := 0
	for _, j := range s.x[:s.nr] {
		if j >= 0 {
			matched++
		}
	}
	r := Result{RowToCol: s.x[:s.nr], ColToRow: s.y[:s.nc], Matched: matched}
	r.RowUnmatchedCost, r.ColUnmatchedCost = p.a, p.b
	if p.jv {
		r.ColUnmatchedCost = inf
	}
	if s.transposed {
		r.RowToCol, r.ColToRow = r.ColToRow, r.RowToCol
		r.RowUnmatchedCost, r.ColUnmatchedCost = r.ColUnmatchedCost, r.RowUnmatchedCost
	}
	return r
}

// infeasibleRow reports that internal row i could not be matched.
func (s *Solver) infeasibleRow(i int) error {
	side := "row"
	if s.transposed {
		side = "column"
	}
	return errorf(ErrInfeasible, "%s %d cannot be matched: no complete matching over the allowed (finite-cost) pairs", side, i)
}

// reset sizes the shared state for an nr×nc internal problem: no pairs,
// u = 0 and v = b.
func (s *Solver) reset(nr, nc int, transposed bool, b float64) {
	s.nr, s.nc, s.transposed, s.ok = nr, nc, transposed, false
	s.u = scratch.Grow(s.u, nr)
	s.v = scratch.Grow(s.v, nc)
	s.x = scratch.Grow(s.x, nr)
	s.y = scratch.Grow(s.y, nc)
	s.d = scratch.Grow(s.d, nc)
	s.pred = scratch.Grow(s.pred, nc)
	s.cols = scratch.Grow(s.cols, nc)
	for i := range s.u {
		s.u[i] = 0
		s.x[i] = Unmatched
	}
	for j := range s.v {
		s.v[j] = b
		s.y[j] = Unmatched
	}
}

// grow returns s resized to n, reallocating only when its capacity is short.
