package physics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Reference doc §5.1: βcp (MeV) and Highland θ0 (mrad) computed by hand
// for 3.5 mm Al (X0 = 24.01 g/cm², ρ 2.699) and water (X0 36.08 cm).
var highlandTable = []struct {
	e, bcp, al35, w1cm, w10cm float64
}{
	{230, 414.7, 5.96, 4.93, 17.1},
	{200, 364.9, 6.80, 5.63, 19.5},
	{150, 279.3, 8.97, 7.42, 25.7},
	{100, 190.4, 13.3, 11.0, 38.2},
	{70, 135.1, 19.0, 15.8, 54.4},
	{50, 97.5, 26.7, 22.1, 76.3},
	{30, 59.1, 44.9, 37.2, 0},
	{20, 39.6, 68.0, 56.3, 0},
}

func TestHighlandHandValues(t *testing.T) {
	al, w := MustMaterial("aluminium"), MustMaterial("water")
	near := func(got, want, tol float64) bool { return math.Abs(got/want-1) <= tol }
	for _, tc := range highlandTable {
		if got := BetaCP(tc.e); !near(got, tc.bcp, 0.001) {
			t.Errorf("%g MeV: βcp %.2f, want %.1f", tc.e, got, tc.bcp)
		}
		// the table is rounded to 3 digits
		if got := 1e3 * HighlandTheta0(tc.e, 3.5, al); !near(got, tc.al35, 0.006) {
			t.Errorf("%g MeV: θ0(3.5 mm Al) %.3f mrad, want %.2f", tc.e, got, tc.al35)
		}
		if got := 1e3 * HighlandTheta0(tc.e, 10, w); !near(got, tc.w1cm, 0.006) {
			t.Errorf("%g MeV: θ0(1 cm water) %.3f mrad, want %.2f", tc.e, got, tc.w1cm)
		}
		if tc.w10cm > 0 {
			if got := 1e3 * HighlandTheta0(tc.e, 100, w); !near(got, tc.w10cm, 0.006) {
				t.Errorf("%g MeV: θ0(10 cm water) %.3f mrad, want %.1f", tc.e, got, tc.w10cm)
			}
		}
	}
	if HighlandTheta0(100, 0, al) != 0 || HighlandTheta0(0, 1, al) != 0 {
		t.Error("θ0 of an empty slab or a stopped proton is not 0")
	}
}

func TestHighlandMixedAddsToTotal(t *testing.T) {
	al := MustMaterial("aluminium")
	// two halves of a slab at constant energy add in quadrature to the whole
	x := 3.5 / al.RadiationLength()
	half := HighlandTheta0Mixed(150, x/2, x)
	if got, want := math.Hypot(half, half), HighlandTheta0(150, 3.5, al); math.Abs(got/want-1) > 1e-12 {
		t.Errorf("halves %.6g, whole %.6g", got, want)
	}
}

func TestScatterPairMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 200000
	const th, l = 0.01, 30.0
	var syy, stt, syt float64
	for i := 0; i < n; i++ {
		y, a := ScatterPair(r, th, l)
		syy += y * y
		stt += a * a
		syt += y * a
	}
	sy, st := math.Sqrt(syy/n), math.Sqrt(stt/n)
	corr := syt / n / (sy * st)
	if math.Abs(sy/(th*l/math.Sqrt(3))-1) > 0.01 || math.Abs(st/th-1) > 0.01 || math.Abs(corr-math.Sqrt(3)/2) > 0.01 {
		t.Errorf("σy %.4f (want %.4f), σθ %.5f (want %.5f), corr %.4f (want %.4f)",
			sy, th*l/math.Sqrt(3), st, th, corr, math.Sqrt(3)/2)
	}
}

func TestBohrStraggling(t *testing.T) {
	w := MustMaterial("water")
	// reference doc §5.2: 10/20 cm water, non-relativistic: 0.93/1.32 MeV
	for _, tc := range []struct{ t, want float64 }{{100, 0.93}, {200, 1.32}} {
		got := math.Sqrt(BohrConstant(tc.t, w))
		if math.Abs(got/tc.want-1) > 0.01 {
			t.Errorf("%g mm: σ %.3f MeV, want %.2f", tc.t, got, tc.want)
		}
	}
	// relativistic factor at 230 MeV: (1-β²/2)/(1-β²) with β² = 0.35498
	if f := BohrFactor(230); math.Abs(f-1.2752) > 1e-3 {
		t.Errorf("γ²(1-β²/2) at 230 MeV = %.4f, want 1.2752", f)
	}
	// Bortfeld range straggling: 3.15 mm at 230 MeV
	if s := BortfeldRangeStraggling(w.Range(230)); math.Abs(s-3.15) > 0.02 {
		t.Errorf("σ_R(230 MeV) = %.3f mm, want 3.15", s)
	}
}

func TestLogBeta2(t *testing.T) {
	for e := 0.1; e < 600; e *= 1.07 {
		if d := LogBeta2(e) - math.Log(Beta2(e)); math.Abs(d) > 1e-4 {
			t.Fatalf("LogBeta2(%g) off by %g", e, d)
		}
	}
}
