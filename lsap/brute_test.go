package lsap_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/lsap"
)

// costKinds generate small test matrices; the integer kinds have many ties.
var costKinds = []struct {
	name string
	gen  func(r *rand.Rand) float64
}{
	{"uniform", func(r *rand.Rand) float64 { return r.Float64() }},
	{"integer", func(r *rand.Rand) float64 { return float64(r.IntN(4)) }},
	{"signed", func(r *rand.Rand) float64 { return 2*r.Float64() - 1 }},
	{"forbidden", func(r *rand.Rand) float64 {
		if r.Float64() < 0.35 {
			return math.Inf(1)
		}
		return r.Float64()
	}},
	{"int-forbidden", func(r *rand.Rand) float64 {
		if r.Float64() < 0.35 {
			return math.Inf(1)
		}
		return float64(r.IntN(3))
	}},
}

// unmatchedCosts are the (row, column) unmatched costs tried with
// AllowUnmatched, in rotation.
var unmatchedCosts = [][2]float64{
	{0.5, 0.5}, {0.3, 0.9}, {0, 0}, {math.Inf(1), 0.4}, {0.4, math.Inf(1)},
	{-0.2, 0.6}, {1, 1.5}, {math.Inf(1), math.Inf(1)},
}

// TestBruteForce compares Dense and Sparse (with its short-list and its
// heap search), in all three modes, with an
// exhaustive enumeration of all matchings for every shape up to 7×7, and
// checks the dual certificate of every solution.
func TestBruteForce(t *testing.T) {
	t.Parallel()
	const maxN = 7
	var dense, sparse, heap lsap.Solver
	lsap.ForceHeap(&heap)
	var sp lsap.Sparse
	r := rand.New(rand.NewPCG(1, 1))
	solved, infeasible := 0, 0
	for rows := 0; rows <= maxN; rows++ {
		for cols := 0; cols <= maxN; cols++ {
			instances := 12
			if rows*cols > 30 {
				instances = 5 // the enumeration grows like 7!·2^7
			}
			for _, kind := range costKinds {
				for inst := range instances {
					c := make([]float64, rows*cols)
					for k := range c {
						c[k] = kind.gen(r)
					}
					uc := unmatchedCosts[inst%len(unmatchedCosts)]
					scipyA, scipyB := 0.0, 0.0
					if rows <= cols {
						scipyA = math.Inf(1)
					}
					if cols <= rows {
						scipyB = math.Inf(1)
					}
					modes := []struct {
						name    string
						opt     *lsap.Options
						a, b    float64
						maxCard bool
					}{
						{"scipy", nil, scipyA, scipyB, false},
						{fmt.Sprintf("unmatched%v", uc), &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: uc[0], UnmatchedColCost: uc[1]}, uc[0], uc[1], false},
						{"maxcard", &lsap.Options{MaxCardinality: true}, 0, 0, true},
					}
					for _, m := range modes {
						want, wantCard, ok := bruteForce(c, rows, cols, m.a, m.b, m.maxCard)
						for _, path := range []string{"dense", "sparse", "heap"} {
							name := fmt.Sprintf("%dx%d/%s/%d/%s/%s", rows, cols, kind.name, inst, m.name, path)
							var res lsap.Result
							var err error
							var u, v []float64
							switch path {
							case "dense":
								res, err = dense.Dense(c, rows, cols, m.opt)
								u, v = dense.Duals()
							case "sparse":
								res, err = sparse.Sparse(sp.FromDense(c, rows, cols), m.opt)
								u, v = sparse.Duals()
							default:
								res, err = heap.Sparse(sp.FromDense(c, rows, cols), m.opt)
								u, v = heap.Duals()
							}
							if !ok {
								if !errors.Is(err, lsap.ErrInfeasible) {
									t.Fatalf("%s: got err %v, want ErrInfeasible\ncost %v", name, err, c)
								}
								infeasible++
								continue
							}
							if err != nil {
								t.Fatalf("%s: %v\ncost %v", name, err, c)
							}
							solved++
							if msg := verify(c, rows, cols, res, u, v); msg != "" {
								t.Fatalf("%s: certificate: %s\ncost %v\nresult %+v", name, msg, c, res)
							}
							got := objective(res, rows, cols)
							if m.maxCard {
								got = res.Cost
								if res.Matched != wantCard {
									t.Fatalf("%s: %d pairs, brute force %d\ncost %v", name, res.Matched, wantCard, c)
								}
							}
							if math.Abs(got-want) > 1e-12 {
								t.Fatalf("%s: objective %v, brute force %v\ncost %v\nresult %+v", name, got, want, c, res)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d solves matched brute force, %d infeasible instances agreed", solved, infeasible)
}
