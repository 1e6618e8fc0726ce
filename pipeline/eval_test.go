package pipeline_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/track"
)

func renamed(m pipeline.Method, name string, seed uint64) pipeline.Method {
	m.Name, m.Seed = name, seed
	return m
}

func TestEvaluateGroups(t *testing.T) {
	src := append(synth(1, 3), testframes.SyntheticFrames(2, 2, testframes.SynthOptions{Protons: 50})...)
	m := truth(t)
	ev, err := pipeline.Evaluate(context.Background(), src, &pipeline.Options{Methods: []pipeline.Method{m, renamed(m, "copy", 0)}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key    metrics.Key
		frames int
	}{
		{metrics.Key{Method: "copy", Phantom: "water:100", ProtonsPerFrame: 30}, 3},
		{metrics.Key{Method: "copy", Phantom: "water:100", ProtonsPerFrame: 50}, 2},
		{metrics.Key{Method: "truth", Phantom: "water:100", ProtonsPerFrame: 30}, 3},
		{metrics.Key{Method: "truth", Phantom: "water:100", ProtonsPerFrame: 50}, 2},
	}
	if len(ev.Groups) != len(want) || !slices.Equal(ev.Table, ev.Groups) {
		t.Fatalf("%d groups (table %d), want %d", len(ev.Groups), len(ev.Table), len(want))
	}
	for i, w := range want {
		g := ev.Groups[i]
		if g.Key != w.key || g.Frames != w.frames {
			t.Errorf("group %d = %+v with %d frames, want %+v with %d", i, g.Key, g.Frames, w.key, w.frames)
		}
	}
	// the copy tracks exactly as the original
	if ev.Groups[0].Counts != ev.Groups[2].Counts {
		t.Errorf("copy counts %+v differ from truth %+v", ev.Groups[0].Counts, ev.Groups[2].Counts)
	}
}

// TestEvaluateSeeds: a method with two seeds is merged over seeds in
// Table, a single-run method is kept with its sd over frames.
func TestEvaluateSeeds(t *testing.T) {
	m := truth(t)
	methods := []pipeline.Method{m, renamed(m, "model", 1), renamed(m, "model", 2)}
	ev, err := pipeline.Evaluate(context.Background(), synth(3, 4), &pipeline.Options{Methods: methods})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Groups) != 3 || len(ev.Table) != 2 {
		t.Fatalf("%d groups, %d table rows; want 3 and 2", len(ev.Groups), len(ev.Table))
	}
	mod, tr := ev.Table[0], ev.Table[1]
	if mod.Key.Method != "model" || mod.Seeds != 2 || mod.Frames != 8 || mod.Key.Seed != 0 {
		t.Errorf("merged row %+v: want model over 2 seeds, 8 frames", mod)
	}
	// identical seeds: mean of the means is the mean, population sd 0
	if mod.Efficiency.Mean != tr.Efficiency.Mean || mod.Efficiency.SD != 0 || mod.Efficiency.N != 2 {
		t.Errorf("merged efficiency %+v, want mean %v sd 0 over 2 seeds", mod.Efficiency, tr.Efficiency.Mean)
	}
	if tr.Key.Method != "truth" || tr.Seeds != 1 || tr.Frames != 4 || tr.Efficiency.N != 4 {
		t.Errorf("single-run row %+v: want truth over 4 frames", tr)
	}
	var b strings.Builder
	if err := ev.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"over the seeds' averages", "per seed (mean ± sd over frames):", "model", "truth", "frames/s"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, b.String())
		}
	}
}

