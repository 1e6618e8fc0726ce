package physics

import (
	"math"
	"math/rand/v2"
)

// Elastic Coulomb scattering beyond Highland's Gaussian: the screened
// Rutherford (Wentzel) cross section with Molière's screening angle, as in
// Geant4's WentzelVI model, sampled as a mixed simulation. Deflections
// below a cut angle θc are many and small and add up to a Gaussian of
// known variance; those above θc are few and are drawn one by one from the
// Rutherford tail (with a nuclear form factor), which makes the single-
// scattering tail that Highland's Gaussian lacks. With the cut a fixed
// multiple of the region's χc the sum is Molière's distribution to within
// the Gaussian approximation of the soft part (whose excess kurtosis is
// about 1/(ν·b²) ≈ 1 % for ν = 1 hard deflection per region).
//
// Notation (Molière, Bethe): χc² = 4π e⁴ N t Z(Z+1)/(pβ)² is the angle
// above which one expects one deflection in thickness t, χa the screening
// angle; a thickness t holds χc²/θ² deflections above θ ≫ χa.

// Physical constants of the Coulomb scattering model.
const (
	// coulombK0 is 4π e⁴ N_A in MeV² cm²/mol (e² = 1.439964548 MeV fm).
	coulombK0 = 0.1569139
	// screenP is ħc/(0.885 a0) in MeV: the Thomas–Fermi screening
	// momentum, a·p = screenP·Z^(1/3)·√(1.13 + 3.76 (αZ/β)²).
	screenP = 197.3269804 / (0.885 * 52917.72109)
	// FineStructure is α.
	FineStructure = 1 / 137.035999
	// hbarC is ħc in MeV fm.
	hbarC = 197.3269804
)

// Coulomb holds a material's constants of elastic Coulomb scattering.
type Coulomb struct {
	// K is χc²·(pβ)² per mm of path, MeV²/mm: 4π e⁴ Σ n_i Z_i(Z_i+1).
	K float64
	// Nuclear is the share of χc² due to the nuclei, Σ n Z² / Σ n Z(Z+1);
	// the rest is scattering on atomic electrons, which cannot deflect a
	// proton by more than about 2 m_e/M.
	Nuclear float64
	// R2 is the Z²-weighted mean square charge radius of the nuclei, fm²
	// ((1.2 A^(1/3) fm)² · 3/5, a uniform sphere).
	R2 float64
}

// Coulomb returns the material's elastic Coulomb scattering constants.
func (m *Material) Coulomb() Coulomb { return m.tables().coul }

func (m *Material) coulomb() Coulomb {
	var k, kn, r2 float64
	for _, el := range m.Elements {
		n := el.W / el.A
		z := float64(el.Z)
		k += n * z * (z + 1)
		kn += n * z * z
		r := 1.2 * math.Cbrt(el.A)
		r2 += n * z * z * 0.6 * r * r
	}
	c := Coulomb{K: coulombK0 * m.Density * k / 10}
	if k > 0 {
		c.Nuclear = kn / k
		c.R2 = r2 / kn
	}
	return c
}

// screeningLog returns ln(χa²p²) of the material at energy e, p in MeV:
// Molière's screening angle per element, combined as Bethe prescribes for
// compounds (weights n Z(Z+1)).
func (m *Material) screeningLog(e float64) float64 {
	b2 := Beta2(e)
	var s, w float64
	for _, el := range m.Elements {
		z := float64(el.Z)
		wi := el.W / el.A * z * (z + 1)
		az := FineStructure * z
		s += wi * (2*math.Log(screenP) + 2*math.Log(z)/3 + math.Log(1.13+3.76*az*az/b2))
		w += wi
	}
	if w == 0 {
		return 0
	}
	return s / w
}

// coulombTables fills the per-energy parts of the soft variance (see
// Table.SoftScatter): a = −ln β² − ln(χa²p²) − 1 and b = ln(2 m_e T_max)
// − ln(χa²p²) − 1, on the table's energy grid.
func (m *Material) coulombTables(t *Table) {
	n := len(t.rng)
	t.coul = m.coulomb()
	t.soft = make([]softPar, n)
	for i := range n {
		e := math.Max(float64(i)*tabDE, 0.05)
		la := m.screeningLog(e)
		pb := BetaCP(e)
		t.soft[i] = softPar{a: -math.Log(Beta2(e)) - la - 1, b: math.Log(2*ElectronMass*TMax(e)) - la - 1, ipb2: 1 / (pb * pb)}
	}
}

// softPar are the per-energy parts of SoftScatter, side by side for one
// cache line per lookup.
type softPar struct{ a, b, ipb2 float64 }

// Coulomb is Material.Coulomb.
func (t *Table) Coulomb() Coulomb { return t.coul }

// CoulombMix describes the materials of a composite layer for
// SoftScatterMix: Σ K·t (MeV²), the nuclear share of it, and the
// K-weighted offsets of the other materials' energy-dependent logs from
// those of the table it is used with (at 150 MeV; they vary little with
// energy).
type CoulombMix struct {
	KT, Nuclear, DA, DB float64
}

// Mix returns the CoulombMix of layers of the given materials and
// thicknesses (mm) for use with t.SoftScatterMix.
func (t *Table) Mix(ms []*Material, thick []float64) CoulombMix {
	var c CoulombMix
	i0 := int(150 * t.invDE)
	var kn float64
	for k, m := range ms {
		mt := m.Table()
		kt := mt.coul.K * thick[k]
		c.KT += kt
		kn += kt * mt.coul.Nuclear
		c.DA += kt * (mt.soft[i0].a - t.soft[i0].a)
		c.DB += kt * (mt.soft[i0].b - t.soft[i0].b)
	}
	if c.KT > 0 {
		c.Nuclear = kn / c.KT
		c.DA /= c.KT
		c.DB /= c.KT
	}
	return c
}

