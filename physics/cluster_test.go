package physics

import (
	"math"
	"testing"
)

func TestClusterSize(t *testing.T) {
	tests := []struct {
		name      string
		edep, thk float64
		want      int
	}{
		{"threshold below", 5.0e-3, 0.025, 1},
		{"threshold at", 5.1e-3, 0.025, 2},
		{"60 keV normaliser", 60e-3, 0.025, 7},       // 4.2267*2.4^0.65+0.5 = 7.97 -> 7
		{"last-hit cut 62.5 keV", 62.5e-3, 0.025, 8}, // 2.5 keV/µm -> 8.07
		{"zero", 0, 0.025, 0},
		{"negative", -1, 0.025, 0},
		{"nan", math.NaN(), 0.025, 0},
		{"no slab", 1e-3, 0, 0},
	}
	for _, tc := range tests {
		if got := ClusterSize(tc.edep, tc.thk); got != tc.want {
			t.Errorf("%s: ClusterSize(%g, %g) = %d, want %d", tc.name, tc.edep, tc.thk, got, tc.want)
		}
	}
}

func TestEdepForClusterSizeInverts(t *testing.T) {
	for cs := 1; cs <= 40; cs++ {
		e := EdepForClusterSize(cs, 0.025)
		if got := ClusterSize(e*(1+1e-9), 0.025); got != cs {
			t.Errorf("cs %d: ClusterSize(EdepFor) = %d", cs, got)
		}
		if got := ClusterSize(e*(1-1e-6), 0.025); got != cs-1 {
			t.Errorf("cs %d: just below gives %d", cs, got)
		}
	}
	// cs >= 2 <=> 5.08 keV in 25 µm (reference doc §7).
	if e := EdepForClusterSize(2, 0.025) * 1e3; math.Abs(e-5.08) > 0.01 {
		t.Errorf("threshold %g keV, want 5.08", e)
	}
}
