package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/track"
)

// benchFrames are 16 frames of 100 protons behind 100 mm of water (the
// paper's reference set-up).
func benchFrames() (pipeline.Frames, error) { return simframes.Water(100, 16, 1) }

func frames(b *testing.B) pipeline.Frames {
	b.Helper()
	fr, err := benchFrames()
	if err != nil {
		b.Fatal(err)
	}
	return fr
}

// runFrames runs one Run over b.N frames (cycling through src) and
// reports frames per second of wall time.
func runFrames(b *testing.B, src pipeline.Source, opt pipeline.Options) {
	b.Helper()
	pos := make([]int, b.N)
	for i := range pos {
		pos[i] = i % src.NumFrames()
	}
	opt.Frames = pos
	tracks := 0
	b.ReportAllocs()
	b.ResetTimer()
	rep, err := pipeline.Run(context.Background(), src, &opt, func(o *pipeline.Output) error {
		for i := range o.Results {
			tracks += o.Results[i].Tracks.Len()
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if rep.Frames != b.N || (len(opt.Methods) > 0 && tracks == 0) {
		b.Fatalf("%d frames tracked of %d, %d tracks", rep.Frames, b.N, tracks)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

func method(b *testing.B, name string) []pipeline.Method {
	b.Helper()
	if name == "" {
		return nil
	}
	m, err := pipeline.Builtin(name, nil)
	if err != nil {
		b.Skip(err)
	}
	return []pipeline.Method{m}
}

// BenchmarkRun measures the frame loop at 100 p⁺/frame behind 100 mm of
// water on 1 and 2 workers: graph building alone, graph + each tracker,
// graph + tracker + metrics. ns/op is per frame.
func BenchmarkRun(b *testing.B) {
	src := frames(b)
	cases := []struct {
		name    string
		method  string
		metrics bool
	}{
		{"graph", "", false},
		{"graph+physics", baseline.NamePhysics, false},
		{"graph+follower", baseline.NameFollower, false},
		{"graph+truth", baseline.NameTruth, false},
		{"graph+physics+metrics", baseline.NamePhysics, true},
	}
	for _, tc := range cases {
		for _, w := range []int{1, 2} {
			b.Run(tc.name+"/workers="+string(rune('0'+w)), func(b *testing.B) {
				runFrames(b, src, pipeline.Options{Methods: method(b, tc.method), Workers: w, NoMetrics: !tc.metrics})
			})
		}
	}
}

// BenchmarkRunFile is BenchmarkRun's graph case reading the frames from a
// dataset file, to show the cost of decoding.
func BenchmarkRunFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "w100.parquet")
	if _, err := sim.Write(context.Background(), simframes.Config(100, 16, 1), path, nil); err != nil {
		b.Fatal(err)
	}
	r, err := dataset.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, w := range []int{1, 2} {
		b.Run("read+graph/workers="+string(rune('0'+w)), func(b *testing.B) {
			runFrames(b, r, pipeline.Options{Workers: w, NoMetrics: true})
		})
	}
}

// BenchmarkMetrics measures metrics.Evaluator alone on the truth tracker's
// results of the benchmark frames (one frame per op).
func BenchmarkMetrics(b *testing.B) {
	src := frames(b)
	graphs := make([]*graph.HitGraph, len(src))
	results := make([]track.Result, len(src))
	tr := baseline.NewTruth()
	for i := range src {
		g, err := graph.Build(&src[i], nil)
		if err != nil {
			b.Fatal(err)
		}
		graphs[i] = g
		if err := tr.Track(&results[i], g); err != nil {
			b.Fatal(err)
		}
	}
	var ev metrics.Evaluator
	var correct int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(src)
		m := ev.Evaluate(graphs[k], results[k].Selected, &results[k].Tracks)
		correct += m.Correct
	}
	b.StopTimer()
	if correct == 0 {
		b.Fatal("no correct track")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
