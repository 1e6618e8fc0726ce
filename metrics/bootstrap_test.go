package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The bootstrap interval of a difference of means covers the normal
// theory interval: two samples of 400 with sd 1 and 2 have a standard
// error √(1/400 + 4/400) = 0.112, so the 95 % interval is ±0.219.
func TestBootstrapMeanDiff(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a, b := make([]float64, 400), make([]float64, 400)
	for i := range a {
		a[i] = 1 + r.NormFloat64()
		b[i] = 0.5 + 2*r.NormFloat64()
	}
	iv := BootstrapMeanDiff(a, b, 4000, 0.95, 7)
	var sa, sb float64
	for i := range a {
		sa += a[i]
		sb += b[i]
	}
	if want := (sa - sb) / 400; math.Abs(iv.Value-want) > 1e-12 {
		t.Errorf("point estimate %g, want %g", iv.Value, want)
	}
	half := (iv.Hi - iv.Lo) / 2
	if math.Abs(half/0.219-1) > 0.1 || iv.Lo > iv.Value || iv.Hi < iv.Value {
		t.Errorf("interval [%.3f, %.3f] around %.3f: half width %.3f, want ≈ 0.219", iv.Lo, iv.Hi, iv.Value, half)
	}
	if again := BootstrapMeanDiff(a, b, 4000, 0.95, 7); again != iv {
		t.Errorf("not deterministic: %+v then %+v", iv, again)
	}
	if z := BootstrapMeanDiff(nil, b, 10, 0.95, 1); z != (Interval{}) {
		t.Errorf("empty sample: %+v", z)
	}
}
