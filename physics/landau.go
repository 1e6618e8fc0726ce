package physics

import (
	"math"
	"math/rand/v2"
	"sync"
)

// LandauMode is the position of the maximum of the standard Landau
// density φ(λ) = (1/π) ∫ exp(−t ln t − λt) sin(πt) dt.
const LandauMode = -0.22278

// The standard Landau variable λ is the stable law S(α=1, β=1) with scale
// π/2: λ = (π/2) X + ln(π/2), X ~ S1(1, 1, 1, 0). Its density and CDF are
// computed from Nolan's (1997) non-oscillatory integral representation.
const (
	landauScale = math.Pi / 2
	landauShift = 0.4515827052894548 // ln(π/2)
)

// glNodes/glWeights: 16-point Gauss–Legendre on [-1, 1].
var glNodes = [16]float64{
	-0.9894009349916499, -0.9445750230732326, -0.8656312023878318, -0.7554044083550030,
	-0.6178762444026438, -0.4580167776572274, -0.2816035507792589, -0.0950125098376374,
	0.0950125098376374, 0.2816035507792589, 0.4580167776572274, 0.6178762444026438,
	0.7554044083550030, 0.8656312023878318, 0.9445750230732326, 0.9894009349916499,
}
var glWeights = [16]float64{
	0.0271524594117541, 0.0622535239386479, 0.0951585116824928, 0.1246289712555339,
	0.1495959888165767, 0.1691565193950025, 0.1826034150449236, 0.1894506104550685,
	0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767,
	0.1246289712555339, 0.0951585116824928, 0.0622535239386479, 0.0271524594117541,
}

// nolanLnV is ln V(θ; α=1, β=1) = ln[(2/π)(π/2+θ)/cos θ] + (π/2+θ) tan θ,
// increasing from ln(2/(πe)) at θ = −π/2 to +∞ at θ = π/2.
func nolanLnV(th float64) float64 {
	a := math.Pi/2 + th
	return math.Log(2/math.Pi*a/math.Cos(th)) + a*math.Tan(th)
}

// nolanIntegral integrates f(g(θ)) over θ ∈ (−π/2, π/2) with
// g = lc + ln V(θ), splitting the range around the point where g = 0,
// where the integrands change on a scale 1/g'.
func nolanIntegral(lc float64, f func(g float64) float64) float64 {
	lo, hi := -math.Pi/2, math.Pi/2
	// locate g(θ*) = 0 by bisection (g is increasing)
	a, b := lo, hi
	for i := 0; i < 200 && b-a > 1e-15; i++ {
		m := 0.5 * (a + b)
		if lc+nolanLnV(m) < 0 {
			a = m
		} else {
			b = m
		}
	}
	ts := 0.5 * (a + b)
	// width from the slope of g at θ*
	d := 1e-7 * math.Max(1e-3, hi-ts)
	w := d / math.Max(nolanLnV(math.Min(ts+d, hi-1e-300))-nolanLnV(ts), 1e-300)
	w = math.Min(w, 0.1)
	edges := []float64{lo}
	for _, k := range []float64{-64, -16, -4, -1, 0, 1, 4, 16, 64} {
		x := ts + k*w
		if x > edges[len(edges)-1] && x < hi {
			edges = append(edges, x)
		}
	}
	edges = append(edges, hi)
	var s float64
	for i := 0; i+1 < len(edges); i++ {
		c, h := 0.5*(edges[i]+edges[i+1]), 0.5*(edges[i+1]-edges[i])
		for k, x := range glNodes {
			s += glWeights[k] * h * f(lc+nolanLnV(c+h*x))
		}
	}
	return s
}

// LandauCDF returns the distribution function of the standard Landau
// variable at x. It is computed by quadrature (about 150 evaluations of
// exp/tan): use the tables behind LandauQuantile in loops.
func LandauCDF(x float64) float64 {
	xs := (x - landauShift) / landauScale
	return nolanIntegral(-math.Pi*xs/2, func(g float64) float64 { return math.Exp(-math.Exp(g)) }) / math.Pi
}

// LandauPDF returns the standard Landau density at x (see LandauCDF).
func LandauPDF(x float64) float64 {
	xs := (x - landauShift) / landauScale
	return 0.5 * nolanIntegral(-math.Pi*xs/2, func(g float64) float64 { return math.Exp(g - math.Exp(g)) }) / landauScale
}

// landauTab holds the tables for fast sampling and truncation.
type landauTab struct {
	// quantile on u ∈ [0, qCoreU]
	qCore []float64
	// tail: g(s) = s·λ(1−s) on s ∈ [0, qTailS]
	gTail []float64
	// truncation grid: L, F(L), E[λ | λ ≤ L]
	tl, tf, tm []float64
}

