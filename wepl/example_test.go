package wepl_test

import (
	"context"
	"fmt"

	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/wepl"
)

// Measure the WEPL of truth-tracked protons behind 150 mm of water.
func ExampleEstimator() {
	ctx := context.Background()
	frames, err := sim.Collect(ctx, sim.Config{Phantom: sim.Phantom{Material: "water", Thickness: 150},
		ProtonsPerFrame: 50, Frames: 4, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	truth, _ := pipeline.Builtin("truth", nil)
	est, err := wepl.New(nil, 230, nil) // default geometry, embedded calibration
	if err != nil {
		fmt.Println(err)
		return
	}
	var ws []float64
	var exitZ float64
	_, err = pipeline.Run(ctx, pipeline.Frames(frames), &pipeline.Options{Methods: []pipeline.Method{truth}, NoMetrics: true},
		func(out *pipeline.Output) error {
			ft := pipeline.FrameTracks(nil, out.Graph, &out.Results[0].Tracks)
			tracks, err := est.Frame(nil, ft)
			for _, t := range tracks {
				if t.OK() {
					ws = append(ws, t.WEPL)
					exitZ = t.Exit.Z
				}
			}
			return err
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := wepl.CoreOf(ws)
	fmt.Printf("WEPL %.0f ± %.0f mm, exit plane z = %.1f mm\n", c.Mean, c.SD, exitZ)
	// Output: WEPL 150 ± 3 mm, exit plane z = 225.2 mm
}
