package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func randIdx(rng *rand.Rand, n, rows int) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = int32(rng.IntN(rows))
	}
	return s
}

// both runs f with the assembly on and off and returns the two results.
func both(t *testing.T, f func() []float32) (asm, gen []float32) {
	t.Helper()
	if !hasAsm {
		t.Skip("no assembly kernels on this machine")
	}
	was := SetAsm(true)
	asm = f()
	SetAsm(false)
	gen = f()
	SetAsm(was)
	return asm, gen
}

// close32 reports the largest error of got relative to want, scaled by
// scale (the typical magnitude of the terms summed).
func maxErr(got, want []float32, scale float64) float64 {
	var m float64
	for i := range want {
		d := math.Abs(float64(got[i])-float64(want[i])) / scale
		if d > m || math.IsNaN(d) {
			m = d
		}
	}
	return m
}

func TestMatMulAsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct{ n, k, m int }{
		{1, 1, 16}, {3, 16, 16}, {4, 16, 16}, {7, 144, 16}, {33, 16, 24},
		{10, 24, 8}, {9, 68, 64}, {5, 192, 64}, {6, 16, 1}, {12, 5, 40}, {2, 0, 16},
	} {
		for _, mode := range []string{"bias", "nobias", "acc"} {
			t.Run(fmt.Sprintf("n%d_k%d_m%d_%s", tc.n, tc.k, tc.m, mode), func(t *testing.T) {
				lda, ldb, ldc := tc.k+3, tc.m+5, tc.m+2
				a := randSlice(rng, tc.n*lda)
				b := randSlice(rng, max(tc.k, 1)*ldb)
				bias := randSlice(rng, tc.m)
				c0 := randSlice(rng, tc.n*ldc)
				run := func() []float32 {
					c := append([]float32(nil), c0...)
					switch mode {
					case "bias":
						MatMul(c, ldc, a, lda, b, ldb, bias, tc.n, tc.k, tc.m, false)
					case "nobias":
						MatMul(c, ldc, a, lda, b, ldb, nil, tc.n, tc.k, tc.m, false)
					case "acc":
						MatMul(c, ldc, a, lda, b, ldb, nil, tc.n, tc.k, tc.m, true)
					}
					return c
				}
				x, y := both(t, run)
				if e := maxErr(x, y, math.Sqrt(float64(tc.k+1))); e > 1e-6 {
					t.Fatalf("asm and Go differ by %g", e)
				}
				// Padding between rows must be untouched.
				for i := 0; i < tc.n; i++ {
					for j := tc.m; j < ldc && i*ldc+j < len(x); j++ {
						if x[i*ldc+j] != c0[i*ldc+j] {
							t.Fatalf("wrote outside the matrix at row %d col %d", i, j)
						}
					}
				}
				// And both agree with a float64 reference.
				ref := append([]float32(nil), c0...)
				for i := 0; i < tc.n; i++ {
					for j := 0; j < tc.m; j++ {
						var s float64
						switch mode {
						case "bias":
							s = float64(bias[j])
						case "acc":
							s = float64(c0[i*ldc+j])
						}
						for p := 0; p < tc.k; p++ {
							s += float64(a[i*lda+p]) * float64(b[p*ldb+j])
						}
						ref[i*ldc+j] = float32(s)
					}
				}
				if e := maxErr(x, ref, math.Sqrt(float64(tc.k+1))); e > 4e-6 {
					t.Fatalf("asm differs from float64 by %g", e)
				}
			})
		}
	}
}

func TestMatMulTAAsmMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	for _, tc := range []struct{ n, k, m int }{
		{1, 1, 16}, {5, 16, 16}, {64, 16, 16}, {100, 144, 16}, {31, 24, 8},
		{9, 7, 64}, {50, 13, 24}, {8, 3, 1},
	} {
		t.Run(fmt.Sprintf("n%d_k%d_m%d", tc.n, tc.k, tc.m), func(t *testing.T) {
			lda, ldb, ldc := tc.k+1, tc.m+3, tc.m+7
			a := randSlice(rng, tc.n*lda)
			b := randSlice(rng, tc.n*ldb)
			c0 := randSlice(rng, tc.k*ldc)
			run := func() []float32 {
				c := append([]float32(nil), c0...)
				MatMulTA(c, ldc, a, lda, b, ldb, tc.n, tc.k, tc.m)
				return c
			}
			x, y := both(t, run)
			if e := maxErr(x, y, math.Sqrt(float64(tc.n+1))); e > 1e-6 {
				t.Fatalf("asm and Go differ by %g", e)
			}
			for p := 0; p < tc.k; p++ {
				for j := 0; j < tc.m; j++ {
					s := float64(c0[p*ldc+j])
					for i := 0; i < tc.n; i++ {
						s += float64(a[i*lda+p]) * float64(b[i*ldb+j])
					}
					if d := math.Abs(s-float64(x[p*ldc+j])) / math.Sqrt(float64(tc.n+1)); d > 4e-6 {
						t.Fatalf("c[%d][%d] = %g, float64 says %g", p, j, x[p*ldc+j], s)
					}
				}
			}
		})
	}
}

func TestEdgeKernelsAsmMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	const w, n, rows = 16, 37, 11
	p, q, r := randSlice(rng, rows*w), randSlice(rng, rows*w), randSlice(rng, 5*w)
	c := randSlice(rng, w)
	ip, iq, ir := randIdx(rng, n, rows), randIdx(rng, n, rows), randIdx(rng, n, 5)
	z := randSlice(rng, n*w)
	dy := randSlice(rng, n*w)
	k0, k1 := randSlice(rng, w), randSlice(rng, w)
	seg := make([]int32, n)
	for e := range seg {
		seg[e] = int32(e * rows / n) // sorted segments
	}
	seg[5], seg[20] = 9, 0 // and a few out of order
	cases := []struct {
		name string
		f    func() []float32
	}{
		{"GatherAdd3", func() []float32 {
			d := make([]float32, n*w)
			GatherAdd3(d, p, q, r, c, NewIndex(ip, rows), NewIndex(iq, rows), NewIndex(ir, 5), n, w)
			return d
		}},
		{"LeakyReLU", func() []float32 {
			d := make([]float32, n*w-3) // odd length exercises the tail
			LeakyReLU(d, z[:n*w-3], 0.01)
			return d
		}},
		{"LeakyReLUSums", func() []float32 {
			d := make([]float32, n*w)
			s, s2 := make([]float64, w), make([]float64, w)
			s[0], s2[3] = 1, 2
			LeakyReLUSums(d, z, 0.01, s, s2, n, w)
			for j := range s {
				d = append(d, float32(s[j]), float32(s2[j]))
			}
			return d
		}},
		{"SegMax", func() []float32 {
			agg := make([]float32, rows*w)
			for i := range agg {
				agg[i] = float32(math.Inf(-1))
			}
			agg[3] = 0.5
			arg := make([]int32, rows*w)
			for i := range arg {
				arg[i] = -1
			}
			SegMax(agg, arg, z, NewIndex(seg, rows), 100, n, w)
			for i, a := range arg {
				agg = append(agg, float32(a))
				_ = i
			}
			return agg
		}},
		{"AffineLReLUBack", func() []float32 {
			d := make([]float32, n*w)
			AffineLReLUBack(d, dy, z, k0, k1, 0.01, n, w)
			return d
		}},
		{"AffineLReLUBackNoDy", func() []float32 {
			d := make([]float32, n*w)
			AffineLReLUBack(d, nil, z, k0, k1, 0.01, n, w)
			return d
		}},
		{"ScatterAdd", func() []float32 {
			d := append([]float32(nil), p...)
			ScatterAdd(d, z, NewIndex(ip, rows), n, w)
			return d
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x, y := both(t, tc.f)
			if e := maxErr(x, y, 1); e > 2e-6 {
				t.Fatalf("asm and Go differ by %g", e)
			}
		})
	}
}

func TestKernelSemantics(t *testing.T) {
	// Hand-checked values for the generic path (and the assembly when present).
	for _, asm := range []bool{false, true} {
		if asm && !hasAsm {
			continue
		}
		was := SetAsm(asm)
		// LeakyReLU with slope 0.1 on 16 values: negatives scaled, zero kept.
		src := []float32{-2, -1, 0, 1, 2, 3, -4, 5, -6, 7, 8, -9, 10, 11, -12, 13}
		dst := make([]float32, 16)
		sum, sq := make([]float64, 16), make([]float64, 16)
		LeakyReLUSums(dst, src, 0.1, sum, sq, 1, 16)
		if dst[0] != -0.2 || dst[2] != 0 || dst[3] != 1 || sum[6] != float64(float32(-0.4)) || sq[1] != float64(float32(-0.1))*float64(float32(-0.1)) {
			t.Errorf("asm=%v: LeakyReLUSums gave %v, sums %v, squares %v", asm, dst, sum, sq)
		}
		// SegMax picks the first of equal maxima and reports its row.
		m := make([]float32, 3*16)
		for j := 0; j < 16; j++ {
			m[j], m[16+j], m[32+j] = 1, 3, 3
		}
		agg := make([]float32, 16)
		for i := range agg {
			agg[i] = float32(math.Inf(-1))
		}
		arg := make([]int32, 16)
		SegMax(agg, arg, m, NewIndex([]int32{0, 0, 0}, 1), 10, 3, 16)
		if agg[5] != 3 || arg[5] != 11 {
			t.Errorf("asm=%v: SegMax gave max %v at %v, want 3 at 11", asm, agg[5], arg[5])
		}
		SetAsm(was)
	}
}

