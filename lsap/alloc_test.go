package lsap_test

import (
	"testing"

	"github.com/pcttrack/pcttrack/lsap"
)

// TestNoAllocs guards the hot-loop claim: a reused Solver allocates
// nothing per solve, on every path.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	uni := uniformMatrix(5, 120, 120)
	rect := uniformMatrix(6, 60, 90)
	pct := pctProblem(7, 100, 110)
	_, frame := pctFrame(8)
	unmatched := &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.5, UnmatchedColCost: 0.5}
	paper := &lsap.Options{MaxCardinality: true}
	var s, heap lsap.Solver
	lsap.ForceHeap(&heap)
	var sp, tall, withInf lsap.Sparse
	sp.FromDense(pct, 100, 110)
	tall.FromDense(pctProblem(8, 110, 100), 110, 100)
	withInf = lsap.Sparse{Rows: 2, Cols: 2, RowStart: []int32{0, 2, 4}, Col: []int32{0, 1, 1, 0}, Cost: []float64{1, inf, 2, 3}}
	tests := []struct {
		name string
		f    func() error
	}{
		{"dense square", func() error { _, err := s.Dense(uni, 120, 120, nil); return err }},
		{"dense wide", func() error { _, err := s.Dense(rect, 60, 90, nil); return err }},
		{"dense tall", func() error { _, err := s.Dense(rect, 90, 60, nil); return err }},
		{"dense unmatched", func() error { _, err := s.Dense(pct, 100, 110, unmatched); return err }},
		{"sparse unmatched", func() error { _, err := s.Sparse(&sp, unmatched); return err }},
		{"sparse paper", func() error { _, err := s.Sparse(&sp, paper); return err }},
		{"sparse heap", func() error { _, err := heap.Sparse(&sp, unmatched); return err }},
		{"sparse tall transposed", func() error { _, err := s.Sparse(&tall, paper); return err }},
		{"sparse explicit +Inf", func() error { _, err := s.Sparse(&withInf, nil); return err }},
		{"sparse frame", func() error {
			for _, p := range frame {
				if _, err := s.Sparse(p, unmatched); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tc := range tests {
		if err := tc.f(); err != nil { // grows the workspace
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() { tc.f() }); n != 0 {
			t.Errorf("%s: %v allocations per solve, want 0", tc.name, n)
		}
	}
}
