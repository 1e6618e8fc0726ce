package metrics_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/track"
)

// The test frames: proton A (event 1) at x = 0 and proton B (event 2) at
// x = 8 mm run straight through layers 0–5; hit A_l has frame index l, B_l
// 6 + l. 8 mm is inside the 0.2 rad tracker cone (segments 2→1 and 1→0
// connect crosswise) but far outside the 0.4 rad calorimeter cone over
// 5.5 mm, so the graph has 14 segments: 10 true, 4 false (the crossings).
// The "secondary" variant adds S (index 12): a δ-electron of event 1 in
// layer 4 at x = 1 mm, which connects to A5 and A3: 16 segments, 12 true.
const (
	a0, a1, a2, a3, a4, a5 = 0, 1, 2, 3, 4, 5
	b0, b1, b2, b3, b4, b5 = 6, 7, 8, 9, 10, 11
	s4                     = 12
)

func hit(ev int64, trk int32, l int, x float32) dataset.Hit {
	return dataset.Hit{
		Layer: int32(l), X: x, Z: float32(testframes.LayerZ(l)), Edep: 0.1, ClusterSize: 4,
		EventID: ev, TrackID: trk, PDG: dataset.PDGProton, Primary: trk == 1,
	}
}

// frame returns the hits of A and B (with B unless onlyA) and, if
// secondary, S; the indices are those of the constants above (without B,
// S is index 6).
func frame(onlyA, secondary bool) dataset.Frame {
	var hs []dataset.Hit
	for l := range 6 {
		hs = append(hs, hit(1, 1, l, 0))
	}
	if !onlyA {
		for l := range 6 {
			hs = append(hs, hit(2, 1, l, 8))
		}
	}
	if secondary {
		s := hit(1, 2, 4, 1)
		s.PDG, s.ParentID, s.Edep = dataset.PDGElectron, 1, 0.01
		hs = append(hs, s)
	}
	return dataset.Frame{Meta: dataset.FrameMeta{Phantom: "none", ProtonsPerFrame: 2}, Hits: hs}
}

