package baseline

import (
	"fmt"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/track"
)

// benchSizes are the protons per frame benchmarked (100 mm of water).
var benchSizes = []int{50, 100, 150}

// benchGraphs returns 8 frames of n protons (seed 11) and their hit
// graphs.
func benchGraphs(b *testing.B, n int) ([]dataset.Frame, []*graph.HitGraph) {
	b.Helper()
	fs := simframes.Must(b, n, 8, 11)
	var gs []*graph.HitGraph
	for i := range fs {
		g, err := graph.Build(&fs[i], nil)
		if err != nil {
			b.Fatal(err)
		}
		gs = append(gs, g)
	}
	return fs, gs
}

func benchTracker(b *testing.B, mk func() track.Tracker) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("p%d", n), func(b *testing.B) {
			_, gs := benchGraphs(b, n)
			tr := mk()
			var res track.Result
			for _, g := range gs {
				if err := tr.Track(&res, g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			tracks := 0
			for i := range b.N {
				if err := tr.Track(&res, gs[i%len(gs)]); err != nil {
					b.Fatal(err)
				}
				tracks += res.Tracks.Len()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(float64(tracks)/float64(b.N), "tracks/frame")
		})
	}
}

func BenchmarkFollower(b *testing.B) {
	benchTracker(b, func() track.Tracker { return &Follower{} })
}

func BenchmarkPhysics(b *testing.B) {
	benchTracker(b, func() track.Tracker { return defaultPhysics(b) })
}

// BenchmarkGraphAndPhysics times the whole physics baseline from a frame:
// hit-graph building plus tracking, on one goroutine and on all
// (GOMAXPROCS) with a builder and tracker each (their construction and
// growth are inside the parallel timing).
func BenchmarkGraphAndPhysics(b *testing.B) {
	frames, _ := benchGraphs(b, 100)
	newPair := func() (*graph.Builder, *Physics) {
		bl, err := graph.NewBuilder(nil)
		if err != nil {
			b.Fatal(err)
		}
		p := defaultPhysics(b)
		return bl, p
	}
	b.Run("p100", func(b *testing.B) {
		bl, p := newPair()
		var g graph.HitGraph
		var res track.Result
		for i := range frames { // grow the workspaces
			if err := bl.Build(&g, &frames[i]); err != nil {
				b.Fatal(err)
			}
			if err := p.Track(&res, &g); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if err := bl.Build(&g, &frames[i%len(frames)]); err != nil {
				b.Fatal(err)
			}
			if err := p.Track(&res, &g); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
	b.Run("p100-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			bl, p := newPair()
			var g graph.HitGraph
			var res track.Result
			i := 0
			for pb.Next() {
				if err := bl.Build(&g, &frames[i%len(frames)]); err != nil {
					b.Error(err)
					return
				}
				if err := p.Track(&res, &g); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}
