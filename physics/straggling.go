package physics

import "math"

// BohrSigma returns the rms energy-loss straggling in MeV of a proton of
// energy e MeV over thickness mm of material m, in Bohr's thick-absorber
// (Gaussian) limit including the relativistic factor:
// σ² = K m_e c² (Z/A) ρx γ² (1 − β²/2) = ξ T_max (1 − β²/2).
func BohrSigma(e, thickness float64, m *Material) float64 {
	return math.Sqrt(bohrVarianceFactor(e) * BohrConstant(thickness, m))
}

// BohrConstant returns the energy-independent part K m_e c² (Z/A) ρx of
// Bohr's variance in MeV² for thickness mm of m; multiply by
// γ²(1 − β²/2) to get the variance at a given energy.
func BohrConstant(thickness float64, m *Material) float64 {
	return BetheK * ElectronMass * m.ZoverA * m.Density * thickness / 10
}

// bohrVarianceFactor is γ²(1 − β²/2).
func bohrVarianceFactor(e float64) float64 {
	g := Gamma(e)
	b2 := 1 - 1/(g*g)
	return g * g * (1 - b2/2)
}

// BohrFactor returns γ²(1 − β²/2) for a proton of energy e MeV (see
// BohrConstant).
func BohrFactor(e float64) float64 { return bohrVarianceFactor(e) }

// BortfeldRangeStraggling returns the rms range straggling in mm of
// protons of CSDA range r mm in water, σ_R = 0.012 R^0.935 with R in cm
// (Bortfeld 1997).
func BortfeldRangeStraggling(r float64) float64 {
	if !(r > 0) {
		return 0
	}
	return 10 * 0.012 * math.Pow(r/10, 0.935)
}
