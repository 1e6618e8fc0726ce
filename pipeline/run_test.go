package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/track"
)

// synth returns n synthetic 30-proton frames.
func synth(seed uint64, n int) pipeline.Frames {
	return pipeline.Frames(testframes.SyntheticFrames(seed, n, testframes.SynthOptions{Protons: 30}))
}

// withBadFrames returns synthetic frames in which position 2 is empty,
// position 4 has a single layer and position 5 a NaN hit.
func withBadFrames(t *testing.T) pipeline.Frames {
	t.Helper()
	fr := synth(11, 8)
	fr[2].Hits = nil
	one := fr[4].Hits[:0]
	for _, h := range fr[4].Hits {
		if h.Layer == 3 {
			one = append(one, h)
		}
	}
	fr[4].Hits = one
	fr[5].Hits[7].X = float32(math.NaN())
	if len(one) == 0 {
		t.Fatal("no hit in layer 3")
	}
	return fr
}

func truth(t *testing.T) pipeline.Method {
	t.Helper()
	m, err := pipeline.Builtin(baseline.NameTruth, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// record is what a visitor saw of one frame.
type record struct {
	pos     int
	frame   int64
	tracks  []int32
	starts  []int32
	metrics []metrics.Frame
}

func collect(t *testing.T, src pipeline.Source, opt *pipeline.Options) ([]record, *pipeline.Report) {
	t.Helper()
	var got []record
	rep, err := pipeline.Run(context.Background(), src, opt, func(o *pipeline.Output) error {
		r := record{pos: o.Position, frame: o.Frame.Meta.Frame, metrics: slices.Clone(o.Metrics)}
		for _, res := range o.Results {
			r.tracks = append(r.tracks, res.Tracks.Hits...)
			r.starts = append(r.starts, res.Tracks.Start...)
		}
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, rep
}

// TestRunWorkersDeterministic: 1, 2 and 5 workers visit the same frames in
// the same order with the same tracks and metrics, and skip the same frames.
func TestRunWorkersDeterministic(t *testing.T) {
	src := withBadFrames(t)
	ms, err := pipeline.ParseMethods(strings.Join(baseline.Names(), ","), nil)
	if err != nil || len(ms) != 3 {
		t.Fatalf("built-in methods %v: %v", baseline.Names(), err)
	}
	var want []record
	var wantSkips []pipeline.Skip
	for _, w := range []int{1, 2, 5} {
		got, rep := collect(t, src, &pipeline.Options{Methods: ms, Workers: w})
		if rep.Workers != w {
			t.Errorf("%d workers reported, want %d", rep.Workers, w)
		}
		if w == 1 {
			want, wantSkips = got, rep.Skipped
			if len(got) != 5 || rep.Frames != 5 {
				t.Fatalf("%d frames visited (report %d), want 5", len(got), rep.Frames)
			}
			continue
		}
		if len(got) != len(want) {
			t.Fatalf("%d workers: %d frames, want %d", w, len(got), len(want))
		}
		for i := range got {
			if got[i].pos != want[i].pos || !slices.Equal(got[i].tracks, want[i].tracks) ||
				!slices.Equal(got[i].starts, want[i].starts) || !slices.Equal(got[i].metrics, want[i].metrics) {
				t.Errorf("%d workers: frame position %d differs from 1 worker", w, got[i].pos)
			}
		}
		for i := range rep.Skipped {
			rep.Skipped[i].Err, wantSkips[i].Err = nil, nil
		}
		if !slices.Equal(rep.Skipped, wantSkips) {
			t.Errorf("%d workers: skipped %v, want %v", w, rep.Skipped, wantSkips)
		}
	}
	var pos []int
	for _, r := range want {
		pos = append(pos, r.pos)
	}
	if !slices.Equal(pos, []int{0, 1, 3, 6, 7}) {
		t.Errorf("visited positions %v, want [0 1 3 6 7]", pos)
	}
}

func TestRunSkips(t *testing.T) {
	src := withBadFrames(t)
	var onSkip []int
	_, rep := collect(t, src, &pipeline.Options{Methods: []pipeline.Method{truth(t)}, Workers: 2,
		OnSkip: func(s pipeline.Skip) error { onSkip = append(onSkip, s.Position); return nil }})
	want := []struct {
		pos    int
		reason string
		is     error
	}{
		{2, "empty frame", graph.ErrEmptyFrame},
		{4, "fewer than two occupied layers", graph.ErrTooFewLayers},
		{5, "non-finite hit coordinate or energy", graph.ErrNonFinite},
	}
	if len(rep.Skipped) != len(want) {
		t.Fatalf("skipped %v, want %d frames", rep.Skipped, len(want))
	}
	for i, w := range want {
		s := rep.Skipped[i]
		if s.Position != w.pos || s.Frame != src[w.pos].Meta.Frame || s.Reason != w.reason || !errors.Is(s.Err, w.is) {
			t.Errorf("skip %d = %+v, want position %d reason %q", i, s, w.pos, w.reason)
		}
	}
	if !slices.Equal(onSkip, []int{2, 4, 5}) {
		t.Errorf("OnSkip saw %v, want [2 4 5]", onSkip)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"skipped 3 frames: 1 empty frame (frame 2); 1 fewer than two occupied layers (frame 4);", "8 frames on 2 workers"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report text lacks %q:\n%s", s, b.String())
		}
	}
}

// TestRunStages: the stage report counts frames per stage (graph includes
// skipped frames, trackers and metrics only tracked ones).
func TestRunStages(t *testing.T) {
	m := truth(t)
	m2 := m
	m2.Name, m2.Seed = "other", 3
	_, rep := collect(t, withBadFrames(t), &pipeline.Options{Methods: []pipeline.Method{m, m2}, Workers: 2})
	want := []struct {
		name   string
		frames int
	}{{"read", 8}, {"graph", 8}, {"truth", 5}, {"other seed 3", 5}, {"metrics", 5}}
	if len(rep.Stages) != len(want) {
		t.Fatalf("stages %+v", rep.Stages)
	}
	for i, w := range want {
		s := rep.Stages[i]
		if s.Name != w.name || s.Frames != w.frames || s.Time <= 0 || s.Rate <= 0 {
			t.Errorf("stage %d = %+v, want %q with %d frames and a positive time", i, s, w.name, w.frames)
		}
	}
}

func TestRunSelection(t *testing.T) {
	src := synth(3, 6)
	cases := []struct {
		name   string
		frames []int
		limit  int
		want   []int
	}{
		{"all", nil, 0, []int{0, 1, 2, 3, 4, 5}},
		{"limit", nil, 2, []int{0, 1}},
		{"limit-above-count", nil, 100, []int{0, 1, 2, 3, 4, 5}},
		{"subset-in-given-order", []int{5, 1, 3}, 0, []int{5, 1, 3}},
		{"subset-and-limit", []int{5, 1, 3}, 2, []int{5, 1}},
		{"empty-subset", []int{}, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, rep := collect(t, src, &pipeline.Options{Frames: tc.frames, Limit: tc.limit, Workers: 3})
			var pos []int
			for _, r := range got {
				pos = append(pos, r.pos)
				if r.frame != src[r.pos].Meta.Frame {
					t.Errorf("position %d has frame %d", r.pos, r.frame)
				}
			}
			if !slices.Equal(pos, tc.want) || rep.Frames != len(tc.want) {
				t.Errorf("visited %v (report %d), want %v", pos, rep.Frames, tc.want)
			}
		})
	}
}

// failing is a tracker that fails on one frame.
type failing struct{ frame int64 }

func (f failing) Track(dst *track.Result, g *graph.HitGraph) error {
	if g.Meta.Frame == f.frame {
		return errors.New("boom")
	}
	dst.Selected = make([]bool, len(g.Src))
	dst.Tracks.Reset()
	return nil
}

// panicking is a tracker with a bug.
type panicking struct{}

func (panicking) Track(*track.Result, *graph.HitGraph) error { panic("index out of range") }

func TestRunErrors(t *testing.T) {
	src := synth(4, 6)
	fail := pipeline.Method{Name: "failing", New: func() (track.Tracker, error) { return failing{frame: 3}, nil }}
	buggy := pipeline.Method{Name: "buggy", New: func() (track.Tracker, error) { return panicking{}, nil }}
	noNew := pipeline.Method{Name: "broken"}
	badNew := pipeline.Method{Name: "bad", New: func() (track.Tracker, error) { return nil, errors.New("no model") }}
	visitErr := errors.New("disk full")
	cases := []struct {
		name    string
		src     pipeline.Source
		opt     pipeline.Options
		visit   func(*pipeline.Output) error
		want    string
		visited int
	}{
		{"negative-workers", src, pipeline.Options{Workers: -1}, nil, "pipeline: negative number of workers -1", 0},
		{"negative-limit", src, pipeline.Options{Limit: -1}, nil, "pipeline: negative frame limit -1", 0},
		{"position-out-of-range", src, pipeline.Options{Frames: []int{0, 6}}, nil, "pipeline: frame position 6 out of range [0, 6)", 0},
		{"bad-graph-options", src, pipeline.Options{Graph: &graph.Options{CaloCone: 3}}, nil, "pipeline: graph:", 0},
		{"method-without-constructor", src, pipeline.Options{Methods: []pipeline.Method{noNew}}, nil, `pipeline: method "broken" has no constructor`, 0},
		{"constructor-error", src, pipeline.Options{Methods: []pipeline.Method{badNew}}, nil, `pipeline: method "bad": no model`, 0},
		{"tracker-error", src, pipeline.Options{Methods: []pipeline.Method{fail}, Workers: 2}, nil, `pipeline: frame 3: method "failing": boom`, 3},
		{"tracker-panic", src, pipeline.Options{Methods: []pipeline.Method{buggy}, Workers: 2}, nil, "pipeline: frame position 0: internal error: index out of range", 0},
		{"visit-error", src, pipeline.Options{Workers: 2}, func(o *pipeline.Output) error {
			if o.Position == 4 {
				return visitErr
			}
			return nil
		}, "disk full", 5},
		{"read-error", badSource{src, 2}, pipeline.Options{Workers: 2}, nil, `dataset: "bad.parquet": frame 2: corrupt`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			visited := 0
			_, err := pipeline.Run(context.Background(), tc.src, &tc.opt, func(o *pipeline.Output) error {
				visited++
				if tc.visit != nil {
					return tc.visit(o)
				}
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if visited != tc.visited {
				t.Errorf("visited %d frames before the error, want %d", visited, tc.visited)
			}
		})
	}
}

func TestRunCancel(t *testing.T) {
	src := synth(5, 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	_, err := pipeline.Run(ctx, src, &pipeline.Options{Workers: 2, Progress: func() {
		if n.Add(1) == 3 {
			cancel()
		}
	}}, func(*pipeline.Output) error { return nil })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "pipeline: interrupted after 3 frames") {
		t.Fatalf("error %v, want an interruption after 3 frames", err)
	}
}

// TestTruthTracker: the truth tracker never selects a false segment and
// recovers the hand-made cases' tracks exactly.
func TestTruthTracker(t *testing.T) {
	for _, c := range testframes.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			g, err := graph.Build(&c.Frame, nil)
			if err != nil {
				t.Skip(err) // cases of invalid frames
			}
			var res track.Result
			if err := baseline.NewTruth().Track(&res, g); err != nil {
				t.Fatal(err)
			}
			for s, sel := range res.Selected {
				if sel && !g.Label[s] {
					t.Errorf("false segment %d selected", s)
				}
			}
			// Every known primary track of 2+ hits is chained (before the filter).
			var got []string
			for i := 0; i < res.All.Len(); i++ {
				var tr []int
				for _, h := range res.All.Track(i) {
					tr = append(tr, int(g.HitIndex[h]))
				}
				got = append(got, fmt.Sprint(tr))
			}
			for _, want := range c.Tracks {
				if len(want) > 1 && !slices.Contains(got, fmt.Sprint(want)) {
					t.Errorf("track %v not found in %v", want, got)
				}
			}
		})
	}
	ev, err := pipeline.Evaluate(context.Background(), synth(6, 6), &pipeline.Options{Methods: []pipeline.Method{truth(t)}})
	if err != nil {
		t.Fatal(err)
	}
	c := ev.Groups[0].Counts
	if c.SelectedFalse != 0 || c.SelectedTrue == 0 || ev.Groups[0].Purity.Mean != 1 {
		t.Errorf("truth on synthetic frames: %d false and %d true segments selected, purity %v; want 0, > 0, 1",
			c.SelectedFalse, c.SelectedTrue, ev.Groups[0].Purity.Mean)
	}
}

