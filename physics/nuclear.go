package physics

import (
	"math"
	"math/rand/v2"
)

// NuclearThreshold is the energy in MeV below which inelastic nuclear
// interactions are neglected (the residual range is < 1.3 mm of water).
const NuclearThreshold = 10.0

// NuclearCrossSection returns the proton–nucleus inelastic (non-elastic)
// cross section in mb on a nucleus of mass number a at kinetic energy e
// MeV, from the Letaw et al. (ApJS 51, 271, 1983) systematics:
// σ = 45 A^0.7 [1 + 0.016 sin(5.3 − 2.63 ln A)] [1 − 0.62 e^(−E/200) sin(10.9 E^−0.28)].
// Hydrogen (a < 1.5) and energies below NuclearThreshold give 0. For
// oxygen this is 265–300 mb at 100–250 MeV. Material.NuclearSigma uses it
// for the ratios between materials and energies, normalised to water.
func NuclearCrossSection(e, a float64) float64 {
	if a < 1.5 || !(e >= NuclearThreshold) {
		return 0
	}
	he := 45 * math.Pow(a, 0.7) * (1 + 0.016*math.Sin(5.3-2.63*math.Log(a)))
	return he * (1 - 0.62*math.Exp(-e/200)*math.Sin(10.9*math.Pow(e, -0.28)))
}

// letawSigma is the Letaw macroscopic cross section of m in 1/mm.
func (m *Material) letawSigma(e float64) float64 {
	var s float64 // cm²/g
	for _, el := range m.Elements {
		s += el.W / el.A * NuclearCrossSection(e, el.A) * 1e-27
	}
	return s * Avogadro * m.Density / 10
}

// bortfeldSigma is the local fluence-loss rate of Bortfeld's model in
// water, β/(1 + β R(E)) per mm, with his Bragg–Kleeman range
// R = 0.022 mm·E^1.77.
func bortfeldSigma(e float64) float64 {
	const beta = 0.0012 // 1/mm
	return beta / (1 + beta*0.022*math.Pow(e, 1.77))
}

// nuclearSigma is the macroscopic cross section in 1/mm: Letaw's element
// systematics, normalised at each energy so that water reproduces
// Bortfeld's fluence model exactly (Letaw alone is 5–12 % lower than
// Bortfeld in water at 100–230 MeV, and Geant4 loses even more primaries
// in the GATE data). Other materials keep Letaw's ratio to water, which
// gives 0.9 % per 3.5 mm aluminium at 150 MeV.
func (m *Material) nuclearSigma(e float64) float64 {
	s := m.letawSigma(e)
	if s == 0 {
		return 0
	}
	return s * bortfeldSigma(e) / waterLetaw(e)
}

// waterLetaw is the Letaw macroscopic cross section of water (ρ = 1) in
// 1/mm, computed without the material registry (table builds call it).
func waterLetaw(e float64) float64 {
	return 0.888106 / 15.999 * NuclearCrossSection(e, 15.999) * 1e-27 * Avogadro / 10
}

// BortfeldFluence returns the fraction of primary protons of initial
// water range r0 mm still present at depth z mm in water, in Bortfeld's
// linear model Φ(z)/Φ0 = (1 + β(r0 − z))/(1 + β r0) with β = 0.012/cm.
// It returns 0 beyond r0.
func BortfeldFluence(r0, z float64) float64 {
	const beta = 0.0012 // 1/mm
	if z >= r0 {
		return 0
	}
	return (1 + beta*(r0-z)) / (1 + beta*r0)
}

// ElasticPPCrossSection returns an approximate proton–proton elastic cross
// section in mb at kinetic energy e MeV: 22 + 1100/E, i.e. 33 mb at 100
// MeV and 27 mb at 200 MeV, within ~20 % of the measured values at
// 30–300 MeV (it is 0 below NuclearThreshold, where ranges are < 1.3 mm).
func ElasticPPCrossSection(e float64) float64 {
	if !(e >= NuclearThreshold) {
		return 0
	}
	return 22 + 1100/e
}

// NuclearElasticFraction is the ratio of the coherent proton–nucleus
// elastic cross section to Letaw's inelastic one used by
// ElasticNuclearCrossSection (measured ratios for light nuclei at
// 100–300 MeV are 0.3–0.4). It is the free parameter of the lateral tails:
// 0.4 reproduces the rms lateral spread of the GATE reference file with
// Gaussian diffraction and Highland scattering, and its tail fractions
// beyond 100 mrad with black-disk diffraction and Wentzel scattering
// (package sim tests, VALIDATION.md).
const NuclearElasticFraction = 0.4

// ElasticNuclearCrossSection returns the coherent (diffractive) elastic
// cross section in mb of a proton on a nucleus of mass number a (> 1.5)
// at energy e MeV: NuclearElasticFraction × the Letaw inelastic one.
func ElasticNuclearCrossSection(e, a float64) float64 {
	return NuclearElasticFraction * NuclearCrossSection(e, a)
}

