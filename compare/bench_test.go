package compare

import (
	"os"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/internal/zootest"
	"github.com/pcttrack/pcttrack/zoo"
)

// bench20 is a zoo of 20 untrained models (the paper's 4 methods × 5
// seeds) on 2 frames of 50 protons behind 100 mm of water.
var bench20 = sync.OnceValues(func() (*benchZoo, error) {
	dir, err := os.MkdirTemp("", "compare-bench-")
	if err != nil {
		return nil, err
	}
	var specs []zootest.Spec
	for _, m := range []struct {
		method string
		lambda float64
	}{{"pat", 25}, {"pat", 50}, {"pat", 75}, {"ptt", 0}} {
		for s := range 5 {
			specs = append(specs, zootest.Spec{Method: m.method, Lambda: m.lambda, Seed: uint64(s)})
		}
	}
	paths := zootest.Build(&testing.B{}, dir, 2, 50, specs)
	ms, d, err := zootest.Load(paths, 2)
	return &benchZoo{ms, d}, err
})

type benchZoo struct {
	ms []*zoo.Member
	d  *zoo.Data
}

// BenchmarkFrame is one frame of a 20-model comparison (190 pairs): the
// disagreement alone, and with CKA on the default sample (4096 rows per
// module) of matching layers.
func BenchmarkFrame(b *testing.B) {
	z, err := bench20()
	if err != nil {
		b.Fatal(err)
	}
	used := make([]bool, len(z.ms))
	for i := range used {
		used[i] = true
	}
	var pairs []Pair
	for _, p := range Pairs(len(z.ms)) {
		pairs = append(pairs, Pair{A: p[0], B: p[1]})
	}
	g, in, err := z.d.Frame(0)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opt  Options
	}{{"disagreement", Options{}}, {"cka", Options{CKA: true, CKARows: DefaultCKARows, CKABatch: DefaultCKABatch}}} {
		b.Run(c.name, func(b *testing.B) {
			w := newWorker(z.ms, used, c.opt)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := w.frame(0, g, in, pairs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(g.Src)), "segments")
		})
	}
}
