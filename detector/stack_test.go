package detector

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/physics"
)

func mustStack(t testing.TB, name string) *Stack {
	t.Helper()
	g, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStack(g)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStackSlabsContiguous(t *testing.T) {
	for _, name := range PresetNames() {
		s := mustStack(t, name)
		sl := s.Slabs()
		for i := 1; i < len(sl); i++ {
			if math.Abs(sl[i].Z0-sl[i-1].Z1) > 1e-9 {
				t.Fatalf("%s: gap between slab %d and %d", name, i-1, i)
			}
		}
		for l := 0; l < s.NumLayers(); l++ {
			k := s.SensitiveSlab(l)
			if !sl[k].Sensitive || sl[k].Layer != l || math.Abs((sl[k].Z0+sl[k].Z1)/2-s.PlaneZ(l)) > 1e-9 {
				t.Fatalf("%s: layer %d sensitive slab %+v", name, l, sl[k])
			}
		}
	}
}

func TestWET(t *testing.T) {
	s := mustStack(t, PresetDTC)
	// reference doc §1.3: _auto calorimeter layer 8.12 mm (3660 Al + 100 Si
	// + 135 Kapton at 150 MeV); §1.2: tracker layer ≈ 1.4–1.5 mm.
	if w := s.WET(10); math.Abs(w-8.12) > 0.05 {
		t.Errorf("calorimeter WET %.3f mm, want 8.12", w)
	}
	// plane 1 -> plane 2 crosses the rest of tracker 1 and calorimeter 0 up to its epi
	if w := s.WET(1); w < 1.3 || w > 1.6 {
		t.Errorf("tracker WET %.3f mm, want 1.4–1.5", w)
	}
	if w := s.WETTo(2) - s.WET(0) - s.WET(1); math.Abs(w-s.WET(2)) > 1e-12 {
		t.Errorf("WETTo inconsistent")
	}
}

func TestRangeHelpers(t *testing.T) {
	s := mustStack(t, PresetDTC)
	// reference doc §1.5: 230 MeV with no phantom stops near layer 41–42;
	// §2.2: 186 MeV behind 100 mm of water crosses ≈ 29.6 sensors.
	if l := s.LayersReached(-1, 230); l < 40 || l > 42 {
		t.Errorf("230 MeV reaches layer %d, want 40–42", l)
	}
	e100 := physics.Water.EnergyAfter(230, 100)
	if math.Abs(e100-186) > 1 {
		t.Errorf("230 MeV after 100 mm water: %.2f MeV, want 186", e100)
	}
	if l := s.LayersReached(-1, e100); l < 27 || l > 30 {
		t.Errorf("behind 100 mm water reaches layer %d, want 28–29", l)
	}
	for _, tc := range []struct{ from, to int }{{-1, 0}, {-1, 30}, {0, 1}, {2, 20}, {10, 11}, {5, 41}} {
		me := s.MinEnergy(tc.from, tc.to)
		if !(me > 0) {
			t.Fatalf("MinEnergy(%d,%d) = %g", tc.from, tc.to, me)
		}
		if e := s.EnergyAt(tc.from, tc.to, me*1.001+0.01); !(e > 0) {
			t.Errorf("just above MinEnergy(%d,%d)=%.3f does not arrive", tc.from, tc.to, me)
		}
		if e := s.EnergyAt(tc.from, tc.to, me*0.999-0.01); e != 0 {
			t.Errorf("just below MinEnergy(%d,%d)=%.3f arrives with %.3f", tc.from, tc.to, me, e)
		}
		if got := s.LayersReached(tc.from, me*1.001+0.01); got < tc.to {
			t.Errorf("LayersReached(%d, MinEnergy to %d) = %d", tc.from, tc.to, got)
		}
	}
	// energies compose: from -> mid -> to equals from -> to
	e := s.EnergyAt(-1, 10, 200)
	if d := s.EnergyAt(10, 25, e) - s.EnergyAt(-1, 25, 200); math.Abs(d) > 1e-4 { // table interpolation of split slabs
		t.Errorf("EnergyAt does not compose: %g", d)
	}
	// stop depth lies between the reached plane and the next
	for _, e := range []float64{60, 120, 186, 230} {
		m := s.LayersReached(-1, e)
		d := s.StopDepth(-1, e)
		if d < float64(m) || d > float64(m+1) {
			t.Errorf("StopDepth(%g) = %.3f, reached %d", e, d, m)
		}
	}
	if d1, d2 := s.StopDepth(-1, 150), s.StopDepth(-1, 151); !(d2 > d1) {
		t.Errorf("StopDepth not increasing: %g %g", d1, d2)
	}
	if got, want := s.BeamEnergyAt(5, 230, 100), s.EnergyAt(-1, 5, e100); got != want {
		t.Errorf("BeamEnergyAt %g, want %g", got, want)
	}
}

func TestCellsMatchSlabWalk(t *testing.T) {
	// the per-cell tables reproduce a plain walk over the slabs
	s := mustStack(t, PresetDTC)
	for _, e := range []float64{80, 150, 230} {
		exact := e
		for l := 0; l < 30 && exact > 0; l++ {
			s.walk(l-1, l, func(m *physics.Material, t float64) bool {
				exact = m.EnergyAfter(exact, t)
				return exact > 0
			})
			if got := s.EnergyAt(-1, l, e); math.Abs(got-exact) > 1e-3 { // epi split in halves
				t.Errorf("E=%g plane %d: merged %.4f, exact %.4f", e, l, got, exact)
			}
		}
	}
}

func TestNewStackRejectsBadGeometry(t *testing.T) {
	g := Default()
	g.Layers[3].Slabs[0].Thickness = -1
	if _, err := NewStack(g); err == nil {
		t.Error("negative thickness accepted")
	}
	if _, err := NewStack(nil); err == nil {
		t.Error("nil geometry accepted")
	}
}

func BenchmarkEnergyAt(b *testing.B) {
	benchEnergy(b, func(s *Stack, _ int) float64 { return s.EnergyAt(2, 12, 180) })
}

func BenchmarkMinEnergy(b *testing.B) {
	benchEnergy(b, func(s *Stack, i int) float64 { return s.MinEnergy(2, 3+i%40) })
}

// benchEnergy times energy(s, i) on the DTC's stack, summing the energies
// so that the calls are not optimised away.
func benchEnergy(b *testing.B, energy func(s *Stack, i int) float64) {
	s := mustStack(b, PresetDTC)
	b.ReportAllocs()
	b.ResetTimer()
	var sum float64
	for i := 0; i < b.N; i++ {
		sum += energy(s, i)
	}
	if sum == 0 {
		b.Fatal("no energy")
	}
}