// DiffractionAngle returns the rms projected angle in rad of coherent
// elastic scattering of a proton of energy e MeV on a nucleus of mass
// number a: ħc/(p R), R = 1.2 A^(1/3) fm (0.1 rad on oxygen at 200 MeV).
func DiffractionAngle(e, a float64) float64 {
	p := math.Sqrt(e * (e + 2*ProtonMass))
	return 197.327 / (p * 1.2 * math.Cbrt(a))
}

// elasticSigmas returns the macroscopic p–p and p–nucleus elastic cross
// sections in 1/mm, and the cross-section-weighted mean A^(1/3) of the
// nuclei.
func (m *Material) elasticSigmas(e float64) (pp, nuc, cbrtA float64) {
	var sp, sn, wa float64
	for _, el := range m.Elements {
		n := el.W / el.A
		if el.Z == 1 {
			sp += n * ElasticPPCrossSection(e)
			continue
		}
		s := n * ElasticNuclearCrossSection(e, el.A)
		sn += s
		wa += s * math.Cbrt(el.A)
	}
	k := 1e-27 * Avogadro * m.Density / 10
	if sn > 0 {
		wa /= sn
	}
	return sp * k, sn * k, wa
}

// Black-disk (Fraunhofer) diffraction: the elastic amplitude of a strongly
// absorbing disc of radius R is ∝ J1(x)/x with x = kRθ, so the density of
// x over the plane of deflections is ∝ J1(x)²/x: a forward peak of rms
// √2/(kR) per projected plane and a tail P(> θ) ∝ 1/θ beyond the first
// minimum (x = 3.83), which the Gaussian of DiffractionAngle lacks; a
// diffuse edge (DiskEdge) cuts the tail off at large x.

// Black-disk parameters, fitted (with DiskElasticFraction) to the lateral
// distribution of the GATE reference file's primaries behind 250 mm of
// water and in the DTC layers (package sim, VALIDATION.md).
const (
	// DiskRadius is the disc radius in fm per A^(1/3): the strong-
	// absorption radius of light nuclei is 1.3–1.4 A^(1/3) fm.
	DiskRadius = 1.4
	// DiskEdge is the width of the disc's diffuse edge in units of its
	// radius: the profile is the disc smeared by a Gaussian of σ =
	// DiskEdge·R (0.5–0.6 fm for O and Al, the Woods–Saxon diffuseness),
	// which multiplies the cross section by exp(−(q·σ)²) and tames the
	// 1/θ tail at large momentum transfer q.
	DiskEdge = 0.15
	// DiskElasticFraction is NuclearElasticFraction for black-disk
	// diffraction: σ_el(p–A) = 0.35 σ_inel.
	DiskElasticFraction = 0.35
)

const (
	diskXMax = 400.0 // largest x tabulated
	diskN    = 8192
)

var diskCDF = func() []float64 {
	// cumulative of J1(x)²/x on a uniform grid (Simpson per cell)
	c := make([]float64, diskN+1)
	h := diskXMax / diskN
	g := func(x float64) float64 {
		if x < 1e-9 {
			return 0
		}
		j := math.J1(x)
		return j * j / x * math.Exp(-x*x*DiskEdge*DiskEdge)
	}
	for i := 1; i <= diskN; i++ {
		a := float64(i-1) * h
		c[i] = c[i-1] + h/6*(g(a)+4*g(a+h/2)+g(a+h))
	}
	return c
}()

// diskX returns the x with cumulative u·G(xmax) (inverse of diskCDF).
func diskX(u, xmax float64) float64 {
	h := diskXMax / diskN
	if xmax > diskXMax {
		xmax = diskXMax
	}
	k := xmax / h
	i := int(k)
	gmax := diskCDF[min(i, diskN)]
	if i < diskN {
		gmax += (k - float64(i)) * (diskCDF[i+1] - diskCDF[i])
	}
	t := u * gmax
	j := searchFloat(diskCDF, t)
	if j <= 0 {
		return 0
	}
	if j > diskN {
		return xmax
	}
	return (float64(j-1) + (t-diskCDF[j-1])/(diskCDF[j]-diskCDF[j-1])) * h
}

// SampleDiffraction draws the projected deflections (tx, ty) in rad of a
// proton of energy e MeV scattered elastically on a nucleus of mass number
// a, as diffraction on a black disc of radius DiskRadius·A^(1/3) fm, up to
// thetaMax rad. Three or more uniform draws, no allocation.
func SampleDiffraction(r *rand.Rand, e, a, thetaMax float64) (tx, ty float64) {
	p := math.Sqrt(e * (e + 2*ProtonMass))
	kr := p / hbarC * DiskRadius * math.Cbrt(a)
	th := diskX(r.Float64(), kr*thetaMax) / kr
	var u, v, s float64
	for {
		u, v = 2*r.Float64()-1, 2*r.Float64()-1
		s = u*u + v*v
		if s < 1 && s > 1e-12 {
			break
		}
	}
	k := th / math.Sqrt(s)
	return k * u, k * v
}
