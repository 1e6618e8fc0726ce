package baseline

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/track"
)

func TestPhysicsSigma(t *testing.T) {
	p := defaultPhysics(t)
	st, err := detector.NewStack(detector.Default())
	if err != nil {
		t.Fatal(err)
	}
	pos := math.Hypot(st.Geometry().PitchX, st.Geometry().PitchY) / math.Sqrt(24)
	tests := []struct {
		s, l   int
		lo, hi float64 // rad
	}{
		// Far from the stop (~190 MeV at layer 2 for a full-range proton):
		// about one 3.5 mm Al θ0 (6-7 mrad) plus the neighbour's share.
		{28, 3, 0.006, 0.010},
		{28, 15, 0.008, 0.013},
		// One layer before the stop: ~30-40 MeV, tens of mrad.
		{28, 27, 0.030, 0.080},
		// Tracker plane 1: thin layers, long lever arms: a few mrad.
		{28, 1, 0.001, 0.005},
	}
	for _, tc := range tests {
		got := p.Sigma(tc.s, tc.l)
		if got < tc.lo || got > tc.hi {
			t.Errorf("Sigma(stop %d, plane %d) = %.4f rad, want %.3f-%.3f", tc.s, tc.l, got, tc.lo, tc.hi)
		}
		e := 0.5 * (st.MinEnergy(tc.l-1, tc.s) + st.MinEnergy(tc.l-1, tc.s+1))
		if want := st.KinkSigma(tc.l, e, pos); math.Abs(got-want) > 1e-12 {
			t.Errorf("Sigma(%d, %d) = %g, KinkSigma at the residual-range energy %g", tc.s, tc.l, got, want)
		}
	}
	// Nearer the stop means less energy, hence more scattering.
	for s := 10; s > 4; s-- {
		if !(p.Sigma(s, 4) > p.Sigma(s+1, 4)) {
			t.Errorf("Sigma(%d, 4) = %.4f not above Sigma(%d, 4) = %.4f", s, p.Sigma(s, 4), s+1, p.Sigma(s+1, 4))
		}
	}
	for _, sl := range [][2]int{{4, 4}, {10, 0}, {3, 5}} {
		if !math.IsInf(p.Sigma(sl[0], sl[1]), 1) {
			t.Errorf("Sigma(%d, %d) = %g, want +Inf (no kink there)", sl[0], sl[1], p.Sigma(sl[0], sl[1]))
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Sigma(50, 3) did not panic")
		}
	}()
	p.Sigma(50, 3)
}

func TestPhysicsErrors(t *testing.T) {
	bad := detector.Default()
	bad.Layers = bad.Layers[:0]
	for _, tc := range []struct {
		name string
		geom *detector.Geometry
		opt  *PhysicsOptions
	}{
		{"negative chi2", nil, &PhysicsOptions{MaxChi2: -1}},
		{"NaN start", nil, &PhysicsOptions{StartSigma: math.NaN()}},
		{"infinite chi2", nil, &PhysicsOptions{MaxChi2: math.Inf(1)}},
		{"NaN position", nil, &PhysicsOptions{PositionSigma: math.NaN()}},
		{"empty geometry", bad, nil},
	} {
		if _, err := NewPhysics(tc.geom, tc.opt); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	p := defaultPhysics(t)
	if o := p.Options(); o.MaxChi2 != DefaultMaxChi2 || o.StartSigma != DefaultStartSigma {
		t.Errorf("defaults %+v", o)
	}
	g := caseGraph(t, trackerCases[0].frame)
	var res track.Result
	for _, tc := range []struct {
		name    string
		geom    string
		wantErr bool
	}{
		{"other preset", "gate-3mm", true},
		{"same preset, other case", "DTC", false},
		{"preset alias", "paper", false},
		{"unknown name", "testframes", false},
	} {
		g.Meta.Geometry = tc.geom
		if err := p.Track(&res, g); (err != nil) != tc.wantErr {
			t.Errorf("%s (%q): err = %v", tc.name, tc.geom, err)
		}
	}
	g.Meta.Geometry = ""
	g.Layers[0] = 60 // a layer the geometry does not have
	if err := p.Track(&res, g); err == nil {
		t.Error("layer 60: no error")
	}
}
