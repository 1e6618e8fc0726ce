package e2e

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
)

func TestHamming(t *testing.T) {
	cases := []struct {
		name     string
		near     []bool
		labels   []float32
		y        []float64
		want     float64
		wantGrad []float64
	}{
		{
			// near: errors 0 + 1 over 2; far: 1 + 0 + 1 over 3.
			name:     "split",
			near:     []bool{true, true, false, false, false},
			labels:   []float32{1, 0, 1, 0, 0},
			y:        []float64{1, 1, 0, 0, 1},
			want:     0.5 + 2.0/3,
			wantGrad: []float64{-0.5, 0.5, -1.0 / 3, 1.0 / 3, 1.0 / 3},
		},
		{
			name:     "no-far-part",
			near:     []bool{true, true, true, true},
			labels:   []float32{1, 1, 0, 0},
			y:        []float64{1, 0, 0, 1},
			want:     0.5,
			wantGrad: []float64{-0.25, -0.25, 0.25, 0.25},
		},
		{
			name:     "soft-outputs",
			near:     []bool{false, false},
			labels:   []float32{1, 0},
			y:        []float64{0.75, 0.25},
			want:     0.25,
			wantGrad: []float64{-0.5, 0.5},
		},
		{
			name:     "perfect",
			near:     []bool{true, false, false},
			labels:   []float32{0, 1, 0},
			y:        []float64{0, 1, 0},
			want:     0,
			wantGrad: []float64{1, -0.5, 0.5},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &model.Input{NumSegments: len(tc.y), Labels: tc.labels, NearTracker: tc.near, SplitWeight: model.SplitWeights(nil, tc.near)}
			tp := nn.NewTape[float64]()
			y := nn.NewParam[float64]("y", len(tc.y), 1)
			copy(y.Value.Data, tc.y)
			var h Hamming[float64]
			loss := h.Loss(tp, y, in)
			if got := loss.Value.Data[0]; math.Abs(got-tc.want) > 1e-15 {
				t.Errorf("loss %v, want %v", got, tc.want)
			}
			tp.Backward(loss)
			for s, g := range y.Grad {
				if math.Abs(g-tc.wantGrad[s]) > 1e-15 {
					t.Errorf("∂L/∂y[%d] = %v, want %v", s, g, tc.wantGrad[s])
				}
			}
		})
	}
}

func TestHammingNeedsLabels(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("no panic without labels")
		}
	}()
	var h Hamming[float32]
	tp := nn.NewTape[float32]()
	h.Loss(tp, nn.NewParam[float32]("y", 2, 1), &model.Input{NumSegments: 2, NearTracker: make([]bool, 2), SplitWeight: model.SplitWeights(nil, make([]bool, 2))})
}
