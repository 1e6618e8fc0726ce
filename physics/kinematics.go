package physics

import "math"

// Physical constants (PDG).
const (
	ProtonMass   = 938.272088 // MeV
	ElectronMass = 0.51099895 // MeV
	BetheK       = 0.307075   // 4π N_A r_e² m_e c², MeV cm²/mol
	HighlandEs   = 13.6       // MeV, Highland scale energy
	Avogadro     = 6.02214076e23
)

// BetaCP returns βcp in MeV of a proton of kinetic energy e MeV:
// (e² + 2eM)/(e + M).
func BetaCP(e float64) float64 { return (e*e + 2*e*ProtonMass) / (e + ProtonMass) }

// Beta2 returns β² of a proton of kinetic energy e MeV.
func Beta2(e float64) float64 {
	g := 1 + e/ProtonMass
	return 1 - 1/(g*g)
}

// Gamma returns the Lorentz factor of a proton of kinetic energy e MeV.
func Gamma(e float64) float64 { return 1 + e/ProtonMass }

// TMax returns the largest energy in MeV a proton of kinetic energy e can
// transfer to a free electron in one collision.
func TMax(e float64) float64 {
	g := Gamma(e)
	bg2 := g*g - 1
	r := ElectronMass / ProtonMass
	return 2 * ElectronMass * bg2 / (1 + 2*g*r + r*r)
}

// logBeta2 tabulates ln β² on a 0.25 MeV grid for LogBeta2.
var logBeta2 = func() []float64 {
	t := make([]float64, int(MaxEnergy/0.25)+2)
	for i := 1; i < len(t); i++ {
		t[i] = math.Log(Beta2(float64(i) * 0.25))
	}
	return t
}()

// LogBeta2 returns ln β² of a proton of kinetic energy e MeV: a table
// lookup (error < 1e-4) from 10 MeV to MaxEnergy, math.Log elsewhere.
func LogBeta2(e float64) float64 {
	x := e * 4
	i := int(x)
	if e < 10 || i >= len(logBeta2)-1 {
		return math.Log(Beta2(e))
	}
	f := x - float64(i)
	return logBeta2[i] + f*(logBeta2[i+1]-logBeta2[i])
}
