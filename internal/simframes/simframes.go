// Package simframes holds the simulated frames that tests and benchmarks
// across the packages share: protons behind 100 mm of water, the paper's
// reference set-up, each set simulated once per process so that a test
// binary pays for a simulation once however many tests use it.
package simframes

import (
	"context"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/memo"
	"github.com/pcttrack/pcttrack/sim"
)

// Config is the simulation of frames of protons each behind 100 mm of
// water from seed, with the default physics and geometry.
func Config(protons, frames int, seed uint64) sim.Config {
	ph, err := sim.ParsePhantom("water:100")
	if err != nil {
		panic(err) // a constant phantom
	}
	return sim.Config{Phantom: ph, ProtonsPerFrame: protons, Frames: frames, Seed: seed}
}

type key struct {
	protons, frames int
	seed            uint64
}

var cache memo.Map[key, []dataset.Frame]

// Water returns the frames of Config(protons, frames, seed), simulated
// the first time they are asked for. The frames are shared: callers must
// not modify them.
func Water(protons, frames int, seed uint64) ([]dataset.Frame, error) {
	return cache.Get(key{protons, frames, seed}, func() ([]dataset.Frame, error) {
		return sim.Collect(context.Background(), Config(protons, frames, seed))
	})
}

// Must is Water that fails tb on an error.
func Must(tb testing.TB, protons, frames int, seed uint64) []dataset.Frame {
	tb.Helper()
	fs, err := Water(protons, frames, seed)
	if err != nil {
		tb.Fatal(err)
	}
	return fs
}
