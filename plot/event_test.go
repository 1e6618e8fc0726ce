package plot

import (
	"errors"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/track"
)

// caseGraph builds the hit graph of a testframes case and returns the map
// from frame hit index to graph hit index.
func caseGraph(t testing.TB, name string) (*graph.HitGraph, map[int]int32) {
	t.Helper()
	for _, c := range testframes.Cases() {
		if c.Name != name {
			continue
		}
		g, err := graph.Build(&c.Frame, nil)
		if err != nil {
			t.Fatal(err)
		}
		idx := map[int]int32{}
		for gi, fi := range g.HitIndex {
			idx[int(fi)] = int32(gi)
		}
		return g, idx
	}
	t.Fatalf("no case %q", name)
	return nil, nil
}

// truthCosts follows particles: 0 within one, 0.25 within an event,
// forbidden across events (the CLI's truth method).
func truthCosts(dst []float64, g *graph.HitGraph) ([]float64, error) {
	dst = make([]float64, len(g.Src))
	for s := range dst {
		a, b := g.Hits[g.Src[s]], g.Hits[g.Dst[s]]
		switch {
		case a.EventID != b.EventID:
			dst[s] = math.Inf(1)
		case a.TrackID != b.TrackID:
			dst[s] = 0.25
		}
	}
	return dst, nil
}

// selectPairs marks the segments of g joining the given frame hit pairs
// {deeper, shallower}; a pair that is no segment fails the test.
func selectPairs(t *testing.T, g *graph.HitGraph, idx map[int]int32, pairs [][2]int) []bool {
	t.Helper()
	sel := make([]bool, len(g.Src))
	for _, p := range pairs {
		found := false
		for s := range g.Src {
			if g.Src[s] == idx[p[0]] && g.Dst[s] == idx[p[1]] {
				sel[s], found = true, true
			}
		}
		if !found {
			t.Fatalf("no segment %v", p)
		}
	}
	return sel
}

// noEdepCut keeps tracks of 5 or more hits: the hand-made hits deposit
// only 0.025 MeV, below the paper's cut on the deepest hit.
var noEdepCut = track.Filter{MinDeepestEdep: -1}

// resultOf chains and filters a selection as CostTracker does.
func resultOf(g *graph.HitGraph, sel []bool) *track.Result {
	res := &track.Result{Selected: sel}
	track.Chain(&res.All, g, sel)
	noEdepCut.Apply(&res.Tracks, &res.All, g)
	return res
}

// The true segments of "three-protons-secondary" as frame hit pairs: the
// primaries 10, 11, 12 and the secondary of event 10.
var threeTrue = [][2]int{
	{4, 3}, {3, 2}, {2, 1}, {1, 0},
	{11, 10}, {10, 9}, {9, 8}, {8, 7},
	{15, 14}, {14, 13}, {13, 12},
	{6, 5},
}

// replace returns threeTrue with the pairs in out swapped for those in in.
func replace(out, in [][2]int) [][2]int {
	var r [][2]int
next:
	for _, p := range threeTrue {
		for _, o := range out {
			if p == o {
				continue next
			}
		}
		r = append(r, p)
	}
	return append(r, in...)
}