// SoftScatterMix is SoftScatter for a composite layer (Table.Mix) crossed
// with path scale ps (path over thickness), entered at ein and left at
// eout: one lookup for all its materials.
func (t *Table) SoftScatterMix(ein, eout float64, c *CoulombMix, ps, lnCutK float64) (chi2, soft float64) {
	if !(ps > 0) || !(eout > 0) {
		return 0, 0
	}
	p0, p1, f := t.softAt(0.5 * (ein + eout))
	chi2 = c.KT * ps * (p0.ipb2 + f*(p1.ipb2-p0.ipb2))
	a := p0.a + f*(p1.a-p0.a) + c.DA
	b := p0.b + f*(p1.b-p0.b) + c.DB
	return chi2, softVar(chi2, a, b, lnCutK, c.Nuclear)
}

func (t *Table) softAt(e float64) (p0, p1 *softPar, f float64) {
	x := e * t.invDE
	i := int(x)
	if i >= len(t.soft)-1 {
		i = len(t.soft) - 2
		x = float64(i + 1)
	}
	return &t.soft[i], &t.soft[i+1], x - float64(i)
}

// softVar is the projected variance below the cut: χc²/2 · [fN (ln(θc²/χa²)
// − 1) + (1 − fN)(ln(min(θe, θc)²/χa²) − 1)].
func softVar(chi2, a, b, lnCutK, fn float64) float64 {
	cut := lnCutK + a // ln(θc²/χa²) − 1
	el := min(b, cut)
	return 0.5 * chi2 * (fn*max(cut, 0) + (1-fn)*max(el, 0))
}

// SoftScatter returns, for a path of `path` mm entered at energy ein and
// left at eout (MeV), χc² (rad², with 1/(pβ)² at the mean energy) and the
// variance (rad², per projected plane) of the deflections below the cut
// angle θc, where θc² = exp(lnCutK)/(pβ)² (so lnCutK = ln(κ² K·t) for a
// cut at κ times the χc of a reference thickness t). Electron scattering
// is cut at its kinematic limit when that lies below θc. One table
// lookup, no allocation.
func (t *Table) SoftScatter(ein, eout, path, lnCutK float64) (chi2, soft float64) {
	if !(path > 0) || !(eout > 0) {
		return 0, 0
	}
	p0, p1, f := t.softAt(0.5 * (ein + eout))
	chi2 = t.coul.K * path * (p0.ipb2 + f*(p1.ipb2-p0.ipb2))
	a := p0.a + f*(p1.a-p0.a)
	b := p0.b + f*(p1.b-p0.b)
	return chi2, softVar(chi2, a, b, lnCutK, t.coul.Nuclear)
}

// SampleRutherford draws one deflection above the cut angle thetaC (rad)
// from the unscreened Rutherford tail dN ∝ dθ²/θ⁴ with the nuclear form
// factor F² = (1 + θ²/θN²)⁻², θN² = 6(ħc)²/(p²⟨r²⟩) (r2 in fm², p from the
// energy e in MeV). It returns the projected angles (tx, ty), or ok =
// false when the form factor rejects the deflection (the event then does
// not happen: the cut tail is a thinned Poisson process). Three or four
// uniform draws, no allocation.
func SampleRutherford(r *rand.Rand, thetaC, e, r2 float64) (tx, ty float64, ok bool) {
	// (u, v) uniform in the unit disc: s = u² + v² is uniform, so
	// θ = θc/√s has P(> θ) = θc²/θ², and (u, v)/√s is a uniform azimuth.
	var u, v, s float64
	for {
		u, v = 2*r.Float64()-1, 2*r.Float64()-1
		s = u*u + v*v
		if s < 1 && s > 0 {
			break
		}
	}
	th2 := thetaC * thetaC / s
	if r2 > 0 {
		p2 := e * (e + 2*ProtonMass)
		g := 1 + th2*p2*r2/(6*hbarC*hbarC)
		if r.Float64()*g*g > 1 {
			return 0, 0, false
		}
	}
	k := thetaC / s
	return k * u, k * v, true
}

// MoliereTheta0 returns the width in rad per projected plane of the
// central Gaussian of Molière's multiple-scattering distribution after
// thickness mm of m at constant energy e: χc·√((B − 1.2)/2), with B the
// root of B − ln B = ln(χc²/(1.167 χa²)) (Scott; Hanson et al.). Highland's
// θ0 is a fit to it (11 % over 1e-3 < x/X0 < 100). It returns 0 when the
// layer is too thin for Molière's theory (B below 1.2).
func MoliereTheta0(e, thickness float64, m *Material) float64 {
	c := m.Coulomb()
	chi2 := c.K * thickness / (BetaCP(e) * BetaCP(e))
	if !(chi2 > 0) {
		return 0
	}
	p2 := e * (e + 2*ProtonMass)
	la := m.screeningLog(e) - math.Log(p2) // ln χa²
	b := math.Log(chi2) - la - math.Log(1.167)
	if b < 1 {
		return 0
	}
	// Newton for B − ln B = b on B > 1
	bm := b + math.Log(b)
	for range 30 {
		bm -= (bm - math.Log(bm) - b) / (1 - 1/bm)
	}
	if bm < 1.2 {
		return 0
	}
	return math.Sqrt(chi2 * (bm - 1.2) / 2)
}
