package compare_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcttrack/pcttrack/compare"
	"github.com/pcttrack/pcttrack/zoo"
)

// TestCommittedZoo compares two seeds of the committed zoo
// (results/zoo/models, trained with the fast-ptt config) on the first 10
// of their training frames, which the zoo re-simulates from the runs'
// configs, and checks the disagreement against the value this code gave
// when the zoo was published: it fails if loading, the re-simulated
// frames, the forward pass, the per-layer assignment or the formula moves.
func TestCommittedZoo(t *testing.T) {
	dir := filepath.Join("..", "results", "zoo", "models", "fast-ptt")
	paths := []string{filepath.Join(dir, "seed-0", "best.ckpt"), filepath.Join(dir, "seed-1", "best.ckpt")}
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("committed zoo absent: %v", err)
		}
	}
	ms, err := zoo.Load(paths, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	d, err := zoo.LoadData(context.Background(), ms, zoo.DataOptions{Frames: 10, First: true, CacheMB: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := compare.Run(context.Background(), ms, d, compare.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Pairs) != 1 {
		t.Fatalf("%d pairs", len(r.Pairs))
	}
	got := r.Pairs[0].Disagreement
	t.Logf("disagreement logit %.9f, prob %.9f on %d frames", got[0], got[1], r.Frames)
	want := [2]float64{wantLogit, wantProb}
	for v := range want {
		if math.Abs(got[v]-want[v]) > 1e-6 {
			t.Errorf("variant %d: disagreement %.9f, want %.9f", v, got[v], want[v])
		}
	}
}

// The disagreements of PTT seeds 0 and 1 on their first 10 training
// frames, recorded with the published zoo.
const (
	wantLogit = 0.300699301
	wantProb  = 0.221428571
)
