package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model/internal/synth"
	"github.com/pcttrack/pcttrack/nn"
)

// handMadeFrame: three straight tracks through six layers, every hit joined
// to every hit one layer up (45 segments, 15 true), so the model must learn
// which of three candidates continues each track.
func handMadeFrame() (*graph.HitGraph, *graph.LineGraph) {
	z := []float32{0, 52.4, 104.8, 110.3, 115.8, 121.3}
	hg := &graph.HitGraph{}
	for k := 5; k >= 0; k-- {
		for ev := 0; ev < 3; ev++ {
			x := float32(ev-1)*4 + z[k]*0.02*float32(ev-1)
			hg.Hits = append(hg.Hits, dataset.Hit{Layer: int32(k), X: x, Y: 0.5 * float32(ev), Z: z[k], Edep: 0.02 + 0.01*float32(ev) + 0.002*float32(5-k), EventID: int64(ev)})
		}
	}
	for a := range hg.Hits {
		for b := range hg.Hits {
			if hg.Hits[b].Layer == hg.Hits[a].Layer-1 {
				hg.Src = append(hg.Src, int32(a))
				hg.Dst = append(hg.Dst, int32(b))
				hg.Label = append(hg.Label, hg.Hits[a].EventID == hg.Hits[b].EventID)
			}
		}
	}
	return hg, synth.LineGraph(hg)
}

// TestOverfitHandMadeGraph trains the line-graph model on one hand-made
// frame. The threshold ln2/max(n_near, n_far) is the largest split loss
// that still guarantees every segment is classified correctly: each group's
// mean BCE is then below ln2/n, so every single term is below ln2, i.e.
// every probability lies on the right side of 0.5. The initial loss is about
// 2·ln2 = 1.39.
func TestOverfitHandMadeGraph(t *testing.T) {
	hg, lg := handMadeFrame()
	in, err := NewInput(Config{}, hg, lg)
	if err != nil {
		t.Fatal(err)
	}
	near := 0
	for _, b := range in.NearTracker {
		if b {
			near++
		}
	}
	threshold := math.Ln2 / float64(max(near, in.NumSegments-near))
	net, _ := New(Config{}, rand.New(rand.NewPCG(1, 1)))
	opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{Kind: "adam", LR: 0.01})
	tp := nn.NewTape[float32]()
	var l SplitBCE[float32]
	const steps = 150
	var first, last float64
	for s := 0; s < steps; s++ {
		tp.Reset()
		net.ZeroGrad()
		loss := l.Loss(tp, net.Forward(tp, in), in)
		tp.Backward(loss)
		opt.Step(1)
		last = float64(loss.Value.Data[0])
		if s == 0 {
			first = last
		}
	}
	t.Logf("split BCE %.4f -> %.5f after %d Adam steps (threshold %.4f, %d segments, %d near the tracker)", first, last, steps, threshold, in.NumSegments, near)
	if last > threshold {
		t.Fatalf("loss %.4f did not fall below %.4f", last, threshold)
	}
	// The running statistics have converged on this single frame, so the
	// evaluation-mode prediction classifies every segment correctly too.
	probs := net.Predict(nil, in)
	for s, p := range probs {
		if (p > 0.5) != (in.Labels[s] == 1) {
			t.Fatalf("segment %d: p = %.3f, label %v", s, p, in.Labels[s])
		}
	}
}
