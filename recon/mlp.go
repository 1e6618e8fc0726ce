package recon

import (
	"math"

	"github.com/pcttrack/pcttrack/physics"
)

// Cov2 is the covariance of a transverse state (position t mm, angle θ
// rad) in one projected plane.
type Cov2 struct {
	TT, TA, AA float64 // var(t) mm², cov(t, θ) mm·rad, var(θ) rad²
}

// Drift returns the covariance after a straight drift of d mm.
func (c Cov2) Drift(d float64) Cov2 {
	return Cov2{TT: c.TT + 2*d*c.TA + d*d*c.AA, TA: c.TA + d*c.AA, AA: c.AA}
}

func (c Cov2) add(o Cov2) Cov2 { return Cov2{c.TT + o.TT, c.TA + o.TA, c.AA + o.AA} }

// BeamCov returns the phase-space covariance of a Gaussian pencil beam with
// rms size sigma (mm), rms divergence sigmaTheta (rad) and position–angle
// correlation coefficient rho.
func BeamCov(sigma, sigmaTheta, rho float64) Cov2 {
	return Cov2{TT: sigma * sigma, TA: rho * sigma * sigmaTheta, AA: sigmaTheta * sigmaTheta}
}

// mlpTable holds the scattering-moment integrals of the Schulte MLP for
// protons entering water at one energy, on a uniform depth grid:
// i0 = ∫ f, i1 = ∫ u f, i2 = ∫ u² f from 0 to u, with f(u) = 1/(βcp)² at
// depth u (MeV⁻²), and k = (13.6 MeV)²/X0 · (1 + 0.038 ln(l/X0))² at
// length l (MeV²/mm). The energy–depth relation is the CSDA of package
// physics for water, not Schulte's 200 MeV polynomial.
type mlpTable struct {
	h, inv     float64
	i0, i1, i2 []float64
	k          []float64
	lmax       float64
}

const mlpTableStep = 0.25 // mm

// newMLPTable tabulates the integrals for energy e MeV up to 98 % of the
// water range (beyond it a proton would have stopped).
func newMLPTable(e float64) *mlpTable {
	w := physics.Water
	lmax := 0.98 * w.Range(e)
	n := int(lmax/mlpTableStep) + 2
	t := &mlpTable{h: mlpTableStep, inv: 1 / mlpTableStep, lmax: float64(n-1) * mlpTableStep,
		i0: make([]float64, n), i1: make([]float64, n), i2: make([]float64, n), k: make([]float64, n)}
	f := func(u float64) float64 {
		bcp := physics.BetaCP(w.EnergyAfter(e, u))
		return 1 / (bcp * bcp)
	}
	x0 := w.RadiationLength()
	es2 := physics.HighlandEs * physics.HighlandEs / x0
	// Simpson on each table step
	for j := 1; j < n; j++ {
		a := float64(j-1) * t.h
		m := a + t.h/2
		b := a + t.h
		fa, fm, fb := f(a), f(m), f(b)
		t.i0[j] = t.i0[j-1] + t.h/6*(fa+4*fm+fb)
		t.i1[j] = t.i1[j-1] + t.h/6*(a*fa+4*m*fm+b*fb)
		t.i2[j] = t.i2[j-1] + t.h/6*(a*a*fa+4*m*m*fm+b*b*fb)
	}
	for j := range t.k {
		l := max(float64(j)*t.h, t.h)
		g := 1 + 0.038*math.Log(l/x0)
		t.k[j] = es2 * g * g
	}
	return t
}

// at returns the three integrals at depth u (clamped to the table).
func (t *mlpTable) at(u float64) (a0, a1, a2 float64) {
	x := u * t.inv
	if x <= 0 {
		return 0, 0, 0
	}
	j := int(x)
	if j >= len(t.i0)-1 {
		j = len(t.i0) - 1
		return t.i0[j], t.i1[j], t.i2[j]
	}
	f := x - float64(j)
	return t.i0[j] + f*(t.i0[j+1]-t.i0[j]), t.i1[j] + f*(t.i1[j+1]-t.i1[j]), t.i2[j] + f*(t.i2[j+1]-t.i2[j])
}

