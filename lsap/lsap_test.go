package lsap_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/lsap"
)

var inf = math.Inf(1)

// solveBoth solves c with Dense and Sparse (also forced onto its heap
// search) and checks that all agree on feasibility and pass the
// certificate.
func solveBoth(t *testing.T, c []float64, rows, cols int, opt *lsap.Options) (dense, sparse lsap.Result, err error) {
	t.Helper()
	var sd, ss, sh lsap.Solver
	lsap.ForceHeap(&sh)
	p := new(lsap.Sparse).FromDense(c, rows, cols)
	dense, errD := sd.Dense(c, rows, cols, opt)
	sparse, errS := ss.Sparse(p, opt)
	heap, errH := sh.Sparse(p, opt)
	if (errD == nil) != (errS == nil) || (errD == nil) != (errH == nil) {
		t.Fatalf("Dense err %v, Sparse err %v, heap err %v", errD, errS, errH)
	}
	if errD != nil {
		return dense, sparse, errD
	}
	for _, x := range []struct {
		name string
		s    *lsap.Solver
		res  lsap.Result
	}{{"dense", &sd, dense}, {"sparse", &ss, sparse}, {"heap", &sh, heap}} {
		u, v := x.s.Duals()
		if msg := verify(c, rows, cols, x.res, u, v); msg != "" {
			t.Fatalf("%s certificate: %s", x.name, msg)
		}
	}
	return dense, sparse, nil
}

func TestDegenerate(t *testing.T) {
	t.Parallel()
	constant := func(rows, cols int, x float64) []float64 {
		c := make([]float64, rows*cols)
		for k := range c {
			c[k] = x
		}
		return c
	}
	scaled := func(c []float64, s float64) []float64 {
		out := slices.Clone(c)
		for k := range out {
			out[k] *= s
		}
		return out
	}
	example := []float64{4, 1, 3, 2, 0, 5, 3, 2, 2} // scipy's docstring example
	tests := []struct {
		name       string
		cost       []float64
		rows, cols int
		want       []int32 // dense RowToCol; nil to skip
		wantCost   float64
		wantErr    error
		errSubstr  string
	}{
		{"scipy example", example, 3, 3, []int32{1, 0, 2}, 5, nil, ""},
		{"1x1", []float64{7}, 1, 1, []int32{0}, 7, nil, ""},
		{"1x1 forbidden", []float64{inf}, 1, 1, nil, 0, lsap.ErrInfeasible, ""},
		{"0x3", nil, 0, 3, []int32{}, 0, nil, ""},
		{"3x0", nil, 3, 0, []int32{-1, -1, -1}, 0, nil, ""},
		{"0x0", nil, 0, 0, []int32{}, 0, nil, ""},
		{"constant 4x4 is identity", constant(4, 4, 2.5), 4, 4, []int32{0, 1, 2, 3}, 10, nil, ""},
		{"constant 3x5", constant(3, 5, 1), 3, 5, []int32{0, 1, 2}, 3, nil, ""},
		{"constant 5x3", constant(5, 3, 1), 5, 3, []int32{0, 1, 2, -1, -1}, 3, nil, ""},
		{"zero 6x6", constant(6, 6, 0), 6, 6, []int32{0, 1, 2, 3, 4, 5}, 0, nil, ""},
		{"forbidden column", []float64{1, inf, 2, inf}, 2, 2, nil, 0, lsap.ErrInfeasible, "column 1"},
		{"forbidden row", []float64{1, 2, 3, inf, inf, inf, 4, 5, 6}, 3, 3, nil, 0, lsap.ErrInfeasible, "row 1"},
		{"Hall violation", []float64{1, inf, inf, 2, inf, inf, 3, 4, 5}, 3, 3, nil, 0, lsap.ErrInfeasible, ""},
		{"rect forbidden row", []float64{1, 2, 3, inf, inf, inf}, 2, 3, nil, 0, lsap.ErrInfeasible, "row 1"},
		{"tall forbidden column", []float64{1, inf, 2, inf, 3, inf}, 3, 2, nil, 0, lsap.ErrInfeasible, "column 1"},
		{"rect with forbidden", []float64{inf, 1, 5, 2, inf, 1}, 2, 3, []int32{1, 2}, 2, nil, ""},
		{"tiny costs", scaled(example, 1e-12), 3, 3, []int32{1, 0, 2}, 5e-12, nil, ""},
		{"huge costs", scaled(example, 1e12), 3, 3, []int32{1, 0, 2}, 5e12, nil, ""},
		{"mixed magnitudes", []float64{1e12, 1e-12, 1e-12, 1e12}, 2, 2, []int32{1, 0}, 2e-12, nil, ""},
		{"negative", []float64{-1, -5, -3, -2}, 2, 2, []int32{1, 0}, -8, nil, ""},
		{"NaN", []float64{1, math.NaN(), 2, 3}, 2, 2, nil, 0, lsap.ErrInvalid, "NaN"},
		{"-Inf", []float64{1, 2, math.Inf(-1), 3}, 2, 2, nil, 0, lsap.ErrInvalid, "-Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dense, sparse, err := solveBoth(t, tc.cost, tc.rows, tc.cols, nil)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errSubstr) || !strings.HasPrefix(err.Error(), "lsap: ") {
					t.Fatalf("err = %v, want %v containing %q", err, tc.wantErr, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dense.RowToCol, tc.want) || !slices.Equal(sparse.RowToCol, tc.want) {
				t.Errorf("RowToCol dense %v sparse %v, want %v", dense.RowToCol, sparse.RowToCol, tc.want)
			}
			if math.Abs(dense.Cost-tc.wantCost) > 1e-12*math.Abs(tc.wantCost) || dense.Cost != sparse.Cost {
				t.Errorf("cost dense %v sparse %v, want %v", dense.Cost, sparse.Cost, tc.wantCost)
			}
			rowToCol, total, err := lsap.Solve(tc.cost, tc.rows, tc.cols)
			if err != nil || total != dense.Cost || len(rowToCol) != tc.rows {
				t.Errorf("Solve = %v, %v, %v", rowToCol, total, err)
			}
		})
	}
}