// TestPhysicsGeometry: the physics method tracks frames of each preset
// geometry with that geometry (baseline.Physics refuses a frame recorded
// with another preset) and frames of unknown geometries with the default.
func TestPhysicsGeometry(t *testing.T) {
	m, err := pipeline.Builtin(baseline.NamePhysics, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := synth(9, 6)
	for i, name := range []string{"gate-3mm", "dtc", "my-geometry", "", "GATE-3mm", "gate-3mm"} {
		src[i].Meta.Geometry = name
	}
	got, _ := collect(t, src, &pipeline.Options{Methods: []pipeline.Method{m}, Workers: 2})
	if len(got) != 6 {
		t.Fatalf("%d frames tracked, want 6", len(got))
	}
	// the default geometry gives the same tracks whatever the name says
	for _, i := range []int{2, 3} {
		if len(got[i].tracks) == 0 {
			t.Errorf("frame %d (geometry %q): no track", i, src[i].Meta.Geometry)
		}
	}
}

func TestParseMethods(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"truth", []string{"truth"}, ""},
		{" truth ,", []string{"truth"}, ""},
		{"", nil, ""},
		{"truth,truth", nil, `method "truth" given twice`},
		{"magic", nil, `unknown method "magic" (known: `},
	}
	for _, tc := range cases {
		ms, err := pipeline.ParseMethods(tc.in, nil)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, names, tc.want)
		}
	}
}