func TestEventSummary(t *testing.T) {
	g, idx := caseGraph(t, "three-protons-secondary")
	ct := &track.CostTracker{Costs: truthCosts, Filter: noEdepCut}
	var truthRes track.Result
	if err := ct.Track(&truthRes, g); err != nil {
		t.Fatal(err)
	}
	// A tracker that skips layer 3 and jumps from proton 11 to proton 10.
	var skip track.Result
	skip.Selected = make([]bool, len(g.Src))
	skip.All.Append([]int32{idx[11], idx[10], idx[2], idx[1], idx[0]})
	skip.Tracks.Reset()

	base := EventSummary{Hits: 16, SecondaryHits: 2, Particles: 4, TrueSegments: 12}
	for _, tc := range []struct {
		name string
		res  *track.Result
		want EventSummary
	}{
		{"truth only", nil, base},
		{"truth tracker", &truthRes, with(base, func(s *EventSummary) { s.Links, s.Tracks, s.Rejected = 12, 2, 2 })},
		{"nothing selected", resultOf(g, make([]bool, len(g.Src))), with(base, func(s *EventSummary) { s.Missed = 12 })},
		{
			// protons 10 and 12 swapped between layers 1 and 0: 2 wrong links, 2 missed.
			"crossed in the tracker",
			resultOf(g, selectPairs(t, g, idx, replace([][2]int{{1, 0}, {13, 12}}, [][2]int{{1, 12}, {13, 0}}))),
			with(base, func(s *EventSummary) { s.Links, s.FalseSelected, s.Missed, s.Tracks, s.Rejected = 12, 2, 2, 2, 2 }),
		},
		{
			// primary 10 joined to its own secondary: not wrong (same event), but 2 missed.
			"primary to own secondary",
			resultOf(g, selectPairs(t, g, idx, replace([][2]int{{4, 3}, {6, 5}}, [][2]int{{4, 5}, {6, 3}}))),
			with(base, func(s *EventSummary) { s.Links, s.Missed, s.Tracks, s.Rejected = 12, 2, 2, 2 }),
		},
		{
			// links from a chained track that skips a layer count too.
			"layer-skipping track",
			&skip,
			with(base, func(s *EventSummary) { s.Links, s.FalseSelected, s.Missed, s.Rejected = 4, 1, 9, 1 }),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fig, sum, err := NewEvent(g, tc.res, &EventOptions{Extent: ExtentHits})
			if err != nil {
				t.Fatal(err)
			}
			if sum != tc.want {
				t.Errorf("summary\n got %+v\nwant %+v", sum, tc.want)
			}
			// Every error mark is drawn once per panel, plus once in
			// the legend when there is a reconstruction.
			legend := 0
			if tc.res != nil {
				legend = 1
			}
			strokes := countStrokes(fig)
			if got, want := strokes[colFalse], 2*sum.FalseSelected+legend; got != want {
				t.Errorf("red strokes = %d, want %d", got, want)
			}
			if got, want := strokes[colMissed], 2*sum.Missed+legend; got != want {
				t.Errorf("orange strokes = %d, want %d", got, want)
			}
		})
	}
}

func with(s EventSummary, f func(*EventSummary)) EventSummary {
	f(&s)
	return s
}

// countStrokes draws fig on a recorder and counts the strokes per colour.
func countStrokes(fig *Figure) map[color.RGBA]int {
	var rec recorder.Canvas
	fig.draw(draw.NewCanvas(&rec, fig.Size.Width, fig.Size.Height))
	n := map[color.RGBA]int{}
	var cur color.RGBA
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			r, g, b, al := a.Color.RGBA()
			cur = color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(al >> 8)}
		case *recorder.Stroke:
			n[cur]++
		}
	}
	return n
}

