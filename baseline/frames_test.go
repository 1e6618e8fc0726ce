package baseline

import (
	"math"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/track"
)

// proton describes a hand-made primary track: it crosses layers to..from
// (from deepest) along x = x0 + tx·(z − z0), y = y0 + ty·(z − z0), with
// z0 the plane of layer from, and turns by (kx, ky) in slope at layer
// kinkAt (if kinkAt > 0). Layers listed in skip get no hit.
type proton struct {
	event          int64
	from, to       int
	x0, y0, tx, ty float64
	kinkAt         int
	kx, ky         float64
	skip           []int
}

// hits returns the proton's hits, deepest first; the deepest deposits
// 0.1 MeV (a Bragg peak above the paper's 0.0625 MeV cut), the others
// 0.025 MeV.
func (p proton) hits() []dataset.Hit {
	var out []dataset.Hit
	x, y := p.x0, p.y0
	tx, ty := p.tx, p.ty
	z := testframes.LayerZ(p.from)
	for l := p.from; l >= p.to; l-- {
		zl := testframes.LayerZ(l)
		x += tx * (zl - z)
		y += ty * (zl - z)
		z = zl
		if l == p.kinkAt {
			tx, ty = tx+p.kx, ty+p.ky
		}
		if slices.Contains(p.skip, l) {
			continue
		}
		e := float32(0.025)
		if l == p.from {
			e = 0.1
		}
		out = append(out, dataset.Hit{Layer: int32(l), X: float32(x), Y: float32(y), Z: float32(zl), Edep: e,
			ClusterSize: 4, EventID: p.event, TrackID: 1, PDG: dataset.PDGProton, Primary: true})
	}
	return out
}

func frameOf(ps ...proton) *dataset.Frame {
	f := &dataset.Frame{Meta: dataset.FrameMeta{Phantom: "none", BeamEnergy: 230, ProtonsPerFrame: len(ps)}}
	for _, p := range ps {
		f.Hits = append(f.Hits, p.hits()...)
	}
	return f
}

