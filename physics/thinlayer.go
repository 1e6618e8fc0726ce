package physics

import (
	"math"
	"math/rand/v2"
)

// LandauXi returns the Landau scale ξ = (K/2)(Z/A)ρx/β² in MeV for a
// proton of energy e MeV crossing thickness mm of material m.
func LandauXi(e, thickness float64, m *Material) float64 {
	return 0.5 * BetheK * m.ZoverA * m.Density * thickness / 10 / Beta2(e)
}

// MostProbableLoss returns the PDG most probable energy loss in MeV of a
// proton of energy e MeV in a thin layer (thickness mm) of m:
// Δp = ξ[ln(2m_ec²β²γ²/I) + ln(ξ/I) + 0.200 − β²] (density effect
// neglected, as for protons below 500 MeV).
func MostProbableLoss(e, thickness float64, m *Material) float64 {
	xi := LandauXi(e, thickness, m)
	b2 := Beta2(e)
	g := Gamma(e)
	i := m.I * 1e-6
	return xi * (math.Log(2*ElectronMass*b2*g*g/i) + math.Log(xi/i) + 0.200 - b2)
}

// ThinLayer samples the energy deposited by protons in a thin sensitive
// layer (the ALPIDE epitaxial layer). Where the Landau regime holds it
// draws Δ = Δp + ξ(λ − λ_mode) with λ a standard Landau variable truncated
// at the point where the mean of Δ equals the PSTAR mean loss S·ρx — the
// truncation plays the role of the kinematic limit T_max of the Vavilov
// distribution and makes the mean exact. Where the truncation would fall
// below λ = 3 (low energies, κ = ξ/T_max ≳ 0.3) it uses a Gaussian with the
// mean loss and the Vavilov variance ξ T_max (1 − β²/2). Deposits are
// clamped to [0, e]: all lost energy is deposited locally (δ-electrons are
// not transported). A ThinLayer is immutable and safe for concurrent use.
type ThinLayer struct {
	Material  *Material
	Thickness float64   // mm
	Delta     DeltaRays // Delta.Cut > 0: the proton deposit excludes δ-rays above the cut

	invDE float64
	par   []thinPar
	e2    float64 // MeV: second excitation level (ThinOptions.Excitation)
}

// ThinOptions selects the deposit model of NewThinLayerWith. The zero
// value is NewThinLayer's Landau model without δ-rays.
type ThinOptions struct {
	// DeltaCut > 0 (MeV) makes the proton's deposit the restricted loss
	// and draws δ-rays above the cut separately (see NewThinLayer).
	DeltaCut float64
	// Excitation splits the loss as Geant4's universal (Urban) fluctuation
	// model does: UrbanRate of the mean to ionisation, a Landau variable
	// of the model's spectrum ξ'/T² from UrbanE0 to T_max (ξ' = its mean
	// over ln(T_max/E0), Δp = ξ'(ln(ξ'/E0) + 0.2), truncated so the mean is
	// exact), the rest to excitations of two atomic levels E1, E2 (E2 =
	// 10 eV·Z², ln E1 = (ln I − f2 ln E2)/f1, f2 = 2/Z) with Poisson
	// numbers. In thin silicon this moves the peak up and thins the upper
	// tail against Landau, as the GATE reference file's deposits show.
	Excitation bool
}

// Parameters of Geant4's universal fluctuation model (G4UniversalFluctuation).
const (
	UrbanRate = 0.56 // share of the mean loss that goes to ionisation
	UrbanE0   = 1e-5 // MeV: lower end of the ionisation spectrum

	urbanMaxPoisson = 16.0 // mean number above which excitations are drawn as a Gaussian
)

type thinPar struct {
	mean, mp, xi, cdf, sigma float64 // sigma > 0: Gaussian regime
	nDelta                   float64 // mean number of δ-rays above the cut
	// Excitation model (ThinOptions.Excitation): the Landau part (mp, xi,
	// cdf) is the ionisation share; exc1 ± sig1 the loss to excitations of
	// the first level (many: Gaussian), a2 the mean number of the second
	// (few: Poisson, ThinLayer.e2 each).
	exc1, sig1, a2 float64
	a1             float64 // mean number of first-level excitations
	ea2            float64 // exp(−a2)
}

const (
	thinDE   = 0.25 // energy grid of ThinLayer, MeV
	thinLMin = 3.0  // smallest Landau truncation point before switching to Gaussian
)

// NewThinLayer precomputes the deposit model of a layer of the given
// thickness in mm (on a 0.25 MeV grid up to MaxEnergy, ~100 µs). With
// deltaCut > 0 (MeV) the proton's deposit is the restricted loss: its mean
// is the PSTAR mean minus DeltaRays.EnergyAbove, and the δ-rays are drawn
// separately (SampleDeltas). It panics if thickness is not positive.
func NewThinLayer(m *Material, thickness, deltaCut float64) *ThinLayer {
	return NewThinLayerWith(m, thickness, ThinOptions{DeltaCut: deltaCut})
}

