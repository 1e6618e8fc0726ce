package lsap_test

import (
	"errors"
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/internal/jsonfile"
	"github.com/pcttrack/pcttrack/lsap"
)

// scipyGolden is testdata/scipy_golden.json, written by
// testdata/gen_golden.py (see testdata/README).
type scipyGolden struct {
	Instances []struct {
		Kind       string
		Rows, Cols int
		Cost       []*float64 // null = +Inf
		Feasible   bool
		Total      float64
	}
	Uniform100 struct {
		Seed               uint64
		First, Last, Total float64
	} `json:"uniform_100"`
	PCTFrame struct {
		Seed   uint64
		Layers []struct {
			Rows, Cols, Allowed int
			CostSum             float64 `json:"cost_sum"`
			Pairs               int
			Cost                float64
		}
	} `json:"pct_frame"`
}

func loadGolden(t *testing.T) *scipyGolden {
	t.Helper()
	g, err := jsonfile.Read[scipyGolden]("lsap", "testdata/scipy_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestScipyGolden compares with scipy's optimal totals and infeasibility
// verdicts on the fixture's random instances.
func TestScipyGolden(t *testing.T) {
	t.Parallel()
	g := loadGolden(t)
	if len(g.Instances) < 200 {
		t.Fatalf("only %d instances in the fixture", len(g.Instances))
	}
	var s lsap.Solver
	var sp lsap.Sparse
	infeasible := 0
	for k, in := range g.Instances {
		c := make([]float64, len(in.Cost))
		for i, x := range in.Cost {
			c[i] = math.Inf(1)
			if x != nil {
				c[i] = *x
			}
		}
		for _, path := range []string{"dense", "sparse"} {
			var res lsap.Result
			var err error
			if path == "dense" {
				res, err = s.Dense(c, in.Rows, in.Cols, nil)
			} else {
				res, err = s.Sparse(sp.FromDense(c, in.Rows, in.Cols), nil)
			}
			if !in.Feasible {
				if !errors.Is(err, lsap.ErrInfeasible) {
					t.Errorf("instance %d (%s %dx%d) %s: err %v, scipy says infeasible", k, in.Kind, in.Rows, in.Cols, path, err)
				}
				infeasible++
				continue
			}
			if err != nil {
				t.Errorf("instance %d (%s %dx%d) %s: %v", k, in.Kind, in.Rows, in.Cols, path, err)
				continue
			}
			if math.Abs(res.Cost-in.Total) > 1e-12*math.Max(1, math.Abs(in.Total)) {
				t.Errorf("instance %d (%s %dx%d) %s: total %v, scipy %v", k, in.Kind, in.Rows, in.Cols, path, res.Cost, in.Total)
			}
		}
	}
	if infeasible == 0 {
		t.Error("the fixture has no infeasible instance")
	}
}

// TestScipyGoldenGenerators checks that gen_test.go and the Python port in
// scipy_bench.py generate the same problems, so the benchmark comparison is
// like for like, and that MaxCardinality matches the paper's solve of the
// pCT frame as scipy computes it.
func TestScipyGoldenGenerators(t *testing.T) {
	t.Parallel()
	g := loadGolden(t)
	u := g.Uniform100
	c := uniformMatrix(u.Seed, 100, 100)
	if c[0] != u.First || c[len(c)-1] != u.Last {
		t.Fatalf("uniform matrix starts %v ends %v, Python %v %v", c[0], c[len(c)-1], u.First, u.Last)
	}
	if _, total, err := lsap.Solve(c, 100, 100); err != nil || math.Abs(total-u.Total) > 1e-12 {
		t.Errorf("uniform 100: total %v (err %v), scipy %v", total, err, u.Total)
	}
	dense, sparse := pctFrame(g.PCTFrame.Seed)
	if len(g.PCTFrame.Layers) != len(dense) {
		t.Fatalf("%d layers, Python %d", len(dense), len(g.PCTFrame.Layers))
	}
	var s lsap.Solver
	for k, want := range g.PCTFrame.Layers {
		rows, cols := pctFrameSize(k)
		sum := 0.0
		for _, x := range sparse[k].Cost {
			sum += x
		}
		if rows != want.Rows || cols != want.Cols || len(sparse[k].Cost) != want.Allowed ||
			math.Abs(sum-want.CostSum) > 1e-12*want.CostSum {
			t.Fatalf("layer %d: %dx%d, %d allowed, cost sum %v; Python %dx%d, %d, %v",
				k, rows, cols, len(sparse[k].Cost), sum, want.Rows, want.Cols, want.Allowed, want.CostSum)
		}
		res, err := s.Dense(dense[k], rows, cols, &lsap.Options{MaxCardinality: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Matched != want.Pairs || math.Abs(res.Cost-want.Cost) > 1e-9 {
			t.Errorf("layer %d: %d pairs, cost %v; scipy paper solve %d, %v", k, res.Matched, res.Cost, want.Pairs, want.Cost)
		}
	}
}
