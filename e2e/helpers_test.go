package e2e

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// randomGraph builds a valid hit graph with nl layers (nl−1 … 0) of 1 to
// maxHits hits each, keeping each hit pair of adjacent layers with
// probability density. Hits belong to up to 3 events; about 1 in 6 is a
// secondary.
func randomGraph(t testing.TB, rng *rand.Rand, nl, maxHits int, density float64) *graph.HitGraph {
	t.Helper()
	g := &graph.HitGraph{}
	for k := range nl {
		layer := int32(nl - 1 - k)
		g.Layers = append(g.Layers, layer)
		g.LayerStart = append(g.LayerStart, int32(len(g.Hits)))
		for range 1 + rng.IntN(maxHits) {
			g.Hits = append(g.Hits, dataset.Hit{Layer: layer, EventID: int64(rng.IntN(3)), Primary: rng.IntN(6) != 0})
		}
	}
	g.LayerStart = append(g.LayerStart, int32(len(g.Hits)))
	for k := range nl {
		g.PairStart = append(g.PairStart, int32(len(g.Src)))
		for h := g.LayerStart[k]; h < g.LayerStart[k+1]; h++ {
			g.SrcStart = append(g.SrcStart, int32(len(g.Src)))
			if k+1 == nl {
				continue
			}
			for d := g.LayerStart[k+1]; d < g.LayerStart[k+2]; d++ {
				if rng.Float64() < density {
					a, b := g.Hits[h], g.Hits[d]
					g.Src, g.Dst = append(g.Src, h), append(g.Dst, d)
					g.Label = append(g.Label, a.EventID == b.EventID)
					g.PrimaryLabel = append(g.PrimaryLabel, a.EventID == b.EventID && a.Primary && b.Primary)
				}
			}
		}
		if k+1 < nl {
			g.CandidatePairs += int(g.LayerStart[k+1]-g.LayerStart[k]) * int(g.LayerStart[k+2]-g.LayerStart[k+1])
		}
	}
	g.SrcStart = append(g.SrcStart, int32(len(g.Src)))
	g.PairStart = append(g.PairStart, int32(len(g.Src)))
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
	return g
}

// synthGraph builds the hit graph of a synthetic frame drawn from
// PCG(s1, s2) and returns the generator for what the test draws next.
func synthGraph(t testing.TB, s1, s2 uint64) (*graph.HitGraph, *rand.Rand) {
	t.Helper()
	rng := rand.New(rand.NewPCG(s1, s2))
	f := testframes.Synthetic(rng, testframes.SynthOptions{})
	g, err := graph.Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, rng
}

// caseGraph builds the hit graph of the named testframes case.
func caseGraph(t testing.TB, name string) *graph.HitGraph {
	t.Helper()
	for _, c := range testframes.Cases() {
		if c.Name == name {
			g, err := graph.Build(&c.Frame, &graph.Options{Validate: true})
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	t.Fatalf("no case %q", name)
	return nil
}

// labelled returns a minimal model.Input for g with the paper's labels and
// split (enough for Hamming and Loss, which read only these fields).
func labelled(g *graph.HitGraph) *model.Input {
	in := &model.Input{NumSegments: len(g.Src), Labels: make([]float32, len(g.Src)), NearTracker: make([]bool, len(g.Src))}
	for s := range g.Src {
		if g.Label[s] {
			in.Labels[s] = 1
		}
		in.NearTracker[s] = g.Hits[g.Src[s]].Layer < 3 || g.Hits[g.Dst[s]].Layer < 3
	}
	in.SplitWeight = model.SplitWeights(nil, in.NearTracker)
	return in
}

// bruteAssign solves every layer pair of g by enumerating all matchings:
// in the default mode it minimises matched cost + u per unmatched hit; in
// Paper mode it maximises the number of pairs, then minimises the cost.
// tie reports a second, different optimum within 1e-9.
func bruteAssign(g *graph.HitGraph, cost []float64, opt track.Options) (sel []bool, tie bool) {
	u := track.DefaultUnmatchedCost
	if opt.UnmatchedCost != 0 {
		u = max(opt.UnmatchedCost, 0)
	}
	sel = make([]bool, len(g.Src))
	for k := 0; k+1 < len(g.Layers); k++ {
		if g.Layers[k+1] != g.Layers[k]-1 {
			continue
		}
		h0, h1 := g.LayerStart[k], g.LayerStart[k+1]
		rows, cols := int(h1-h0), int(g.LayerStart[k+2]-h1)
		used := make([]bool, cols)
		cur := []int32{}
		var best []int32
		bestM, bestC := -1, math.Inf(1)
		found := false
		// better compares a matching of m pairs and cost c with the best
		// so far: 1 better, 0 tie, -1 worse.
		better := func(m int, c float64) int {
			if !opt.Paper {
				c += u * float64(rows+cols-2*m)
			}
			switch {
			case !found || opt.Paper && m > bestM:
				return 1
			case opt.Paper && m < bestM:
				return -1
			case c < bestC-1e-9:
				return 1
			case c <= bestC+1e-9:
				return 0
			}
			return -1
		}
		var rec func(r int, c float64)
		rec = func(r int, c float64) {
			if r == rows {
				switch better(len(cur), c) {
				case 1:
					if !opt.Paper {
						c += u * float64(rows+cols-2*len(cur))
					}
					best, bestM, bestC, found, tie = append(best[:0], cur...), len(cur), c, true, false
				case 0:
					tie = true
				}
				return
			}
			rec(r+1, c)
			h := h0 + int32(r)
			for s := g.SrcStart[h]; s < g.SrcStart[h+1]; s++ {
				col := g.Dst[s] - h1
				if used[col] || math.IsInf(cost[s], 1) {
					continue
				}
				used[col] = true
				cur = append(cur, s)
				rec(r+1, c+cost[s])
				cur = cur[:len(cur)-1]
				used[col] = false
			}
		}
		tie = false
		rec(0, 0)
		for _, s := range best {
			sel[s] = true
		}
		if tie {
			return sel, true
		}
	}
	return sel, false
}

// runLayer calls Forward and Backward of l directly with probabilities p
// and incoming gradient gy, and returns y and ∂L/∂p.
func runLayer[T nn.Float](l *Layer[T], g *graph.HitGraph, p, gy []T, labels []float32, forbid []bool) (y, dp []T) {
	n := len(g.Src)
	in := &nn.Var[T]{Value: nn.Tensor[T]{Rows: n, Cols: 1, Data: p}, Grad: make([]T, n)}
	out := &nn.Var[T]{Value: nn.Tensor[T]{Rows: n, Cols: 1, Data: make([]T, n)}, Grad: gy}
	l.Prepare(g, labels, forbid)
	l.Forward(out, []*nn.Var[T]{in})
	l.Backward(out, []*nn.Var[T]{in})
	return out.Value.Data, in.Grad
}

func uniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float64()
	}
	return v
}
