package recon

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

var benchSys struct {
	once sync.Once
	sys  map[string]*System
}

func benchSystem(b *testing.B, kind PathKind, n int) *System {
	benchSys.once.Do(func() { benchSys.sys = map[string]*System{} })
	key := fmt.Sprint(kind, n)
	if s, ok := benchSys.sys[key]; ok {
		return s
	}
	pr := straightProtons(ctp404(), n, 180, 80, 0.002, 1)
	s, err := NewSystem(context.Background(), pr, Grid{}, &PathOptions{Kind: kind, Hull: 80}, 0)
	if err != nil {
		b.Fatal(err)
	}
	benchSys.sys[key] = s
	return s
}

func BenchmarkSolve(b *testing.B) {
	for _, blocks := range []int{20, 100} {
		b.Run(fmt.Sprintf("blocks=%d", blocks), func(b *testing.B) {
			sys := benchSystem(b, Straight, 100000)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := Solve(context.Background(), sys, &Options{Blocks: blocks, Iterations: 2}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNewSystem(b *testing.B) {
	for _, kind := range []PathKind{Straight, MLP} {
		b.Run(kind.String(), func(b *testing.B) {
			pr := straightProtons(ctp404(), 20000, 180, 80, 0.002, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := NewSystem(context.Background(), pr, Grid{}, &PathOptions{Kind: kind, Hull: 80}, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(pr))/b.Elapsed().Seconds(), "protons/s")
		})
	}
}

// BenchmarkReconstruct is the target: a 256 × 256 slice (1 mm)
// from 10⁶ protons over 180 projections with the single-sided MLP and 10
// DROP iterations (about a minute per op; run it alone with -benchtime 1x).
// It reports the live heap after building the system matrix.
func BenchmarkReconstruct(b *testing.B) {
	pr := straightProtons(ctp404(), 1000000, 180, 80, 0.003, 1)
	opt := &PathOptions{Hull: 80, Prior: BeamCov(2, 0.0025, 0)}
	b.ReportAllocs()
	b.ResetTimer()
	var heap float64
	for range b.N {
		sys, err := NewSystem(context.Background(), pr, Grid{}, opt, 0)
		if err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = float64(ms.HeapInuse) / 1e6
		if _, err := Solve(context.Background(), sys, &Options{Iterations: 10}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(heap, "MB-heap")
}