const (
	qCoreN = 4096
	qCoreU = 0.95
	qTailN = 2048
	qTailS = 1 - qCoreU
	// LandauMaxLambda bounds the λ the tables cover.
	LandauMaxLambda = 1e5
	landauMinLambda = -4.0
)

var (
	landauOnce sync.Once
	landau     *landauTab
)

func landauTables() *landauTab {
	landauOnce.Do(buildLandau)
	return landau
}

func buildLandau() {
	// λ grid: uniform 0.02 up to 20, then geometric (1 %) up to 1e5.
	var ls []float64
	for l := landauMinLambda; l < 20; l += 0.02 {
		ls = append(ls, l)
	}
	for l := 20.0; l < LandauMaxLambda*1.01; l *= 1.01 {
		ls = append(ls, l)
	}
	n := len(ls)
	f := make([]float64, n)
	p := make([]float64, n)
	for i, l := range ls {
		f[i] = LandauCDF(l)
		p[i] = LandauPDF(l)
	}
	// truncated first moment by trapezoid on λφ, starting from the
	// (negligible, F(−4) ≈ 1e-7) mass below −4 placed at −4.
	m := make([]float64, n)
	acc := f[0] * ls[0]
	m[0] = ls[0]
	for i := 1; i < n; i++ {
		h := ls[i] - ls[i-1]
		acc += 0.5 * h * (ls[i]*p[i] + ls[i-1]*p[i-1])
		m[i] = acc / f[i]
	}
	t := &landauTab{tl: ls, tf: f, tm: m}
	// invert F: monotone interpolation of (F, λ)
	inv := func(u float64) float64 {
		j := searchFloat(f, u)
		if j <= 0 {
			return ls[0]
		}
		if j >= n {
			return ls[n-1]
		}
		w := (u - f[j-1]) / (f[j] - f[j-1])
		return ls[j-1] + w*(ls[j]-ls[j-1])
	}
	t.qCore = make([]float64, qCoreN+1)
	for i := range t.qCore {
		t.qCore[i] = inv(float64(i) * qCoreU / qCoreN)
	}
	t.gTail = make([]float64, qTailN+1)
	t.gTail[0] = 1
	for i := 1; i <= qTailN; i++ {
		s := float64(i) * qTailS / qTailN
		t.gTail[i] = s * inv(1-s)
	}
	landau = t
}

// searchFloat returns the first index i with a[i] >= x (a sorted).
func searchFloat(a []float64, x float64) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if a[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// LandauQuantile returns the standard Landau variable with CDF u, for u
// in [0, 1 − 1e-5] (table lookup; u outside is clamped).
func LandauQuantile(u float64) float64 { return landauTables().quantile(u) }

func (t *landauTab) quantile(u float64) float64 {
	if u < qCoreU {
		if !(u > 0) {
			return t.qCore[0]
		}
		x := u * (qCoreN / qCoreU)
		i := int(x)
		fr := x - float64(i)
		return t.qCore[i] + fr*(t.qCore[i+1]-t.qCore[i])
	}
	s := 1 - u
	if s < 1/LandauMaxLambda {
		s = 1 / LandauMaxLambda
	}
	x := s * (qTailN / qTailS)
	i := int(x)
	if i >= qTailN {
		i = qTailN - 1
	}
	fr := x - float64(i)
	return (t.gTail[i] + fr*(t.gTail[i+1]-t.gTail[i])) / s
}

// LandauTruncated returns, for a truncation point l, the CDF F(l) and the
// mean E[λ | λ ≤ l] of the standard Landau variable (table lookup).
func LandauTruncated(l float64) (cdf, mean float64) {
	t := landauTables()
	j := searchFloat(t.tl, l)
	if j <= 0 {
		return t.tf[0], t.tm[0]
	}
	if j >= len(t.tl) {
		j = len(t.tl) - 1
	}
	w := (l - t.tl[j-1]) / (t.tl[j] - t.tl[j-1])
	return t.tf[j-1] + w*(t.tf[j]-t.tf[j-1]), t.tm[j-1] + w*(t.tm[j]-t.tm[j-1])
}

// SampleLandau draws a standard Landau variable truncated to λ ≤ l by
// sampling u uniformly below F(l) = cdf (from LandauTruncated). One
// uniform draw, no allocation.
func SampleLandau(r *rand.Rand, cdf float64) float64 {
	return landauTables().quantile(r.Float64() * cdf)
}
