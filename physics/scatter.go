package physics

import (
	"math"
	"math/rand/v2"
)

// HighlandTheta0 returns the rms plane-projected multiple-scattering angle
// in rad of a proton of kinetic energy e MeV after thickness mm of
// material m (Highland, PDG RPP 2018 eq. 33.15):
// θ0 = 13.6 MeV/(βcp) √(x/X0) [1 + 0.038 ln(x/(X0 β²))].
// The energy is taken as constant over the slab; it returns 0 for
// non-positive thickness or energy.
func HighlandTheta0(e, thickness float64, m *Material) float64 {
	if !(e > 0) || !(thickness > 0) {
		return 0
	}
	x := thickness / m.RadiationLength()
	return HighlandEs / BetaCP(e) * math.Sqrt(x) * (1 + 0.038*math.Log(x/Beta2(e)))
}

// HighlandTheta0Mixed returns θ0 in rad for a path through several layers
// whose scattering thicknesses (in radiation lengths) add up to xTotal,
// of which xPart is traversed at energy e: the part's share of the
// Highland variance of the whole path, so that the parts add in quadrature
// to Highland for the total thickness (the PDG recommendation for
// composite scatterers, which a per-slab log term would underestimate).
func HighlandTheta0Mixed(e, xPart, xTotal float64) float64 {
	if !(e > 0) || !(xPart > 0) || !(xTotal > 0) {
		return 0
	}
	f := 1 + 0.038*math.Log(xTotal/Beta2(e))
	return HighlandEs / BetaCP(e) * math.Sqrt(xPart) * f
}

// ScatterPair returns a correlated lateral offset (mm) and angle change
// (rad) in one projected plane after a slab of length l mm with rms
// scattering angle theta0: the offset has rms
// θ0 l/√3 and correlation √3/2 with the angle (PDG RPP). It draws two normal
// variates from r.
func ScatterPair(r *rand.Rand, theta0, l float64) (dy, dtheta float64) {
	z1 := r.NormFloat64()
	z2 := r.NormFloat64()
	return theta0 * l * (z1/math.Sqrt(12) + z2/2), theta0 * z2
}
