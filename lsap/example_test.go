package lsap_test

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/lsap"
)

func ExampleSolve() {
	cost := []float64{
		4, 1, 3,
		2, 0, 5,
		3, 2, 2,
	}
	rowToCol, total, err := lsap.Solve(cost, 3, 3)
	fmt.Println(rowToCol, total, err)
	// Output: [1 0 2] 5 <nil>
}

// Two layers of hits: rows are the deeper layer, columns the shallower
// one, and only pairs inside the cone are listed. Row 2 has no partner,
// and leaving a row or column unmatched costs 0.5.
func ExampleSolver_Sparse() {
	p := &lsap.Sparse{
		Rows: 3, Cols: 2,
		RowStart: []int32{0, 2, 3, 3},
		Col:      []int32{0, 1, 1},
		Cost:     []float64{0.25, 0.75, 0.5},
	}
	var s lsap.Solver // reuse it for every layer pair of every frame
	res, err := s.Sparse(p, &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.5, UnmatchedColCost: 0.5})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.RowToCol, res.Matched, "pairs, cost", res.Cost)
	fmt.Println("unmatched rows:", p.Rows-res.Matched, "columns:", p.Cols-res.Matched)
	// Output:
	// [0 1 -1] 2 pairs, cost 0.75
	// unmatched rows: 1 columns: 0
}

// MaxCardinality reproduces the paper's lapsolver: as many pairs as the
// allowed ones permit, then the cheapest. Plain Solve reports this matrix
// infeasible.
func ExampleOptions_maxCardinality() {
	inf := math.Inf(1)
	cost := []float64{
		1, inf,
		2, inf,
	}
	var s lsap.Solver
	_, err := s.Dense(cost, 2, 2, nil)
	fmt.Println(err)
	res, _ := s.Dense(cost, 2, 2, &lsap.Options{MaxCardinality: true})
	fmt.Println(res.RowToCol, res.Cost)
	// Output:
	// lsap: column 1 cannot be matched: all its costs are +Inf
	// [0 -1] 1
}
