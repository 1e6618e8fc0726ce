package sim

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
	"github.com/pcttrack/pcttrack/shard"
)

// collect runs cfg and returns deep copies of the emitted frames.
func collect(t testing.TB, cfg Config) []dataset.Frame {
	t.Helper()
	var out []dataset.Frame
	err := Run(context.Background(), cfg, func(f *dataset.Frame) error {
		c := dataset.Frame{Meta: f.Meta, Hits: append([]dataset.Hit(nil), f.Hits...)}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func smallConfig() Config {
	return Config{Phantom: Phantom{"water", 100, 0}, Frames: 7, ProtonsPerFrame: 20, Seed: 11}
}

func TestRunDeterministic(t *testing.T) {
	cfg := smallConfig()
	cfg.Workers = 1
	one := collect(t, cfg)
	cfg.Workers = 3
	if three := collect(t, cfg); !reflect.DeepEqual(one, three) {
		t.Fatal("3 workers differ from 1 worker")
	}
	// shards k/K together give the single run, frame by frame
	var union []dataset.Frame
	for k := 0; k < 3; k++ {
		c := cfg
		c.Shard = shard.Shard{Index: k, Count: 3}
		for _, f := range collect(t, c) {
			if f.Meta.Frame%3 != int64(k) {
				t.Fatalf("shard %d/3 emitted frame %d", k, f.Meta.Frame)
			}
			union = append(union, f)
		}
	}
	byIndex := map[int64]dataset.Frame{}
	for _, f := range union {
		byIndex[f.Meta.Frame] = f
	}
	for _, f := range one {
		if !reflect.DeepEqual(byIndex[f.Meta.Frame], f) {
			t.Fatalf("frame %d differs between the sharded and the single run", f.Meta.Frame)
		}
	}
	if len(byIndex) != len(one) {
		t.Fatalf("shards gave %d frames, one run %d", len(byIndex), len(one))
	}
	cfg.Seed++
	if other := collect(t, cfg); reflect.DeepEqual(one, other) {
		t.Fatal("a different seed gives the same frames")
	}
}

func TestRunFrames(t *testing.T) {
	cfg := smallConfig()
	cfg.Beam.Spots = []Spot{{0, 0}, {10, -5}}
	frames := collect(t, cfg)
	geom := detector.Default()
	if len(frames) != cfg.Frames {
		t.Fatalf("%d frames, want %d", len(frames), cfg.Frames)
	}
	n := int64(cfg.ProtonsPerFrame)
	for i, f := range frames {
		m := f.Meta
		spot := cfg.Beam.Spots[i%2]
		if m.Frame != int64(i) || m.SpotX != spot.X || m.SpotY != spot.Y || m.Phantom != "water:100" ||
			m.PhantomThickness != 100 || m.BeamEnergy != 230 || m.ProtonsPerFrame != 20 || m.Seed != 11 || m.Geometry != "dtc" {
			t.Fatalf("frame %d meta %+v", i, m)
		}
		events := map[int64]bool{}
		var xs []float64
		for _, h := range f.Hits {
			if h.EventID < m.Frame*n || h.EventID >= (m.Frame+1)*n {
				t.Fatalf("frame %d: event id %d outside [%d, %d)", i, h.EventID, m.Frame*n, (m.Frame+1)*n)
			}
			events[h.EventID] = true
			if h.Layer < 0 || h.Layer >= 50 || math.Abs(float64(h.Z)-geom.Layers[h.Layer].Z) > 1e-3 {
				t.Fatalf("hit in layer %d at z %g", h.Layer, h.Z)
			}
			// (edep is stored as float32: the cluster size may sit one off at an edge)
			if cs := physics.ClusterSize(float64(h.Edep), 0.025); h.ClusterSize < 2 || math.Abs(float64(int(h.ClusterSize)-cs)) > 1 {
				t.Fatalf("hit with edep %g has cluster size %d", h.Edep, h.ClusterSize)
			}
			if h.Primary != (h.TrackID == 1) || (h.TrackID == 1) != (h.ParentID == 0) || h.TrackID < 1 {
				t.Fatalf("track %d parent %d primary %v", h.TrackID, h.ParentID, h.Primary)
			}
			if h.PDG != dataset.PDGProton && h.PDG != dataset.PDGElectron || h.Primary && h.PDG != dataset.PDGProton {
				t.Fatalf("PDG %d", h.PDG)
			}
			if h.Primary && h.Layer == 0 {
				xs = append(xs, float64(h.X))
			}
		}
		// every primary reached the detector; nearly all leave a hit above the cut
		if len(events) < 18 {
			t.Errorf("frame %d: only %d of 20 events have hits", i, len(events))
		}
		sort.Float64s(xs)
		if med := xs[len(xs)/2]; math.Abs(med-spot.X) > 4.5 { // σ ≈ 5 mm at layer 0: the median of 20 is ±1.4 mm
			t.Errorf("frame %d: median x at layer 0 %.2f, spot at %g", i, med, spot.X)
		}
	}
	// frames are not the first N generated: CountGenerated changes the event count
	c := cfg
	c.CountGenerated = true
	c.Phantom.Thickness = 300 // 230 MeV protons barely cross 300 mm of water
	c.Frames = 2
	var ev int
	for _, f := range collect(t, c) {
		seen := map[int64]bool{}
		for _, h := range f.Hits {
			seen[h.EventID] = true
		}
		ev += len(seen)
	}
	if ev >= 40 || ev == 0 {
		t.Errorf("CountGenerated behind 300 mm of water: %d of 40 primaries left hits", ev)
	}
}

func TestClusterSizeTable(t *testing.T) {
	s := segment{thick: 0.025, csEdge: clusterEdges(0.025)}
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 200000; i++ {
		d := math.Exp(r.Float64()*12 - 9) // 0.1 keV … 20 MeV
		if got, want := s.clusterSize(d), physics.ClusterSize(d, 0.025); int(got) != want {
			t.Fatalf("cluster size of %g MeV: %d, want %d", d, got, want)
		}
	}
	for cs := 1; cs < 40; cs++ {
		e := physics.EdepForClusterSize(cs, 0.025)
		if got, want := s.clusterSize(e), physics.ClusterSize(e, 0.025); int(got) != want {
			t.Fatalf("cluster size at edge %d: %d, want %d", cs, got, want)
		}
	}
}

func TestRunErrors(t *testing.T) {
	cfg := smallConfig()
	cfg.Phantom.Thickness = 400 // longer than the 331 mm range at 230 MeV (water at 78 eV)
	cfg.Frames = 1
	cfg.ProtonsPerFrame = 5
	err := Run(context.Background(), cfg, func(*dataset.Frame) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "thicker than the 331 mm range") {
		t.Errorf("too thick a phantom: %v", err)
	}
	// a detector whose first sensor sits behind 400 mm of water
	cfg = smallConfig()
	cfg.Phantom = Phantom{}
	cfg.Geometry = waterStack(400, 1)
	cfg.Beam.SourceZ = Float(-1)
	err = Run(context.Background(), cfg, func(*dataset.Frame) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "reached the detector") {
		t.Errorf("unreachable detector: %v", err)
	}
	cfg = smallConfig()
	boom := errors.New("boom")
	n := 0
	err = Run(context.Background(), cfg, func(*dataset.Frame) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 3 {
		t.Errorf("emit error: %v after %d frames", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n = 0
	err = Run(ctx, cfg, func(*dataset.Frame) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Errorf("cancel: %v after %d frames", err, n)
	}
	cfg.Frames = 0
	if err := Run(context.Background(), cfg, func(*dataset.Frame) error { return nil }); err == nil || !strings.Contains(err.Error(), "0 frames") {
		t.Errorf("zero frames: %v", err)
	}
	// a shard that owns no frame emits nothing
	cfg = smallConfig()
	cfg.Frames = 2
	cfg.Shard = shard.Shard{Index: 4, Count: 5}
	if fr := collect(t, cfg); len(fr) != 0 {
		t.Errorf("empty shard emitted %d frames", len(fr))
	}
}

func TestFrameDoesNotAllocate(t *testing.T) {
	c, err := smallConfig().resolved()
	if err != nil {
		t.Fatal(err)
	}
	pl, err := newPlan(&c)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker(&c, pl)
	f := &dataset.Frame{}
	for i := 0; i < 20; i++ { // grow the hit and secondary buffers
		if err := w.frame(i, f); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(20, func() {
		f.Hits = f.Hits[:0:cap(f.Hits)]
		if err := w.frame(i%20, f); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("a frame allocates %.1f times", allocs)
	}
}

// TestEveryScatteringModel runs each scattering model with and without
// condensed-history steps through the water slab: a proton whose range
// ends inside the step where its interaction was drawn stopped there (it
// once interacted at energy 0, became NaN and panicked the Highland model).
func TestEveryScatteringModel(t *testing.T) {
	for _, sc := range []string{ScatterWentzel, ScatterHighland} {
		for _, step := range []float64{0, -1} {
			c := Config{Phantom: Phantom{Material: "water", Thickness: 200}, Frames: 20, ProtonsPerFrame: 100, Seed: 3,
				Physics: Physics{Scattering: sc, MSCStep: step}}
			frames := collect(t, c)
			events := map[int64]bool{}
			for _, f := range frames {
				for _, h := range f.Hits {
					events[h.EventID] = true
					if math.IsNaN(float64(h.X+h.Y+h.Edep)) || math.IsInf(float64(h.X+h.Y+h.Edep), 0) {
						t.Fatalf("%s, msc step %g: hit %+v", sc, step, h)
					}
				}
			}
			if n := len(events); n < 1800 {
				t.Errorf("%s, msc step %g: %d of 2000 primaries reached the detector", sc, step, n)
			}
		}
	}
}
