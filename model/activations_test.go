package model

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
)

func TestLayerActivations(t *testing.T) {
	hg, lg := smallFrame(4, 5, 6)
	for _, cfg := range []Config{{Kind: KindLineGraph}, {Kind: KindHitGraph, Hidden: 8}} {
		t.Run(cfg.Kind, func(t *testing.T) {
			cfg, _ := cfg.Resolved()
			in := mustInput(t, cfg, hg, lg)
			m, _ := perturbedModel[float32](cfg, 1, 2)
			n := ActivationRows(in)
			var rows [3][]int32
			for k := range rows {
				for r := 0; r < n[k]; r += 1 + k {
					rows[k] = append(rows[k], int32(r))
				}
			}
			all := make([]int32, n[2])
			for i := range all {
				all[i] = int32(i)
			}
			rows[2] = all
			before := append([]float32(nil), m.Buffers()[0].Value.Data...)
			act, err := LayerActivations(m, in, rows)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(act.Layers); got != 8+10+8 {
				t.Fatalf("%d leaf layers, want 26", got)
			}
			for i, v := range m.Buffers()[0].Value.Data {
				if v != before[i] {
					t.Fatal("running statistics changed")
				}
			}
			// The last leaf of R2 is the logit; Predict gives σ(logit).
			last := act.Layers[len(act.Layers)-1]
			p := m.Predict(nil, in)
			for s := range p {
				want := 1 / (1 + math.Exp(-float64(last.Data[s])))
				if math.Abs(float64(p[s])-want) > 1e-5 {
					t.Fatalf("segment %d: σ(last activation) %g, Predict %g", s, want, p[s])
				}
			}
			// R1's first layer is the affine map of the shared input.
			first := act.Layers[0]
			if first.Layer != "R1.layers.0" || first.Kind != LayerBatchNorm || first.Scale == nil || first.Rows != len(rows[0]) {
				t.Fatalf("first layer %s %s rows %d", first.Layer, first.Kind, first.Rows)
			}
			for r := 0; r < first.Rows; r++ {
				for c := 0; c < first.Cols; c++ {
					want := float64(act.R1Input[r*act.R1InputCols+c])*first.Scale[c] + first.Shift[c]
					if d := math.Abs(float64(first.Data[r*first.Cols+c]) - want); d > 1e-4*max(1, math.Abs(want)) {
						t.Fatalf("R1.layers.0[%d,%d] = %g, input·scale+shift %g", r, c, first.Data[r*first.Cols+c], want)
					}
				}
			}
			if _, err := LayerActivations(m, in, [3][]int32{{int32(n[0])}, nil, nil}); err == nil {
				t.Fatal("no error for a row out of range")
			}
		})
	}
}

// TestLineGraphR1Activations compares the sampled R1 leaves with the
// composition over all edges.
func TestLineGraphR1Activations(t *testing.T) {
	in := smallInput(t, Config{}, 3)
	mi, _ := perturbedModel[float64](Config{}, 3, 4)
	m := mi.(*LineGraph[float64])
	rows := [3][]int32{{0, 7, 3, int32(in.lg.e - 1)}, {0}, {0}}
	act, err := LayerActivations[float64](m, in, rows)
	if err != nil {
		t.Fatal(err)
	}
	tp := nn.NewTape[float64]()
	tp.Eval, tp.NoGrad = true, true
	_, u := lgMessageInput(tp, m, in)
	var leaves []*nn.Var[float64]
	m.r1.forwardLeaves(tp, u, &leaves)
	for l, v := range leaves {
		a := act.Layers[l]
		for r, e := range rows[0] {
			for c := 0; c < a.Cols; c++ {
				want := v.Value.Data[int(e)*v.Value.Cols+c]
				if d := math.Abs(float64(a.Data[r*a.Cols+c]) - want); d > 1e-5*max(1, math.Abs(want)) {
					t.Fatalf("%s edge %d col %d: %g, composition %g", a.Layer, e, c, a.Data[r*a.Cols+c], want)
				}
			}
		}
	}
}
