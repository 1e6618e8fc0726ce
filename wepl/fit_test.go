package wepl

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
)

func defaultLayout(t testing.TB) *layout {
	t.Helper()
	lo, err := newLayout(detector.Default())
	if err != nil {
		t.Fatal(err)
	}
	return lo
}

// braggTrack returns the hits (deepest first) of a straight proton along
// z at (x, y) whose range ends at water-equivalent depth r0, with the
// exact Bragg–Kleeman deposits S·(r0 − z)^(1/p − 1) per unit path, times
// noise(i) if not nil.
func braggTrack(lo *layout, r0, s, p float64, noise func(i int) float64) []dataset.TrackHit {
	var hits []dataset.TrackHit
	for l := range lo.depth {
		if lo.depth[l] >= r0 {
			break
		}
		y := s * math.Pow(r0-lo.depth[l], 1/p-1)
		if noise != nil {
			y *= noise(l)
		}
		e := y * lo.thick[l]
		hits = append(hits, dataset.TrackHit{Layer: int32(l), X: 1, Y: -2, Z: float32(lo.planeZ[l]), Edep: float32(e),
			ClusterSize: int32(physics.ClusterSize(e, lo.thick[l]))})
	}
	for i, j := 0, len(hits)-1; i < j; i, j = i+1, j-1 {
		hits[i], hits[j] = hits[j], hits[i]
	}
	for o := range hits {
		hits[o].Order = int32(o)
	}
	return hits
}

func prep(t testing.TB, lo *layout, hits []dataset.TrackHit) *prepared {
	t.Helper()
	var p prepared
	if err := p.prepare(lo, hits, false); err != nil {
		t.Fatal(err)
	}
	return &p
}

// Noise-free deposits on the model curve give back its range, at any
// position between two planes, with the scale fixed or fitted.
func TestFitExact(t *testing.T) {
	lo := defaultLayout(t)
	const s, p = 9.0, 1.79
	for _, l := range []int{4, 10, 25, 40} {
		for _, f := range []float64{0.01, 0.3, 0.77, 0.999} {
			r0 := lo.depth[l] + f*lo.next[l]
			pr := prep(t, lo, braggTrack(lo, r0, s, p, nil))
			if got := pr.fit(sigDeposit, p, s); math.Abs(got.R-r0) > 1e-4 || got.rel2 > 1e-9 {
				t.Errorf("layer %d + %.3f: fixed-scale fit R₀ = %.6f, want %.6f (rel² %g)", l, f, got.R, r0, got.rel2)
			}
			if got := pr.fit(sigDeposit, p, 0); math.Abs(got.R-r0) > 1e-3 || math.Abs(got.S/s-1) > 1e-4 {
				t.Errorf("layer %d + %.3f: free fit R₀ = %.5f S = %.5f, want %.5f, %g", l, f, got.R, got.S, r0, s)
			}
		}
	}
}

// With noisy deposits the fixed-scale fit ends in a minimum of its χ²
// over the bracket, found by the Newton iteration, not only near it.
func TestFitMinimum(t *testing.T) {
	lo := defaultLayout(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const s, p = 9.0, 1.79
	chi2 := func(pr *prepared, r float64) float64 {
		var c float64
		for i := 0; i < min(len(pr.z), FitHits); i++ {
			d := pr.y[sigDeposit][i] - s*math.Pow(r-pr.z[i], 1/p-1)
			c += d * d
		}
		return c
	}
	for k := range 300 {
		r0 := 30 + 250*rng.Float64()
		pr := prep(t, lo, braggTrack(lo, r0, s, p, func(int) float64 { return math.Exp(0.3 * rng.NormFloat64()) }))
		got := pr.fit(sigDeposit, p, s)
		lo, hi := pr.zLast+fitLower*pr.wNext, pr.zLast+pr.wNext
		if got.R < lo || got.R > hi {
			t.Fatalf("track %d: R₀ %v outside its bounds [%v, %v]", k, got.R, lo, hi)
		}
		c := chi2(pr, got.R)
		for j := 0; j <= 400; j++ {
			r := lo + (hi-lo)*float64(j)/400
			if c2 := chi2(pr, r); c2 < c*(1-1e-9)-1e-12 {
				t.Fatalf("track %d: χ²(%.4f) = %g below the fit's χ²(%.4f) = %g", k, r, c2, got.R, c)
			}
		}
	}
}

// Using only the deepest FitHits hits changes the fitted range by little.
func TestFitHits(t *testing.T) {
	lo := defaultLayout(t)
	rng := rand.New(rand.NewPCG(3, 4))
	const s, p = 9.0, 1.79
	var sum float64
	n := 0
	for range 300 {
		r0 := 100 + 200*rng.Float64()
		pr := prep(t, lo, braggTrack(lo, r0, s, p, func(int) float64 { return math.Exp(0.3 * rng.NormFloat64()) }))
		sum += math.Abs(pr.fit(sigDeposit, p, s).R - pr.fitN(sigDeposit, p, s, 1000).R)
		n++
	}
	m := sum / float64(n)
	t.Logf("mean |ΔR₀| %.4f mm", m)
	if m > 0.03 {
		t.Fatalf("mean |ΔR₀| between the deepest %d hits and all hits: %.3f mm", FitHits, m)
	}
}

func TestWaterExponent(t *testing.T) {
	a, p := WaterExponent(230)
	if p < 1.7 || p > 1.85 {
		t.Errorf("p = %v, want near the Bragg–Kleeman 1.75–1.8", p)
	}
	for _, e := range []float64{30, 100, 230} {
		if r, w := a*math.Pow(e, p), physics.Water.Range(e); math.Abs(r/w-1) > 0.05 {
			t.Errorf("αE^p at %g MeV = %.1f mm, water range %.1f mm", e, r, w)
		}
	}
}

func BenchmarkFit(b *testing.B) {
	lo := defaultLayout(b)
	rng := rand.New(rand.NewPCG(5, 6))
	var ps []*prepared
	for range 64 {
		ps = append(ps, prep(b, lo, braggTrack(lo, 100+200*rng.Float64(), 9, 1.79, func(int) float64 { return math.Exp(0.3 * rng.NormFloat64()) })))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ps[i%len(ps)].fit(sigDeposit, 1.79, 9)
	}
}
