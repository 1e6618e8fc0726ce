package physics

import (
	"math"
	"testing"
)

// PSTAR (NIST) CSDA ranges in g/cm², reference doc §4.1 (water from
// plastimatch's PSTAR table, 230 MeV from the DTC toolkit's
// WaterPSTAR.csv; aluminium from the toolkit's PureAl.csv).
var pstarRange = []struct {
	mat  string
	e, r float64
}{
	{"water", 70, 4.080}, {"water", 100, 7.718}, {"water", 150, 15.77},
	{"water", 200, 25.96}, {"water", 230, 32.95}, {"water", 20, 0.4260},
	{"water", 50, 2.227}, {"water", 250, 37.94},
	{"aluminium", 20, 0.573}, {"aluminium", 50, 2.918}, {"aluminium", 100, 9.976},
	{"aluminium", 150, 20.26}, {"aluminium", 200, 33.22},
}

func TestCSDARangePSTAR(t *testing.T) {
	for _, tc := range pstarRange {
		m := MustMaterial(tc.mat)
		got := m.Range(tc.e) * m.Density / 10 // mm -> g/cm²
		if rel := got/tc.r - 1; math.Abs(rel) > 0.01 {
			t.Errorf("%s %g MeV: range %.4f g/cm², PSTAR %.4f (%.2f%%)", tc.mat, tc.e, got, tc.r, 100*rel)
		} else {
			t.Logf("%s %g MeV: range %.4f g/cm², PSTAR %.4f (%+.2f%%)", tc.mat, tc.e, got, tc.r, 100*rel)
		}
	}
}

// PSTAR total mass stopping powers, MeV cm²/g (reference doc §4.1).
var pstarS = []struct {
	e             float64
	water, al, si float64
}{
	{10, 45.67, 33.76, 34.59}, {20, 26.07, 19.69, 20.20}, {30, 18.76, 14.31, 14.69},
	{50, 12.45, 9.594, 9.856}, {70, 9.559, 7.408, 7.614}, {100, 7.289, 5.678, 5.838},
	{150, 5.445, 4.262, 4.383}, {200, 4.492, 3.526, 3.628}, {250, 3.911, 3.076, 3.165},
}

func TestStoppingPowerPSTAR(t *testing.T) {
	w, al, si := MustMaterial("water"), MustMaterial("aluminium"), MustMaterial("silicon")
	for _, tc := range pstarS {
		for _, c := range []struct {
			m    *Material
			want float64
		}{{w, tc.water}, {al, tc.al}, {si, tc.si}} {
			got := c.m.StoppingPower(tc.e)
			if rel := got/c.want - 1; math.Abs(rel) > 0.005 {
				t.Errorf("%s %g MeV: S %.4f, PSTAR %.4f (%.2f%%)", c.m.Name, tc.e, got, c.want, 100*rel)
			}
		}
	}
}