func (t *mlpTable) kOf(l float64) float64 {
	x := l * t.inv
	j := int(x)
	if j >= len(t.k)-1 {
		return t.k[len(t.k)-1]
	}
	if j < 0 {
		return t.k[0]
	}
	f := x - float64(j)
	return t.k[j] + f*(t.k[j+1]-t.k[j])
}

// sigmas returns Σ1 (scattering from 0 to u1) and Σ2 (from u1 to u2).
// Highland's log term is that of the whole path u2 for both, not of each
// segment as in Schulte et al. and RTK-PCT: the scattering of a proton
// does not depend on where the path is cut, and the simulator (and the
// PDG for composite paths) use the whole scattering region too. It
// changes the path by a few µm.
func (t *mlpTable) sigmas(u1, u2 float64, i2u2 [3]float64) (s1, s2 Cov2) {
	a0, a1, a2 := t.at(u1)
	k := t.kOf(u2)
	s1 = Cov2{TT: k * (u1*u1*a0 - 2*u1*a1 + a2), TA: k * (u1*a0 - a1), AA: k * a0}
	b0, b1, b2 := i2u2[0]-a0, i2u2[1]-a1, i2u2[2]-a2
	s2 = Cov2{TT: k * (u2*u2*b0 - 2*u2*b1 + b2), TA: k * (u2*b0 - b1), AA: k * b0}
	return s1, s2
}

// mlpAxis is the MLP of one projected plane between depth 0 (the hull
// entry) and u2 (the hull exit), with the entry state y0 = (t0, θ0) known
// to covariance cin and the exit state y2 known to cout (Krah et al. 2018,
// the form of RTK-PCT's SchulteMLPFunction with tracker uncertainties):
// y1 = C2 (C1 + C2)⁻¹ R0 y0 + C1 (C1 + C2)⁻¹ R1⁻¹ y2, with
// C1 = R0 cin R0ᵀ + Σ1 and C2 = R1⁻¹ (Σ2 + cout) R1⁻ᵀ.
type mlpAxis struct {
	t0, a0, t2, a2 float64
	u2             float64
	cin, cout      Cov2
	iu2            [3]float64
}

func (m *mlpAxis) init(tab *mlpTable, u2 float64) {
	m.u2 = u2
	a0, a1, a2 := tab.at(u2)
	m.iu2 = [3]float64{a0, a1, a2}
}

// eval returns the most-likely position and angle at depth u1 and the
// posterior covariance of the position.
func (m *mlpAxis) eval(tab *mlpTable, u1 float64) (t, a, vt float64) {
	s1, s2 := tab.sigmas(u1, m.u2, m.iu2)
	d := m.u2 - u1
	c1 := m.cin.Drift(u1).add(s1)
	c2 := s2.add(m.cout).Drift(-d)
	// M = (C1 + C2)⁻¹
	sTT, sTA, sAA := c1.TT+c2.TT, c1.TA+c2.TA, c1.AA+c2.AA
	det := sTT*sAA - sTA*sTA
	if !(det > 0) {
		// both ends exact and u1 at an end: the state is known there
		if u1 <= 0.5*m.u2 {
			return m.t0 + u1*m.a0, m.a0, 0
		}
		return m.t2 - d*m.a2, m.a2, 0
	}
	iTT, iTA, iAA := sAA/det, -sTA/det, sTT/det
	// p = R0 y0, q = R1⁻¹ y2
	pt, pa := m.t0+u1*m.a0, m.a0
	qt, qa := m.t2-d*m.a2, m.a2
	// y1 = C2 M p + C1 M q = p + C1 M (q − p)  (since C2 M = I − C1 M)
	dt, da := qt-pt, qa-pa
	mt := iTT*dt + iTA*da
	ma := iTA*dt + iAA*da
	t = pt + c1.TT*mt + c1.TA*ma
	a = pa + c1.TA*mt + c1.AA*ma
	// posterior C1 M C2 = C1 − C1 M C1; its position variance
	w1 := iTT*c1.TT + iTA*c1.TA
	w2 := iTA*c1.TT + iAA*c1.TA
	vt = c1.TT - (c1.TT*w1 + c1.TA*w2)
	return t, a, vt
}
