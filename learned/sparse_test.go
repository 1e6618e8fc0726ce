package learned_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/track"
)

// TestSparseTrackerPrunesFullGraph: a tracker of a model with sparse graphs
// (tracker cut, physics cut, isolated segments dropped) gives the same
// tracks on the paper's full hit graph (which it prunes itself) as on the
// tracker-cut hit graph built directly; the segments it removed are never
// selected nor scored, and the others score alike.
func TestSparseTrackerPrunesFullGraph(t *testing.T) {
	f := simFrame(t, 60, 21)
	sparse := graph.SparseOptions()
	full, err := graph.Build(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	direct, err := graph.Build(f, &sparse)
	if err != nil {
		t.Fatal(err)
	}
	if len(direct.Src) >= len(full.Src) {
		t.Fatalf("sparse graph has %d of %d segments", len(direct.Src), len(full.Src))
	}
	for _, kind := range []string{model.KindLineGraph, model.KindHitGraph} {
		tr := learned.New(newNet(t, kind), &learned.Options{Graph: &sparse, Filter: track.Filter{MinHits: 3}})
		var a, b track.Result
		if err := tr.Track(&a, direct); err != nil {
			t.Fatal(err)
		}
		pa := slices.Clone(tr.Probabilities())
		for range 2 { // reused workspace
			if err := tr.Track(&b, full); err != nil {
				t.Fatal(err)
			}
		}
		if a.Stats != b.Stats || !slices.Equal(a.Tracks.Hits, b.Tracks.Hits) || !slices.Equal(a.All.Start, b.All.Start) {
			t.Fatalf("%s: pruned full graph gives %d tracks (%+v), the sparse graph %d (%+v)", kind, b.Tracks.Len(), b.Stats, a.Tracks.Len(), a.Stats)
		}
		if a.Stats.Selected == 0 {
			t.Fatalf("%s: nothing selected", kind)
		}
		scored := 0
		for _, p := range pa {
			if p != 0 {
				scored++
			}
		}
		if scored == 0 || scored > len(direct.Src)*3/4 {
			t.Fatalf("%s: %d of %d tracker-cut segments scored: the isolated ones are not dropped", kind, scored, len(direct.Src))
		}
		// map the full graph's selection and scores onto the sparse segments
		pb := tr.Probabilities()
		for s := range full.Src {
			k := segmentIndex(direct, full.Src[s], full.Dst[s])
			switch {
			case k < 0 && (b.Selected[s] || pb[s] != 0):
				t.Fatalf("%s: pruned segment %d selected or scored", kind, s)
			case k >= 0 && (b.Selected[s] != a.Selected[k] || pb[s] != pa[k]):
				t.Fatalf("%s: segment %d differs from sparse segment %d", kind, s, k)
			}
		}
	}
}

func segmentIndex(g *graph.HitGraph, a, b int32) int {
	for s := g.SrcStart[a]; s < g.SrcStart[a+1]; s++ {
		if g.Dst[s] == b {
			return int(s)
		}
	}
	return -1
}

// TestTrackerGraphChecks: a graph with other cones, or one that is sparser
// than the model's, is an error naming both, unless forced; an override of
// the trained graph options needs ForceGraph.
func TestTrackerGraphChecks(t *testing.T) {
	f := simFrame(t, 30, 21)
	net := newNet(t, model.KindLineGraph)
	fullTr := learned.New(net, nil)
	var res track.Result
	for _, o := range []graph.Options{{CaloCone: 0.3}, {TrackerCut: 4}} {
		g, err := graph.Build(f, &o)
		if err != nil {
			t.Fatal(err)
		}
		err = fullTr.Track(&res, g)
		if err == nil || !strings.Contains(err.Error(), "the model's graphs have the full graph") {
			t.Errorf("%+v: error %v", o, err)
		}
		forced, err := learned.NewTrained(net, graph.Options{}, &learned.Options{Graph: &o, ForceGraph: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := forced.Track(&res, g); err != nil {
			t.Errorf("forced %+v: %v", o, err)
		}
	}
	sparse := graph.Options{TrackerCut: 4}
	if _, err := learned.NewTrained(net, graph.Options{}, &learned.Options{Graph: &sparse}); err == nil || !strings.Contains(err.Error(), "trained on graphs with the full graph, not tracker cut 4 σ") {
		t.Errorf("override without force: %v", err)
	}
	same := graph.Options{Validate: true}
	if _, err := learned.NewTrained(net, graph.Options{}, &learned.Options{Graph: &same}); err != nil {
		t.Errorf("override with the trained options: %v", err)
	}
}

// TestLoadUsesCheckpointGraph: Load takes the graph options the
// checkpoint records, and a clone keeps them.
func TestLoadUsesCheckpointGraph(t *testing.T) {
	net := newNet(t, model.KindLineGraph)
	c := model.NewCheckpoint(net, nil, nil)
	c.Graph = &graph.Options{TrackerCut: 3, PhysicsCut: 5}
	path := filepath.Join(t.TempDir(), "s.ckpt")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	tr, err := learned.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []*learned.Tracker{tr, tr.Clone()} {
		if g := x.Graph(); g.TrackerCut != 3 || g.PhysicsCut != 5 || x.Trained() != g {
			t.Errorf("graph %+v, trained %+v", g, x.Trained())
		}
	}
	if _, err := learned.Load(path, &learned.Options{Graph: &graph.Options{}}); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
		t.Errorf("override of a checkpoint's graph: %v", err)
	}
}