// NewThinLayerWith is NewThinLayer with a choice of deposit model.
func NewThinLayerWith(m *Material, thickness float64, o ThinOptions) *ThinLayer {
	if !(thickness > 0) {
		panic("physics: NewThinLayer with non-positive thickness")
	}
	n := int(MaxEnergy/thinDE) + 2
	t := &ThinLayer{Material: m, Thickness: thickness, invDE: 1 / thinDE, par: make([]thinPar, n)}
	if o.DeltaCut > 0 {
		t.Delta.Cut = o.DeltaCut
	}
	lt := landauTables()
	for i := range t.par {
		e := math.Max(float64(i)*thinDE, 0.05)
		p := &t.par[i]
		p.mean = m.StoppingPower(e) * m.Density * thickness / 10
		p.xi = LandauXi(e, thickness, m)
		p.mp = MostProbableLoss(e, thickness, m)
		if t.Delta.Cut > 0 {
			p.mean -= t.Delta.EnergyAbove(e, p.xi)
			p.nDelta = t.Delta.Mean(e, p.xi)
		}
		ion := p.mean
		if o.Excitation {
			e1, a1, e2, a2 := excitation(m, e, p.mean, UrbanRate)
			t.e2 = e2 * 1e-6
			p.exc1, p.sig1, p.a1, p.a2, p.ea2 = a1*e1*1e-6, math.Sqrt(a1)*e1*1e-6, a1, a2, math.Exp(-a2)
			ion = p.mean - p.exc1 - a2*t.e2
			tc := TMax(e)
			if t.Delta.Cut > 0 {
				tc = math.Min(tc, t.Delta.Cut)
			}
			if ion > 0 && tc > UrbanE0 {
				p.xi = ion / math.Log(tc/UrbanE0)
				p.mp = p.xi * (math.Log(p.xi/UrbanE0) + 0.200)
			}
		}
		target := (ion-p.mp)/p.xi + LandauMode
		// invert the increasing truncated mean m(L)
		j := searchFloat(lt.tm, target)
		if j <= 0 || lt.tl[j] < thinLMin {
			p.sigma = math.Sqrt(LandauXi(e, thickness, m) * TMax(e) * (1 - Beta2(e)/2))
			p.exc1, p.sig1, p.a1, p.a2 = 0, 0, 0, 0
			continue
		}
		if j >= len(lt.tl) {
			j = len(lt.tl) - 1
		}
		w := (target - lt.tm[j-1]) / (lt.tm[j] - lt.tm[j-1])
		l := lt.tl[j-1] + w*(lt.tl[j]-lt.tl[j-1])
		p.cdf, _ = LandauTruncated(l)
	}
	return t
}

func (t *ThinLayer) at(e float64) (p0, p1 *thinPar, f float64) {
	x := math.Max(e, 0) * t.invDE
	i := int(x)
	if i >= len(t.par)-1 {
		i = len(t.par) - 2
		return &t.par[i+1], &t.par[i+1], 0
	}
	return &t.par[i], &t.par[i+1], x - float64(i)
}

// Mean returns the mean energy deposit in MeV of the proton itself: the
// PSTAR stopping power × ρx, less the δ-rays above the cut if any.
func (t *ThinLayer) Mean(e float64) float64 {
	p0, p1, f := t.at(e)
	return p0.mean + f*(p1.mean-p0.mean)
}

// Sample returns a random energy deposit in MeV of a proton of energy e
// MeV crossing the layer at normal incidence. One uniform or normal draw
// from r; no allocation.
func (t *ThinLayer) Sample(r *rand.Rand, e float64) float64 {
	return t.SampleScaled(r, e, 1)
}

