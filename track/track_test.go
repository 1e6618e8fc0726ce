package track

import (
	"math"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

func caseGraph(t *testing.T, name string) (*graph.HitGraph, testframes.Case) {
	t.Helper()
	for _, c := range testframes.Cases() {
		if c.Name == name {
			g, err := graph.Build(&c.Frame, nil)
			if err != nil {
				t.Fatal(err)
			}
			return g, c
		}
	}
	t.Fatalf("no case %q", name)
	return nil, testframes.Case{}
}

// truthCosts gives true segments cost 0 and the others 1.
func truthCosts(g *graph.HitGraph) []float64 {
	c := make([]float64, len(g.Src))
	for s, ok := range g.Label {
		if !ok {
			c[s] = 1
		}
	}
	return c
}

// frameTracks maps tracks of graph hit indices back to frame hit indices.
func frameTracks(g *graph.HitGraph, tr *Tracks) [][]int {
	var out [][]int
	for i := 0; i < tr.Len(); i++ {
		var t []int
		for _, h := range tr.Track(i) {
			t = append(t, int(g.HitIndex[h]))
		}
		out = append(out, t)
	}
	return out
}

func TestTruthCostsRecoverTracks(t *testing.T) {
	g, c := caseGraph(t, "two-protons")
	var a Assigner
	sel, st, err := a.Assign(nil, g, truthCosts(g), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Selected != 4 || st.Pairs != 2 || st.Incomplete != 0 || st.NoCandidate != 0 {
		t.Errorf("stats = %+v, want 4 selected in 2 complete pairs", st)
	}
	for s := range sel {
		if sel[s] != g.Label[s] {
			t.Errorf("segment %d selected=%v label=%v", s, sel[s], g.Label[s])
		}
	}
	var tr Tracks
	Chain(&tr, g, sel)
	got := frameTracks(g, &tr)
	if len(got) != len(c.Tracks) {
		t.Fatalf("tracks %v, want %v", got, c.Tracks)
	}
	want := map[int][]int{}
	for _, w := range c.Tracks {
		want[w[0]] = w
	}
	for _, tk := range got {
		if w := want[tk[0]]; !slices.Equal(w, tk) {
			t.Errorf("track %v, want %v", tk, w)
		}
	}
}

func TestSwappedCostsSwapTracks(t *testing.T) {
	g, _ := caseGraph(t, "two-protons")
	cost := truthCosts(g)
	for i := range cost {
		cost[i] = 1 - cost[i] // prefer the wrong pairs
	}
	var a Assigner
	sel, st, err := a.Assign(nil, g, cost, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Selected != 4 {
		t.Fatalf("selected %d, want 4", st.Selected)
	}
	for s := range sel {
		if sel[s] == g.Label[s] {
			t.Errorf("segment %d: selected=%v label=%v, want the crossing pairs", s, sel[s], g.Label[s])
		}
	}
}

func TestUnmatchedVersusPaperMode(t *testing.T) {
	g, _ := caseGraph(t, "two-protons")
	// Make every segment expensive: above 2·UnmatchedCost nothing is worth
	// matching by default, whereas the paper's solver still forms pairs.
	cost := make([]float64, len(g.Src))
	for i := range cost {
		cost[i] = 1.5
	}
	var a Assigner
	_, st, err := a.Assign(nil, g, cost, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Selected != 0 || st.UnmatchedDeep != 4 || st.UnmatchedShallow != 4 || st.Incomplete != 2 {
		t.Errorf("default mode stats %+v, want nothing matched", st)
	}
	_, st, err = a.Assign(nil, g, cost, &Options{Paper: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Selected != 4 || st.Incomplete != 0 {
		t.Errorf("paper mode stats %+v, want 4 pairs", st)
	}
}

func TestForbiddenAndMissingPartner(t *testing.T) {
	g, _ := caseGraph(t, "two-protons")
	cost := truthCosts(g)
	// Forbid both segments leaving the first hit of the deepest layer.
	h := g.LayerStart[0]
	for s := g.SrcStart[h]; s < g.SrcStart[h+1]; s++ {
		cost[s] = math.Inf(1)
	}
	var a Assigner
	sel, st, err := a.Assign(nil, g, cost, &Options{Paper: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.NoCandidate != 1 || st.Incomplete != 1 || st.Selected != 3 {
		t.Errorf("stats %+v, want 1 hit without candidate, 1 incomplete pair, 3 selected", st)
	}
	for s := g.SrcStart[h]; s < g.SrcStart[h+1]; s++ {
		if sel[s] {
			t.Errorf("forbidden segment %d selected", s)
		}
	}
	cost[0] = math.NaN()
	if _, _, err := a.Assign(nil, g, cost, nil); err == nil {
		t.Errorf("NaN cost: err = %v, want an error", err)
	}
}

func TestFilter(t *testing.T) {
	hits := []dataset.Hit{{Layer: 5, Edep: 0.05}, {Layer: 4, Edep: 0.2}, {Layer: 3}, {Layer: 2}, {Layer: 1}, {Layer: 0}}
	g := &graph.HitGraph{Hits: hits}
	var src, dst Tracks
	src.Append([]int32{0, 1, 2, 3, 4, 5}) // deepest edep 0.05: dropped
	src.Append([]int32{1, 2, 3, 4, 5})    // 5 hits, 0.2 MeV: kept
	src.Append([]int32{1, 2, 3, 4})       // 4 hits: dropped
	Filter{}.Apply(&dst, &src, g)
	if dst.Len() != 1 || len(dst.Track(0)) != 5 {
		t.Fatalf("paper filter kept %d tracks %v, want only the 5-hit one", dst.Len(), dst.Hits)
	}
	Filter{MinHits: -1, MinDeepestEdep: -1}.Apply(&dst, &src, g)
	if dst.Len() != 3 {
		t.Errorf("disabled filter kept %d, want 3", dst.Len())
	}
	Filter{MinHits: 6, MinDeepestEdep: 0.01}.Apply(&dst, &src, g)
	if dst.Len() != 1 || len(dst.Track(0)) != 6 {
		t.Errorf("MinHits 6 kept %d, want the 6-hit track", dst.Len())
	}
}

func TestChainIgnoresIsolatedHitsAndBranches(t *testing.T) {
	g, c := caseGraph(t, "three-protons-secondary")
	var a Assigner
	sel, _, err := a.Assign(nil, g, truthCosts(g), &Options{Paper: true})
	if err != nil {
		t.Fatal(err)
	}
	var tr Tracks
	Chain(&tr, g, sel)
	n := 0
	for i := 0; i < tr.Len(); i++ {
		n += len(tr.Track(i))
		prev := int32(-1)
		for _, h := range tr.Track(i) {
			if prev >= 0 && g.Hits[h].Layer != g.Hits[prev].Layer-1 {
				t.Errorf("track %d jumps from layer %d to %d", i, g.Hits[prev].Layer, g.Hits[h].Layer)
			}
			prev = h
		}
	}
	seen := map[int32]bool{}
	for _, h := range tr.Hits {
		if seen[h] {
			t.Errorf("hit %d in two tracks", h)
		}
		seen[h] = true
	}
	if tr.Len() < len(c.Tracks) {
		t.Errorf("%d tracks, want at least the %d primaries", tr.Len(), len(c.Tracks))
	}
}

func TestCostTrackerAllocFree(t *testing.T) {
	g, _ := caseGraph(t, "three-protons-secondary")
	ct := &CostTracker{Costs: func(dst []float64, g *graph.HitGraph) ([]float64, error) {
		dst = scratch.Grow(dst, len(g.Src))
		for s, ok := range g.Label {
			dst[s] = 1
			if ok {
				dst[s] = 0
			}
		}
		return dst, nil
	}}
	var res Result
	if err := ct.Track(&res, g); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := ct.Track(&res, g); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("CostTracker.Track allocates %.0f times per frame after warm-up", allocs)
	}
}