func TestUnmatched(t *testing.T) {
	t.Parallel()
	opt := func(a, b float64) *lsap.Options {
		return &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: a, UnmatchedColCost: b}
	}
	tests := []struct {
		name       string
		cost       []float64
		rows, cols int
		opt        *lsap.Options
		want       []int32
		wantCost   float64
		wantErr    error
	}{
		// Pair (i,j) is worth it alone when c_ij < a + b.
		{"all forbidden row", []float64{1, 2, inf, inf}, 2, 2, opt(0.5, 0.5), []int32{0, -1}, 1, nil},
		{"both forbidden", []float64{inf, inf, inf, inf}, 2, 2, opt(1, 1), []int32{-1, -1}, 0, nil},
		{"paper counter-example", []float64{1, inf, 2, inf}, 2, 2, opt(5, 5), []int32{0, -1}, 1, nil},
		{"too expensive", []float64{3, 3, 3, 3}, 2, 2, opt(1, 1), []int32{-1, -1}, 0, nil},
		{"cheap enough", []float64{1.9, 3, 3, 1.9}, 2, 2, opt(1, 1), []int32{0, 1}, 3.8, nil},
		{"fewer but cheaper", []float64{0.9, 0, 0.9, inf}, 2, 2, opt(0.4, 0.4), []int32{1, -1}, 0, nil},
		{"rows must match", []float64{0.9, 0, 0.9, inf}, 2, 2, opt(inf, 0.5), []int32{1, 0}, 0.9, nil},
		{"columns must match", []float64{5, 9, 9, 9, 9, 5}, 3, 2, opt(0, inf), []int32{0, -1, 1}, 10, nil},
		{"columns must match, infeasible", []float64{5, inf, 9, inf}, 2, 2, opt(0, inf), nil, 0, lsap.ErrInfeasible},
		{"both +Inf rectangular", []float64{1, 2}, 1, 2, opt(inf, inf), nil, 0, lsap.ErrInfeasible},
		{"both +Inf square", []float64{1, 2, 2, 1}, 2, 2, opt(inf, inf), []int32{0, 1}, 2, nil},
		{"negative unmatched cost", []float64{0, 0}, 1, 2, opt(-1, 0), []int32{-1}, 0, nil},
		{"empty rows", nil, 0, 3, opt(1, 2), []int32{}, 0, nil},
		{"NaN unmatched cost", []float64{1}, 1, 1, opt(math.NaN(), 0), nil, 0, lsap.ErrInvalid},
		{"-Inf unmatched cost", []float64{1}, 1, 1, opt(0, math.Inf(-1)), nil, 0, lsap.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dense, sparse, err := solveBoth(t, tc.cost, tc.rows, tc.cols, tc.opt)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dense.RowToCol, tc.want) || !slices.Equal(sparse.RowToCol, tc.want) {
				t.Errorf("RowToCol dense %v sparse %v, want %v", dense.RowToCol, sparse.RowToCol, tc.want)
			}
			if dense.Cost != tc.wantCost || sparse.Cost != tc.wantCost {
				t.Errorf("cost dense %v sparse %v, want %v", dense.Cost, sparse.Cost, tc.wantCost)
			}
		})
	}
}