// SampleScaled is Sample for a path scale times the layer thickness
// (oblique incidence, scale = 1/cos θ >= 1): ξ, Δp and the mean scale
// with the path (Δp also through ln ξ).
func (t *ThinLayer) SampleScaled(r *rand.Rand, e, scale float64) float64 {
	if !(e > 0) {
		return 0
	}
	p0, p1, f := t.at(e)
	var d float64
	if p0.sigma > 0 || p1.sigma > 0 {
		mean := (p0.mean + f*(p1.mean-p0.mean)) * scale
		sig := p0.sigma + f*(p1.sigma-p0.sigma)
		if p0.sigma == 0 || p1.sigma == 0 { // at the regime boundary
			sig = math.Max(p0.sigma, p1.sigma)
		}
		d = mean + sig*math.Sqrt(scale)*r.NormFloat64()
	} else {
		xi := (p0.xi + f*(p1.xi-p0.xi)) * scale
		mp := (p0.mp+f*(p1.mp-p0.mp))*scale + xi*math.Log(scale)
		cdf := p0.cdf + f*(p1.cdf-p0.cdf)
		d = mp + xi*(SampleLandau(r, cdf)-LandauMode)
		if ex := p0.exc1 + f*(p1.exc1-p0.exc1); ex > 0 {
			// as Geant4: Poisson numbers, Gaussian above 16 on average
			if a1 := (p0.a1 + f*(p1.a1-p0.a1)) * scale; a1 > urbanMaxPoisson {
				d += ex*scale + (p0.sig1+f*(p1.sig1-p0.sig1))*math.Sqrt(scale)*r.NormFloat64()
			} else {
				d += float64(poissonSmall(r, a1)) * ex * scale / a1
			}
			if a2 := p0.a2 + f*(p1.a2-p0.a2); a2 > 0 {
				// e^(−a2·scale) from the tabulated e^(−a2): the path scale
				// is within a few % of 1 and a2 < 1 (error < 1e-4)
				x := a2 * (scale - 1)
				ep := (p0.ea2 + f*(p1.ea2-p0.ea2)) * (1 - x + x*x/2 - x*x*x/6)
				d += float64(poissonExp(r, a2*scale, ep)) * t.e2
			}
		}
	}
	if d < 0 {
		return 0
	}
	if d > e {
		return e
	}
	return d
}

// MeanDeltas returns the mean number of δ-rays above the cut at energy e.
func (t *ThinLayer) MeanDeltas(e float64) float64 {
	if t.Delta.Cut <= 0 {
		return 0
	}
	p0, p1, f := t.at(e)
	return p0.nDelta + f*(p1.nDelta-p0.nDelta)
}

// SampleDelta draws whether the proton (energy e, path scale as in
// SampleScaled) frees a δ-ray above the cut, and if so the energy that
// δ-ray deposits in the layer (> 0) and its kinetic energy: it starts at
// a uniform depth, leaves at its kinematic angle and deposits
// ElectronStoppingSi × path, at most its energy (electron scattering is
// neglected). At most one δ-ray per crossing (the mean is < 0.25 above
// 20 MeV). It returns (0, 0) when there is none.
func (t *ThinLayer) SampleDelta(r *rand.Rand, e, scale float64) (dep, kin float64) {
	if !(e > 0) {
		return 0, 0
	}
	mu := t.MeanDeltas(e) * scale
	if mu <= 0 || r.Float64() >= mu {
		return 0, 0
	}
	kin = math.Min(t.Delta.Sample(r, e), e)
	if kin <= 0 {
		return 0, 0
	}
	c := t.Delta.CosTheta(e, kin)
	path := (1 - r.Float64()) * t.Thickness * scale / math.Max(c, 0.05)
	dep = math.Min(kin, path*ElectronStoppingSi(kin))
	return dep, kin
}

// excitation returns the parameters of Geant4's (Urban's) model of the
// energy lost to atomic excitations in a layer: two levels E1, E2 (eV)
// with mean numbers a1, a2 for a mean loss meanLoss MeV of a proton of
// energy e, with rate the share of the loss that goes to ionisation.
func excitation(m *Material, e, meanLoss, rate float64) (e1, a1, e2, a2 float64) {
	z := m.meanZ()
	f2 := 0.0
	if z > 2 {
		f2 = 2 / z
	}
	f1 := 1 - f2
	e2 = 10 * z * z
	lnI := math.Log(m.I)
	e1 = math.Exp((lnI - f2*math.Log(e2)) / f1)
	g := Gamma(e)
	b2 := Beta2(e)
	w2 := math.Log(2*ElectronMass*1e6*b2*g*g) - b2
	if w2 <= lnI {
		return e1, 0, e2, 0
	}
	c := meanLoss * 1e6 * (1 - rate) / (w2 - lnI)
	a1 = c * f1 * (w2 - math.Log(e1)) / e1
	a2 = c * f2 * (w2 - math.Log(e2)) / e2
	if a2 < 0 {
		a2 = 0
	}
	return e1, a1, e2, a2
}

// poissonSmall draws a Poisson variate of small mean (inversion; one
// uniform draw).
func poissonSmall(r *rand.Rand, mu float64) int { return poissonExp(r, mu, math.Exp(-mu)) }

// poissonExp is poissonSmall with e^(−mu) given.
func poissonExp(r *rand.Rand, mu, p float64) int {
	u := r.Float64()
	k := 0
	for u > p && k < 1000 {
		u -= p
		k++
		p *= mu / float64(k)
	}
	return k
}
