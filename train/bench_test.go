package train

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/model"
)

var bench100 struct {
	sync.Mutex
	data map[string]*Prepared
}

// benchData returns the prepared frame of benchConfig(method, kind), built
// once per model kind.
func benchData(b *testing.B, kind string) *Prepared {
	bench100.Lock()
	defer bench100.Unlock()
	if d := bench100.data[kind]; d != nil {
		return d
	}
	d, err := LoadData(context.Background(), benchConfig(MethodPTT, kind), nil)
	if err != nil {
		b.Fatal(err)
	}
	if bench100.data == nil {
		bench100.data = map[string]*Prepared{}
	}
	bench100.data[kind] = d
	return d
}

// benchConfig trains on one frame of 100 protons behind 100 mm of water
// (the paper's set-up), one frame per step.
func benchConfig(method, kind string) Config {
	c := Config{
		Method: method, Batch: 1, Model: model.Config{Kind: kind},
		Data: Data{Simulate: &Simulate{Phantoms: []string{"water:100"}, ProtonsPerFrame: 100, Frames: 1, ValFrames: 1, Seed: 1}},
	}
	if method == MethodPAT {
		c.PAT.Lambda = 50
	}
	return c
}

// BenchmarkStep times one optimiser step of batch 1 (forward, loss,
// backward, update) on a 100-proton frame behind 100 mm of water, for the
// line-graph model (the paper's) and the hit-graph ablation; PAT adds the
// two assignment solves of the blackbox layer.
func BenchmarkStep(b *testing.B) {
	for _, bc := range []struct{ method, kind string }{
		{MethodPTT, model.KindLineGraph}, {MethodPAT, model.KindLineGraph},
		{MethodPTT, model.KindHitGraph}, {MethodPAT, model.KindHitGraph},
	} {
		name := bc.method
		if bc.kind != model.KindLineGraph {
			name += "-" + bc.kind
		}
		b.Run(name, func(b *testing.B) {
			data := benchData(b, bc.kind)
			tr, err := NewTrainer(benchConfig(bc.method, bc.kind), data)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := tr.Step(ctx); err != nil { // warm the workspaces
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			var s StepResult
			for range b.N {
				if s, err = tr.Step(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if !(s.Loss >= 0) {
				b.Fatalf("loss %v", s.Loss)
			}
			g := data.train.frames[0].g
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/step")
			b.ReportMetric(float64(len(g.Src)), "segments")
			b.ReportMetric(peakRSS(), "MB-peak")
		})
	}
}

// peakRSS returns the process's peak resident set (VmHWM) in MB, or 0
// where /proc is missing.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