func TestParseModelFlag(t *testing.T) {
	cases := []struct{ in, name, path, err string }{
		{"runs/a/best.ckpt", "learned", "runs/a/best.ckpt", ""},
		{"pat=runs/a/best.ckpt", "pat", "runs/a/best.ckpt", ""},
		{"=x.ckpt", "", "", "bad --model"},
		{"a b=x.ckpt", "", "", "bad --model"},
		{"pat=", "", "", "bad --model"},
	}
	for _, tc := range cases {
		name, path, err := pipeline.ParseModelFlag(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || name != tc.name || path != tc.path {
			t.Errorf("%q: %q %q %v, want %q %q", tc.in, name, path, err, tc.name, tc.path)
		}
	}
}

// Run the truth tracker on synthetic frames on two workers: the frames
// come back in order, each with its graph and tracks.
func ExampleRun() {
	frames := pipeline.Frames(testframes.SyntheticFrames(2, 3, testframes.SynthOptions{Protons: 20}))
	truth, _ := pipeline.Builtin(baseline.NameTruth, nil)
	rep, err := pipeline.Run(context.Background(), frames, &pipeline.Options{Methods: []pipeline.Method{truth}, Workers: 2},
		func(o *pipeline.Output) error {
			fmt.Printf("frame %d: %d hits, %d segments, %d tracks, purity %.2f\n", o.Frame.Meta.Frame,
				len(o.Graph.Hits), len(o.Graph.Src), o.Results[0].Tracks.Len(), o.Metrics[0].Purity)
			return nil
		})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Frames, "frames;", len(rep.Stages), "stages:", rep.Stages[0].Name, rep.Stages[1].Name, rep.Stages[2].Name, rep.Stages[3].Name)
	// Output:
	// frame 0: 442 hits, 964 segments, 13 tracks, purity 1.00
	// frame 1: 480 hits, 802 segments, 15 tracks, purity 1.00
	// frame 2: 508 hits, 930 segments, 15 tracks, purity 1.00
	// 3 frames; 4 stages: read graph truth metrics
}

