package graph

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

// frameSegments maps g's segments to {deeper, shallower} indices into the
// input frame, sorted.
func frameSegments(g *HitGraph) [][2]int {
	var out [][2]int
	for s := range g.Src {
		out = append(out, [2]int{int(g.HitIndex[g.Src[s]]), int(g.HitIndex[g.Dst[s]])})
	}
	slices.SortFunc(out, cmpPair)
	return out
}

func cmpPair(a, b [2]int) int {
	if a[0] != b[0] {
		return a[0] - b[0]
	}
	return a[1] - b[1]
}

// naiveSegments is the reference: every pair of hits in adjacent layers
// whose direction makes an angle atan2(r, dz) < cone with the +z axis.
func naiveSegments(f *dataset.Frame, tracker, calo float64, below int32) [][2]int {
	var out [][2]int
	for i, a := range f.Hits {
		for j, b := range f.Hits {
			if b.Layer != a.Layer-1 {
				continue
			}
			dx, dy, dz := float64(a.X)-float64(b.X), float64(a.Y)-float64(b.Y), float64(a.Z)-float64(b.Z)
			cone := calo
			if a.Layer < below {
				cone = tracker
			}
			if math.Atan2(math.Hypot(dx, dy), dz) < cone {
				out = append(out, [2]int{i, j})
			}
		}
	}
	slices.SortFunc(out, cmpPair)
	return out
}

func TestBuildCases(t *testing.T) {
	for _, tc := range testframes.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			g := mustBuild(t, &tc.Frame, &Options{Validate: true})
			want := slices.Clone(tc.Segments)
			slices.SortFunc(want, cmpPair)
			if got := frameSegments(g); !reflect.DeepEqual(got, want) {
				t.Errorf("segments\n got %v\nwant %v", got, want)
			}
			if g.CandidatePairs != tc.CandidatePairs {
				t.Errorf("CandidatePairs = %d, want %d", g.CandidatePairs, tc.CandidatePairs)
			}
			st := ComputeStats(g, nil)
			if st.TrueSegments != tc.TrueSegments || st.PrimarySegmentsKept != tc.PrimarySegments || st.PrimarySegments != tc.PrimarySegments {
				t.Errorf("true/primary segments = %d/%d (before cone %d), want %d/%d",
					st.TrueSegments, st.PrimarySegmentsKept, st.PrimarySegments, tc.TrueSegments, tc.PrimarySegments)
			}
			// Deepest layer first, frame order within a layer.
			for i := 1; i < len(g.Hits); i++ {
				if g.Hits[i].Layer > g.Hits[i-1].Layer ||
					(g.Hits[i].Layer == g.Hits[i-1].Layer && g.HitIndex[i] < g.HitIndex[i-1]) {
					t.Fatalf("hit order broken at %d", i)
				}
			}
			for i, h := range g.Hits {
				if h != tc.Frame.Hits[g.HitIndex[i]] {
					t.Fatalf("hit %d differs from frame hit %d", i, g.HitIndex[i])
				}
			}
		})
	}
}

func TestBuildMatchesNaive(t *testing.T) {
	opts := []struct {
		name string
		opt  Options
	}{
		{"paper", Options{}},
		{"wide", Options{TrackerCone: 0.5, CaloCone: 1.2}},
		{"narrow", Options{TrackerCone: 0.05, CaloCone: 0.1, TrackerConeBelow: 2}},
		{"calo-everywhere", Options{TrackerConeBelow: -1}},
	}
	frames := testframes.SyntheticFrames(3, 3, testframes.SynthOptions{Protons: 40})
	frames = append(frames, testframes.Synthetic(testframes.Stream(4, 0), testframes.SynthOptions{Protons: 30, Water: 200}))
	for _, tc := range opts {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder(&tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			o := b.Options()
			var g HitGraph
			for i := range frames {
				f := &frames[i]
				if err := b.Build(&g, f); err != nil {
					t.Fatal(err)
				}
				if err := g.Verify(); err != nil {
					t.Fatal(err)
				}
				want := naiveSegments(f, o.TrackerCone, o.CaloCone, o.TrackerConeBelow)
				if got := frameSegments(&g); !reflect.DeepEqual(got, want) {
					t.Fatalf("frame %d: %d segments, naive %d", i, len(got), len(want))
				}
			}
		})
	}
}

