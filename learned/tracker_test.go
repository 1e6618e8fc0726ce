package learned_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/track"
)

// synthGraph is a 30-proton synthetic frame's hit graph.
func synthGraph(t testing.TB, seed uint64) *graph.HitGraph {
	t.Helper()
	f := testframes.Synthetic(testframes.Stream(seed, 0), testframes.SynthOptions{Protons: 30})
	g, err := graph.Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func newNet(t testing.TB, kind string) model.Net {
	t.Helper()
	net, err := model.New(model.Config{Kind: kind}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// manualTrack runs the documented pipeline step by step, independently of
// Tracker's wiring.
func manualTrack(t *testing.T, net model.Net, g *graph.HitGraph, opt *learned.Options) (*track.Result, []float32) {
	t.Helper()
	var lg *graph.LineGraph
	if net.Config().Kind == model.KindLineGraph {
		var err error
		if lg, err = graph.NewLineGraph(g, &opt.Line); err != nil {
			t.Fatal(err)
		}
	}
	in, err := model.NewInput(net.Config(), g, lg)
	if err != nil {
		t.Fatal(err)
	}
	p := net.Predict(nil, in)
	cost := track.ScoreCosts(nil, p)
	var a track.Assigner
	res := &track.Result{}
	if res.Selected, res.Stats, err = a.Assign(nil, g, cost, &opt.Assign); err != nil {
		t.Fatal(err)
	}
	track.Chain(&res.All, g, res.Selected)
	opt.Filter.Apply(&res.Tracks, &res.All, g)
	return res, p
}

func sameResult(t *testing.T, name string, got, want *track.Result) {
	t.Helper()
	if !slices.Equal(got.Selected, want.Selected) {
		t.Errorf("%s: selected segments differ", name)
	}
	if !slices.Equal(got.Tracks.Hits, want.Tracks.Hits) || !slices.Equal(got.Tracks.Start, want.Tracks.Start) {
		t.Errorf("%s: tracks differ: %d vs %d", name, got.Tracks.Len(), want.Tracks.Len())
	}
	if !slices.Equal(got.All.Hits, want.All.Hits) {
		t.Errorf("%s: unfiltered tracks differ", name)
	}
	if got.Stats != want.Stats {
		t.Errorf("%s: stats %+v, want %+v", name, got.Stats, want.Stats)
	}
}

func TestTrackerMatchesPipeline(t *testing.T) {
	g := synthGraph(t, 3)
	cases := []struct {
		name string
		kind string
		opt  learned.Options
	}{
		{"linegraph-default", model.KindLineGraph, learned.Options{}},
		{"linegraph-paper-solver", model.KindLineGraph, learned.Options{Assign: track.Options{Paper: true}, Filter: track.Filter{MinHits: -1}}},
		{"linegraph-angle-cut", model.KindLineGraph, learned.Options{Line: graph.LineOptions{Filter: graph.MaxAngle(0.1)}}},
		{"hitgraph", model.KindHitGraph, learned.Options{Filter: track.Filter{MinHits: 3}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			net := newNet(t, tc.kind)
			want, wantP := manualTrack(t, net, g, &tc.opt)
			mt := learned.New(net, &tc.opt)
			var got track.Result
			// twice: the reused workspace must give the same answer
			for range 2 {
				if err := mt.Track(&got, g); err != nil {
					t.Fatal(err)
				}
			}
			sameResult(t, tc.name, &got, want)
			if !slices.Equal(mt.Probabilities(), wantP) {
				t.Error("probabilities differ")
			}
			if got.Stats.Selected == 0 || got.All.Len() == 0 {
				t.Fatalf("nothing selected on a %d-segment frame", len(g.Src))
			}
		})
	}
}

func TestTrackerCheckpointRoundTrip(t *testing.T) {
	g := synthGraph(t, 4)
	dir := t.TempDir()
	for _, kind := range []string{model.KindLineGraph, model.KindHitGraph} {
		t.Run(kind, func(t *testing.T) {
			net := newNet(t, kind)
			path := filepath.Join(dir, kind+".ckpt")
			if err := model.Save(path, net, nil, map[string]string{"step": "0"}); err != nil {
				t.Fatal(err)
			}
			opt := &learned.Options{Filter: track.Filter{MinHits: 3}}
			mem := learned.New(net, opt)
			disk, err := learned.Load(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			var a, b, c track.Result
			if err := mem.Track(&a, g); err != nil {
				t.Fatal(err)
			}
			if err := disk.Track(&b, g); err != nil {
				t.Fatal(err)
			}
			sameResult(t, "checkpoint", &b, &a)
			if !slices.Equal(mem.Probabilities(), disk.Probabilities()) {
				t.Error("probabilities differ after the round trip")
			}
			if err := disk.Clone().Track(&c, g); err != nil {
				t.Fatal(err)
			}
			sameResult(t, "clone", &c, &a)
		})
	}
}

func TestTrackerTrackInput(t *testing.T) {
	g := synthGraph(t, 5)
	net := newNet(t, model.KindLineGraph)
	lg, err := graph.NewLineGraph(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, err := model.NewInput(net.Config(), g, lg)
	if err != nil {
		t.Fatal(err)
	}
	mt := learned.New(net, nil)
	var a, b track.Result
	if err := mt.Track(&a, g); err != nil {
		t.Fatal(err)
	}
	if err := mt.TrackInput(&b, g, in); err != nil {
		t.Fatal(err)
	}
	sameResult(t, "TrackInput", &b, &a)
}

// TestTrackerTooSmall: frames the model cannot run on give no
// segments and no tracks, without an error.
func TestTrackerTooSmall(t *testing.T) {
	c := testframes.Cases()[0] // two protons in layers 0–2
	full, err := graph.Build(&c.Frame, nil)
	if err != nil {
		t.Fatal(err)
	}
	// one proton in two layers: one segment
	one := c.Frame
	one.Hits = []dataset.Hit{c.Frame.Hits[0], c.Frame.Hits[1]}
	g1, err := graph.Build(&one, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		g        *graph.HitGraph
		segments int
	}{
		{"one-segment", g1, 1},
		{"eight-segments", full, 8},
	}
	mt := learned.New(newNet(t, model.KindLineGraph), &learned.Options{Filter: track.Filter{MinHits: -1}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.g.Src) != tc.segments {
				t.Fatalf("%d segments, want %d", len(tc.g.Src), tc.segments)
			}
			var res track.Result
			if err := mt.Track(&res, tc.g); err != nil {
				t.Fatal(err)
			}
			if tc.segments < 2 {
				if res.Stats.Selected != 0 || res.All.Len() != 0 || slices.Contains(res.Selected, true) {
					t.Errorf("selected %d segments, %d tracks on a frame too small for the model", res.Stats.Selected, res.All.Len())
				}
				return
			}
			// layers 0–2 with two hits each: complete matchings, two tracks of 3
			if res.Stats.Selected != 4 || res.All.Len() != 2 {
				t.Errorf("selected %d segments, %d tracks; want 4 and 2", res.Stats.Selected, res.All.Len())
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.ckpt")
	if err := os.WriteFile(garbage, []byte("not a checkpoint at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.ckpt")
	if err := model.Save(good, newNet(t, model.KindLineGraph), nil, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.ckpt")
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.ckpt"), garbage, truncated} {
		_, err := learned.Load(path, nil)
		if err == nil {
			t.Errorf("%s: no error", path)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "learned: ") || !strings.Contains(msg, filepath.Base(path)) {
			t.Errorf("%s: error %q does not start with learned: and name the file", path, msg)
		}
	}
}

// Track a synthetic 30-proton frame with an untrained line-graph model:
// the assignment still produces a matching per layer pair, so chaining
// yields tracks; a trained checkpoint would be loaded with
// Load instead.
func ExampleTracker() {
	f := testframes.Synthetic(testframes.Stream(3, 0), testframes.SynthOptions{Protons: 30})
	g, err := graph.Build(&f, nil)
	if err != nil {
		panic(err)
	}
	net, err := model.New(model.Config{}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	mt := learned.New(net, nil)
	var res track.Result
	if err := mt.Track(&res, g); err != nil {
		panic(err)
	}
	fmt.Println(res.Stats.Selected > 0, res.All.Len() >= res.Tracks.Len())
	// Output: true true
}

// TestTrackerTrackInputAllocs guards the documented claim: with a
// prepared input, tracking allocates nothing once warmed up.
func TestTrackerTrackInputAllocs(t *testing.T) {
	g := synthGraph(t, 6)
	lg, err := graph.NewLineGraph(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	net := newNet(t, model.KindLineGraph)
	in, err := model.NewInput(net.Config(), g, lg)
	if err != nil {
		t.Fatal(err)
	}
	mt := learned.New(net, nil)
	var res track.Result
	if err := mt.TrackInput(&res, g, in); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() {
		if err := mt.TrackInput(&res, g, in); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("TrackInput allocates %v times per frame", n)
	}
}
