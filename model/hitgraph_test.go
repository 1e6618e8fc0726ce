package model

import (
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/nntest"
)

func TestHitGraphGradients(t *testing.T) {
	m, in, rng := hitGraphCase(t, 64)
	var loss SplitBCE[float64]
	// 15 random entries of each of the 28 tensors keep this near a second.
	res := nntest.CheckGrads(func(tp *nn.Tape[float64]) *nn.Var[float64] {
		return loss.Loss(tp, m.Forward(tp, in), in)
	}, m.Params(), nntest.Options{MaxPerVar: 15, Rand: rng})
	t.Log(res)
	if res.MaxRelErr > 1e-6 {
		t.Fatalf("gradient check failed: %v", res)
	}
}

func TestHitGraphFeatures(t *testing.T) {
	hg, _ := smallFrame(1, 2, 3)
	in, err := NewInput(Config{Kind: KindHitGraph}, hg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := hg.Hits[0]
	x := in.hg.x[:4]
	want := []float32{float32(float64(h.ClusterSize) / 7.97), float32((float64(h.X) - 4608) / 1000), float32((float64(h.Y) - 3072) / 1000), h.Z}
	for i := range want {
		if x[i] != want[i] {
			t.Fatalf("node features %v, want %v", x, want)
		}
	}
	// Segment 0 runs from a deeper hit to a shallower one: the difference
	// src − dst points downstream, so its polar angle is below π/2.
	if ef := in.hg.ef[:3]; !(ef[0] > 0 && ef[2] < 1.5708) {
		t.Fatalf("edge features %v: want ρ > 0 and polar angle < π/2", ef)
	}
}
