package sim

import (
	"context"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
)

// gateFile is the GATE/Geant4 reference run (250 MeV, 250 mm water, the
// older 3 mm Al DTC; see /work/shared/data/gate/README.md).
const gateFile = "../../shared/data/gate/DTC_Aluminium_Absorber3mm_Degrader250mm_250MeV.root"

// gateFigures are the statistics of the GATE file's primaries (TrackID 1),
// after merging per (event, track, layer) and the cluster-size cut with a
// 14 µm sensitive slab, per 5000 generated primaries.
type gateFigures struct {
	frac, sdx, sdy, edep map[int]float64 // per layer: hit fraction, rms x/y (mm), mean edep (keV)
	deepMean, deepSD     float64
	deepHist             map[int]int
	hits, secHits        int
}

var gateLayers = []int{0, 1, 2, 4, 6, 8, 10, 12, 14, 16, 17, 18, 19, 20}

// gateConstants are the figures the lead computed from the GATE file
// (task brief of the simulator, issue 2), used when the file is absent.
func gateConstants() gateFigures {
	rows := [][5]float64{
		{0, 0.7798, 6.858, 6.491, 16.04}, {1, 0.7792, 7.029, 6.662, 15.87}, {2, 0.7702, 6.828, 6.625, 15.79},
		{4, 0.7580, 7.164, 6.830, 17.11}, {6, 0.7436, 7.216, 6.839, 18.12}, {8, 0.7290, 7.364, 6.981, 19.63},
		{10, 0.7128, 7.684, 7.250, 21.41}, {12, 0.6992, 7.791, 7.464, 23.93}, {14, 0.6834, 8.115, 7.761, 28.15},
		{16, 0.6630, 8.009, 7.686, 37.32}, {17, 0.6418, 7.185, 7.262, 49.74}, {18, 0.4822, 6.345, 6.436, 87.60},
		{19, 0.0684, 5.440, 6.493, 141.22}, {20, 0.0006, 1.618, 3.221, 257.68},
	}
	g := gateFigures{frac: map[int]float64{}, sdx: map[int]float64{}, sdy: map[int]float64{}, edep: map[int]float64{},
		deepMean: 16.381, deepSD: 3.845, deepHist: map[int]int{16: 106, 17: 798, 18: 2069, 19: 339, 20: 3},
		hits: 71194, secHits: 3426}
	for _, r := range rows {
		l := int(r[0])
		g.frac[l], g.sdx[l], g.sdy[l], g.edep[l] = r[1], r[2], r[3], r[4]
	}
	return g
}

// figures computes gateFigures from frames (any framing) of n generated
// primaries.
func figures(frames []dataset.Frame, n float64) gateFigures {
	type acc struct{ n, sx, sxx, sy, syy, se float64 }
	per := map[int]*acc{}
	deep := map[int64]int{}
	g := gateFigures{frac: map[int]float64{}, sdx: map[int]float64{}, sdy: map[int]float64{}, edep: map[int]float64{}, deepHist: map[int]int{}}
	for _, f := range frames {
		for _, h := range f.Hits {
			g.hits++
			if h.TrackID != 1 {
				g.secHits++
				continue
			}
			l := int(h.Layer)
			a := per[l]
			if a == nil {
				a = &acc{}
				per[l] = a
			}
			x, y := float64(h.X), float64(h.Y)
			a.n++
			a.sx += x
			a.sxx += x * x
			a.sy += y
			a.syy += y * y
			a.se += float64(h.Edep)
			if d, ok := deep[h.EventID]; !ok || l > d {
				deep[h.EventID] = l
			}
		}
	}
	for l, a := range per {
		mx, my := a.sx/a.n, a.sy/a.n
		g.frac[l] = a.n / n
		g.sdx[l] = math.Sqrt(a.sxx/a.n - mx*mx)
		g.sdy[l] = math.Sqrt(a.syy/a.n - my*my)
		g.edep[l] = 1e3 * a.se / a.n
	}
	var s, s2 float64
	for _, d := range deep {
		g.deepHist[d]++
		s += float64(d)
		s2 += float64(d * d)
	}
	k := float64(len(deep))
	g.deepMean = s / k
	g.deepSD = math.Sqrt(s2/k - g.deepMean*g.deepMean)
	return g
}

