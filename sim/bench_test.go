package sim

import (
	"context"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// BenchmarkRun simulates 10 frames of 100 primaries per iteration on all
// cores and reports primaries per second (the target is 20,000/s on 2
// cores behind 100 mm of water).
func BenchmarkRun(b *testing.B) {
	for _, ph := range []string{"water:100", "water:200", "none"} {
		b.Run(ph, func(b *testing.B) {
			p, err := ParsePhantom(ph)
			if err != nil {
				b.Fatal(err)
			}
			cfg := Config{Phantom: p, Frames: 10, ProtonsPerFrame: 100, Seed: 1}
			// warm the material and thin-layer tables
			if err := Run(context.Background(), cfg, func(*dataset.Frame) error { return nil }); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var hits int
			for i := 0; i < b.N; i++ {
				cfg.Seed = uint64(i)
				err := Run(context.Background(), cfg, func(f *dataset.Frame) error {
					hits += len(f.Hits)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if hits == 0 {
				b.Fatal("no hits")
			}
			b.ReportMetric(float64(b.N*cfg.Frames*cfg.ProtonsPerFrame)/b.Elapsed().Seconds(), "primaries/s")
		})
	}
}
