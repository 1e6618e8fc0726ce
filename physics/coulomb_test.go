package physics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Molière's central width against Highland where Highland holds
// (1e-3 < x/X0 < 100, to 11 %): water, aluminium and silicon at 50–230 MeV.
func TestMoliereAgainstHighland(t *testing.T) {
	for _, name := range []string{"water", "aluminium", "silicon"} {
		m := MustMaterial(name)
		for _, x := range []float64{2e-3, 0.02, 0.2, 1} {
			for _, e := range []float64{50, 100, 230} {
				th := x * m.RadiationLength()
				if m.Range(e) < th {
					continue
				}
				mo, hi := MoliereTheta0(e, th, m), HighlandTheta0(e, th, m)
				if math.Abs(mo/hi-1) > 0.11 {
					t.Errorf("%s x/X0 %g %g MeV: Molière %.3f mrad, Highland %.3f", name, x, e, 1e3*mo, 1e3*hi)
				}
			}
		}
	}
}

// The mixed sampler (soft Gaussian below χc plus the Rutherford tail
// above it) reproduces Molière's distribution: its central width (half the
// middle 68 %, which Molière's 1/B term widens by a few % over the central
// Gaussian) is Molière's θ0 to 5 %, and its tail beyond 5 θ0 holds what
// one form-factor-damped Rutherford deflection smeared by the soft
// Gaussian predicts (±15 %: ~300–600 events).
func TestMixedScatteringIsMoliere(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		m    string
		e, t float64
	}{{"aluminium", 130, 3}, {"water", 200, 100}} {
		m := MustMaterial(tc.m)
		tab := m.Table()
		c := m.Coulomb()
		kt := c.K * tc.t
		chi2, soft := tab.SoftScatter(tc.e, tc.e, tc.t, math.Log(kt))
		sig := math.Sqrt(soft)
		thc := math.Sqrt(kt) / BetaCP(tc.e) // θc = χc: one cut deflection expected
		nu := c.Nuclear * chi2 / (thc * thc)
		const n = 200000
		v := make([]float64, n)
		for i := range v {
			x := sig * r.NormFloat64()
			for u := r.ExpFloat64(); u < nu; u += r.ExpFloat64() {
				if tx, _, ok := SampleRutherford(r, thc, tc.e, c.R2); ok {
					x += tx
				}
			}
			v[i] = x
		}
		slices.Sort(v)
		core := (v[int(0.841*n)] - v[int(0.159*n)]) / 2
		want := MoliereTheta0(tc.e, tc.t, m)
		if math.Abs(core/want-1) > 0.05 {
			t.Errorf("%s %g mm at %g MeV: central σ %.3f mrad, Molière %.3f", tc.m, tc.t, tc.e, 1e3*core, 1e3*want)
		}
		// P(|θx| > k): one tail deflection, dN = 2χcN² dθ/θ³ damped by the
		// form factor, smeared by the soft Gaussian
		k := 5 * want
		var far int
		for _, x := range v {
			if math.Abs(x) > k {
				far++
			}
		}
		p2 := tc.e * (tc.e + 2*ProtonMass)
		qt := func(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }
		var pred float64
		for th := thc; th < 2; th *= 1.002 {
			g := 1 + th*th*p2*c.R2/(6*hbarC*hbarC)
			w := 2 * c.Nuclear * chi2 / (th * th * th) * (th * 0.002) / (g * g)
			const nphi = 128
			for j := range nphi {
				x := th * math.Cos((float64(j)+0.5)*math.Pi/nphi)
				pred += w / nphi * (qt((k-x)/sig) + qt((k+x)/sig))
			}
		}
		got := float64(far) / n
		t.Logf("%s: tail beyond %.1f mrad %.5f, Rutherford %.5f", tc.m, 1e3*k, got, pred)
		if math.Abs(got/pred-1) > 0.15 {
			t.Errorf("%s: tail beyond %.1f mrad %.4f, Rutherford %.4f", tc.m, 1e3*k, got, pred)
		}
	}
}

// SampleRutherford follows P(> θ) = θc²/θ² where the form factor is 1.
func TestSampleRutherfordTail(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, thc = 200000, 1e-3
	var above [3]int
	for range n {
		tx, ty, ok := SampleRutherford(r, thc, 200, 0)
		if !ok {
			t.Fatal("rejected without a form factor")
		}
		th := math.Hypot(tx, ty)
		for i, k := range []float64{1, 2, 10} {
			if th > k*thc*1.0000001 {
				above[i]++
			}
		}
	}
	if above[0] != n {
		t.Errorf("%d of %d deflections below the cut", n-above[0], n)
	}
	for i, k := range []float64{2, 10} {
		if got := float64(above[i+1]) / n; math.Abs(got*k*k-1) > 0.05 {
			t.Errorf("P(> %g θc) = %.4f, want %.4f", k, got, 1/(k*k))
		}
	}
}

// Black-disk diffraction: forward peak of rms √2/(kR) per plane.
func TestSampleDiffraction(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 100000
	e, a := 200.0, 16.0
	kr := math.Sqrt(e*(e+2*ProtonMass)) / hbarC * DiskRadius * math.Cbrt(a)
	v := make([]float64, 0, 2*n)
	for range n {
		tx, ty := SampleDiffraction(r, e, a, 1.4)
		v = append(v, tx, ty)
	}
	slices.Sort(v)
	core := (v[int(0.75*2*n)] - v[int(0.25*2*n)]) / 1.349
	// the peak ∝ exp(−x²/4): σ = √2/(kR); the tail and the edge widen the
	// IQR a little
	if want := math.Sqrt2 / kr; math.Abs(core/want-1) > 0.1 {
		t.Errorf("IQR-σ %.4f rad, forward peak %.4f", core, want)
	}
	if v[0] < -1.4 || v[len(v)-1] > 1.4 {
		t.Errorf("deflections beyond the limit: %g, %g", v[0], v[len(v)-1])
	}
}

// The water I-value moves the range: 78 eV stays within 1 % of PSTAR.
func TestWaterIValueRange(t *testing.T) {
	w := MustMaterial("water")
	w78 := w.WithI(78)
	if w.WithI(75) != w || w.WithI(78) != w78 || w78.I != 78 {
		t.Fatal("WithI does not share its variants")
	}
	for _, tc := range pstarRange {
		if tc.mat != "water" || tc.e < 50 {
			continue
		}
		got := w78.Range(tc.e) / 10
		if rel := got/tc.r - 1; rel < 0 || rel > 0.01 {
			t.Errorf("%g MeV at 78 eV: range %.4f g/cm², PSTAR %.4f (%+.2f%%)", tc.e, got, tc.r, 100*rel)
		}
	}
	if g4 := MustMaterial("g4_water"); math.Abs(g4.Range(150)/w78.Range(150)-1) > 1e-9 {
		t.Errorf("g4_water and water at 78 eV differ: %g, %g", g4.Range(150), w78.Range(150))
	}
}
