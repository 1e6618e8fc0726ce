package graph

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/cputime"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

var benchFrames = sync.OnceValue(func() map[int][]dataset.Frame {
	m := map[int][]dataset.Frame{}
	for _, p := range []int{50, 100, 150} {
		m[p] = testframes.SyntheticFrames(7, 8, testframes.SynthOptions{Protons: p})
	}
	return m
})

// benchBuilds times build on inputs 0..n−1 round-robin after one untimed
// pass over all, and reports frames/s and the mean size build returns per
// frame (named unit).
func benchBuilds(b *testing.B, n int, build func(i int) (size int, err error), unit string) {
	for i := range n {
		if _, err := build(i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		size, err := build(i % n)
		if err != nil {
			b.Fatal(err)
		}
		total += size
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(total)/float64(b.N), unit)
}

// BenchmarkBuild times hit-graph construction with a reused Builder and
// HitGraph on synthetic 100 mm frames (sizes close to the paper's table).
func BenchmarkBuild(b *testing.B) {
	for _, p := range []int{50, 100, 150} {
		b.Run(fmt.Sprintf("p%d", p), func(b *testing.B) {
			fs := benchFrames()[p]
			bld, _ := NewBuilder(nil)
			var g HitGraph
			benchBuilds(b, len(fs), func(i int) (int, error) {
				err := bld.Build(&g, &fs[i])
				return len(g.Src), err
			}, "segments/frame")
		})
	}
	// Throughput with one Builder per core, as a training or tracking run
	// over many frames would use it.
	b.Run("p100-parallel", func(b *testing.B) {
		fs := benchFrames()[100]
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			bld, _ := NewBuilder(nil)
			var g HitGraph
			i := 0
			for pb.Next() {
				if err := bld.Build(&g, &fs[i%len(fs)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}

// BenchmarkLineGraph times line-graph construction (topology, angles,
// labels, Reverse) from a prebuilt hit graph with a reused LineBuilder.
func BenchmarkLineGraph(b *testing.B) {
	for _, p := range []int{50, 100, 150} {
		b.Run(fmt.Sprintf("p%d", p), func(b *testing.B) {
			fs := benchFrames()[p]
			bld, _ := NewBuilder(nil)
			gs := make([]HitGraph, len(fs))
			for i := range fs {
				if err := bld.Build(&gs[i], &fs[i]); err != nil {
					b.Fatal(err)
				}
			}
			lb := NewLineBuilder(nil)
			var lg LineGraph
			benchBuilds(b, len(gs), func(i int) (int, error) {
				err := lb.Build(&lg, &gs[i])
				return len(lg.Src), err
			}, "edges/frame")
		})
	}
}

// BenchmarkPipeline times what a model needs per frame: the hit graph, the
// line graph and the segment features, with reused buffers; "parallel"
// runs one pipeline per core.
func BenchmarkPipeline(b *testing.B) {
	run := func(fs []dataset.Frame, next func() bool) {
		bld, _ := NewBuilder(nil)
		lb := NewLineBuilder(nil)
		var g HitGraph
		var lg LineGraph
		for i := 0; next(); i++ {
			if err := bld.Build(&g, &fs[i%len(fs)]); err != nil {
				b.Error(err)
				return
			}
			if err := lb.Build(&lg, &g); err != nil {
				b.Error(err)
				return
			}
		}
	}
	b.Run("p100", func(b *testing.B) {
		fs := benchFrames()[100]
		b.ReportAllocs()
		b.ResetTimer()
		n := 0
		run(fs, func() bool { n++; return n <= b.N })
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
	b.Run("p100-parallel", func(b *testing.B) {
		fs := benchFrames()[100]
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) { run(fs, pb.Next) })
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}

var simBenchFrames = sync.OnceValues(func() (map[int][]dataset.Frame, error) {
	m := map[int][]dataset.Frame{}
	for _, p := range []int{50, 100, 150} {
		var err error
		if m[p], err = simframes.Water(p, 4, 9); err != nil {
			return nil, err
		}
	}
	return m, nil
})

// BenchmarkSparse times the sparse graphs on simulated 100 mm frames
// (which record the beam energy the Highland cuts use) against the full
// ones: "build" is the hit graph (tracker cut 4 σ or none), "line" the line
// graph of it (physics cut 4 σ or none).
func BenchmarkSparse(b *testing.B) {
	fsets, err := simBenchFrames()
	if err != nil {
		b.Fatal(err)
	}
	for _, sparse := range []bool{false, true} {
		var opt Options
		name := "full"
		if sparse {
			opt, name = Options{TrackerCut: 4, PhysicsCut: 4}, "sparse"
		}
		for _, p := range []int{50, 100, 150} {
			fs := fsets[p]
			bld, _ := NewBuilder(&opt)
			gs := make([]HitGraph, len(fs))
			for i := range fs {
				if err := bld.Build(&gs[i], &fs[i]); err != nil {
					b.Fatal(err)
				}
			}
			var g HitGraph
			b.Run(fmt.Sprintf("build/%s/p%d", name, p), func(b *testing.B) {
				cpuLoop(b, func(i int) error { return bld.Build(&g, &fs[i%len(fs)]) })
				b.ReportMetric(float64(len(gs[0].Src)), "segments")
			})
			lo := LineOptionsOf(opt)
			lb := NewLineBuilder(&lo)
			var lg LineGraph
			if err := lb.Build(&lg, &gs[0]); err != nil { // tables of the cut
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("line/%s/p%d", name, p), func(b *testing.B) {
				cpuLoop(b, func(i int) error { return lb.Build(&lg, &gs[i%len(gs)]) })
				b.ReportMetric(float64(len(lg.Src)), "edges")
			})
		}
	}
}

// cpuLoop runs op(i) for i = 0, 1, ... as the benchmark loop, failing on
// its first error, and reports the process's CPU time per op.
func cpuLoop(b *testing.B, op func(i int) error) {
	b.ReportAllocs()
	i := 0
	c0, _ := cputime.Process()
	for b.Loop() {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(cputime.Since(c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