// eventTracks returns each track of tr as the event IDs of its hits, with
// the number of hits, e.g. "1×10" for ten hits of event 1, "1×6+2×4" for
// a track that switched events; sorted.
func eventTracks(g *graph.HitGraph, tr *track.Tracks) []string {
	var out []string
	for i := 0; i < tr.Len(); i++ {
		var s string
		t := tr.Track(i)
		for j := 0; j < len(t); {
			k := j
			for k < len(t) && g.Hits[t[k]].EventID == g.Hits[t[j]].EventID {
				k++
			}
			if s != "" {
				s += "+"
			}
			s += itoa(int(g.Hits[t[j]].EventID)) + "×" + itoa(k-j)
			j = k
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// trackerCases are the hand-made frames both trackers are tested on, with
// the tracks (All, unfiltered) each must find.
var trackerCases = []struct {
	name     string
	frame    *dataset.Frame
	follower []string
	physics  []string
}{
	{
		name:     "two straight protons",
		frame:    frameOf(proton{event: 1, from: 12, to: 0}, proton{event: 2, from: 12, to: 0, x0: 3}),
		follower: []string{"1×13", "2×13"},
		physics:  []string{"1×13", "2×13"},
	},
	{
		// 0.03 rad at layer 6: below the follower's 0.1 rad and, at the
		// ~85 MeV a proton stopping at layer 12 has there (σ ≈ 15 mrad),
		// 2σ.
		name:     "gentle kink",
		frame:    frameOf(proton{event: 1, from: 12, to: 0, tx: 0.02, kinkAt: 6, kx: 0.03}),
		follower: []string{"1×13"},
		physics:  []string{"1×13"},
	},
	{
		// 0.15 rad at layer 6: within the follower's score budget (0.275)
		// but 10σ for the physics tracker, which breaks the track there.
		name:     "sharp kink",
		frame:    frameOf(proton{event: 1, from: 12, to: 0, kinkAt: 6, kx: 0.15}),
		follower: []string{"1×13"},
		physics:  []string{"1×6", "1×7"},
	},
	{
		// ±0.1 rad, crossing between layers 8 and 9: continuing across
		// costs a 0.2 rad kink, which both trackers avoid.
		name: "two crossing protons",
		frame: frameOf(
			proton{event: 1, from: 15, to: 0, x0: -0.1 * (testframes.LayerZ(15) - testframes.LayerZ(9) + 2.75), tx: 0.1},
			proton{event: 2, from: 15, to: 0, x0: 0.1 * (testframes.LayerZ(15) - testframes.LayerZ(9) + 2.75), tx: -0.1},
		),
		follower: []string{"1×16", "2×16"},
		physics:  []string{"1×16", "2×16"},
	},
	{
		// No hit in layer 11, right after the seed: the follower's first
		// step jumps over it; hit-graph segments join adjacent layers only,
		// so the physics tracker starts the track at layer 10.
		name:     "missing hit after the seed",
		frame:    frameOf(proton{event: 1, from: 12, to: 0, skip: []int{11}}),
		follower: []string{"1×12"},
		physics:  []string{"1×11"},
	},
	{
		// A proton stopping at layer 6 next to a longer one: the short
		// track must not steal the long one's hits.
		name: "short and long",
		frame: frameOf(
			proton{event: 1, from: 14, to: 0, x0: 0.5},
			proton{event: 2, from: 6, to: 0, x0: -0.5, ty: 0.01},
		),
		follower: []string{"1×15", "2×7"},
		physics:  []string{"1×15", "2×7"},
	},
}

var noFilter = track.Filter{MinHits: -1, MinDeepestEdep: -1}

func TestTrackersOnHandMadeFrames(t *testing.T) {
	ph := defaultPhysics(t)
	ph.Filter = noFilter
	for _, tc := range trackerCases {
		t.Run(tc.name, func(t *testing.T) {
			g := caseGraph(t, tc.frame)
			for _, tr := range []struct {
				name string
				t    track.Tracker
				want []string
			}{
				{"follower", &Follower{Filter: noFilter}, tc.follower},
				{"physics", ph, tc.physics},
			} {
				var res track.Result
				if err := tr.t.Track(&res, g); err != nil {
					t.Fatalf("%s: %v", tr.name, err)
				}
				if got := eventTracks(g, &res.All); !slices.Equal(got, tr.want) {
					t.Errorf("%s: tracks %v, want %v", tr.name, got, tr.want)
				}
				checkSelected(t, tr.name, g, &res)
			}
		})
	}
}

// checkSelected asserts that Result.Selected marks exactly the segments
// of g joining consecutive hits of the tracks in All.
func checkSelected(t *testing.T, name string, g *graph.HitGraph, res *track.Result) {
	t.Helper()
	want := make([]bool, len(g.Src))
	for i := 0; i < res.All.Len(); i++ {
		tr := res.All.Track(i)
		for j := 1; j < len(tr); j++ {
			if s := segment(g, tr[j-1], tr[j]); s >= 0 {
				want[s] = true
			}
		}
	}
	if !slices.Equal(want, res.Selected) {
		t.Errorf("%s: Selected does not match the tracks' segments", name)
	}
}

func TestTrackersOnTestframesCases(t *testing.T) {
	ph := defaultPhysics(t)
	ph.Filter = noFilter
	for _, c := range testframes.Cases() {
		g := caseGraph(t, &c.Frame)
		var want []string
		for _, tk := range c.Tracks {
			want = append(want, itoa(int(c.Frame.Hits[tk[0]].EventID))+"×"+itoa(len(tk)))
		}
		slices.Sort(want)
		var res track.Result
		if err := ph.Track(&res, g); err != nil {
			t.Fatal(err)
		}
		got := eventTracks(g, &res.All)
		// The physics tracker finds the primaries; in the second case it
		// also chains the secondary's two hits (event 10) into a track.
		if c.Name == "three-protons-secondary" {
			want = append(want, "10×2")
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: physics tracks %v, want %v", c.Name, got, want)
		}
	}
}

func TestTrackersEmptyAndSingleLayer(t *testing.T) {
	ph := defaultPhysics(t)
	one := &graph.HitGraph{
		Hits:       []dataset.Hit{{Layer: 3, Z: float32(testframes.LayerZ(3))}, {Layer: 3, X: 1, Z: float32(testframes.LayerZ(3))}},
		HitIndex:   []int32{0, 1},
		Layers:     []int32{3},
		LayerStart: []int32{0, 2},
		SrcStart:   []int32{0, 0, 0},
		PairStart:  []int32{0, 0},
	}
	for _, g := range []*graph.HitGraph{{}, one} {
		for _, tr := range []track.Tracker{&Follower{}, ph} {
			res := track.Result{Selected: []bool{true}}
			res.All.Append([]int32{7, 8})
			if err := tr.Track(&res, g); err != nil {
				t.Fatalf("%T on %d hits: %v", tr, len(g.Hits), err)
			}
			if res.All.Len() != 0 || res.Tracks.Len() != 0 || len(res.Selected) != 0 {
				t.Errorf("%T on %d hits: %d tracks, %d selected", tr, len(g.Hits), res.All.Len(), len(res.Selected))
			}
		}
	}
}

// TestFollowerConesMatchScan checks that the x-sorted cone search gives
// exactly the tracks of the toolkit's scan over whole layers.
func TestFollowerConesMatchScan(t *testing.T) {
	for _, g := range simGraphs(t, 3) {
		var a, b track.Result
		if err := (&Follower{}).Track(&a, g); err != nil {
			t.Fatal(err)
		}
		if err := (&Follower{scanAll: true}).Track(&b, g); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.All.Hits, b.All.Hits) || !slices.Equal(a.All.Start, b.All.Start) {
			t.Fatalf("frame %d: cone search gives %d tracks, scan %d", g.Meta.Frame, a.All.Len(), b.All.Len())
		}
		if a.All.Len() < 90 {
			t.Errorf("frame %d: only %d tracks", g.Meta.Frame, a.All.Len())
		}
	}
}

func TestFollowerAddChild(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64 // offered in order
		want   []float64 // children's scores in slot order
	}{
		{"one", []float64{0.2}, []float64{0.2}},
		{"worse second dropped", []float64{0.2, 0.25}, []float64{0.2}},
		{"equal second dropped", []float64{0.2, 0.2}, []float64{0.2}},
		{"similar better second joins", []float64{0.2, 0.18}, []float64{0.2, 0.18}},
		{"much better second replaces", []float64{0.2, 0.1}, []float64{0.1}},
		// Full: a better newcomer replaces the worse; then the worse of
		// the two is always dropped (any positive score is above 0.845 of
		// the best), as Node::addChild does.
		{"third better", []float64{0.2, 0.18, 0.17}, []float64{0.17}},
		{"third worse", []float64{0.2, 0.18, 0.3}, []float64{0.18}},
		{"zero scores tie", []float64{0, 0}, []float64{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &Follower{opt: FollowerOptions{MaxNodes: 100}}
			f.nodes = append(f.nodes[:0], fnode{parent: -1, child: [2]int32{-1, -1}})
			for i, s := range tc.scores {
				f.addChild(0, int32(i+1), s)
			}
			var got []float64
			for _, c := range f.nodes[0].child {
				if c >= 0 {
					got = append(got, f.nodes[c].score)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("children %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFollowerOptions(t *testing.T) {
	g := caseGraph(t, trackerCases[0].frame)
	var res track.Result
	for _, o := range []FollowerOptions{{MaxScore: -1}, {MaxScore: math.NaN()}, {AlwaysAllow: math.NaN()}, {MaxNodes: -1}} {
		if err := (&Follower{Options: o}).Track(&res, g); err == nil {
			t.Errorf("options %+v: no error", o)
		}
	}
	// A tree capped at 3 nodes holds the seed and two steps: seeds in
	// layers 3-12 fill it (20 seeds of two protons), and only those in
	// layer 3 reach the tracker.
	f := &Follower{Options: FollowerOptions{MaxNodes: 3}, Filter: noFilter}
	if err := f.Track(&res, g); err != nil {
		t.Fatal(err)
	}
	if f.Truncated != 20 {
		t.Errorf("MaxNodes 3: %d truncated seeds, want 20", f.Truncated)
	}
	for i := 0; i < res.All.Len(); i++ {
		tr := res.All.Track(i)
		if g.Hits[tr[len(tr)-1]].Layer > 1 {
			t.Errorf("MaxNodes 3: track from layer %d to %d", g.Hits[tr[0]].Layer, g.Hits[tr[len(tr)-1]].Layer)
		}
	}
	// A proton that leaves no hit in the tracker (layers 12-4).
	g = caseGraph(t, frameOf(proton{event: 1, from: 12, to: 4}))
	for _, tc := range []struct {
		reach int
		want  int
	}{{0, 0}, {4, 0}, {5, 1}, {-1, 1}} {
		f := &Follower{Options: FollowerOptions{ReachLayer: tc.reach}, Filter: noFilter}
		if err := f.Track(&res, g); err != nil {
			t.Fatal(err)
		}
		if res.All.Len() != tc.want || tc.want == 1 && len(res.All.Track(0)) != 9 {
			t.Errorf("ReachLayer %d: tracks %v, want %d of 9 hits", tc.reach, eventTracks(g, &res.All), tc.want)
		}
	}
}