func TestIndexOutOfRangePanics(t *testing.T) {
	t.Run("table too small", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic for an index bound past the table")
			}
		}()
		ScatterAdd(make([]float32, 2*16), make([]float32, 16), NewIndex([]int32{1}, 3), 1, 16)
	})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for an index past the end")
		}
	}()
	NewIndex([]int32{2}, 2)
}

func TestKernelsDoNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	a, b, c := randSlice(rng, 64*16), randSlice(rng, 16*16), make([]float32, 64*16)
	allocs := testing.AllocsPerRun(10, func() {
		MatMul(c, 16, a, 16, b, 16, nil, 64, 16, 16, false)
		MatMulTA(b, 16, a, 16, c, 16, 64, 16, 16)
		LeakyReLU(c, c, 0.01)
	})
	if allocs != 0 {
		t.Fatalf("kernels allocate %v times per call", allocs)
	}
}

// benchAsmAndGo runs bench as the sub-benchmarks asm=true (skipped
// without the assembly kernels) and asm=false.
func benchAsmAndGo(b *testing.B, bench func(b *testing.B)) {
	for _, asm := range []bool{true, false} {
		b.Run(fmt.Sprintf("asm=%v", asm), func(b *testing.B) {
			if asm && !hasAsm {
				b.Skip("no assembly")
			}
			was := SetAsm(asm)
			defer SetAsm(was)
			bench(b)
		})
	}
}

func BenchmarkMatMul16(b *testing.B) {
	benchAsmAndGo(b, func(b *testing.B) {
		rng := rand.New(rand.NewPCG(5, 1))
		const n = 4096
		x, w, y := randSlice(rng, n*16), randSlice(rng, 16*16), make([]float32, n*16)
		b.ReportAllocs()
		b.SetBytes(n * 16 * 4 * 2)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			MatMul(y, 16, x, 16, w, 16, nil, n, 16, 16, false)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	})
}

func BenchmarkMatMulTA16(b *testing.B) {
	benchAsmAndGo(b, func(b *testing.B) {
		rng := rand.New(rand.NewPCG(6, 1))
		const n = 4096
		x, dy, dw := randSlice(rng, n*16), randSlice(rng, n*16), make([]float32, 16*16)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			MatMulTA(dw, 16, x, 16, dy, 16, n, 16, 16)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
	})
}

func TestColumnKernelsAsmMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, w := range []int{8, 16, 24, 64, 11} {
		const n = 13
		x, y, dy := randSlice(rng, n*w), randSlice(rng, n*w), randSlice(rng, n*w)
		a, b, c := randSlice(rng, w), randSlice(rng, w), randSlice(rng, w)
		cases := []struct {
			name string
			f    func() []float32
		}{
			{"AffineCols", func() []float32 {
				d := make([]float32, n*w)
				AffineCols(d, x, a, b, n, w)
				return d
			}},
			{"ColSums", func() []float32 {
				s, s2 := make([]float64, w), make([]float64, w)
				s[0] = 3
				ColSums(s, s2, x, n, w)
				ColSums(s2, nil, y, n, w)
				out := make([]float32, 0, 2*w)
				for j := range s {
					out = append(out, float32(s[j]), float32(s2[j]))
				}
				return out
			}},
			{"ColDot", func() []float32 {
				s := make([]float64, w)
				s[1] = -1
				ColDot(s, x, y, n, w)
				out := make([]float32, w)
				for j := range s {
					out[j] = float32(s[j])
				}
				return out
			}},
			{"Affine2Acc", func() []float32 {
				d := append([]float32(nil), y...)
				Affine2Acc(d, dy, x, a, b, c, n, w)
				return d
			}},
			{"LeakyReLUBackAcc", func() []float32 {
				d := append([]float32(nil), y...)
				LeakyReLUBackAcc(d, dy, x, 0.01)
				return d
			}},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/w%d", tc.name, w), func(t *testing.T) {
				g, h := both(t, tc.f)
				if e := maxErr(g, h, 4); e > 2e-6 {
					t.Fatalf("asm and Go differ by %g", e)
				}
			})
		}
	}
}

func BenchmarkSegMax16(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 1))
	const n, deg = 8192, 33
	m := randSlice(rng, n*16)
	seg := make([]int32, n)
	for e := range seg {
		seg[e] = int32(e / deg)
	}
	rows := n/deg + 1
	agg, arg := make([]float32, rows*16), make([]int32, rows*16)
	ix := NewIndex(seg, rows)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		SegMax(agg, arg, m, ix, 0, n, 16)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}
