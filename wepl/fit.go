package wepl

import (
	"math"

	"github.com/pcttrack/pcttrack/physics"
)

// The differentiated Bragg–Kleeman rule: a proton with residual range r
// (water-equivalent mm) loses energy at a rate ∝ r^(1/p − 1), R = αE^p the
// range–energy relation of water. The toolkit fits f(z) = S·(R₀ − z)^(1/p−1)
// to the per-layer dE/dx at the layers' water-equivalent depths z with S
// fixed, R₀ bounded between the deepest hit's plane and the next plane,
// and unit weights (downstream-reference §1.3).

// fitResult is one range fit.
type fitResult struct {
	R       float64 // fitted R₀
	S       float64 // scale (fixed, or fitted when free)
	rel2    float64 // Σ((yᵢ − fᵢ)/fᵢ)² / (n − 1); NaN for one point
	atBound bool    // R₀ at the upper bound
}

// Golden-section search after a coarse scan: the χ² of one track has a
// few local minima at most (a noisy point near the end), and the scan
// finds the best basin.
const (
	fitScan  = 8
	fitIters = 28
	fitLower = 1e-3 // lower bound of u = R₀ − zLast as a fraction of the next layer's WET
	// FitHits is the number of deepest hits the fixed-scale fit uses. A
	// hit at water-equivalent distance d before the end constrains R₀
	// with weight ∝ d^(2/p − 4) ≈ d^−2.9, so hits beyond the deepest ten
	// (80 mm and more) move R₀ by 0.015 mm on average for a 30 % signal
	// spread (TestFitHits) while costing most of the time.
	FitHits = 10
)

// fit fits signal s of p with exponent pw (1/pw − 1 the power) and scale
// S; S <= 0 fits S too (linear least squares for each R₀), on all hits,
// since the shallow ones fix S. With S fixed only the deepest FitHits
// hits are used (nHits overrides that when positive).
func (p *prepared) fit(s int, pw, S float64) fitResult { return p.fitN(s, pw, S, 0) }

func (p *prepared) fitN(s int, pw, S float64, nHits int) fitResult {
	n := len(p.z)
	if S > 0 {
		if nHits <= 0 {
			nHits = FitHits
		}
		n = min(n, nHits)
	}
	z, y := p.z[:n], p.y[s][:n]
	q := 1/pw - 1
	var syy float64
	for _, v := range y {
		syy += v * v
	}
	// g = (u + zLast − z)^q by exp and log: math.Pow's special cases
	// cost half its time and cannot occur (the base is positive)
	chi2 := func(u float64) (float64, float64) {
		var syg, sgg float64
		for i, zi := range z {
			g := math.Exp(q * math.Log(u+p.zLast-zi))
			syg += y[i] * g
			sgg += g * g
		}
		if S > 0 {
			return syy - 2*S*syg + S*S*sgg, S
		}
		if sgg == 0 {
			return syy, 0
		}
		return syy - syg*syg/sgg, syg / sgg
	}
	lo, hi := fitLower*p.wNext, p.wNext
	// scan on a grid dense near the plane, where f changes fastest
	at := func(k int) float64 {
		f := float64(k) / fitScan
		return lo + (hi-lo)*f*f
	}
	best, bk := math.Inf(1), fitScan
	for k := 0; k <= fitScan; k++ {
		if c, _ := chi2(at(k)); c < best {
			best, bk = c, k
		}
	}
	a, b := at(max(bk-1, 0)), at(min(bk+1, fitScan))
	var u float64
	if S > 0 {
		u = p.newton(z, y, q, S, a, b, at(bk))
	} else {
		u = golden(func(u float64) float64 { c, _ := chi2(u); return c }, a, b)
	}
	c, sc := chi2(u)
	if bu := at(bk); c > best {
		u = bu
		_, sc = chi2(u)
	}
	r := fitResult{R: p.zLast + u, S: sc, atBound: u > hi-1e-6*(hi-lo), rel2: math.NaN()}
	if n > 1 && sc > 0 {
		var s2 float64
		for i, zi := range z {
			f := sc * math.Exp(q*math.Log(u+p.zLast-zi))
			d := (y[i] - f) / f
			s2 += d * d
		}
		r.rel2 = s2 / float64(n-1)
	}
	return r
}

// golden minimises f on [a, b] by golden-section search (fitIters steps).
func golden(f func(float64) float64, a, b float64) float64 {
	const g = 0.6180339887498949
	x1, x2 := b-g*(b-a), a+g*(b-a)
	f1, f2 := f(x1), f(x2)
	for range fitIters {
		if f1 < f2 {
			b, x2, f2 = x2, x1, f1
			x1 = b - g*(b-a)
			f1 = f(x1)
		} else {
			a, x1, f1 = x1, x2, f2
			x2 = a + g*(b-a)
			f2 = f(x2)
		}
	}
	return 0.5 * (a + b)
}

// newton finds the minimum of χ²(u) = Σ(yᵢ − S·gᵢ)², gᵢ = (u + zLast −
// zᵢ)^q, in [a, b] from u0: Newton steps on dχ²/du, with bisection of the
// bracket whenever a step leaves it or χ² is not convex there.
func (p *prepared) newton(z, y []float64, q, S, a, b, u0 float64) float64 {
	d := func(u float64) (d1, d2 float64) {
		for i, zi := range z {
			x := u + p.zLast - zi
			g := math.Exp(q * math.Log(x))
			g1 := q * g / x
			g2 := (q - 1) * g1 / x
			r := y[i] - S*g
			d1 -= r * g1
			d2 += S*g1*g1 - r*g2
		}
		return d1, d2 // of χ²/(2S)
	}
	u := u0
	d1a, _ := d(a)
	d1b, _ := d(b)
	if d1a >= 0 && d1b >= 0 {
		return a // increasing over the bracket
	}
	if d1a <= 0 && d1b <= 0 {
		return b
	}
	for range 30 {
		d1, d2 := d(u)
		if d1 < 0 {
			a = u
		} else {
			b = u
		}
		next := u - d1/d2
		if !(d2 > 0) || !(next > a && next < b) {
			next = 0.5 * (a + b)
		}
		if math.Abs(next-u) < 1e-6 {
			return next
		}
		u = next
	}
	return u
}

// WaterExponent fits the Bragg–Kleeman rule R = αE^p to the CSDA range of
// water (physics.Water) between 10 and maxE MeV, by least squares in log R
// over log-spaced energies, and returns α (mm·MeV^−p) and p.
func WaterExponent(maxE float64) (alpha, p float64) {
	const n = 64
	var sx, sy, sxx, sxy float64
	lo, hi := math.Log(10), math.Log(maxE)
	for i := range n {
		x := lo + (hi-lo)*float64(i)/(n-1)
		y := math.Log(physics.Water.Range(math.Exp(x)))
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	p = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	alpha = math.Exp((sy - p*sx) / n)
	return alpha, p
}