func saveModel(t *testing.T, path string, seed string) {
	t.Helper()
	net, err := model.New(model.Config{Kind: model.KindLineGraph}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Save(path, net, nil, map[string]string{"seed": seed}); err != nil {
		t.Fatal(err)
	}
}

func TestModelMethods(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.ckpt"), filepath.Join(dir, "b.ckpt"), filepath.Join(dir, "c.ckpt")
	saveModel(t, a, "7")
	saveModel(t, b, "9")
	saveModel(t, c, "7")
	cases := []struct {
		name  string
		paths []string
		seeds []uint64
	}{
		{"training-seeds", []string{a, b}, []uint64{7, 9}},
		{"duplicate-seeds-numbered", []string{a, b, c}, []uint64{1, 2, 3}},
		{"single-run", []string{b}, []uint64{0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := pipeline.ModelMethods("pat", tc.paths, nil)
			if err != nil {
				t.Fatal(err)
			}
			var seeds []uint64
			for i, m := range ms {
				seeds = append(seeds, m.Seed)
				if m.Name != "pat" || m.Config != tc.paths[i] {
					t.Errorf("method %d = %q %q", i, m.Name, m.Config)
				}
			}
			if !slices.Equal(seeds, tc.seeds) {
				t.Errorf("seeds %v, want %v", seeds, tc.seeds)
			}
		})
	}
	// Two workers (the second gets a clone) give the one-worker results.
	ms, err := pipeline.ModelMethods("", []string{a}, &learned.Options{Filter: track.Filter{MinHits: 3}})
	if err != nil {
		t.Fatal(err)
	}
	t1, t2 := mustNew(t, ms[0]), mustNew(t, ms[0])
	if t1 == t2 || ms[0].Name != pipeline.DefaultModelName {
		t.Fatalf("second tracker is the first one, or name %q", ms[0].Name)
	}
	src := synth(8, 5)
	one, _ := collect(t, src, &pipeline.Options{Methods: ms, Workers: 1})
	two, _ := collect(t, src, &pipeline.Options{Methods: ms, Workers: 2})
	for i := range one {
		if !slices.Equal(one[i].tracks, two[i].tracks) || !slices.Equal(one[i].metrics, two[i].metrics) {
			t.Errorf("frame %d: 2 workers differ from 1", i)
		}
	}
	if _, err := pipeline.ModelMethods("m", []string{filepath.Join(dir, "missing.ckpt")}, nil); err == nil ||
		!strings.Contains(err.Error(), "missing.ckpt") {
		t.Errorf("missing checkpoint: error %v", err)
	}
}

func mustNew(t *testing.T, m pipeline.Method) track.Tracker {
	t.Helper()
	tr, err := m.New()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestWriteTracks(t *testing.T) {
	src := withBadFrames(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "t.parquet")
	meta := dataset.TracksMeta{Source: "synthetic", Dataset: dataset.Meta{Source: "test"}}
	opt := &pipeline.Options{Methods: []pipeline.Method{truth(t)}, Workers: 2}
	sum, rep, err := pipeline.WriteTracks(context.Background(), src, path, meta, opt)
	if err != nil {
		t.Fatal(err)
	}
	gotMeta, frames, err := dataset.ReadAllTracks(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotMeta.Method != "truth" || gotMeta.Source != "synthetic" || gotMeta.Dataset.Source != "test" {
		t.Errorf("meta %+v", gotMeta)
	}
	if len(frames) != 8 || sum.Frames != 8 || rep.Frames != 5 {
		t.Fatalf("%d frames in the file, summary %+v, report %d tracked; want 8, 8, 5", len(frames), sum, rep.Frames)
	}
	// Same tracks as a plain Run, hits mapped back to the input frame.
	want, _ := collect(t, src, &pipeline.Options{Methods: opt.Methods})
	var tracks, hits int64
	k := 0
	for i, f := range frames {
		if f.Frame != src[i].Meta.Frame {
			t.Fatalf("position %d holds frame %d", i, f.Frame)
		}
		if i == 2 || i == 4 || i == 5 {
			if f.Skip == "" || len(f.Hits) != 0 {
				t.Errorf("frame %d: skip %q with %d hits, want a skipped frame", i, f.Skip, len(f.Hits))
			}
			continue
		}
		if got := f.Starts(nil); !slices.Equal(got, want[k].starts) {
			t.Errorf("frame %d: starts %v, want %v", i, got, want[k].starts)
		}
		for _, h := range f.Hits {
			in := src[i].Hits[h.Hit]
			if in.X != h.X || in.Y != h.Y || in.Z != h.Z || in.Edep != h.Edep || in.Layer != h.Layer || in.EventID != h.EventID {
				t.Fatalf("frame %d: track hit %+v does not match input hit %d %+v", i, h, h.Hit, in)
			}
		}
		tracks += int64(f.NumTracks())
		hits += int64(len(f.Hits))
		k++
	}
	if tracks != sum.Tracks || hits != sum.Hits || tracks == 0 {
		t.Errorf("file has %d tracks, %d hits; summary %+v", tracks, hits, sum)
	}
	if frames[2].Skip != "empty frame" {
		t.Errorf("skip reason %q, want empty frame", frames[2].Skip)
	}

	// A failing tracker leaves no file behind.
	bad := filepath.Join(dir, "bad.parquet")
	fail := pipeline.Method{Name: "failing", New: func() (track.Tracker, error) { return failing{frame: 6}, nil }}
	_, _, err = pipeline.WriteTracks(context.Background(), src, bad, meta, &pipeline.Options{Methods: []pipeline.Method{fail}})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("error %v, want boom", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output left after an error: %v", err)
	}
	if _, _, err := pipeline.WriteTracks(context.Background(), src, bad, meta, &pipeline.Options{}); err == nil {
		t.Error("no error without a method")
	}
	// EditTracks sees every tracked frame before it is written; its error
	// stops the run and leaves no file.
	edited := 0
	edit := &pipeline.Options{Methods: opt.Methods, EditTracks: func(ft *dataset.FrameTracks, out *pipeline.Output) error {
		if ft.Frame != out.Frame.Meta.Frame {
			t.Errorf("EditTracks: frame %d with output of frame %d", ft.Frame, out.Frame.Meta.Frame)
		}
		if edited++; edited == 3 {
			return errors.New("edit failed")
		}
		return nil
	}}
	if _, _, err := pipeline.WriteTracks(context.Background(), src, bad, meta, edit); err == nil || !strings.Contains(err.Error(), "edit failed") {
		t.Errorf("EditTracks error: %v", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) || edited != 3 {
		t.Errorf("after an EditTracks error: %d frames edited, output %v", edited, err)
	}
	// An interrupt leaves no file either.
	ctx, cancel := context.WithCancel(context.Background())
	opt.Progress = func() { cancel() }
	if _, _, err := pipeline.WriteTracks(ctx, src, bad, meta, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: error %v", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output left after an interrupt: %v", err)
	}
}

func TestWritePaperTable(t *testing.T) {
	g := func(method, phantom string, ppf int, pur, eff float64) metrics.Group {
		return metrics.Group{Key: metrics.Key{Method: method, Phantom: phantom, ProtonsPerFrame: ppf},
			Purity: metrics.MeanSD{Mean: pur, SD: 0.004}, Efficiency: metrics.MeanSD{Mean: eff, SD: 0.012}}
	}
	groups := []metrics.Group{
		g("pat", "water:100", 100, 0.874, 0.751),
		g("pat", "water:150", 100, 0.92, 0.824),
		g("pat", "water:100", 50, 0.949, 0.838),
		g("ptt", "water:150", 50, 0.962, 0.869),
	}
	var b strings.Builder
	if err := pipeline.WritePaperTable(&b, groups); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"p/frame  method  water:100                water:150\n" +
		"     50  pat     94.9 ± 0.4 / 83.8 ± 1.2  -\n" +
		"     50  ptt     -                        96.2 ± 0.4 / 86.9 ± 1.2\n" +
		"    100  pat     87.4 ± 0.4 / 75.1 ± 1.2  92.0 ± 0.4 / 82.4 ± 1.2\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestEvaluateStability(t *testing.T) {
	src := synth(5, 4)
	tm := truth(t)
	pm, err := pipeline.Builtin(baseline.NamePhysics, nil)
	if err != nil {
		t.Fatal(err)
	}
	// "same": two identical runs; "mixed": truth and physics posing as two
	// seeds of one method, so their disagreement is what Disagreement gives
	methods := []pipeline.Method{renamed(tm, "same", 1), renamed(tm, "same", 2), renamed(tm, "mixed", 1), renamed(pm, "mixed", 2), tm}
	ev, err := pipeline.Evaluate(context.Background(), src, &pipeline.Options{Methods: methods, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var differ, union, edges int
	_, err = pipeline.Run(context.Background(), src, &pipeline.Options{Methods: []pipeline.Method{tm, pm}, NoMetrics: true}, func(o *pipeline.Output) error {
		d, u, err := metrics.Disagreement(o.Results[0].Selected, o.Results[1].Selected)
		differ, union, edges = differ+d, union+u, edges+len(o.Graph.Src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if differ == 0 {
		t.Fatal("truth and physics agree everywhere: the test shows nothing")
	}
	if len(ev.Stability) != 2 {
		t.Fatalf("stability %+v, want mixed and same", ev.Stability)
	}
	mixed, same := ev.Stability[0], ev.Stability[1]
	if mixed.Key.Method != "mixed" || mixed.Pairs != 1 || mixed.Frames != 4 || mixed.Seeds != 2 {
		t.Errorf("mixed %+v", mixed)
	}
	if want := float64(differ) / float64(edges); mixed.OfEdges.Mean != want {
		t.Errorf("mixed differs on %v of the edges, want %v", mixed.OfEdges.Mean, want)
	}
	if want := float64(differ) / float64(union); mixed.OfSelected.Mean != want {
		t.Errorf("mixed differs on %v of the selected, want %v", mixed.OfSelected.Mean, want)
	}
	if same.Key.Method != "same" || same.OfEdges.Mean != 0 || same.OfSelected.Mean != 0 {
		t.Errorf("identical runs differ: %+v", same)
	}
	var b strings.Builder
	if err := ev.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"seed stability", "% of candidates", "0.000 ± 0.000"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, b.String())
		}
	}
}
