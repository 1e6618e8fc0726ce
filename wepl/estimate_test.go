package wepl

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
)

func newEst(t *testing.T, opt *Options) *Estimator {
	t.Helper()
	e, err := New(nil, 0, opt)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEstimatorTrack(t *testing.T) {
	cal, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	lo := defaultLayout(t)
	for m := range numMethods {
		e := newEst(t, &Options{Method: m})
		// a proton stopping 40 % into the layer after layer 20
		r0 := lo.depth[20] + 0.4*lo.next[20]
		hits := braggTrack(lo, r0, cal.Scale[0], cal.P, nil)
		// tilt it: 0.01 in x, -0.02 in y from layer 0 on
		for i := range hits {
			dz := float64(hits[i].Z) - lo.planeZ[0]
			hits[i].X += float32(0.01 * dz)
			hits[i].Y += float32(-0.02 * dz)
		}
		tr, err := e.Track(hits)
		if err != nil {
			t.Fatal(err)
		}
		if !tr.OK() || tr.Flags != 0 || tr.Hits != 21 || tr.LastLayer != 20 {
			t.Fatalf("%s: %+v", m, tr)
		}
		if d := math.Abs(tr.Exit.X-1) + math.Abs(tr.Exit.Y+2) + math.Abs(tr.Exit.TX-0.01) + math.Abs(tr.Exit.TY+0.02); d > 1e-5 || tr.Exit.Z != lo.planeZ[0] {
			t.Errorf("%s: exit %+v, want (1, -2, %v) along (0.01, -0.02)", m, tr.Exit, lo.planeZ[0])
		}
		want, _, _ := cal.WEPL(m, tr.Range)
		if tr.WEPL != want {
			t.Errorf("%s: WEPL %v, calibration gives %v at range %v", m, tr.WEPL, want, tr.Range)
		}
		switch m {
		case MethodFit:
			// the tilt is corrected: deposits per unit path are on the curve
			if math.Abs(tr.Range-r0) > 0.05 || tr.Chi2 > 1e-3 {
				t.Errorf("fit: range %v, want %v (χ² %v)", tr.Range, r0, tr.Chi2)
			}
		case MethodLastLayer:
			if tr.Range != lo.depth[20]+0.5*lo.next[20] || !math.IsNaN(tr.Chi2) {
				t.Errorf("last layer: range %v, χ² %v", tr.Range, tr.Chi2)
			}
		case MethodFitCluster:
			// cluster sizes quantise dE/dx: within a quarter layer
			if math.Abs(tr.Range-r0) > 0.25*lo.next[20] {
				t.Errorf("fit-cluster: range %v, want about %v", tr.Range, r0)
			}
		}
	}
}

func TestEstimatorFlags(t *testing.T) {
	e := newEst(t, nil)
	cal, _ := Default()
	lo := defaultLayout(t)
	track := func(r0 float64) []dataset.TrackHit { return braggTrack(lo, r0, cal.Scale[0], cal.P, nil) }
	// short range: stops behind layer 3 (about 20 mm)
	if tr, _ := e.Track(track(lo.depth[3] + 1)); tr.Flags&FlagShortRange == 0 || tr.OK() {
		t.Errorf("short range: flags %v", tr.Flags)
	}
	// no cut with a negative minimum
	if tr, _ := newEst(t, &Options{MinResidualRange: -1}).Track(track(lo.depth[3] + 1)); tr.Flags&FlagShortRange != 0 {
		t.Errorf("no cut: flags %v", tr.Flags)
	}
	// through the whole detector
	if tr, _ := e.Track(track(lo.depth[len(lo.depth)-1] + 3)); tr.Flags&FlagLastPlane == 0 || tr.OK() {
		t.Errorf("last plane: flags %v", tr.Flags)
	}
	// without its layer-0 hit the exit is extrapolated to plane 0
	h := track(lo.depth[15] + 2)
	h = h[:len(h)-1]
	for i := range h {
		h[i].X = float32(0.05 * (float64(h[i].Z) - lo.planeZ[0]))
	}
	tr, _ := e.Track(h)
	if tr.Flags != FlagExtrapolated || math.Abs(tr.Exit.X) > 1e-4 || math.Abs(tr.Exit.TX-0.05) > 1e-6 || !tr.OK() {
		t.Errorf("extrapolated: %+v", tr)
	}
	// one hit: no direction, no WEPL
	if tr, _ := e.Track(h[:1]); tr.Flags&FlagNoDirection == 0 || tr.OK() || !math.IsNaN(tr.WEPL) {
		t.Errorf("one hit: %+v", tr)
	}
	if got := (FlagShortRange | FlagAtBound).String(); got != "short-range|at-bound" {
		t.Errorf("flags string %q", got)
	}
}

func TestEstimatorErrors(t *testing.T) {
	e := newEst(t, nil)
	lo := defaultLayout(t)
	good := braggTrack(lo, 150, 9, 1.79, nil)
	for name, tc := range map[string]struct {
		edit   func([]dataset.TrackHit)
		method Method
		want   string
	}{
		"nan deposit":      {func(h []dataset.TrackHit) { h[3].Edep = float32(math.NaN()) }, MethodFit, "not a finite non-negative"},
		"negative deposit": {func(h []dataset.TrackHit) { h[3].Edep = -1 }, MethodFit, "not a finite non-negative"},
		"huge deposit":     {func(h []dataset.TrackHit) { h[3].Edep = 1e30 }, MethodFit, "deposit 1e+30 MeV is more than any proton here carries (500 MeV)"},
		"nan position":     {func(h []dataset.TrackHit) { h[2].X = float32(math.Inf(1)) }, MethodFit, "not a finite"},
		"layer":            {func(h []dataset.TrackHit) { h[0].Layer = 99 }, MethodFit, "layers 0–49"},
		"no cluster size":  {func(h []dataset.TrackHit) { h[1].ClusterSize = 0 }, MethodFitCluster, "needs the cluster_size column"},
	} {
		h := append([]dataset.TrackHit(nil), good...)
		tc.edit(h)
		est := e
		if tc.method != MethodFit {
			est = newEst(t, &Options{Method: tc.method})
		}
		ft := dataset.FrameTracks{Frame: 7, Hits: h}
		if _, err := est.Frame(nil, &ft); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "frame 7 track 0") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	// the calibration must match geometry and energy
	g, _ := detector.Preset(detector.PresetGATE3mm)
	if _, err := New(g, 0, nil); !errors.Is(err, ErrCalibration) {
		t.Errorf("other geometry: %v", err)
	}
	if _, err := New(nil, 200, nil); !errors.Is(err, ErrCalibration) {
		t.Errorf("other energy: %v", err)
	}
	if _, err := New(nil, 0, &Options{Method: 7}); err == nil {
		t.Error("no error for an unknown method")
	}
	if _, err := ParseMethod("median"); err == nil {
		t.Error("no error for an unknown method name")
	}
}

func BenchmarkEstimatorFrame(b *testing.B) {
	lo := defaultLayout(b)
	cal, _ := Default()
	var ft dataset.FrameTracks
	for k := range 100 {
		h := braggTrack(lo, 120+float64(k), cal.Scale[0], cal.P, func(i int) float64 { return 1 + 0.2*math.Sin(float64(i*k)) })
		for i := range h {
			h[i].Track = int32(k)
		}
		ft.Hits = append(ft.Hits, h...)
	}
	e, err := New(nil, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	var dst []Track
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = e.Frame(dst, &ft); err != nil {
			b.Fatal(err)
		}
	}
}
