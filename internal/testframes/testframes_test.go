package testframes

import (
	"math"
	"reflect"
	"testing"

	"github.com/pcttrack/pcttrack/physics"
)

func TestLayerZ(t *testing.T) {
	tests := []struct {
		layer int
		want  float64
	}{{0, 225.2315}, {1, 277.6315}, {2, 333.3815}, {3, 338.8815}, {49, 333.3815 + 47*5.5}}
	for _, tc := range tests {
		if got := LayerZ(tc.layer); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("LayerZ(%d) = %g, want %g", tc.layer, got, tc.want)
		}
	}
}

func TestCasesConsistent(t *testing.T) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			hs := c.Frame.Hits
			trueSegs, primSegs := 0, 0
			for _, s := range c.Segments {
				a, b := hs[s[0]], hs[s[1]]
				if b.Layer != a.Layer-1 {
					t.Errorf("segment %v joins layers %d and %d", s, a.Layer, b.Layer)
				}
				if a.EventID == b.EventID {
					trueSegs++
					if a.Primary && b.Primary {
						primSegs++
					}
				}
			}
			if trueSegs != c.TrueSegments || primSegs != c.PrimarySegments {
				t.Errorf("true/primary segments %d/%d, case says %d/%d", trueSegs, primSegs, c.TrueSegments, c.PrimarySegments)
			}
			n := 0
			for _, tr := range c.Tracks {
				for k, i := range tr {
					h := hs[i]
					if !h.Primary || h.EventID != hs[tr[0]].EventID || (k > 0 && h.Layer != hs[tr[k-1]].Layer-1) {
						t.Errorf("track %v broken at hit %d", tr, i)
					}
				}
				n += len(tr)
			}
			for _, h := range hs {
				if float64(h.Z) != float64(float32(LayerZ(int(h.Layer)))) || h.ClusterSize < 2 {
					t.Errorf("hit %+v off its sensor plane or below threshold", h)
				}
			}
		})
	}
}

func TestClusterSizeMatchesPhysics(t *testing.T) {
	for _, e := range []float64{0, 0.003, 0.005, 0.0195, 0.06, 0.2, 1} {
		if got, want := clusterSize(e), physics.ClusterSize(e, 0.025); int(got) != want {
			t.Errorf("clusterSize(%g) = %d, physics says %d", e, got, want)
		}
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a := Synthetic(Stream(1, 2), SynthOptions{Protons: 20})
	b := Synthetic(Stream(1, 2), SynthOptions{Protons: 20})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same stream, different frames")
	}
	c := Synthetic(Stream(1, 3), SynthOptions{Protons: 20})
	if reflect.DeepEqual(a.Hits, c.Hits) {
		t.Fatal("different streams, same frame")
	}
	fs := SyntheticFrames(1, 4, SynthOptions{Protons: 20})
	o := SynthOptions{Protons: 20, Frame: 2}
	if got := Synthetic(Stream(1, 2), o); !reflect.DeepEqual(fs[2], got) {
		t.Error("SyntheticFrames(…)[2] differs from Synthetic(Stream(seed, 2))")
	}
}

// TestSyntheticShape checks the figures the generator promises: hits per
// primary close to the paper's 26.8 / 21.5 / 16.3 at 100 / 150 / 200 mm
// (dtc-reference.md §2.2), hits on the sensor planes inside the aperture,
// cs >= 2, event grouping and some secondaries.
func TestSyntheticShape(t *testing.T) {
	tests := []struct {
		water, perPrimary float64
	}{{100, 26.8}, {150, 21.5}, {200, 16.3}}
	for _, tc := range tests {
		o := SynthOptions{Water: tc.water, Frame: 3}
		f := Synthetic(Stream(9, 0), o)
		per := float64(len(f.Hits)) / 100
		if math.Abs(per/tc.perPrimary-1) > 0.08 {
			t.Errorf("water %g: %.2f hits per primary, want about %.1f", tc.water, per, tc.perPrimary)
		}
		if f.Meta.ProtonsPerFrame != 100 || f.Meta.Frame != 3 || f.Meta.PhantomThickness != tc.water {
			t.Errorf("meta %+v", f.Meta)
		}
		secondaries, maxLayer := 0, int32(0)
		for i, h := range f.Hits {
			if h.ClusterSize < 2 || math.Abs(float64(h.X)) > 135.4 || math.Abs(float64(h.Y)) > 83.15 ||
				float64(h.Z) != float64(float32(LayerZ(int(h.Layer)))) {
				t.Fatalf("bad hit %+v", h)
			}
			if h.EventID < 300 || h.EventID >= 400 || (i > 0 && h.EventID < f.Hits[i-1].EventID) {
				t.Fatalf("event id %d out of order or range", h.EventID)
			}
			if !h.Primary {
				secondaries++
				if h.ParentID != 1 || h.TrackID < 2 {
					t.Fatalf("secondary %+v", h)
				}
			}
			if h.Primary {
				maxLayer = max(maxLayer, h.Layer)
			}
		}
		if secondaries == 0 || secondaries > len(f.Hits)/10 {
			t.Errorf("water %g: %d secondary hits of %d", tc.water, secondaries, len(f.Hits))
		}
		if want := int32(2 + (329.5-tc.water-6.06)/8.16); maxLayer < want || maxLayer > want+2 {
			t.Errorf("water %g: deepest primary hit in layer %d, want about %d", tc.water, maxLayer, want)
		}
	}
	if f := Synthetic(Stream(9, 1), SynthOptions{Water: -1, Protons: 5}); f.Meta.Phantom != "none" || len(f.Hits) < 5*35 {
		t.Errorf("no phantom: %q, %d hits", f.Meta.Phantom, len(f.Hits))
	}
}

func BenchmarkSynthetic(b *testing.B) {
	rng := Stream(1, 1)
	b.ReportAllocs()
	hits := 0
	for i := 0; i < b.N; i++ {
		hits += len(Synthetic(rng, SynthOptions{}).Hits)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(hits)/float64(b.N), "hits/frame")
}
