package graph

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
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
	frames := mustSimFrames(t)
	for _, n := range []float64{2, 4, 8} {
		h := mustHighland(t, n)
		b, err := NewBuilder(&Options{TrackerCut: n, Validate: true})
		if err != nil {
			t.Fatal(err)
		}
		var g HitGraph
		for i := range frames[:3] {
			full := mustBuild(t, &frames[i], nil)
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
	frames := mustSimFrames(t)
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
	full := mustBuild(t, &f, nil)
	cut := mustBuild(t, &f, &Options{TrackerCut: 4})
	if a, b := pair(full, 2), pair(cut, 2); !slices.Equal(a, b) {
		t.Errorf("layers 0-2: pair 2→1 went from %d to %d segments", len(a), len(b))
	}
	if a, b := pair(full, 1), pair(cut, 1); len(b) >= len(a)/2 {
		t.Errorf("layers 0-2: pair 1→0 kept %d of %d segments", len(b), len(a))
	}
	f = keep(&frames[0], func(l int32) bool { return l >= 3 })
	full, cut = mustBuild(t, &f, nil), mustBuild(t, &f, &Options{TrackerCut: 4})
	if !slices.Equal(full.Src, cut.Src) || !slices.Equal(full.Dst, cut.Dst) {
		t.Errorf("calorimeter only: the tracker cut changed the graph (%d → %d segments)", len(full.Src), len(cut.Src))
	}
}

// TestPhysicsCutIsHighland: LineOptions.PhysicsCut builds the line graph a
// Highland filter of the same size does (the prefilter on |u−v|² drops
// nothing the filter keeps), on full and tracker-cut graphs.
func TestPhysicsCutIsHighland(t *testing.T) {
	frames := mustSimFrames(t)
	for _, n := range []float64{1, 4} {
		h := mustHighland(t, n)
		viaFilter := NewLineBuilder(&LineOptions{Filter: h})
		viaCut := NewLineBuilder(&LineOptions{PhysicsCut: n, Validate: true})
		for _, tc := range []float64{0, n} {
			for i := range frames[:2] {
				g := mustBuild(t, &frames[i], &Options{TrackerCut: tc})
				var a, b LineGraph
				if err := viaFilter.Build(&a, g); err != nil {
					t.Fatal(err)
				}
				if err := viaCut.Build(&b, g); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(a.Src, b.Src) || !slices.Equal(a.Dst, b.Dst) || !slices.Equal(a.Angle, b.Angle) ||
					!slices.Equal(a.Reverse, b.Reverse) || !slices.Equal(a.Label, b.Label) || a.CandidatePairs != b.CandidatePairs {
					t.Fatalf("n=%g tracker cut %g frame %d: %d edges with the cut, %d with the filter", n, tc, i, len(b.Src), len(a.Src))
				}
				if len(b.Src) == 0 || 2*b.CandidatePairs <= len(b.Src) {
					t.Fatalf("n=%g: the cut keeps %d of %d pairs", n, len(b.Src)/2, b.CandidatePairs)
				}
			}
		}
	}
}

func TestSparseOptions(t *testing.T) {
	for _, o := range []Options{
		{TrackerCut: -1}, {PhysicsCut: math.NaN()}, {TrackerCut: math.Inf(1)}, {PhysicsCut: -0.5},
	} {
		if _, err := NewBuilder(&o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	for _, c := range []float64{-1, math.NaN(), math.Inf(1)} {
		var lg LineGraph
		g := mustBuild(t, &testframes.Cases()[0].Frame, nil)
		if err := NewLineBuilder(&LineOptions{PhysicsCut: c}).Build(&lg, g); err == nil {
			t.Errorf("physics cut %g: no error", c)
		}
	}
	def, _ := Options{}.Resolved()
	sparse, _ := Options{TrackerCut: 4, PhysicsCut: 3, Validate: true}.Resolved()
	if !SameHitGraph(def, sparse) || !sparse.Sparse() || def.Sparse() {
		t.Error("cuts and Validate must not count as another hit graph")
	}
	wide, _ := Options{CaloCone: 0.3}.Resolved()
	if SameHitGraph(def, wide) {
		t.Error("another cone is another hit graph")
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{def, "the full graph"},
		{sparse, "tracker cut 4 σ and physics cut 3 σ"},
		{Options{PhysicsCut: 2}, "physics cut 2 σ"},
		{wide, "the full graph (cones 0.2/0.3 rad"},
	} {
		if s := tc.o.Summary(); !strings.HasPrefix(s, tc.want) {
			t.Errorf("Summary %q, want it to start with %q", s, tc.want)
		}
	}
	// A graph records the options it was built with.
	g := mustBuild(t, &testframes.Cases()[0].Frame, &Options{TrackerCut: 4})
	if want, _ := (Options{TrackerCut: 4}).Resolved(); g.Options != want {
		t.Errorf("graph records %+v, want %+v", g.Options, want)
	}
}

// TestCollectorCutLosses: with both cuts, the collector's loss accounting
// adds up (cone, tracker cut and physics cut losses to the kept counts),
// the cone figures are those of a collector without cuts, and the
// tracker cut shrinks the graph.
func TestCollectorCutLosses(t *testing.T) {
	frames := mustSimFrames(t)
	f := summarize(t, frames[:3], nil, nil)
	c := summarize(t, frames[:3], &Options{TrackerCut: 4, PhysicsCut: 4, DropIsolated: true}, nil)
	fc, cc := &f.Cuts, &c.Cuts
	if cc.PrimarySegmentsCone != fc.PrimarySegmentsKept || cc.PrimaryPairsCone != fc.PrimaryPairsKept || cc.ConeSegments != f.Segments {
		t.Errorf("cone figures %+v differ from the full graph's %+v", cc, fc)
	}
	if fc.ConeLineEdges.Mean != f.LineEdges.Mean {
		t.Errorf("full line graph: %g edges counted, %g built", fc.ConeLineEdges.Mean, f.LineEdges.Mean)
	}
	l := cc.Lost()
	if math.Abs(l.SegCone+l.SegTracker+l.SegIsolated+l.SegKept-1) > 1e-12 || math.Abs(l.PairCone+l.PairTracker+l.PairLine+l.PairKept-1) > 1e-12 {
		t.Errorf("losses do not add up: %+v", l)
	}
	// 4 σ: each cut loses under 1 % of the true primary segments and
	// pairs, the line cut under 2.5 %: simulator physics version 2 has the
	// single-scattering tail that the Highland width of the cut ignores
	// (1.7 % of the true pairs lie beyond 4 σ; under 1 % with version 1's
	// Gaussian scattering)
	for k, x := range []float64{l.SegTracker, l.SegIsolated, l.PairTracker, l.PairLine} {
		if lim := []float64{0.01, 0.01, 0.01, 0.025}[k]; !(x >= 0 && x < lim) {
			t.Errorf("a 4 σ cut loses %.4f (%+v)", x, l)
		}
	}
	if l.SegIsolated == 0 || l.SegTracker == 0 || l.PairLine == 0 {
		t.Errorf("a cut loses nothing: %+v", l)
	}
	if r := f.Segments.Mean / c.Segments.Mean; r < 4 {
		t.Errorf("the tracker cut keeps %.0f of %.0f segments", c.Segments.Mean, f.Segments.Mean)
	}
	var b strings.Builder
	if err := c.WriteText(&b); err != nil || !strings.Contains(b.String(), "tracker cut (4 σ)") || !strings.Contains(b.String(), "physics cut (4 σ)") || !strings.Contains(b.String(), "isolated segments dropped") {
		t.Errorf("text summary lacks the cut losses:\n%s", b.String())
	}
}

// TestDropIsolated: the dropped graph holds exactly the segments with a
// pair in the cut line graph (or without any candidate pair), in g's
// order, passes Verify with its renumbered line graph, and keeps every
// edge with its angle and label.
func TestDropIsolated(t *testing.T) {
	frames := mustSimFrames(t)
	var d Dropper
	var dst HitGraph
	for i := range frames[:2] {
		g := mustBuild(t, &frames[i], &Options{TrackerCut: 4})
		lg := mustLineGraph(t, g, &LineOptions{PhysicsCut: 4})
		before := *lg
		before.Src, before.Dst, before.DstStart = slices.Clone(lg.Src), slices.Clone(lg.Dst), slices.Clone(lg.DstStart)
		all, err := NewLineGraph(g, nil) // candidate pairs
		if err != nil {
			t.Fatal(err)
		}
		wantKeep := func(s int) bool {
			return before.DstStart[s+1] > before.DstStart[s] || all.DstStart[s+1] == all.DstStart[s]
		}
		keep := d.Drop(&dst, g, lg)
		if err := dst.Verify(); err != nil {
			t.Fatal(err)
		}
		if err := lg.Verify(&dst); err != nil {
			t.Fatal(err)
		}
		if !dst.Options.DropIsolated || len(keep) != len(dst.Src) || len(keep) >= len(g.Src)*3/4 {
			t.Fatalf("kept %d of %d segments", len(keep), len(g.Src))
		}
		for n, s := range keep {
			if dst.Src[n] != g.Src[s] || dst.Dst[n] != g.Dst[s] || dst.Label[n] != g.Label[s] {
				t.Fatalf("segment %d is not g's %d", n, s)
			}
			if !wantKeep(int(s)) {
				t.Fatalf("kept segment %d has no pair but candidates", s)
			}
		}
		for e := range lg.Src {
			if keep[lg.Src[e]] != before.Src[e] || keep[lg.Dst[e]] != before.Dst[e] {
				t.Fatalf("edge %d renumbered wrongly", e)
			}
		}
		dropped := len(g.Src) - len(keep)
		kept := 0
		for s := range g.Src {
			if wantKeep(s) {
				kept++
			}
		}
		if kept != len(keep) {
			t.Fatalf("%d segments have pairs, %d kept (%d dropped)", kept, len(keep), dropped)
		}
	}
}
