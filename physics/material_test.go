package physics

import (
	"math"
	"strings"
	"testing"
)

func TestMaterialByName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Water", "water"}, {"G4_WATER", "g4_water"}, {"Aluminium", "aluminium"}, {"aluminum", "aluminium"},
		{"Silicon", "silicon"}, {"CarbonFiber", "carbonfiber"}, {"Kapton", "kapton"}, {"Glue", "glue"},
		{"PCB", "pcb"}, {"Air", "air"}, {" pmma ", "pmma"},
	} {
		m, err := MaterialByName(tc.in)
		if err != nil || m.Name != tc.want {
			t.Errorf("MaterialByName(%q) = %v, %v; want %s", tc.in, m, err, tc.want)
		}
	}
	_, err := MaterialByName("unobtainium")
	if err == nil || !strings.HasPrefix(err.Error(), "physics: unknown material \"unobtainium\"") {
		t.Errorf("unknown material error = %v", err)
	}
}

func TestMaterialConstants(t *testing.T) {
	// reference doc §3: Z/A and X0 (PDG; glue derived)
	for _, tc := range []struct {
		name   string
		za, x0 float64
	}{
		{"water", 0.5551, 36.08}, {"aluminium", 0.4818, 24.01}, {"silicon", 0.4985, 21.82},
		{"kapton", 0.5126, 40.58}, {"glue", 0.5346, 41.9}, {"air", 0.4992, 36.62},
	} {
		m := MustMaterial(tc.name)
		if math.Abs(m.ZoverA/tc.za-1) > 0.002 {
			t.Errorf("%s Z/A %.4f, want %.4f", tc.name, m.ZoverA, tc.za)
		}
		if math.Abs(m.X0/tc.x0-1) > 0.01 {
			t.Errorf("%s X0 %.2f, want %.2f", tc.name, m.X0, tc.x0)
		}
	}
	if x := MustMaterial("aluminium").RadiationLength(); math.Abs(x-88.96) > 0.05 {
		t.Errorf("Al X0 %.2f mm, want 88.96", x)
	}
}

func TestRangeInverse(t *testing.T) {
	for _, name := range MaterialNames() {
		m := MustMaterial(name)
		for _, e := range []float64{0.5, 3, 10, 57.3, 150, 230, 499} {
			back := m.EnergyFromRange(m.Range(e))
			// 0.125 MeV grid: 0.5 % at 0.5 MeV (a 9 µm range in water)
			if math.Abs(back-e) > 1e-3*e+3e-3 {
				t.Errorf("%s: E(R(%g)) = %g", name, e, back)
			}
		}
		if m.Range(0) != 0 || m.Range(math.NaN()) != 0 || m.EnergyFromRange(-1) != 0 {
			t.Errorf("%s: zero/NaN handling", name)
		}
		// EnergyBefore inverts EnergyAfter
		if e := m.EnergyBefore(m.EnergyAfter(150, 2), 2); math.Abs(e-150) > 1e-3 {
			t.Errorf("%s: EnergyBefore(EnergyAfter(150)) = %g", name, e)
		}
	}
}