func build(t testing.TB, f dataset.Frame) *graph.HitGraph {
	t.Helper()
	g, err := graph.Build(&f, &graph.Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// graphIndex maps frame hit indices to graph hit indices.
func graphIndex(g *graph.HitGraph) map[int]int32 {
	m := map[int]int32{}
	for i, fi := range g.HitIndex {
		m[int(fi)] = int32(i)
	}
	return m
}

// tracksOf converts tracks of frame hit indices to track.Tracks.
func tracksOf(g *graph.HitGraph, ts [][]int) *track.Tracks {
	idx := graphIndex(g)
	var out track.Tracks
	out.Reset()
	for _, t := range ts {
		var h []int32
		for _, fi := range t {
			h = append(h, idx[fi])
		}
		out.Append(h)
	}
	return &out
}

// selectionOf marks the segments joining the given frame hit pairs
// {deeper, shallower}; a pair that is no segment fails the test.
func selectionOf(t *testing.T, g *graph.HitGraph, pairs [][2]int) []bool {
	t.Helper()
	idx := graphIndex(g)
	sel := make([]bool, len(g.Src))
	for _, p := range pairs {
		a, b := idx[p[0]], idx[p[1]]
		found := false
		for s := g.SrcStart[a]; s < g.SrcStart[a+1]; s++ {
			if g.Dst[s] == b {
				sel[s], found = true, true
			}
		}
		if !found {
			t.Fatalf("%v is not a segment", p)
		}
	}
	return sel
}

// consecutive lists the consecutive pairs of tracks.
func consecutive(ts [][]int) [][2]int {
	var ps [][2]int
	for _, t := range ts {
		for i := 1; i < len(t); i++ {
			ps = append(ps, [2]int{t[i-1], t[i]})
		}
	}
	return ps
}

var (
	trackA = []int{a5, a4, a3, a2, a1, a0}
	trackB = []int{b5, b4, b3, b2, b1, b0}
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name      string
		onlyA     bool
		secondary bool
		tracks    [][]int
		derive    bool // pass selected = nil (else the consecutive pairs of tracks)
		want      metrics.Counts
		rates     metrics.Rates
	}{{
		name:   "perfect",
		tracks: [][]int{trackA, trackB},
		want: metrics.Counts{Hits: 12, Events: 2, PrimaryEvents: 2, Tracks: 2, PrimaryTracks: 2, Correct: 2,
			Segments: 14, TrueSegments: 10, SelectedTrue: 10, FalseSegments: 4,
			Reconstructable: 2, Matched: 2},
		rates: metrics.Rates{Purity: 1, Efficiency: 1, TPR: 1, DMEfficiency: 1},
	}, {
		// The tracks change partners between layers 2 and 1: both are
		// wrong for the paper, both match their particle by double
		// majority (4 of 6 hits).
		name:   "swapped in the tracker",
		tracks: [][]int{{a5, a4, a3, a2, b1, b0}, {b5, b4, b3, b2, a1, a0}},
		want: metrics.Counts{Hits: 12, Events: 2, PrimaryEvents: 2, Tracks: 2, PrimaryTracks: 2,
			Segments: 14, TrueSegments: 10, SelectedTrue: 8, FalseSegments: 4, SelectedFalse: 2,
			Reconstructable: 2, Matched: 2},
		rates: metrics.Rates{TPR: 0.8, FPR: 0.5, DMEfficiency: 1},
	}, {
		// A's track runs through its δ-electron: not a primary track, so
		// it counts nowhere in purity; event 1 has a secondary hit, so it
		// is not in the efficiency denominator. The δ link is a true
		// segment (same event) and A still holds 5 of its 6 hits.
		name: "track with a secondary hit", secondary: true,
		tracks: [][]int{{a5, s4, a3, a2, a1, a0}, trackB},
		want: metrics.Counts{Hits: 13, Events: 2, PrimaryEvents: 1, Tracks: 2, PrimaryTracks: 1, Correct: 1,
			Segments: 16, TrueSegments: 12, SelectedTrue: 10, FalseSegments: 4,
			Reconstructable: 2, Matched: 2},
		rates: metrics.Rates{Purity: 1, Efficiency: 1, TPR: 10.0 / 12, DMEfficiency: 1},
	}, {
		// Both halves of A are correct tracks, so the paper's efficiency
		// is 3/2; neither half holds more than half of A's hits.
		name:   "event split in two tracks",
		tracks: [][]int{{a5, a4, a3}, {a2, a1, a0}, trackB},
		want: metrics.Counts{Hits: 12, Events: 2, PrimaryEvents: 2, Tracks: 3, PrimaryTracks: 3, Correct: 3,
			Segments: 14, TrueSegments: 10, SelectedTrue: 9, FalseSegments: 4,
			Reconstructable: 2, Matched: 1},
		rates: metrics.Rates{Purity: 1, Efficiency: 1.5, TPR: 0.9, DMEfficiency: 0.5},
	}, {
		// Two hits of each: no particle has more than half, a fake.
		name:   "half and half is fake",
		tracks: [][]int{{a3, a2, b1, b0}},
		want: metrics.Counts{Hits: 12, Events: 2, PrimaryEvents: 2, Tracks: 1, PrimaryTracks: 1,
			Segments: 14, TrueSegments: 10, SelectedTrue: 2, FalseSegments: 4, SelectedFalse: 1,
			Reconstructable: 2, Fakes: 1},
		rates: metrics.Rates{TPR: 0.2, FPR: 0.25, FakeRate: 1},
	}, {
		// A3 → B2 is no segment (outside the calorimeter cone): the
		// derived selection skips it.
		name:   "derived selection skips a non-segment",
		tracks: [][]int{{a5, a4, a3, b2, b1, b0}}, derive: true,
		want: metrics.Counts{Hits: 12, Events: 2, PrimaryEvents: 2, Tracks: 1, PrimaryTracks: 1,
			Segments: 14, TrueSegments: 10, SelectedTrue: 4, FalseSegments: 4,
			Reconstructable: 2, Fakes: 1},
		rates: metrics.Rates{TPR: 0.4, FakeRate: 1},
	}, {
		name: "no tracks", derive: true,
		want: metrics.Counts{Hits: 12, Events: 2, PrimaryEvents: 2,
			Segments: 14, TrueSegments: 10, FalseSegments: 4, Reconstructable: 2},
	}, {
		// No primary track: purity and efficiency are 0 (eval.py), even
		// with a primary event present.
		name: "only a track with a secondary", secondary: true,
		tracks: [][]int{{a5, s4, a3, a2, a1, a0}},
		want: metrics.Counts{Hits: 13, Events: 2, PrimaryEvents: 1, Tracks: 1,
			Segments: 16, TrueSegments: 12, SelectedTrue: 5, FalseSegments: 4,
			Reconstructable: 2, Matched: 1},
		rates: metrics.Rates{TPR: 5.0 / 12, DMEfficiency: 0.5},
	}, {
		// A correct track but no primary event (A has a δ hit) and no
		// false segment: efficiency and FPR have zero denominators.
		name: "no primary event, no false segment", onlyA: true, secondary: true,
		tracks: [][]int{trackA},
		want: metrics.Counts{Hits: 7, Events: 1, Tracks: 1, PrimaryTracks: 1, Correct: 1,
			Segments: 7, TrueSegments: 7, SelectedTrue: 5, Reconstructable: 1, Matched: 1},
		rates: metrics.Rates{Purity: 1, TPR: 5.0 / 7, DMEfficiency: 1},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, frame(tc.onlyA, tc.secondary))
			tr := tracksOf(g, tc.tracks)
			var sel []bool
			if !tc.derive {
				sel = selectionOf(t, g, consecutive(tc.tracks))
			}
			got := metrics.Evaluate(g, sel, tr)
			if got.Counts != tc.want {
				t.Errorf("counts\n got %+v\nwant %+v", got.Counts, tc.want)
			}
			checkRates(t, got.Rates, tc.rates)
			if tc.derive {
				return
			}
			// With every consecutive pair a segment, deriving the
			// selection from the tracks gives the same result.
			if d := metrics.Evaluate(g, nil, tr); d != got {
				t.Errorf("derived selection: %+v, want %+v", d, got)
			}
		})
	}
}

