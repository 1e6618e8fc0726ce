package sim

import (
	"context"
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
)

// collectTruth runs cfg and returns the frames with their truth.
func collectTruth(t *testing.T, cfg Config) []dataset.Frame {
	t.Helper()
	out, err := Collect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Without scattering, straggling and nuclear interactions the truth is
// geometry and CSDA: WEPL = thickness·sec θ, the exit energy is the CSDA
// energy after that path, and layer 0 lies on the exit ray.
func TestTruthStraight(t *testing.T) {
	cfg := Config{Phantom: Phantom{"water", 100, 0}, Frames: 3, ProtonsPerFrame: 30, Seed: 5,
		Beam:    Beam{Divergence: 0.02, Emittance: -1},
		Physics: Physics{NoScattering: true, NoStraggling: true, NoNuclear: true}}
	st, _ := detector.NewStack(detector.Default())
	z0 := st.PlaneZ(0)
	n := 0
	for _, f := range collectTruth(t, cfg) {
		if len(f.Primaries) != f.Meta.ProtonsPerFrame {
			t.Fatalf("frame %d: %d primaries with truth, want %d", f.Meta.Frame, len(f.Primaries), f.Meta.ProtonsPerFrame)
		}
		for _, h := range f.Hits {
			if _, ok := f.FindPrimary(h.EventID); !ok {
				t.Fatalf("hit of event %d has no truth", h.EventID)
			}
		}
		for _, p := range f.Primaries {
			x := p.Exit
			sec := math.Sqrt(1 + float64(x.TX*x.TX+x.TY*x.TY))
			if d := float64(p.WEPL) - 100*sec; math.Abs(d) > 1e-3 {
				t.Fatalf("event %d: WEPL %v, want 100·sec θ = %v", p.EventID, p.WEPL, 100*sec)
			}
			e0 := physics.MustMaterial("air").EnergyAfter(230, 450*sec) // source at -500
			if e := physics.Water.WithI(DefaultWaterI).EnergyAfter(e0, 100*sec); math.Abs(float64(x.E)-e) > 0.01 {
				t.Fatalf("event %d: exit energy %v, want CSDA %v", p.EventID, x.E, e)
			}
			l := p.Layer0
			if l.TX != x.TX || l.TY != x.TY {
				t.Fatalf("event %d: direction changed without scattering", p.EventID)
			}
			if d := float64(l.X) - (float64(x.X) + float64(x.TX)*(z0-50)); math.Abs(d) > 1e-3 {
				t.Fatalf("event %d: layer-0 x %v is %v mm off the exit ray", p.EventID, l.X, d)
			}
			if !(l.E < x.E && l.E > x.E-1) {
				t.Fatalf("event %d: layer-0 energy %v, exit energy %v", p.EventID, l.E, x.E)
			}
			n++
		}
	}
	if n != 90 {
		t.Fatalf("%d primaries, want 90", n)
	}
}

// With full physics, the WEPL of aluminium is its path weighted by the
// stopping-power ratio (about 2.1), primaries that interact in the phantom
// have no exit, and without a phantom the WEPL is 0.
func TestTruthPhysics(t *testing.T) {
	cfg := Config{Phantom: Phantom{"aluminium", 40, 0}, Frames: 4, ProtonsPerFrame: 50, Seed: 9}
	al, w := physics.MustMaterial("aluminium"), physics.Water
	rsp := func(e float64) float64 { return al.StoppingPower(e) * al.Density / (w.StoppingPower(e) * w.Density) }
	var lost, n int
	for _, f := range collectTruth(t, cfg) {
		for _, p := range f.Primaries {
			if !p.Exit.Reached() {
				if !math.IsNaN(float64(p.WEPL)) {
					t.Fatalf("event %d: WEPL %v without an exit", p.EventID, p.WEPL)
				}
				lost++
				continue
			}
			n++
			r0, r1 := rsp(230), rsp(float64(p.Exit.E))
			// the path is at most 40 mm · sec of the exit angle (angles grow)
			sec := math.Sqrt(1 + float64(p.Exit.TX*p.Exit.TX+p.Exit.TY*p.Exit.TY))
			lo, hi := 40*min(r0, r1)*0.999, 40*max(r0, r1)*sec*1.001
			if float64(p.WEPL) < lo || float64(p.WEPL) > hi {
				t.Fatalf("event %d: WEPL %v outside [%v, %v]", p.EventID, p.WEPL, lo, hi)
			}
		}
	}
	// about 5 % of the primaries interact in 40 mm of aluminium; some of
	// their histories still leave hits (secondaries)
	if n < 150 || lost == 0 {
		t.Fatalf("%d primaries with an exit, %d without", n, lost)
	}
	cfg.Phantom = Phantom{}
	for _, f := range collectTruth(t, cfg) {
		for _, p := range f.Primaries {
			if p.WEPL != 0 || p.Exit.Reached() || !p.Layer0.Reached() && len(f.Hits) > 0 && p.EventID == f.Hits[0].EventID {
				t.Fatalf("no phantom: event %d truth %+v", p.EventID, p)
			}
		}
	}
}