// TestConeBoundary puts a pair of hits just inside and just outside each
// cone; the tracker cone applies when the deeper hit is in layer < 3.
func TestConeBoundary(t *testing.T) {
	const eps = 1e-5
	tests := []struct {
		name  string
		deep  int
		opt   Options
		angle float64
		want  bool
	}{
		{"1-0 inside 0.2", 1, Options{}, 0.2 - eps, true},
		{"1-0 outside 0.2", 1, Options{}, 0.2 + eps, false},
		{"2-1 inside 0.2", 2, Options{}, 0.2 - eps, true},
		{"2-1 outside 0.2", 2, Options{}, 0.2 + eps, false},
		{"3-2 inside 0.4", 3, Options{}, 0.4 - eps, true},
		{"3-2 outside 0.4", 3, Options{}, 0.4 + eps, false},
		{"20-19 inside 0.4", 20, Options{}, 0.4 - eps, true},
		{"20-19 outside 0.4", 20, Options{}, 0.4 + eps, false},
		{"2-1 calo cone when below=2", 2, Options{TrackerConeBelow: 2}, 0.3, true},
		{"1-0 tracker cone when below=2", 1, Options{TrackerConeBelow: 2}, 0.3, false},
		{"custom tracker cone", 1, Options{TrackerCone: 0.1}, 0.1 + eps, false},
		{"custom calo cone", 5, Options{CaloCone: 0.8}, 0.8 - eps, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			za, zb := testframes.LayerZ(tc.deep), testframes.LayerZ(tc.deep-1)
			r := (za - zb) * math.Tan(tc.angle)
			// Split the lateral offset over x and y to exercise both.
			f := dataset.Frame{Hits: []dataset.Hit{
				{Layer: int32(tc.deep - 1), X: 1, Y: -2, Z: float32(zb), EventID: 1, Primary: true},
				{Layer: int32(tc.deep), X: float32(1 + 0.6*r), Y: float32(-2 + 0.8*r), Z: float32(za), EventID: 1, Primary: true},
			}}
			g := mustBuild(t, &f, &tc.opt)
			if got := len(g.Src) == 1; got != tc.want {
				t.Errorf("segment kept = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	z := func(l int) float32 { return float32(testframes.LayerZ(l)) }
	ok := func(l int, x float32) dataset.Hit { return dataset.Hit{Layer: int32(l), X: x, Z: z(l)} }
	nan := float32(math.NaN())
	tests := []struct {
		name    string
		hits    []dataset.Hit
		opt     Options
		want    error
		hit     int
		msg     string
		dropped int
	}{
		{"empty", nil, Options{}, ErrEmptyFrame, -1, "graph: frame 7: empty frame", 0},
		{"nan x", []dataset.Hit{ok(0, 0), {Layer: 1, X: nan, Z: z(1)}}, Options{}, ErrNonFinite, 1, "frame 7 hit 1", 0},
		{"inf z", []dataset.Hit{{Layer: 1, Z: float32(math.Inf(1))}, ok(0, 0)}, Options{}, ErrNonFinite, 0, "z=+Inf", 0},
		{"nan edep", []dataset.Hit{ok(0, 0), ok(1, 0), {Layer: 2, Z: z(2), Edep: nan}}, Options{}, ErrNonFinite, 2, "edep=NaN", 0},
		{"negative layer", []dataset.Hit{ok(0, 0), {Layer: -1}}, Options{}, ErrBadLayer, 1, "layer -1", 0},
		{"huge layer", []dataset.Hit{{Layer: 1 << 30}}, Options{}, ErrBadLayer, 0, "layer 1073741824", 0},
		{"single layer", []dataset.Hit{ok(3, 0), ok(3, 1), ok(3, 2)}, Options{}, ErrTooFewLayers, -1, "all 3 hits in layer 3", 0},
		{"all outside", []dataset.Hit{ok(0, 200), ok(1, -150)}, Options{}, ErrEmptyFrame, -1, "empty frame", 2},
		{"outside rejected", []dataset.Hit{ok(0, 0), {Layer: 1, Y: 90, Z: z(1)}}, Options{Outside: RejectOutside}, ErrOutsideAperture, 1, "y=90", 0},
		{"outside leaves one layer", []dataset.Hit{ok(0, 0), ok(1, 140)}, Options{}, ErrTooFewLayers, -1, "layer 0", 1},
		{"z order", []dataset.Hit{{Layer: 0, Z: 300}, {Layer: 1, Z: 250}}, Options{}, ErrLayerOrder, -1, "layer 1 (z 250…250 mm) is not behind layer 0", 0},
		{"z equal", []dataset.Hit{{Layer: 0}, {Layer: 1}}, Options{}, ErrLayerOrder, -1, "not behind", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := dataset.Frame{Meta: dataset.FrameMeta{Frame: 7}, Hits: tc.hits}
			b, err := NewBuilder(&tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			g := new(HitGraph)
			err = b.Build(g, &f)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Frame != 7 || fe.Hit != tc.hit {
				t.Fatalf("err = %#v, want a *FrameError for frame 7 hit %d", err, tc.hit)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "graph: ") {
				t.Errorf("message %q does not contain %q", err, tc.msg)
			}
			if g.DroppedOutside != tc.dropped {
				t.Errorf("DroppedOutside = %d, want %d", g.DroppedOutside, tc.dropped)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		opt     *Options
		wantErr string
		want    Options
	}{
		{"nil", nil, "", Options{TrackerCone: 0.2, CaloCone: 0.4, TrackerConeBelow: 3, ApertureX: 270.8, ApertureY: 166.3}},
		{"custom", &Options{TrackerCone: 0.1, TrackerConeBelow: -1, ApertureX: -1}, "",
			Options{TrackerCone: 0.1, CaloCone: 0.4, TrackerConeBelow: -1, ApertureX: -1, ApertureY: 166.3}},
		{"negative cone", &Options{TrackerCone: -0.2}, "graph: tracker cone -0.2 rad is not in (0, π/2)", Options{}},
		{"right angle", &Options{CaloCone: math.Pi / 2}, "calorimeter cone", Options{}},
		{"nan cone", &Options{CaloCone: math.NaN()}, "calorimeter cone NaN", Options{}},
		{"nan aperture", &Options{ApertureY: math.NaN()}, "graph: aperture is NaN", Options{}},
		{"bad policy", &Options{Outside: 5}, "policy 5", Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewBuilder(tc.opt)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Options(); got != tc.want {
				t.Errorf("Options() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestApertureDisabled(t *testing.T) {
	f := dataset.Frame{Hits: []dataset.Hit{
		{Layer: 0, X: 500, Z: 225}, {Layer: 1, X: 500, Z: 277},
	}}
	g := mustBuild(t, &f, &Options{ApertureX: -1, Validate: true})
	if len(g.Src) != 1 || g.DroppedOutside != 0 {
		t.Errorf("got %d segments, %d dropped; want 1, 0", len(g.Src), g.DroppedOutside)
	}
}

func TestRemoveDisconnected(t *testing.T) {
	frame := func(layers ...int) dataset.Frame {
		var f dataset.Frame
		for _, l := range layers {
			f.Hits = append(f.Hits, dataset.Hit{Layer: int32(l), Z: float32(testframes.LayerZ(l)), EventID: 1})
		}
		return f
	}
	tests := []struct {
		name    string
		layers  []int
		opt     Options
		want    []int32 // kept layers, deepest first
		dropped int
		err     error
	}{
		{"keep all", []int{0, 1, 2, 3, 5, 6, 6}, Options{}, []int32{6, 5, 3, 2, 1, 0}, 0, nil},
		{"after gap", []int{0, 1, 2, 3, 5, 6, 6}, Options{RemoveDisconnected: true}, []int32{3, 2, 1, 0}, 3, nil},
		{"paper quirk", []int{0, 1, 2, 3, 5, 6, 6}, Options{RemoveDisconnected: true, DisconnectedOffByOne: true}, []int32{2, 1, 0}, 4, nil},
		{"no gap", []int{0, 1, 2, 2}, Options{RemoveDisconnected: true, DisconnectedOffByOne: true}, []int32{2, 1, 0}, 0, nil},
		{"quirk not from 0", []int{1, 2, 3, 5}, Options{RemoveDisconnected: true, DisconnectedOffByOne: true}, nil, 3, ErrTooFewLayers},
		{"not from 0", []int{1, 2, 3, 5}, Options{RemoveDisconnected: true}, []int32{3, 2, 1}, 1, nil},
		{"quirk drops all", []int{0, 2, 3}, Options{RemoveDisconnected: true, DisconnectedOffByOne: true}, nil, 3, ErrEmptyFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := frame(tc.layers...)
			tc.opt.Validate = true
			b, _ := NewBuilder(&tc.opt)
			var g HitGraph
			err := b.Build(&g, &f)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if g.DroppedDisconnected != tc.dropped {
				t.Errorf("DroppedDisconnected = %d, want %d", g.DroppedDisconnected, tc.dropped)
			}
			if err == nil && !reflect.DeepEqual(g.Layers, tc.want) {
				t.Errorf("Layers = %v, want %v", g.Layers, tc.want)
			}
		})
	}
}

// TestGap checks the layout around an unoccupied layer: no segments and an
// empty PairStart range for the pair whose shallower layer is missing.
func TestGap(t *testing.T) {
	var f dataset.Frame
	for _, l := range []int{0, 1, 3, 4} {
		for k := range 2 {
			f.Hits = append(f.Hits, dataset.Hit{Layer: int32(l), X: float32(k) * 0.1, Z: float32(testframes.LayerZ(l)), EventID: int64(k)})
		}
	}
	g := mustBuild(t, &f, &Options{Validate: true})
	if want := []int32{4, 3, 1, 0}; !reflect.DeepEqual(g.Layers, want) {
		t.Fatalf("Layers = %v, want %v", g.Layers, want)
	}
	if want := []int32{0, 4, 4, 8, 8}; !reflect.DeepEqual(g.PairStart, want) {
		t.Errorf("PairStart = %v, want %v", g.PairStart, want)
	}
	if g.CandidatePairs != 8 {
		t.Errorf("CandidatePairs = %d, want 8", g.CandidatePairs)
	}
}

func TestBuildDeterministicAndReusable(t *testing.T) {
	frames := testframes.SyntheticFrames(11, 3, testframes.SynthOptions{Protons: 60})
	b, _ := NewBuilder(nil)
	var reused HitGraph
	for i := range frames {
		if err := b.Build(&reused, &frames[i]); err != nil {
			t.Fatal(err)
		}
		fresh := mustBuild(t, &frames[i], nil)
		if !reflect.DeepEqual(*fresh, reused) {
			t.Fatalf("frame %d: reused builder and graph differ from a fresh build", i)
		}
	}
	// A failing frame in between must not poison the next build.
	bad := dataset.Frame{Hits: []dataset.Hit{{Layer: 0, X: float32(math.NaN())}}}
	if err := b.Build(&reused, &bad); err == nil {
		t.Fatal("NaN frame built")
	}
	if err := b.Build(&reused, &frames[0]); err != nil {
		t.Fatal(err)
	}
	if err := reused.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestBuildNoAllocs(t *testing.T) {
	frames := testframes.SyntheticFrames(5, 4, testframes.SynthOptions{})
	b, _ := NewBuilder(nil)
	var g HitGraph
	lb := NewLineBuilder(nil)
	var lg LineGraph
	for i := range frames {
		_ = b.Build(&g, &frames[i])
		_ = lb.Build(&lg, &g)
	}
	i := 0
	allocs := testing.AllocsPerRun(8, func() {
		if err := b.Build(&g, &frames[i%len(frames)]); err != nil {
			t.Fatal(err)
		}
		if err := lb.Build(&lg, &g); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("Build + LineBuilder.Build allocate %v times per frame in steady state, want 0", allocs)
	}
}

// TestVerifyDetects corrupts built graphs and checks that Verify notices.
func TestVerifyDetects(t *testing.T) {
	f := testframes.Cases()[1].Frame
	tests := []struct {
		name    string
		corrupt func(g *HitGraph)
		msg     string
	}{
		{"label", func(g *HitGraph) { g.Label[0] = !g.Label[0] }, "wrong labels"},
		{"dst layer", func(g *HitGraph) { g.Dst[0] = 0 }, "joins layers"},
		{"unsorted", func(g *HitGraph) {
			g.Dst[0], g.Dst[1] = g.Dst[1], g.Dst[0]
			g.Label[0], g.Label[1] = g.Label[1], g.Label[0]
			g.PrimaryLabel[0], g.PrimaryLabel[1] = g.PrimaryLabel[1], g.PrimaryLabel[0]
		}, "not sorted"},
		{"src start", func(g *HitGraph) { g.SrcStart[1]++ }, ""},
		{"layer order", func(g *HitGraph) { g.Layers[0], g.Layers[1] = g.Layers[1], g.Layers[0] }, "descending"},
		{"candidates", func(g *HitGraph) { g.CandidatePairs++ }, "CandidatePairs"},
		{"short labels", func(g *HitGraph) { g.PrimaryLabel = g.PrimaryLabel[1:] }, "lengths"},
		{"pair start", func(g *HitGraph) { g.PairStart[1]-- }, "PairStart"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := mustBuild(t, &f, nil)
			tc.corrupt(g)
			err := g.Verify()
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Verify() = %v, want an error containing %q", err, tc.msg)
			}
		})
	}
}

func TestOptionsConfig(t *testing.T) {
	const doc = "tracker_cone: 0.15\ncalo_cone: 0.3\nremove_disconnected: true\noutside: reject\n"
	var o Options
	if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
		t.Fatal(err)
	}
	want := Options{TrackerCone: 0.15, CaloCone: 0.3, RemoveDisconnected: true, Outside: RejectOutside}
	if o != want {
		t.Errorf("decoded %+v, want %+v", o, want)
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"outside":"reject"`) || !strings.Contains(string(b), `"tracker_cone":0.15`) {
		t.Errorf("JSON %s", b)
	}
	var back Options
	if err := json.Unmarshal(b, &back); err != nil || back != want {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	if err := yaml.Unmarshal([]byte("outside: keep\n"), &o); err == nil || !strings.Contains(err.Error(), `"keep" is not drop or reject`) {
		t.Errorf("bad policy: %v", err)
	}
	if _, err := json.Marshal(Options{Outside: 7}); err == nil {
		t.Error("marshalled an unknown policy")
	}
}