// Evaluate two methods on synthetic frames on two workers and print the
// number of tracked frames and the truth tracker's purity.
func ExampleEvaluate() {
	frames := pipeline.Frames(testframes.SyntheticFrames(1, 4, testframes.SynthOptions{Protons: 30}))
	frames[2].Hits = nil // an empty frame is skipped, not fatal
	truth, _ := pipeline.Builtin("truth", nil)
	ev, err := pipeline.Evaluate(context.Background(), frames, &pipeline.Options{Methods: []pipeline.Method{truth}, Workers: 2})
	if err != nil {
		panic(err)
	}
	g := ev.Groups[0]
	fmt.Printf("%s %s %d p/frame: %d frames, purity %.3f\n", g.Key.Method, g.Key.Phantom, g.Key.ProtonsPerFrame, g.Frames, g.Purity.Mean)
	fmt.Println("skipped:", ev.Report.Skipped[0].Position, ev.Report.Skipped[0].Reason)
	// Output:
	// truth water:100 30 p/frame: 3 frames, purity 1.000
	// skipped: 2 empty frame
}

// badSource fails to read one position, like a corrupt page.
type badSource struct {
	pipeline.Frames
	bad int
}

func (b badSource) ReadFrameInto(dst *dataset.Frame, i int) error {
	if i == b.bad {
		return &dataset.FormatError{File: "bad.parquet", Entry: int64(i), Unit: "frame", Err: errors.New("corrupt page")}
	}
	return b.Frames.ReadFrameInto(dst, i)
}
