package lsap_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/lsap"
)

// TestCertificate proves optimality on large random instances, where brute
// force is out of reach: the duals must be feasible and complementary
// slack, which no suboptimal matching can achieve.
func TestCertificate(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	random := func(rows, cols int, gen func() float64) []float64 {
		c := make([]float64, rows*cols)
		for k := range c {
			c[k] = gen()
		}
		return c
	}
	uniform := func() float64 { return r.Float64() }
	integer := func() float64 { return float64(r.IntN(10)) }
	signed := func() float64 { return 2*r.Float64() - 1 }
	sparse := func(p float64, gen func() float64) func() float64 {
		return func() float64 {
			if r.Float64() < p {
				return gen()
			}
			return math.Inf(1)
		}
	}
	withDiagonal := func(c []float64, n, cols int) []float64 { // keeps it feasible
		for i := range n {
			c[i*cols+i] = 10 + r.Float64()
		}
		return c
	}
	unmatched := &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.3, UnmatchedColCost: 0.4}
	tests := []struct {
		name       string
		cost       []float64
		rows, cols int
		opt        *lsap.Options
		wantPairs  int // -1: don't check
	}{
		{"uniform 400", random(400, 400, uniform), 400, 400, nil, 400},
		{"integer 300", random(300, 300, integer), 300, 300, nil, 300},
		{"signed 300", random(300, 300, signed), 300, 300, nil, 300},
		{"uniform 200x500", random(200, 500, uniform), 200, 500, nil, 200},
		{"uniform 500x200", random(500, 200, uniform), 500, 200, nil, 200},
		{"integer 150x400", random(150, 400, integer), 150, 400, nil, 150},
		{"forbidden 300", withDiagonal(random(300, 300, sparse(0.05, uniform)), 300, 300), 300, 300, nil, 300},
		{"forbidden 200x300", withDiagonal(random(200, 300, sparse(0.05, integer)), 200, 300), 200, 300, nil, 200},
		{"unmatched uniform 300x250", random(300, 250, uniform), 300, 250, unmatched, -1},
		{"unmatched sparse 600", random(600, 600, sparse(0.01, signed)), 600, 600, unmatched, -1},
		{"maxcard sparse 500x700", random(500, 700, sparse(0.004, uniform)), 500, 700, &lsap.Options{MaxCardinality: true}, -1},
		{"pct 150x150", pctProblem(3, 150, 150), 150, 150, &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.5, UnmatchedColCost: 0.5}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dense, sparse, err := solveBoth(t, tc.cost, tc.rows, tc.cols, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantPairs >= 0 && dense.Matched != tc.wantPairs {
				t.Errorf("%d pairs, want %d", dense.Matched, tc.wantPairs)
			}
			// Both are proven optimal, so their objectives agree.
			od, os := objective(dense, tc.rows, tc.cols), objective(sparse, tc.rows, tc.cols)
			if math.Abs(od-os) > 1e-9*math.Max(1, math.Abs(od)) {
				t.Errorf("objective dense %v, sparse %v", od, os)
			}
		})
	}
}

// TestPerturbed mimics the blackbox backward pass: costs w + λ·g that may
// be negative or zero, forbidden pairs kept, the same Solver reused.
func TestPerturbed(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 2))
	var s lsap.Solver
	var sp lsap.Sparse
	opt := &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.5, UnmatchedColCost: 0.5}
	for k := range 30 {
		rows, cols := pctFrameSize(k % pctFrameLayers)
		w := pctProblem(uint64(500+k), rows, cols)
		for i, x := range w {
			if !math.IsInf(x, 1) {
				w[i] = x + 50*(r.Float64()-0.5)*0.1 // λ = 50, |g| ≤ 0.05
				if k%3 == 0 {
					w[i] = math.Round(w[i]) // many ties, zeros
				}
			}
		}
		res, err := s.Sparse(sp.FromDense(w, rows, cols), opt)
		if err != nil {
			t.Fatal(err)
		}
		u, v := s.Duals()
		if msg := verify(w, rows, cols, res, u, v); msg != "" {
			t.Fatalf("problem %d: %s", k, msg)
		}
	}
}
