package graph

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

func TestComputeStatsCase(t *testing.T) {
	c := testframes.Cases()[1]
	g := mustBuild(t, &c.Frame, nil)
	lg := mustLineGraph(t, g, nil)
	st := ComputeStats(g, lg)
	want := FrameStats{
		Frame: 1, Hits: 16, Layers: 5, CandidatePairs: 42, Segments: 19, TrueSegments: 15,
		LineEdges: 42, TrueLineEdges: 24, LineCandidatePairs: 21,
		PrimarySegments: 11, PrimarySegmentsKept: 11, PrimaryPairs: 8, PrimaryPairsKept: 8,
		// no tracker cut: the cones' graph is this one
		ConeSegments: 19, ConeLineEdges: 42, PrimarySegmentsCone: 11, PrimaryPairsCone: 8, PrimarySegmentsHitGraph: 11, PrimaryPairsHitGraph: 8,
		Allowed: 19.0 / 42, SegmentEfficiency: 1, PairEfficiency: 1,
		LayerPairs: []LayerPairStats{
			{Layer: 4, Rows: 3, Cols: 4, Segments: 5, Allowed: 5.0 / 12},
			{Layer: 3, Rows: 4, Cols: 3, Segments: 4, Allowed: 4.0 / 12},
			{Layer: 2, Rows: 3, Cols: 3, Segments: 5, Allowed: 5.0 / 9},
			{Layer: 1, Rows: 3, Cols: 3, Segments: 5, Allowed: 5.0 / 9},
		},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats\n got %+v\nwant %+v", st, want)
	}
}

// naivePrimary counts true primary segments and pairs before any cut by
// brute force.
func naivePrimary(f *dataset.Frame) (segs, pairs int) {
	hs := f.Hits
	for _, a := range hs {
		for _, b := range hs {
			if !a.Primary || !b.Primary || a.EventID != b.EventID || b.Layer != a.Layer-1 {
				continue
			}
			segs++
			for _, c := range hs {
				if c.Primary && c.EventID == a.EventID && c.Layer == b.Layer-1 {
					pairs++
				}
			}
		}
	}
	return segs, pairs
}

// TestEfficiencies narrows the cones until true segments are lost and
// checks the counts before and after the cut against brute force.
func TestEfficiencies(t *testing.T) {
	f := testframes.Synthetic(testframes.Stream(51, 0), testframes.SynthOptions{Protons: 30})
	// Duplicate some primary hits so that multiplicities exceed 1.
	f.Hits = append(f.Hits, f.Hits[3], f.Hits[40])
	segs, pairs := naivePrimary(&f)
	for _, tc := range []struct {
		name string
		opt  Options
		full bool
	}{
		{"paper", Options{}, true},
		{"narrow", Options{TrackerCone: 0.01, CaloCone: 0.03}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustBuild(t, &f, &tc.opt)
			lg := mustLineGraph(t, g, nil)
			st := ComputeStats(g, lg)
			if st.PrimarySegments != segs || st.PrimaryPairs != pairs {
				t.Fatalf("primary segments/pairs %d/%d, brute force %d/%d", st.PrimarySegments, st.PrimaryPairs, segs, pairs)
			}
			if (st.SegmentEfficiency == 1) != tc.full || (st.PairEfficiency == 1) != tc.full {
				t.Errorf("efficiencies %g, %g; want 1: %v", st.SegmentEfficiency, st.PairEfficiency, tc.full)
			}
			if !tc.full && !(st.PairEfficiency < st.SegmentEfficiency && st.SegmentEfficiency > 0) {
				t.Errorf("pair efficiency %g should be below segment efficiency %g", st.PairEfficiency, st.SegmentEfficiency)
			}
		})
	}
}

