package sim_test

import (
	"context"
	"fmt"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/sim"
)

// Simulate four frames of 100 protons behind 100 mm of water in the
// default DTC geometry and count the hits.
func ExampleRun() {
	phantom, err := sim.ParsePhantom("water:100")
	if err != nil {
		panic(err)
	}
	cfg := sim.Config{Phantom: phantom, ProtonsPerFrame: 100, Frames: 4, Seed: 1}
	var frames, hits int
	err = sim.Run(context.Background(), cfg, func(f *dataset.Frame) error {
		frames++
		hits += len(f.Hits)
		return nil
	})
	if err != nil {
		panic(err)
	}
	perPrimary := float64(hits) / 400
	fmt.Printf("%d frames, 25 to 30 hits per primary: %v\n", frames, perPrimary > 25 && perPrimary < 30)
	// Output: 4 frames, 25 to 30 hits per primary: true
}