// readGATEFigures reads the reference file through the dataset importer,
// one event per frame; it skips the test when the file is absent.
func readGATEFigures(t *testing.T) gateFigures {
	t.Helper()
	if _, err := os.Stat(gateFile); err != nil {
		t.Skipf("GATE reference file not available: %v", err)
	}
	frames, err := dataset.ReadGATE([]string{gateFile}, &dataset.GATEOptions{
		ImportOptions: dataset.ImportOptions{ProtonsPerFrame: 1, EpiThickness: 0.0139},
	})
	if err != nil {
		t.Fatal(err)
	}
	return figures(frames, 5000)
}

// simulateGATE runs the simulator on the GATE file's set-up: the gate-3mm
// geometry, 250 mm of water ending at z = 0, a 250 MeV point source at
// z = -255 mm (every hit of the file has sourcePos (0, 0, -255), so there
// is no spot size; a divergence would be invisible next to the 6–7 mm of
// scattering and is taken as 0), primaries counted as generated, and no
// separate δ-electrons: that run's production cut in the thin slab was
// above T_max (the primaries' mean edep is the full mean loss, not the
// restricted one), and its 0.6 % of electron hits come from other
// volumes, which the simulation does not model.
func simulateGATE(t *testing.T, frames int) (gateFigures, float64) {
	g, _ := detector.Preset(detector.PresetGATE3mm)
	cfg := Config{
		Geometry: g, Phantom: Phantom{"water", 250, -125},
		Beam:    Beam{Energy: 250, SourceZ: Float(-255), SpotSigma: -1, Divergence: -1},
		Physics: Physics{DeltaCut: -1},
		Frames:  frames, ProtonsPerFrame: 100, Seed: 2018, CountGenerated: true,
	}
	var out []dataset.Frame
	err := Run(context.Background(), cfg, func(f *dataset.Frame) error {
		out = append(out, dataset.Frame{Meta: f.Meta, Hits: append([]dataset.Hit(nil), f.Hits...)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := float64(frames * 100)
	return figures(out, n), n
}

func TestGATEFileMatchesConstants(t *testing.T) {
	got := readGATEFigures(t)
	want := gateConstants()
	for _, l := range gateLayers {
		if math.Abs(got.frac[l]-want.frac[l]) > 0.001 || math.Abs(got.edep[l]/want.edep[l]-1) > 0.005 ||
			math.Abs(got.sdx[l]/want.sdx[l]-1) > 0.005 {
			t.Errorf("layer %d: frac %.4f sdx %.3f edep %.2f; lead's figures %.4f %.3f %.2f",
				l, got.frac[l], got.sdx[l], got.edep[l], want.frac[l], want.sdx[l], want.edep[l])
		}
	}
	// (the hit count may differ by a few clusters at the cs = 2 edge: edep
	// is float32 in the file)
	if math.Abs(got.deepMean-want.deepMean) > 0.01 || math.Abs(float64(got.hits-want.hits)) > 5 {
		t.Errorf("deepest mean %.3f, hits %d; lead's %.3f, %d", got.deepMean, got.hits, want.deepMean, want.hits)
	}
}

func TestSimulationAgainstGATE(t *testing.T) {
	ref := gateConstants()
	src := "the lead's figures of the GATE file"
	if _, err := os.Stat(gateFile); err == nil {
		ref = readGATEFigures(t)
		src = "the GATE file"
	}
	sim, n := simulateGATE(t, 100)
	t.Logf("%g simulated primaries against %s (5000 primaries)", n, src)
	t.Logf("layer  frac sim/GATE    rms x sim/GATE   rms y sim/GATE   edep keV sim/GATE")
	for _, l := range gateLayers {
		t.Logf("L%-3d  %.4f / %.4f   %6.3f / %6.3f  %6.3f / %6.3f  %7.2f / %7.2f", l, sim.frac[l], ref.frac[l],
			sim.sdx[l], ref.sdx[l], sim.sdy[l], ref.sdy[l], sim.edep[l], ref.edep[l])
	}
	var hs []int
	for d := range sim.deepHist {
		hs = append(hs, d)
	}
	sort.Ints(hs)
	t.Logf("deepest primary layer: mean %.3f / %.3f, sd %.3f / %.3f; GATE 16-20: %d %d %d %d %d; sim per 5000: %.0f %.0f %.0f %.0f %.0f",
		sim.deepMean, ref.deepMean, sim.deepSD, ref.deepSD,
		ref.deepHist[16], ref.deepHist[17], ref.deepHist[18], ref.deepHist[19], ref.deepHist[20],
		float64(sim.deepHist[16])*5000/n, float64(sim.deepHist[17])*5000/n, float64(sim.deepHist[18])*5000/n,
		float64(sim.deepHist[19])*5000/n, float64(sim.deepHist[20])*5000/n)
	simHits, refHits := float64(sim.hits)/n, float64(ref.hits)/5000
	simSec, refSec := float64(sim.secHits)/float64(sim.hits), float64(ref.secHits)/float64(ref.hits)
	t.Logf("hits per generated primary %.2f / %.2f; secondary share of hits %.2f%% / %.2f%%", simHits, refHits, 100*simSec, 100*refSec)

	// Tolerances. Survival: the nuclear model is normalised to Bortfeld,
	// Geant4 loses ~1 point more in 250 mm of water; statistics ±0.6 point.
	// Rms widths: dominated by single/nuclear scattering tails, ±4 % from
	// statistics alone. Edep (plateau, layers <= 12): 2–5 % low in the
	// simulation, consistently with its protons arriving with ~3 % more
	// energy. The
	// Bragg peak sits ~0.4 layer (1 % of the 380 mm WEPL) deeper in the
	// simulation than in Geant4 (stopping-power tables, water I), so the
	// layers 16–20 and the deepest-layer histogram are compared through
	// its mean, spread and mode only.
	for _, l := range gateLayers {
		if l > 16 {
			continue
		}
		if d := sim.frac[l] - ref.frac[l]; math.Abs(d) > 0.03 {
			t.Errorf("layer %d: %.4f of the primaries have a hit, GATE %.4f", l, sim.frac[l], ref.frac[l])
		}
		for _, v := range []struct {
			what     string
			got, ref float64
		}{{"rms x", sim.sdx[l], ref.sdx[l]}, {"rms y", sim.sdy[l], ref.sdy[l]}} {
			if math.Abs(v.got/v.ref-1) > 0.10 {
				t.Errorf("layer %d: %s %.3f mm, GATE %.3f", l, v.what, v.got, v.ref)
			}
		}
		if l <= 12 && math.Abs(sim.edep[l]/ref.edep[l]-1) > 0.06 {
			t.Errorf("layer %d: mean edep %.2f keV, GATE %.2f", l, sim.edep[l], ref.edep[l])
		}
	}
	if math.Abs(sim.deepMean-ref.deepMean) > 0.6 || math.Abs(sim.deepSD/ref.deepSD-1) > 0.15 {
		t.Errorf("deepest layer mean %.3f sd %.3f, GATE %.3f %.3f", sim.deepMean, sim.deepSD, ref.deepMean, ref.deepSD)
	}
	mode := func(h map[int]int) int {
		m := 0
		for d, c := range h {
			if c > h[m] {
				m = d
			}
		}
		return m
	}
	if mode(sim.deepHist) != mode(ref.deepHist) {
		t.Errorf("most primaries stop in layer %d, GATE %d", mode(sim.deepHist), mode(ref.deepHist))
	}
	if math.Abs(simHits/refHits-1) > 0.05 || math.Abs(simSec-refSec) > 0.015 {
		t.Errorf("hits per primary %.2f (GATE %.2f), secondary share %.3f (GATE %.3f)", simHits, refHits, simSec, refSec)
	}
}
