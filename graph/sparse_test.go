package graph

import (
	"math"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// referenceTrackerCut is the tracker cut written the slow way from the
// full graph and a Highland filter: walking the tracker-cone pairs deepest
// first, a segment a→b survives when some surviving segment p→a makes a
// pair with it that the filter keeps, or when a has no deeper segment at
// all (or the deeper layer is empty). It returns the surviving segments as
// {deeper, shallower} frame hit indices.
func referenceTrackerCut(t *testing.T, full *HitGraph, h *Highland) [][2]int {
	t.Helper()
	if err := h.Prepare(full); err != nil {
		t.Fatal(err)
	}
	alive := make([]bool, len(full.Src))
	for s := range alive {
		alive[s] = true
	}
	dir := func(s int) [3]float64 { return segDir(&full.Hits[full.Src[s]], &full.Hits[full.Dst[s]]) }
	for k, l := range full.Layers {
		if l >= full.Options.TrackerConeBelow || k == 0 || full.Layers[k-1] != l+1 || !(h.Cut(int(l)) < math.Pi/2) {
			continue
		}
		preds := map[int32][]int32{} // shallower hit → deeper segments
		for p := full.PairStart[k-1]; p < full.PairStart[k]; p++ {
			preds[full.Dst[p]] = append(preds[full.Dst[p]], p)
		}
		for s := full.PairStart[k]; s < full.PairStart[k+1]; s++ {
			a := full.Src[s]
			hasPred, ok := false, false
			for _, p := range preds[a] {
				if !alive[p] {
					continue
				}
				hasPred = true
				u, v := dir(int(p)), dir(int(s))
				if h.KeepPair(full, p, s, pairAngle(&u, &v)) {
					ok = true
				}
			}
			alive[s] = ok || !hasPred
		}
	}
	var out [][2]int
	for s := range full.Src {
		if alive[s] {
			out = append(out, [2]int{int(full.HitIndex[full.Src[s]]), int(full.HitIndex[full.Dst[s]])})
		}
	}
	slices.SortFunc(out, cmpPair)
	return out
}

func TestTrackerCutMatchesReference(t *testing.T) {
	frames, err := simFrames()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []float64{2, 4, 8} {
		h, err := HighlandFilter(nil, n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewBuilder(&Options{TrackerCut: n, Validate: true})
		if err != nil {
			t.Fatal(err)
		}
		var g HitGraph
		for i := range frames {
			full, err := Build(&frames[i], nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Build(&g, &frames[i]); err != nil {
				t.Fatal(err)
			}
			want := referenceTrackerCut(t, full, h)
			got := frameSegments(&g)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%g frame %d: %d segments, reference %d", n, i, len(got), len(want))
			}
			if i == 0 {
				t.Logf("n=%g: %d of %d segments kept", n, len(got), len(full.Src))
			}
			if len(got) >= len(full.Src) || !slices.Equal(g.Hits, full.Hits) {
				t.Fatalf("n=%g frame %d: the cut keeps %d of %d segments", n, i, len(got), len(full.Src))
			}
		}
	}
}

// TestTrackerCutNeedsDeeperLayer: a tracker-cone pair whose deeper
// neighbour layer is empty keeps its whole cone (frames of layers 0–2: the
// pair 2→1 stays, 1→0 is cut by the 2→1 segments), and frames with only
// calorimeter layers are untouched.
func TestTrackerCutNeedsDeeperLayer(t *testing.T) {
	frames, err := simFrames()
	if err != nil {
		t.Fatal(err)
	}
	keep := func(f *dataset.Frame, layers func(int32) bool) dataset.Frame {
		c := *f
		c.Hits = nil
		for _, h := range f.Hits {
			if layers(h.Layer) {
				c.Hits = append(c.Hits, h)
			}
		}
		return c
	}
	pair := func(g *HitGraph, l int32) []int32 {
		k := slices.Index(g.Layers, l)
		return g.Dst[g.PairStart[k]:g.PairStart[k+1]]
	}
	f := keep(&frames[0], func(l int32) bool { return l <= 2 })
	full, err := Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	cut, err := Build(&f, &Options{TrackerCut: 4})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := pair(full, 2), pair(cut, 2); !slices.Equal(a, b) {
		t.Errorf("layers 0-2: pair 2→1 went from %d to %d segments", len(a), len(b))
	}
	if a, b := pair(full, 1), pair(cut, 1); len(b) >= len(a)/2 {
		t.Errorf("layers 0-2: pair 1→0 kept %d of %d segments", len(b), len(a))
	}
	f = keep(&frames[0], func(l int32) bool { return l >= 3 })
	if full, err = Build(&f, nil); err != nil {
		t.Fatal(err)
	}
	if cut, err = Build(&f, &Options{TrackerCut: 4}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(full.Src, cut.Src) || !slices.Equal(full.Dst, cut.Dst) {
		t.Errorf("calorimeter only: the tracker cut changed the graph (%d → %d segments)", len(full.Src), len(cut.Src))
	}
}
