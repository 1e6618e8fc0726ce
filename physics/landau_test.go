package physics

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// cms draws a standard Landau variable by the Chambers–Mallows–Stuck
// method, an independent check of the quadrature tables.
func cms(r *rand.Rand) float64 {
	v := math.Pi * (r.Float64() - 0.5)
	w := r.ExpFloat64()
	x := 2 / math.Pi * ((math.Pi/2+v)*math.Tan(v) - math.Log((math.Pi/2*w*math.Cos(v))/(math.Pi/2+v)))
	return landauScale*x + landauShift
}

func TestLandauDensity(t *testing.T) {
	// mode and peak height of the Landau density
	best, at := 0.0, 0.0
	for x := -0.5; x < 0.1; x += 0.001 {
		if p := LandauPDF(x); p > best {
			best, at = p, x
		}
	}
	if math.Abs(at-LandauMode) > 0.002 || math.Abs(best-0.18065) > 2e-4 {
		t.Errorf("mode %.4f peak %.5f, want %.5f, 0.18065", at, best, LandauMode)
	}
	// tail: 1 - F(λ) -> 1/λ
	for _, l := range []float64{1e3, 1e4} {
		if got := l * (1 - LandauCDF(l)); math.Abs(got-1) > 0.01 {
			t.Errorf("λ(1-F(λ)) at %g = %.4f, want ≈ 1", l, got)
		}
	}
}

func TestLandauQuantileMatchesCMS(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 200000
	s := make([]float64, n)
	for i := range s {
		s[i] = cms(r)
	}
	sort.Float64s(s)
	for _, q := range []float64{0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 0.99} {
		emp := s[int(q*n)]
		got := LandauQuantile(q)
		// binomial error of the empirical quantile, in λ: sqrt(q(1-q)/n)/φ
		tol := 4*math.Sqrt(q*(1-q)/n)/LandauPDF(got) + 1e-3
		if math.Abs(got-emp) > tol {
			t.Errorf("quantile %.2f: table %.4f, CMS %.4f (tol %.4f)", q, got, emp, tol)
		}
	}
}

func TestLandauTruncatedMean(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, l := range []float64{3, 30, 300} {
		cdf, mean := LandauTruncated(l)
		var sum float64
		const n = 200000
		for i := 0; i < n; i++ {
			sum += SampleLandau(r, cdf)
		}
		got := sum / n
		// sd of λ truncated at l is at most sqrt(l)
		if tol := 4 * math.Sqrt(l/n); math.Abs(got-mean) > tol {
			t.Errorf("L=%g: sampled mean %.4f, table %.4f", l, got, mean)
		}
		if want := LandauCDF(l); math.Abs(cdf-want) > 1e-4 {
			t.Errorf("L=%g: cdf %.6f, quadrature %.6f", l, cdf, want)
		}
	}
}
