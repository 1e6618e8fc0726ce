package lsap_test

import (
	"errors"
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/lsap"
)

// FuzzSolve decodes a problem of up to 7×7 from the input (byte 0: rows,
// byte 1: cols, byte 2: mode bits for options, scale and invalid values,
// then one byte per cost) and requires Dense and Sparse to return either
// an error of the right kind or a matching with a valid optimality
// certificate, equal to brute force.
func FuzzSolve(f *testing.F) {
	for _, seed := range [][]byte{
		{3, 3, 0, 64, 61, 63, 62, 60, 65, 63, 62, 62},
		{2, 2, 0, 61, 255, 62, 255},
		{2, 2, 1, 61, 255, 62, 255},
		{2, 2, 2, 61, 255, 62, 255},
		{4, 4, 0x10, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60},
		{5, 3, 0x23, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		{3, 5, 0x45, 1, 254, 3},
		{3, 5, 0x45, 1, 253, 3},
		{0, 4, 1},
		{4, 0, 0},
		{8, 8, 0x31, 200, 7, 9, 100, 3},
		{6, 7, 0x0e, 99, 98, 97, 96, 95, 210, 220, 230, 240, 250},
	} {
		f.Add(seed)
	}
	scales := [4]float64{1, 1e-12, 1e12, 0.25}
	unmatched := [4][2]float64{{10, 10}, {0, 50}, {math.Inf(1), 5}, {20, math.Inf(1)}}
	var dense, sparse, heap lsap.Solver
	lsap.ForceHeap(&heap)
	var sp lsap.Sparse
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		rows, cols, mode := int(data[0]%8), int(data[1]%8), data[2]
		data = data[3:]
		scale := scales[mode>>4&3]
		invalidOK := mode&0x40 != 0
		c := make([]float64, rows*cols)
		bad := false
		for k := range c {
			b := byte(k * 37)
			if k < len(data) {
				b = data[k]
			}
			switch {
			case b == 254 && invalidOK:
				c[k], bad = math.NaN(), true
			case b == 253 && invalidOK:
				c[k], bad = math.Inf(-1), true
			case b >= 200:
				c[k] = math.Inf(1)
			default:
				c[k] = (float64(b) - 60) * scale
			}
		}
		var opt *lsap.Options
		a, bcol := math.Inf(1), math.Inf(1)
		if rows > cols {
			a = 0
		}
		if cols > rows {
			bcol = 0
		}
		maxCard := false
		switch mode & 3 {
		case 1:
			uc := unmatched[mode>>2&3]
			a, bcol = uc[0]*scale, uc[1]*scale
			opt = &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: a, UnmatchedColCost: bcol}
		case 2:
			opt, maxCard = &lsap.Options{MaxCardinality: true}, true
		}
		want, wantCard, feasible := 0.0, 0, false
		if !bad {
			want, wantCard, feasible = bruteForce(c, rows, cols, a, bcol, maxCard)
		}
		for _, path := range []string{"dense", "sparse", "heap"} {
			var res lsap.Result
			var err error
			var u, v []float64
			switch path {
			case "dense":
				res, err = dense.Dense(c, rows, cols, opt)
				u, v = dense.Duals()
			case "sparse":
				res, err = sparse.Sparse(sp.FromDense(c, rows, cols), opt)
				u, v = sparse.Duals()
			default:
				res, err = heap.Sparse(sp.FromDense(c, rows, cols), opt)
				u, v = heap.Duals()
			}
			switch {
			case bad:
				if !errors.Is(err, lsap.ErrInvalid) {
					t.Fatalf("%s: err %v for costs %v, want ErrInvalid", path, err, c)
				}
				continue
			case !feasible:
				if !errors.Is(err, lsap.ErrInfeasible) {
					t.Fatalf("%s: err %v for infeasible costs %v", path, err, c)
				}
				continue
			case err != nil:
				t.Fatalf("%s: %v for costs %v", path, err, c)
			}
			if msg := verify(c, rows, cols, res, u, v); msg != "" {
				t.Fatalf("%s: %s\ncosts %v\nresult %+v", path, msg, c, res)
			}
			got := objective(res, rows, cols)
			if maxCard {
				got = res.Cost
				if res.Matched != wantCard {
					t.Fatalf("%s: %d pairs, brute force %d, costs %v", path, res.Matched, wantCard, c)
				}
			}
			if math.Abs(got-want) > 1e-9*scale*100 {
				t.Fatalf("%s: objective %v, brute force %v\ncosts %v\nresult %+v", path, got, want, c, res)
			}
		}
	})
}