func checkRates(t *testing.T, got, want metrics.Rates) {
	t.Helper()
	g := []float64{got.Purity, got.Efficiency, got.TPR, got.FPR, got.DMEfficiency, got.FakeRate}
	w := []float64{want.Purity, want.Efficiency, want.TPR, want.FPR, want.DMEfficiency, want.FakeRate}
	for i := range g {
		if math.Abs(g[i]-w[i]) > 1e-12 {
			t.Errorf("rates\n got %+v\nwant %+v", got, want)
			return
		}
	}
}

// The explicit selection may hold more than the kept tracks (segments of
// tracks the filter dropped); TPR follows the selection, purity the tracks.
func TestSelectionBeyondTracks(t *testing.T) {
	g := build(t, frame(false, false))
	sel := make([]bool, len(g.Src))
	copy(sel, g.Label)
	tr := tracksOf(g, [][]int{trackB})
	f := metrics.Evaluate(g, sel, tr)
	if f.TPR != 1 || f.SelectedTrue != 10 || f.Purity != 1 || f.Efficiency != 0.5 || f.DMEfficiency != 0.5 {
		t.Errorf("explicit selection: %+v", f)
	}
	if f := metrics.Evaluate(g, nil, tr); f.TPR != 0.5 || f.SelectedTrue != 5 {
		t.Errorf("derived selection: TPR %g, selected true %d, want 0.5, 5", f.TPR, f.SelectedTrue)
	}
}

func TestReconstructableHits(t *testing.T) {
	// Only Primary hits count: with S, event 1 has 7 hits but 6 primary.
	for _, tc := range []struct {
		min            int
		secondary      bool
		recon, matched int
	}{{0, false, 2, 2}, {6, false, 2, 2}, {7, false, 0, 0}, {7, true, 0, 0}, {6, true, 2, 2}} {
		g := build(t, frame(false, tc.secondary))
		e := metrics.Evaluator{Options: metrics.Options{ReconstructableHits: tc.min}}
		f := e.Evaluate(g, nil, tracksOf(g, [][]int{trackA, trackB}))
		if f.Reconstructable != tc.recon || f.Matched != tc.matched {
			t.Errorf("ReconstructableHits %d (secondary %v): %d reconstructable, %d matched; want %d, %d",
				tc.min, tc.secondary, f.Reconstructable, f.Matched, tc.recon, tc.matched)
		}
	}
}

// A particle matched by one track is not matched again by a second track
// listing the same hits (trackers that share hits).
func TestMatchedOnce(t *testing.T) {
	g := build(t, frame(false, false))
	f := metrics.Evaluate(g, nil, tracksOf(g, [][]int{trackA, trackA}))
	if f.Matched != 1 || f.Correct != 2 || f.Efficiency != 1 {
		t.Errorf("duplicate track: matched %d correct %d eff %g, want 1, 2, 1", f.Matched, f.Correct, f.Efficiency)
	}
}