// lapsolverDense emulates the paper's solver (lapsolver.solve_dense): +Inf
// becomes LARGE = 2·min(rows, cols)·max|c| + 1, the full rectangular
// problem is solved and pairs that landed on LARGE are dropped.
func lapsolverDense(t *testing.T, c []float64, rows, cols int) (pairs int, cost float64) {
	t.Helper()
	maxAbs := 0.0
	for _, x := range c {
		if !math.IsInf(x, 1) {
			maxAbs = math.Max(maxAbs, math.Abs(x))
		}
	}
	large := 2*float64(min(rows, cols))*maxAbs + 1
	filled := slices.Clone(c)
	for k, x := range filled {
		if math.IsInf(x, 1) {
			filled[k] = large
		}
	}
	rowToCol, _, err := lsap.Solve(filled, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range rowToCol {
		if j >= 0 && !math.IsInf(c[i*cols+j], 1) {
			pairs++
			cost += c[i*cols+j]
		}
	}
	return pairs, cost
}

// TestPaperCompatible shows that MaxCardinality, and AllowUnmatched with a
// large enough unmatched cost, give what the paper's lapsolver gives on
// pCT-like layer problems: as many pairs as possible, the cheapest such.
func TestPaperCompatible(t *testing.T) {
	t.Parallel()
	var s lsap.Solver
	var sp lsap.Sparse
	for k := range 40 {
		rows, cols := 20+k%7*9, 25+k%5*11
		c := pctProblem(uint64(1000+k), rows, cols)
		wantPairs, wantCost := lapsolverDense(t, c, rows, cols)
		big := float64(rows + cols) // > any cost difference of one more pair
		for name, opt := range map[string]*lsap.Options{
			"maxcard":   {MaxCardinality: true},
			"unmatched": {AllowUnmatched: true, UnmatchedRowCost: big, UnmatchedColCost: big},
		} {
			for _, path := range []string{"dense", "sparse"} {
				var res lsap.Result
				var err error
				if path == "dense" {
					res, err = s.Dense(c, rows, cols, opt)
				} else {
					res, err = s.Sparse(sp.FromDense(c, rows, cols), opt)
				}
				if err != nil {
					t.Fatal(err)
				}
				if res.Matched != wantPairs || math.Abs(res.Cost-wantCost) > 1e-9 {
					t.Errorf("problem %d %s/%s: %d pairs, cost %v; lapsolver %d pairs, cost %v",
						k, name, path, res.Matched, res.Cost, wantPairs, wantCost)
				}
			}
		}
	}
}

func TestSparseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    lsap.Sparse
		want string
	}{
		{"RowStart[0]", lsap.Sparse{Rows: 1, Cols: 2, RowStart: []int32{1, 1}, Col: []int32{0}, Cost: []float64{1}}, "RowStart[0]"},
		{"RowStart end", lsap.Sparse{Rows: 1, Cols: 2, RowStart: []int32{0, 1}, Col: []int32{0, 1}, Cost: []float64{1, 2}}, "len(Col)"},
		{"decreasing", lsap.Sparse{Rows: 2, Cols: 2, RowStart: []int32{0, 2, 1}, Col: []int32{0}, Cost: []float64{1}}, "decreases at row 1"},
		{"decreasing inside", lsap.Sparse{Rows: 3, Cols: 2, RowStart: []int32{0, 2, 1, 2}, Col: []int32{0, 1}, Cost: []float64{1, 1}}, "decreases at row 1"},
		{"column range", lsap.Sparse{Rows: 1, Cols: 2, RowStart: []int32{0, 1}, Col: []int32{2}, Cost: []float64{1}}, "outside"},
		{"negative column", lsap.Sparse{Rows: 1, Cols: 2, RowStart: []int32{0, 1}, Col: []int32{-1}, Cost: []float64{1}}, "outside"},
		{"duplicate", lsap.Sparse{Rows: 1, Cols: 3, RowStart: []int32{0, 3}, Col: []int32{2, 0, 2}, Cost: []float64{1, 1, 1}}, "twice"},
		{"NaN", lsap.Sparse{Rows: 1, Cols: 1, RowStart: []int32{0, 1}, Col: []int32{0}, Cost: []float64{math.NaN()}}, "NaN"},
	}
	var s lsap.Solver
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Sparse(&tc.p, nil)
			if !errors.Is(err, lsap.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
			if u, v := s.Duals(); u != nil || v != nil {
				t.Error("Duals not nil after a failed solve")
			}
		})
	}
	// The zero Sparse is an empty problem.
	if res, err := s.Sparse(&lsap.Sparse{}, nil); err != nil || res.Matched != 0 {
		t.Errorf("zero Sparse: %+v, %v", res, err)
	}
}

func TestPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    func()
	}{
		{"negative rows", func() { new(lsap.Solver).Dense(nil, -1, 0, nil) }},
		{"length", func() { new(lsap.Solver).Dense(make([]float64, 5), 2, 3, nil) }},
		{"RowStart length", func() { new(lsap.Solver).Sparse(&lsap.Sparse{Rows: 2, RowStart: []int32{0}}, nil) }},
		{"Col/Cost length", func() {
			new(lsap.Solver).Sparse(&lsap.Sparse{Rows: 1, Cols: 1, RowStart: []int32{0, 1}, Col: []int32{0}}, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "lsap: ") {
					t.Errorf("recovered %v, want an lsap panic", r)
				}
			}()
			tc.f()
		})
	}
}

// TestDeterministic solves the same tie-heavy problems with fresh and
// reused Solvers, and transposed, and expects identical answers.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	var reused lsap.Solver
	for k := range 50 {
		rows, cols := 1+r.IntN(30), 1+r.IntN(30)
		c := make([]float64, rows*cols)
		for i := range c {
			c[i] = float64(r.IntN(3))
		}
		first, _ := new(lsap.Solver).Dense(c, rows, cols, nil)
		first.RowToCol = slices.Clone(first.RowToCol)
		reused.Dense(uniformMatrix(uint64(k), 40, 40), 40, 40, nil) // dirty the workspace
		again, _ := reused.Dense(c, rows, cols, nil)
		if !slices.Equal(first.RowToCol, again.RowToCol) {
			t.Fatalf("problem %d: %v then %v", k, first.RowToCol, again.RowToCol)
		}
	}
}

