package lsap_test

import (
	"fmt"
	"testing"

	"github.com/pcttrack/pcttrack/internal/memo"
	"github.com/pcttrack/pcttrack/lsap"
)

// Benchmarks of the families timed for scipy by testdata/scipy_bench.py,
// on the same matrices (gen_test.go). Inputs are built once and cached.

var (
	benchCache memo.Map[string, any]
	benchSink  float64
)

func cached[T any](key string, gen func() T) T {
	v, _ := benchCache.Get(key, func() (any, error) { return gen(), nil })
	return v.(T)
}

// benchDense times Solver.Dense on c, reusing one Solver.
func benchDense(b *testing.B, c []float64, rows, cols int, opt *lsap.Options) {
	var s lsap.Solver
	benchSolve(b, func() (lsap.Result, error) { return s.Dense(c, rows, cols, opt) })
}

func benchSparse(b *testing.B, p *lsap.Sparse, opt *lsap.Options) {
	var s lsap.Solver
	benchSolve(b, func() (lsap.Result, error) { return s.Sparse(p, opt) })
}

// benchSolve times solve after one untimed call that grows the solver's
// scratch.
func benchSolve(b *testing.B, solve func() (lsap.Result, error)) {
	if _, err := solve(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := solve()
		if err != nil {
			b.Fatal(err)
		}
		benchSink += res.Cost
	}
}

func BenchmarkDense(b *testing.B) {
	for _, n := range []int{100, 500, 1000, 2000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			c := cached(fmt.Sprint("uniform", n), func() []float64 { return uniformMatrix(uint64(n), n, n) })
			benchDense(b, c, n, n, nil)
		})
	}
}

func BenchmarkRect(b *testing.B) {
	for _, sz := range [][2]int{{500, 1000}, {1000, 500}} {
		rows, cols := sz[0], sz[1]
		b.Run(fmt.Sprintf("%dx%d", rows, cols), func(b *testing.B) {
			c := cached(fmt.Sprint("uniform", rows, cols), func() []float64 { return uniformMatrix(uint64(rows), rows, cols) })
			benchDense(b, c, rows, cols, nil)
		})
	}
}

// BenchmarkTies times integer costs in [0, k), many ties (floor(k·uniform)).
func BenchmarkTies(b *testing.B) {
	const n = 1000
	for _, k := range []int{10, 100} {
		b.Run(fmt.Sprintf("n=%d-int%d", n, k), func(b *testing.B) {
			c := cached(fmt.Sprint("ties", k), func() []float64 {
				c := uniformMatrix(9, n, n)
				for i := range c {
					c[i] = float64(int(c[i] * float64(k)))
				}
				return c
			})
			benchDense(b, c, n, n, nil)
		})
	}
}

var (
	// builderOpt is how the track builder solves a layer pair: costs
	// 1 − p in (0, 1), unmatched hits allowed.
	builderOpt = &lsap.Options{AllowUnmatched: true, UnmatchedRowCost: 0.5, UnmatchedColCost: 0.5}
	// paperOpt reproduces the paper's lapsolver solve.
	paperOpt = &lsap.Options{MaxCardinality: true}
)

// BenchmarkPCT times one 100×100 layer pair with about 5 % allowed pairs.
func BenchmarkPCT(b *testing.B) {
	const n = 100
	c := cached("pct", func() []float64 { return pctProblem(42, n, n) })
	p := new(lsap.Sparse).FromDense(c, n, n)
	for _, mode := range []struct {
		name string
		opt  *lsap.Options
	}{{"", builderOpt}, {"-paper", paperOpt}} {
		b.Run("dense"+mode.name, func(b *testing.B) { benchDense(b, c, n, n, mode.opt) })
		b.Run("sparse"+mode.name, func(b *testing.B) { benchSparse(b, p, mode.opt) })
	}
}

// BenchmarkPCTFrame times the 27 layer pairs of one frame (145×150 down
// to 32×36, about 5 % allowed) and reports the time per layer pair too.
func BenchmarkPCTFrame(b *testing.B) {
	type frame struct {
		dense  [][]float64
		sparse []*lsap.Sparse
	}
	f := cached("frame", func() frame { d, s := pctFrame(7); return frame{d, s} })
	solve := func(s *lsap.Solver, sparse bool, opt *lsap.Options) error {
		for k := range pctFrameLayers {
			var res lsap.Result
			var err error
			if sparse {
				res, err = s.Sparse(f.sparse[k], opt)
			} else {
				rows, cols := pctFrameSize(k)
				res, err = s.Dense(f.dense[k], rows, cols, opt)
			}
			if err != nil {
				return err
			}
			benchSink += res.Cost
		}
		return nil
	}
	for _, mode := range []struct {
		name   string
		sparse bool
		opt    *lsap.Options
	}{
		{"sparse", true, builderOpt}, {"dense", false, builderOpt},
		{"sparse-paper", true, paperOpt}, {"dense-paper", false, paperOpt},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var s lsap.Solver
			if err := solve(&s, mode.sparse, mode.opt); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := solve(&s, mode.sparse, mode.opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pctFrameLayers), "ns/layer")
		})
	}
}

// randomSparse returns an n×n CSR problem with deg allowed columns per row
// at uniform costs, plus the diagonal, so it is feasible without options.
func randomSparse(seed uint64, n, deg int) *lsap.Sparse {
	r := splitmix{seed}
	p := &lsap.Sparse{Rows: n, Cols: n, RowStart: []int32{0}}
	seen := map[int32]bool{}
	for i := range n {
		clear(seen)
		for k := 0; k <= deg; k++ {
			j := int32(i)
			if k > 0 {
				j = int32(r.float() * float64(n))
			}
			if !seen[j] {
				seen[j] = true
				p.Col = append(p.Col, j)
				p.Cost = append(p.Cost, r.float())
			}
		}
		p.RowStart = append(p.RowStart, int32(len(p.Col)))
	}
	return p
}

// BenchmarkSparse times large random sparse problems, beyond pCT sizes.
func BenchmarkSparse(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		const deg = 8
		p := cached(fmt.Sprint("sparse", n), func() *lsap.Sparse { return randomSparse(uint64(n), n, deg) })
		for _, mode := range []struct {
			name string
			opt  *lsap.Options
		}{{"", nil}, {"-unmatched", builderOpt}} {
			b.Run(fmt.Sprintf("n=%d-deg=%d%s", n, deg, mode.name), func(b *testing.B) { benchSparse(b, p, mode.opt) })
		}
	}
}