func TestCollector(t *testing.T) {
	cases := testframes.Cases()
	c, err := NewCollector(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	frames := []dataset.Frame{
		cases[0].Frame,
		{Meta: dataset.FrameMeta{Frame: 9}},
		{Meta: dataset.FrameMeta{Frame: 10}, Hits: cases[0].Frame.Hits[:1]},
		cases[1].Frame,
		{Meta: dataset.FrameMeta{Frame: 11}, Hits: []dataset.Hit{{Layer: 0, X: float32(math.NaN())}}},
	}
	wantErr := []error{nil, ErrEmptyFrame, ErrTooFewLayers, nil, ErrNonFinite}
	for i := range frames {
		st, err := c.Add(&frames[i])
		if !errors.Is(err, wantErr[i]) {
			t.Fatalf("frame %d: err = %v, want %v", i, err, wantErr[i])
		}
		if err == nil && st.Hits != len(frames[i].Hits) {
			t.Errorf("frame %d: %d hits", i, st.Hits)
		}
	}
	s := c.Summary()
	if s.Frames != 2 || s.EmptyFrames != 1 || s.TooFewLayers != 1 {
		t.Errorf("frames %d, empty %d, too few %d; want 2, 1, 1", s.Frames, s.EmptyFrames, s.TooFewLayers)
	}
	if s.Hits != (MeanSD{11, 5}) || s.Segments != (MeanSD{13.5, 5.5}) || s.LineEdges != (MeanSD{29, 13}) {
		t.Errorf("hits %v segments %v line edges %v", s.Hits, s.Segments, s.LineEdges)
	}
	// Protons per frame differ (2 and 3): no common phantom, no paper row.
	if s.Paper != nil || s.Phantom != "" {
		t.Errorf("paper %v phantom %q for mixed frames", s.Paper, s.Phantom)
	}
	// Layer 1 → 0 occurs in both frames: 3×3 and 2×2 matrices.
	last := s.LayerPairs[len(s.LayerPairs)-1]
	if last.Layer != 1 || last.Frames != 2 || last.Rows != (MeanSD{2.5, 0.5}) || last.Allowed != 9.0/13 {
		t.Errorf("layer pair 1: %+v", last)
	}
	if s.LayerPairs[0].Layer != 4 || s.LayerPairs[0].Frames != 1 {
		t.Errorf("layer pairs not deepest first: %+v", s.LayerPairs[0])
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"frames":2`, `"line_edges":{"mean":29,"sd":13}`, `"too_few_layers":1`, `"layer_pairs":[{"layer":4`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON %s lacks %s", b, key)
		}
	}
}

func TestPaperReference(t *testing.T) {
	tests := []struct {
		phantom string
		protons int
		ok      bool
		want    [3]int
	}{
		{"water:100", 100, true, [3]int{2675, 14837, 493910}},
		{"water:150", 50, true, [3]int{1074, 3079, 39584}},
		{"water:200", 150, true, [3]int{2445, 15770, 552870}},
		{"water:200mm", 150, false, [3]int{}}, // not the recorded form
		{"water:100", 120, false, [3]int{}},
		{"water:120", 100, false, [3]int{}},
		{"water:100.5", 100, false, [3]int{}},
		{"none", 100, false, [3]int{}},
		{"pmma:100", 100, false, [3]int{}},
	}
	for _, tc := range tests {
		p, ok := PaperReference(tc.phantom, tc.protons)
		if ok != tc.ok || [3]int{p.Hits, p.Segments, p.LineEdges} != tc.want {
			t.Errorf("PaperReference(%q, %d) = %+v, %v", tc.phantom, tc.protons, p, ok)
		}
	}
}

// TestSyntheticNearPaper checks that the synthetic frames, which other
// packages benchmark on, have about the paper's graph sizes at 100 mm and
// 100 p⁺/frame.
func TestSyntheticNearPaper(t *testing.T) {
	c, _ := NewCollector(nil, nil)
	for _, f := range testframes.SyntheticFrames(1, 3, testframes.SynthOptions{}) {
		if _, err := c.Add(&f); err != nil {
			t.Fatal(err)
		}
	}
	s := c.Summary()
	if s.Paper == nil || s.Phantom != "water:100" || s.ProtonsPerFrame != 100 {
		t.Fatalf("no paper reference for %q/%d", s.Phantom, s.ProtonsPerFrame)
	}
	for _, q := range []struct {
		name       string
		got, paper float64
	}{
		{"hits", s.Hits.Mean, float64(s.Paper.Hits)},
		{"segments", s.Segments.Mean, float64(s.Paper.Segments)},
		{"line edges", s.LineEdges.Mean, float64(s.Paper.LineEdges)},
	} {
		if r := q.got / q.paper; r < 0.85 || r > 1.15 {
			t.Errorf("%s: %.0f vs paper %.0f (ratio %.2f)", q.name, q.got, q.paper, r)
		}
	}
}

func TestStatsText(t *testing.T) {
	c, _ := NewCollector(nil, nil)
	var buf strings.Builder
	tab := NewStatsTable(&buf)
	f := testframes.Cases()[1].Frame
	f.Meta.Phantom, f.Meta.ProtonsPerFrame = "water:100", 100 // pretend, for the paper column
	st, err := c.Add(&f)
	if err != nil {
		t.Fatal(err)
	}
	tab.Row(&st)
	tab.Skip(8, ErrEmptyFrame)
	if err := tab.Err(); err != nil {
		t.Fatal(err)
	}
	s := c.Summary()
	if err := s.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"  frame   hits layers      cand segments",
		"      1     16      5        42       19       15         42         24  0.4524  1.0000  1.0000",
		"      8 skipped: empty frame",
		"phantom\twater:100, 100 p+/frame",
		"segments (G_L nodes)           19.0        0.0      14837   0.001",
		"G_L edges (2 dirs)             42.0        0.0     493910   0.000",
		" 4→3        1      3.0      4.0       5.0   0.4167",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
