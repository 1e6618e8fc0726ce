package detector

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/physics"
)

// thinGeometry has three layers 100 mm apart, each a 1 mm aluminium
// scatterer right in front of a 1 µm silicon sensor, so that the kink at
// plane 1 is the scattering of one slab (weight ≈ 1); the next scatterer
// sits at the far end of the second gap (weight ≤ 1 %).
func thinGeometry() *Geometry {
	g := &Geometry{Name: "thin", ApertureX: 100, ApertureY: 100, PitchX: 0.03, PitchY: 0.03}
	for l := range 3 {
		g.Layers = append(g.Layers, Layer{Index: l, Z: 100*float64(l) + 1.0005, Slabs: []Slab{
			{Material: "aluminium", Thickness: 1},
			{Material: "silicon", Thickness: 0.001, Sensitive: true},
		}})
	}
	return g
}

func TestKinkSigmaSingleScatterer(t *testing.T) {
	st, err := NewStack(thinGeometry())
	if err != nil {
		t.Fatal(err)
	}
	al := physics.MustMaterial("aluminium")
	for _, e := range []float64{50, 100, 200} {
		// The first gap holds 99 mm of air and the slab, both scattering
		// at the slab's exit face, right at plane 1 (weight 1): Highland
		// with the log over the gap and βcp averaged over each slab (the
		// proton loses 10 % of its energy in the aluminium at 50 MeV).
		air := physics.MustMaterial("air")
		eIn := air.EnergyAfter(e, 99)
		eOut := al.EnergyAfter(eIn, 1)
		xAl, xAir := 1/al.RadiationLength(), 99/air.RadiationLength()
		fl := 1 + 0.038*math.Log((xAl+xAir)/physics.Beta2((eIn+eOut)/2))
		want := physics.HighlandEs * fl * math.Sqrt(xAl/(physics.BetaCP(eIn)*physics.BetaCP(eOut))+
			xAir/(physics.BetaCP(e)*physics.BetaCP(eIn)))
		got := st.KinkSigma(1, e, 0)
		if math.Abs(got/want-1) > 0.01 {
			t.Errorf("E=%g MeV: KinkSigma %.5f rad, single-slab Highland %.5f", e, got, want)
		}
		// Position resolution adds σ²·(1/d² + 4/d² + 1/d²) for d = 100 mm.
		p := 0.01
		gotP := st.KinkSigma(1, e, p)
		wantP := math.Sqrt(got*got + 6*p*p/1e4)
		if math.Abs(gotP-wantP) > 1e-9 {
			t.Errorf("E=%g MeV with resolution: %.7f, want %.7f", e, gotP, wantP)
		}
	}
}

func TestKinkSigmaPanicsOutsideGeometry(t *testing.T) {
	st, _ := NewStack(thinGeometry())
	for _, l := range []int{0, 2, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("KinkSigma(l=%d) did not panic", l)
				}
			}()
			st.KinkSigma(l, 100, 0)
		}()
	}
}

func TestNameCheck(t *testing.T) {
	var c NameCheck
	for _, tc := range []struct {
		recorded, ours string
		fail           bool
	}{
		{"", PresetDTC, false},
		{"DTC", PresetDTC, false},
		{"paper", PresetDTC, false}, // alias of dtc
		{PresetGATE3mm, PresetDTC, true},
		{PresetGATE3mm, PresetDTC, true}, // cached verdict
		{"my-file.yaml", PresetDTC, false},
	} {
		if err := c.Check(tc.recorded, tc.ours); (err != nil) != tc.fail {
			t.Errorf("Check(%q, %q) = %v, want failure %v", tc.recorded, tc.ours, err, tc.fail)
		}
	}
}
