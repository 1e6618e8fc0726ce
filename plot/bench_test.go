package plot

import (
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/track"
)

type benchFrame struct {
	g   *graph.HitGraph
	res *track.Result
}

var (
	benchOnce   sync.Once
	benchFrames map[int]benchFrame
)

// benchInputs returns synthetic frames of 50 and 100 protons tracked by
// the truth costs, built once.
func benchInputs(b *testing.B) map[int]benchFrame {
	benchOnce.Do(func() {
		benchFrames = map[int]benchFrame{}
		for _, n := range []int{50, 100} {
			f := testframes.Synthetic(testframes.Stream(1, 0), testframes.SynthOptions{Protons: n})
			g, err := graph.Build(&f, nil)
			if err != nil {
				panic(err)
			}
			ct := &track.CostTracker{Costs: truthCosts}
			res := new(track.Result)
			if err := ct.Track(res, g); err != nil {
				panic(err)
			}
			benchFrames[n] = benchFrame{g, res}
		}
	})
	return benchFrames
}

// BenchmarkNewEvent measures building the event figure (data, no drawing).
func BenchmarkNewEvent(b *testing.B) {
	for _, n := range []int{50, 100} {
		in := benchInputs(b)[n]
		b.Run(fmt.Sprintf("protons=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				fig, sum, err := NewEvent(in.g, in.res, nil)
				if err != nil || fig == nil || sum.Hits != len(in.g.Hits) {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEventEncode measures drawing and encoding the default 14 × 5.5
// inch event figure at 150 dpi (PNG) or as SVG.
func BenchmarkEventEncode(b *testing.B) {
	for _, n := range []int{50, 100} {
		in := benchInputs(b)[n]
		fig, _, err := NewEvent(in.g, in.res, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, format := range []Format{PNG, SVG} {
			b.Run(fmt.Sprintf("protons=%d/%v", n, format), func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				var cw countWriter
				for b.Loop() {
					if err := fig.Encode(&cw, format); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cw.n)/float64(b.N), "outbytes/op")
			})
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
