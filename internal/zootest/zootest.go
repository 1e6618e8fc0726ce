// Package zootest builds small zoos of models for the tests of the
// analysis packages: checkpoints with a run config beside them whose data
// are a tiny inline simulation, so zoo.LoadData can rebuild the frames.
// The models are either freshly initialised (different seeds give
// different predictions) or briefly trained.
package zootest

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/train"
	"github.com/pcttrack/pcttrack/zoo"
)

// Spec is one model of a test zoo.
type Spec struct {
	Method string  // train.MethodPTT or train.MethodPAT
	Lambda float64 // PAT's λ
	Seed   uint64
	// Steps, when > 0, trains the model for that many steps (batch 2)
	// instead of leaving it at its initialisation.
	Steps int
	// Model overrides the model config (zero: the line-graph model).
	Model model.Config
}

// Config returns the run config of s: Frames training frames of Protons
// primaries behind 100 mm of water (2 validation frames).
func (s Spec) Config(frames, protons int) train.Config {
	c := train.Config{Method: s.Method, Model: s.Model, Seed: s.Seed, Batch: 2, Steps: max(s.Steps, 1), ValEvery: 1000,
		Data: train.Data{Simulate: &train.Simulate{Phantoms: []string{"water:100"}, ProtonsPerFrame: protons, Frames: frames, ValFrames: 2, Seed: 7}}}
	if s.Method == train.MethodPAT {
		c.PAT.Lambda = s.Lambda
	}
	return c
}

// Build writes the models of specs under dir (one run directory each:
// config.yaml and best.ckpt) and returns the checkpoint paths.
func Build(t testing.TB, dir string, frames, protons int, specs []Spec) []string {
	t.Helper()
	var paths []string
	for i, s := range specs {
		run := filepath.Join(dir, "run"+string(rune('a'+i)))
		cfg, err := s.Config(frames, protons).Resolved()
		if err != nil {
			t.Fatal(err)
		}
		if s.Steps > 0 {
			if _, err := train.Run(context.Background(), cfg, run, train.RunOptions{}); err != nil {
				t.Fatal(err)
			}
			// best.ckpt keeps the best validation; use the last state.
			net, _, err := model.Load(filepath.Join(run, train.FileLast))
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, save(t, run, net, s.Seed, cfg.Method))
			continue
		}
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		y, err := cfg.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(run, train.FileConfig), y, 0o644); err != nil {
			t.Fatal(err)
		}
		net, err := model.New(cfg.Model, rand.New(rand.NewPCG(s.Seed, 99)))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, save(t, run, net, s.Seed, cfg.Method))
	}
	return paths
}

// save writes net as the run's best.ckpt with the trainer's metadata.
func save(t testing.TB, run string, net model.Net, seed uint64, method string) string {
	t.Helper()
	ck := filepath.Join(run, train.FileBest)
	if err := model.Save(ck, net, nil, map[string]string{"seed": strconv.FormatUint(seed, 10), "method": method}); err != nil {
		t.Fatal(err)
	}
	return ck
}

// SparseCheckpoint writes dir/sparse.ckpt: an untrained line-graph model,
// initialised from PCG(seed, seed), that records the sparse graph options
// (graph.SparseOptions) a tracker loaded from it uses.
func SparseCheckpoint(t testing.TB, dir string, seed uint64) string {
	t.Helper()
	net, err := model.New(model.Config{}, rand.New(rand.NewPCG(seed, seed)))
	if err != nil {
		t.Fatal(err)
	}
	c := model.NewCheckpoint(net, nil, nil)
	g := graph.SparseOptions()
	c.Graph = &g
	path := filepath.Join(dir, "sparse.ckpt")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Load loads the zoo of paths (at least min members, the same
// architecture) and all of its data frames, without a cache, as the
// analysis tests use them.
func Load(paths []string, min int) ([]*zoo.Member, *zoo.Data, error) {
	ms, err := zoo.Load(paths, min, true)
	if err != nil {
		return nil, nil, err
	}
	d, err := zoo.LoadData(context.Background(), ms, zoo.DataOptions{CacheMB: -1}, nil)
	return ms, d, err
}