func TestEventWindowClipsMarks(t *testing.T) {
	g, idx := caseGraph(t, "three-protons-secondary")
	res := resultOf(g, selectPairs(t, g, idx, replace([][2]int{{1, 0}, {13, 12}}, [][2]int{{1, 12}, {13, 0}})))
	// The swap is between layers 1 and 0 (z < 280 mm); a window on the
	// calorimeter hides its marks but not its counts.
	fig, sum, err := NewEvent(g, res, &EventOptions{Window: Window{ZMin: 320, ZMax: 400}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.FalseSelected != 2 || sum.Missed != 2 {
		t.Fatalf("summary %+v, want 2 wrong and 2 missed", sum)
	}
	if s := countStrokes(fig); s[colFalse] != 1 || s[colMissed] != 1 {
		t.Errorf("strokes red %d orange %d, want only the legend's (1, 1)", s[colFalse], s[colMissed])
	}
}

func TestEventErrors(t *testing.T) {
	g, _ := caseGraph(t, "two-protons")
	nan := *g
	nan.Hits = append([]dataset.Hit(nil), g.Hits...)
	nan.Hits[2].Y = float32(math.NaN())
	badTrack := &track.Result{}
	badTrack.Tracks.Append([]int32{0, int32(len(g.Hits))})
	badStart := &track.Result{}
	badStart.All.Hits, badStart.All.Start = []int32{0, 1}, []int32{0, 2, 1}
	for _, tc := range []struct {
		name string
		g    *graph.HitGraph
		res  *track.Result
		opt  *EventOptions
	}{
		{"nil graph", nil, nil, nil},
		{"no hits", &graph.HitGraph{}, nil, nil},
		{"NaN hit", &nan, nil, nil},
		{"selection length", g, &track.Result{Selected: make([]bool, len(g.Src)+1)}, nil},
		{"track hit out of range", g, badTrack, nil},
		{"decreasing track starts", g, badStart, nil},
		{"empty window range", g, nil, &EventOptions{Window: Window{XMin: 3, XMax: 3}}},
		{"reversed window", g, nil, &EventOptions{Window: Window{ZMin: 400, ZMax: 300}}},
		{"NaN window", g, nil, &EventOptions{Window: Window{YMin: math.NaN(), YMax: 1}}},
		{"unknown extent", g, nil, &EventOptions{Extent: 7}},
		{"negative size", g, nil, &EventOptions{Size: Size{Width: -1}}},
		{"huge size", g, nil, &EventOptions{Size: Size{Width: 1000 * vg.Inch, DPI: 300}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fig, _, err := NewEvent(tc.g, tc.res, tc.opt)
			if err == nil || fig != nil {
				t.Fatalf("NewEvent = %v, %v; want an error", fig, err)
			}
		})
	}
	if _, _, err := NewEvent(&graph.HitGraph{}, nil, nil); !errors.Is(err, ErrEmptyGraph) {
		t.Errorf("empty graph: err = %v, want ErrEmptyGraph", err)
	}
}

func TestEventErrorLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "event.png")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Event(path, &graph.HitGraph{}, nil, nil); !errors.Is(err, ErrEmptyGraph) {
		t.Fatalf("err = %v, want ErrEmptyGraph", err)
	}
	if _, err := Event(filepath.Join(dir, "event.pdf"), caseGraphOnly(t), nil, nil); err == nil {
		t.Fatal("unknown extension: no error")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("old file = %q, %v; want it untouched", b, err)
	}
	assertOnlyFiles(t, dir, "event.png")
}

func caseGraphOnly(t *testing.T) *graph.HitGraph {
	g, _ := caseGraph(t, "two-protons")
	return g
}

// assertOnlyFiles fails unless dir holds exactly the named files (no
// temporary leftovers).
func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Fatalf("files %v, want %v", got, names)
	}
}

func TestEventExtent(t *testing.T) {
	// 200 hits of one straight particle per x position in a narrow beam
	// and one far-scattered secondary at x = 100 mm.
	var f dataset.Frame
	for i := range 200 {
		x := float32(i%20) * 0.5
		for l := range int32(3) {
			f.Hits = append(f.Hits, dataset.Hit{Layer: l, X: x, Z: float32(testframes.LayerZ(int(l))), Edep: 0.1, ClusterSize: 4, EventID: int64(i), TrackID: 1, Primary: true})
		}
	}
	f.Hits = append(f.Hits, dataset.Hit{Layer: 2, X: 100, Z: float32(testframes.LayerZ(2)), Edep: 0.1, ClusterSize: 4, EventID: 999, TrackID: 2})
	g, err := graph.Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ext            Extent
		inside, beyond float64 // x values that must be inside or beyond the range
	}{
		{ExtentCore, 9.5, 100},
		{ExtentHits, 100, 105},
		{ExtentAperture, graph.DefaultApertureX/2 - 0.1, graph.DefaultApertureX/2 + 0.1},
	} {
		b, err := eventBox(g, &EventOptions{Extent: tc.ext})
		if err != nil {
			t.Fatal(err)
		}
		if b.XMin > 0 || b.XMax < tc.inside || b.XMax >= tc.beyond {
			t.Errorf("extent %d: x range [%g, %g], want it to hold [0, %g] and not %g", tc.ext, b.XMin, b.XMax, tc.inside, tc.beyond)
		}
	}
	b, err := eventBox(g, &EventOptions{Window: Window{XMin: -5, XMax: 5}})
	if err != nil || b.XMin != -5 || b.XMax != 5 || b.ZMin >= b.ZMax {
		t.Errorf("window: %+v, %v", b, err)
	}
}

func TestParseExtent(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want Extent
		ok   bool
	}{{"core", ExtentCore, true}, {"hits", ExtentHits, true}, {"aperture", ExtentAperture, true}, {"all", 0, false}, {"", 0, false}} {
		got, err := ParseExtent(tc.s)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseExtent(%q) = %v, %v", tc.s, got, err)
		}
	}
}
