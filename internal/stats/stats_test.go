package stats

import (
	"math"
	"testing"
)

func TestMeanSD(t *testing.T) {
	v := []float64{2, 4, 4, 4, 5, 5, 7, 9} // population SD 2, sample SD √(32/7)
	if m, s := MeanSD(v, 0); m != 5 || s != 2 {
		t.Errorf("population: %g, %g, want 5, 2", m, s)
	}
	if _, s := MeanSD(v, 1); math.Abs(s-math.Sqrt(32.0/7)) > 1e-15 {
		t.Errorf("sample SD %g, want %g", s, math.Sqrt(32.0/7))
	}
	if m, s := MeanSD([]float64{3}, 1); m != 3 || s != 0 {
		t.Errorf("one value: %g, %g, want 3, 0", m, s)
	}
	if m, s := MeanSD(nil, 0); !math.IsNaN(m) || !math.IsNaN(s) {
		t.Errorf("no values: %g, %g, want NaN, NaN", m, s)
	}
}