func TestEvaluatorReuse(t *testing.T) {
	big := build(t, frame(false, true))
	small := build(t, frame(true, false))
	bigTr := tracksOf(big, [][]int{{a5, s4, a3, a2, a1, a0}, trackB})
	smallTr := tracksOf(small, [][]int{trackA})
	var e metrics.Evaluator
	e.Evaluate(big, nil, bigTr)
	if got, want := e.Evaluate(small, nil, smallTr), metrics.Evaluate(small, nil, smallTr); got != want {
		t.Errorf("reused evaluator: %+v, want %+v", got, want)
	}
	if got, want := e.Evaluate(big, nil, bigTr), metrics.Evaluate(big, nil, bigTr); got != want {
		t.Errorf("reused evaluator: %+v, want %+v", got, want)
	}
}

func TestEvaluateEmpty(t *testing.T) {
	if f := metrics.Evaluate(&graph.HitGraph{}, nil, nil); f != (metrics.Frame{}) {
		t.Errorf("empty graph: %+v, want zero", f)
	}
	g := build(t, frame(false, false))
	var tr track.Tracks
	tr.Append(nil)
	if f := metrics.Evaluate(g, nil, &tr); f.Tracks != 0 || f.FakeRate != 0 {
		t.Errorf("empty track counted: %+v", f)
	}
}

func TestEvaluatePanics(t *testing.T) {
	g := build(t, frame(false, false))
	bad := &track.Tracks{}
	bad.Append([]int32{0, int32(len(g.Hits))})
	tests := []struct {
		name string
		f    func()
	}{
		{"nil graph", func() { metrics.Evaluate(nil, nil, nil) }},
		{"short selection", func() { metrics.Evaluate(g, make([]bool, 3), nil) }},
		{"hit out of range", func() { metrics.Evaluate(g, make([]bool, len(g.Src)), bad) }},
		{"hit out of range, derived", func() { metrics.Evaluate(g, nil, bad) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "metrics: ") {
					t.Errorf("panic %v, want a \"metrics: \" message", r)
				}
			}()
			tc.f()
		})
	}
}

func TestEvaluatorAllocFree(t *testing.T) {
	g := build(t, frame(false, true))
	tr := tracksOf(g, [][]int{{a5, s4, a3, a2, a1, a0}, trackB})
	sel := make([]bool, len(g.Src))
	var e metrics.Evaluator
	e.Evaluate(g, nil, tr)
	for _, s := range [][]bool{nil, sel} {
		if n := testing.AllocsPerRun(20, func() { e.Evaluate(g, s, tr) }); n != 0 {
			t.Errorf("Evaluate (selected nil: %v) allocates %.0f times after warm-up", s == nil, n)
		}
	}
}

// Frame encodes flat, so `pcttrack eval --json` can write it directly.
func TestFrameJSON(t *testing.T) {
	g := build(t, frame(false, false))
	b, err := json.Marshal(metrics.Evaluate(g, nil, tracksOf(g, [][]int{trackA})))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"purity": 1, "efficiency": 0.5, "tpr": 0.5, "correct": 1, "true_segments": 10} {
		if m[k] != want {
			t.Errorf("JSON %s = %v, want %v (%s)", k, m[k], want, b)
		}
	}
}

// The RL tracker's segment-angle cut drops a track that jumps from A to B
// (8 mm over a 5.5 mm layer gap: a 0.97 rad turn) but keeps the straight
// ones; the efficiency denominator does not change.
func TestEvaluateKinkCut(t *testing.T) {
	g := build(t, frame(false, false))
	ts := tracksOf(g, [][]int{{a5, a4, a3, a2, a1, a0}, {b5, b4, b3, a2, a1, a0}, {b5, b4, b3, b2, b1, b0}})
	e := metrics.Evaluator{}
	all := e.Evaluate(g, nil, ts)
	e.Options.MaxKinkAngle = metrics.RLTrackerKinkCut
	cut := e.Evaluate(g, nil, ts)
	if all.PrimaryTracks != 3 || all.Correct != 2 || cut.PrimaryTracks != 2 || cut.Correct != 2 || cut.PrimaryEvents != all.PrimaryEvents {
		t.Errorf("no cut %+v; cut %+v", all.Counts, cut.Counts)
	}
	if cut.Purity != 1 || all.Purity > 0.67 {
		t.Errorf("purity %g without, %g with the cut", all.Purity, cut.Purity)
	}
}
