package baseline

import (
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/track"
)

// paperScore returns the paper's purity and efficiency of one frame (E2E
// eval.py; dtc-reference §9.2): a track is correct when all its hits share
// one EventID; purity = correct / tracks made only of primary hits,
// efficiency = correct / events whose hits in g are all primary (0 when
// there is no such track). Tracks are the filtered ones. Kept as an
// independent check of package metrics (TestPaperScoreMatchesMetrics).
func paperScore(g *graph.HitGraph, tr *track.Tracks) (purity, efficiency float64) {
	allPrimary := map[int64]bool{}
	for i := range g.Hits {
		h := &g.Hits[i]
		if _, ok := allPrimary[h.EventID]; !ok {
			allPrimary[h.EventID] = true
		}
		if !h.Primary {
			allPrimary[h.EventID] = false
		}
	}
	trueTracks := 0
	for _, ok := range allPrimary {
		if ok {
			trueTracks++
		}
	}
	var prim, correct int
	for i := 0; i < tr.Len(); i++ {
		t := tr.Track(i)
		ok, same := true, true
		for _, h := range t {
			ok = ok && g.Hits[h].Primary
			same = same && g.Hits[h].EventID == g.Hits[t[0]].EventID
		}
		if !ok {
			continue
		}
		prim++
		if same {
			correct++
		}
	}
	if prim == 0 {
		return 0, 0
	}
	return float64(correct) / float64(prim), float64(correct) / float64(trueTracks)
}

// simFrames returns n simulated frames of 100 p⁺ behind 100 mm of water
// (seed 7).
func simFrames(t testing.TB, n int) []dataset.Frame { return simframes.Must(t, 100, n, 7) }

// defaultPhysics returns the physics tracker with the default geometry
// and options.
func defaultPhysics(tb testing.TB) *Physics {
	tb.Helper()
	p, err := NewPhysics(nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// trackAll tracks every graph of gs into res (no t.Helper: it runs inside
// allocation counts).
func trackAll(tb testing.TB, tr track.Tracker, res *track.Result, gs []*graph.HitGraph) {
	for _, g := range gs {
		if err := tr.Track(res, g); err != nil {
			tb.Fatal(err)
		}
	}
}

// simGraphs builds the hit graphs of simFrames(n).
func simGraphs(t testing.TB, n int) []*graph.HitGraph {
	t.Helper()
	var gs []*graph.HitGraph
	for _, f := range simFrames(t, n) {
		g, err := graph.Build(&f, nil)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

// meanScore runs tr on the graphs and returns the mean purity and
// efficiency over frames.
func meanScore(t testing.TB, tr track.Tracker, gs []*graph.HitGraph) (pur, eff float64) {
	t.Helper()
	var res track.Result
	for _, g := range gs {
		if err := tr.Track(&res, g); err != nil {
			t.Fatal(err)
		}
		p, e := paperScore(g, &res.Tracks)
		pur += p
		eff += e
	}
	return pur / float64(len(gs)), eff / float64(len(gs))
}

// caseGraph builds the hit graph of a hand-made frame of testframes.
func caseGraph(t *testing.T, f *dataset.Frame) *graph.HitGraph {
	t.Helper()
	g, err := graph.Build(f, &graph.Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}
