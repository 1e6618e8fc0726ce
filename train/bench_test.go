package train

import (
	"context"
	"strconv"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/cputime"
	"github.com/pcttrack/pcttrack/internal/memo"
	"github.com/pcttrack/pcttrack/internal/peakrss"
	"github.com/pcttrack/pcttrack/model"
)

var bench100 memo.Map[string, *Prepared]

// benchData returns the prepared frames of benchConfig(method, kind,
// sparse), built once per model kind and graph.
func benchData(b *testing.B, kind string, sparse bool) *Prepared {
	d, err := bench100.Get(kind+strconv.FormatBool(sparse), func() (*Prepared, error) {
		return LoadData(context.Background(), benchConfig(MethodPTT, kind, sparse), nil)
	})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchConfig trains on 8 frames of 100 protons behind 100 mm of water
// (the paper's set-up), one frame per step, on the paper's graphs or on
// sparse ones (graph.SparseOptions).
func benchConfig(method, kind string, sparse bool) Config {
	c := Config{
		Method: method, Batch: 1, Model: model.Config{Kind: kind},
		Data: Data{Simulate: &Simulate{Phantoms: []string{"water:100"}, ProtonsPerFrame: 100, Frames: 8, ValFrames: 1, Seed: 1}},
	}
	if sparse {
		c.Graph = graph.SparseOptions()
	}
	if method == MethodPAT {
		c.PAT.Lambda = 50
	}
	return c
}

// BenchmarkStep times one optimiser step of batch 1 (forward, loss,
// backward, update) on 100-proton frames behind 100 mm of water, for the
// line-graph model (the paper's) and the hit-graph ablation, on the
// paper's graphs and on sparse ones; PAT adds the two assignment solves of
// the blackbox layer. cpu-ms/step is the process's CPU time per step.
func BenchmarkStep(b *testing.B) {
	for _, bc := range []struct {
		method, kind string
		sparse       bool
	}{
		{MethodPTT, model.KindLineGraph, false}, {MethodPAT, model.KindLineGraph, false},
		{MethodPTT, model.KindLineGraph, true}, {MethodPAT, model.KindLineGraph, true},
		{MethodPTT, model.KindHitGraph, false}, {MethodPAT, model.KindHitGraph, false},
	} {
		name := bc.method
		if bc.kind != model.KindLineGraph {
			name += "-" + bc.kind
		}
		if bc.sparse {
			name += "-sparse"
		}
		b.Run(name, func(b *testing.B) {
			data := benchData(b, bc.kind, bc.sparse)
			tr, err := NewTrainer(benchConfig(bc.method, bc.kind, bc.sparse), data)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := tr.Step(ctx); err != nil { // warm the workspaces
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0, _ := cputime.Process()
			var s StepResult
			for range b.N {
				if s, err = tr.Step(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cputime.Since(c0)
			if !(s.Loss >= 0) {
				b.Fatalf("loss %v", s.Loss)
			}
			segs := 0
			for _, f := range data.train.frames {
				segs += len(f.g.Src)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/step")
			b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/step")
			b.ReportMetric(float64(segs)/float64(len(data.train.frames)), "segments")
			b.ReportMetric(peakrss.MB(), "MB-peak")
		})
	}
}
