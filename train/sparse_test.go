package train

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/track"
)

// TestSparseConfig trains the embedded small-ptt-sparse config briefly:
// its graphs are sparse (far fewer segments than the paper's), its
// checkpoints record the graph options, the tracker loaded from best.ckpt
// uses them and, on the paper's full graph a pipeline builds, tracks the
// validation frames as validation did; a resumed run must keep them.
func TestSparseConfig(t *testing.T) {
	cfg, err := LoadConfig("small-ptt-sparse")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Graph.Sparse() || !cfg.Graph.DropIsolated {
		t.Fatalf("graph options %+v", cfg.Graph)
	}
	cfg.Steps, cfg.ValEvery = 30, 15
	s := *cfg.Data.Simulate
	s.Frames, s.ValFrames = 8, 3
	cfg.Data.Simulate = &s
	data, err := LoadData(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	full := cfg
	full.Graph = graph.Options{}
	fullData, err := LoadData(context.Background(), full, nil)
	if err != nil {
		t.Fatal(err)
	}
	sparseSegs, fullSegs := 0, 0
	for i := range data.val.frames {
		sparseSegs += len(data.val.frames[i].g.Src)
		fullSegs += len(fullData.val.frames[i].g.Src)
	}
	if sparseSegs*2 > fullSegs {
		t.Errorf("sparse validation frames hold %d segments, the full ones %d", sparseSegs, fullSegs)
	}
	dir := t.TempDir()
	sum, err := Run(context.Background(), cfg, dir, RunOptions{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Best.Purity < 0.5 {
		t.Errorf("best validation purity %.3f after 30 steps", sum.Best.Purity)
	}
	want, _ := cfg.Graph.Resolved()
	for _, f := range []string{FileBest, FileLast} {
		_, ck, err := model.Load(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if ck.Graph == nil || *ck.Graph != want {
			t.Errorf("%s records graph %+v, want %+v", f, ck.Graph, want)
		}
	}
	// the shipped path: a method from the checkpoint, the paper's graph
	ms, err := pipeline.ModelMethods("sparse", []string{filepath.Join(dir, FileBest)}, &learned.Options{Assign: cfg.Assign, Filter: cfg.Filter, BatchNorm: *cfg.ValBatchNorm})
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := pipeline.PreferredGraph(ms); !ok || g != want {
		t.Errorf("preferred graph %+v (%v)", g, ok)
	}
	tr, err := ms[0].New()
	if err != nil {
		t.Fatal(err)
	}
	net, _, err := model.Load(filepath.Join(dir, FileBest))
	if err != nil {
		t.Fatal(err)
	}
	val := learned.New(net, &learned.Options{Assign: cfg.Assign, Filter: cfg.Filter, BatchNorm: *cfg.ValBatchNorm, Graph: &cfg.Graph})
	for i := range data.val.frames {
		var a, b track.Result
		if err := tr.Track(&a, fullData.val.frames[i].g); err != nil {
			t.Fatal(err)
		}
		if err := val.TrackInput(&b, data.val.frames[i].g, data.val.frames[i].in); err != nil {
			t.Fatal(err)
		}
		if !equalInts(a.Tracks.Hits, b.Tracks.Hits) || a.Stats != b.Stats {
			t.Errorf("validation frame %d: %d tracks on the full graph, %d as validated", i, a.Tracks.Len(), b.Tracks.Len())
		}
	}
	// resuming with other graph options is refused
	other := cfg
	other.Graph.PhysicsCut = 3
	otherData, err := LoadData(context.Background(), other, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := NewTrainer(other, otherData)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.Resume(filepath.Join(dir, FileLast)); err == nil || !strings.Contains(err.Error(), "physics cut 4 σ") {
		t.Errorf("resume with physics cut 3: %v", err)
	}
}

func equalInts(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