// TestSparseInput feeds CSR matrices that list +Inf entries explicitly and
// keep their columns in shuffled order; the answers must match FromDense's
// sorted, +Inf-free form.
func TestSparseInput(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 3))
	var s lsap.Solver
	var ref lsap.Solver
	for k := range 60 {
		rows, cols := 1+r.IntN(12), 1+r.IntN(12)
		c := make([]float64, rows*cols)
		for i := range c {
			c[i] = r.Float64()
			if r.IntN(3) == 0 {
				c[i] = inf
			}
		}
		p := &lsap.Sparse{Rows: rows, Cols: cols, RowStart: []int32{0}}
		for i := range rows {
			for _, j := range r.Perm(cols) {
				if !math.IsInf(c[i*cols+j], 1) || r.IntN(2) == 0 {
					p.Col = append(p.Col, int32(j))
					p.Cost = append(p.Cost, c[i*cols+j])
				}
			}
			p.RowStart = append(p.RowStart, int32(len(p.Col)))
		}
		for _, opt := range []*lsap.Options{nil, {AllowUnmatched: true, UnmatchedRowCost: 0.4, UnmatchedColCost: 0.3}, {MaxCardinality: true}} {
			want, errWant := ref.Sparse(new(lsap.Sparse).FromDense(c, rows, cols), opt)
			got, err := s.Sparse(p, opt)
			if (err == nil) != (errWant == nil) {
				t.Fatalf("problem %d: err %v, FromDense err %v", k, err, errWant)
			}
			if err != nil {
				continue
			}
			u, v := s.Duals()
			if msg := verify(c, rows, cols, got, u, v); msg != "" {
				t.Fatalf("problem %d: %s", k, msg)
			}
			if math.Abs(objective(got, rows, cols)-objective(want, rows, cols)) > 1e-12 {
				t.Fatalf("problem %d: objective %v, FromDense %v", k, objective(got, rows, cols), objective(want, rows, cols))
			}
		}
	}
}

// TestExtremeValues only asks for no panic, no hang and a consistent
// matching (or an error) when sums of costs overflow float64.
func TestExtremeValues(t *testing.T) {
	t.Parallel()
	values := []float64{math.MaxFloat64, -math.MaxFloat64, 1e308, -1e308, 5e-324, 0, inf, 1}
	r := rand.New(rand.NewPCG(4, 4))
	var s lsap.Solver
	var sp lsap.Sparse
	for k := range 300 {
		rows, cols := r.IntN(6), r.IntN(6)
		c := make([]float64, rows*cols)
		for i := range c {
			c[i] = values[r.IntN(len(values))]
		}
		for _, opt := range []*lsap.Options{nil, {AllowUnmatched: true, UnmatchedRowCost: 1e308, UnmatchedColCost: -1e308}, {MaxCardinality: true}} {
			for _, sparse := range []bool{false, true} {
				var res lsap.Result
				var err error
				if sparse {
					res, err = s.Sparse(sp.FromDense(c, rows, cols), opt)
				} else {
					res, err = s.Dense(c, rows, cols, opt)
				}
				if err != nil {
					continue
				}
				for i, j := range res.RowToCol {
					if j != lsap.Unmatched && res.ColToRow[j] != int32(i) {
						t.Fatalf("problem %d: inconsistent matching %v / %v", k, res.RowToCol, res.ColToRow)
					}
				}
			}
		}
	}
}

// TestConcurrentSolvers runs frames in parallel goroutines, one Solver
// each, as end-to-end training does, and expects the serial answers.
func TestConcurrentSolvers(t *testing.T) {
	t.Parallel()
	opt := &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.5, UnmatchedColCost: 0.5}
	const frames = 4
	want := make([][]float64, frames)
	for f := range frames {
		_, sparse := pctFrame(uint64(100 + f))
		var s lsap.Solver
		for _, p := range sparse {
			res, err := s.Sparse(p, opt)
			if err != nil {
				t.Fatal(err)
			}
			want[f] = append(want[f], res.Cost)
		}
	}
	got := make([][]float64, frames)
	done := make(chan int)
	for f := range frames {
		go func() {
			defer func() { done <- f }()
			_, sparse := pctFrame(uint64(100 + f))
			var s lsap.Solver
			for _, p := range sparse {
				res, err := s.Sparse(p, opt)
				if err != nil {
					return
				}
				got[f] = append(got[f], res.Cost)
			}
		}()
	}
	for range frames {
		<-done
	}
	for f := range frames {
		if !slices.Equal(got[f], want[f]) {
			t.Errorf("frame %d: parallel costs %v, serial %v", f, got[f], want[f])
		}
	}
}
