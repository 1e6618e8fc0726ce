package dataset_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pcttrack/pcttrack/dataset"
)

// Example writes a two-frame dataset and reads it back by random access.
func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "w100.parquet")

	w, err := dataset.Create(path, dataset.Meta{Source: "simulate", Geometry: "dtc-final", Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // discards the file on an early return; no-op after Close
	for i := range 2 {
		f := dataset.Frame{
			Meta: dataset.FrameMeta{Frame: int64(i), Phantom: "water:100", ProtonsPerFrame: 1},
			Hits: []dataset.Hit{
				{Layer: 0, Z: 225.2, Edep: 0.06, ClusterSize: 8, EventID: int64(i), TrackID: 1, PDG: dataset.PDGProton, Primary: true},
				{Layer: 1, Z: 277.6, Edep: 0.07, ClusterSize: 9, EventID: int64(i), TrackID: 1, PDG: dataset.PDGProton, Primary: true},
			},
		}
		if err := w.Write(&f); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := dataset.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	f, err := r.ReadFrame(1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Meta().Source, r.NumFrames(), "frames")
	fmt.Printf("frame %d: %d hits, last in layer %d at z = %.1f mm\n", f.Meta.Frame, len(f.Hits), f.Hits[1].Layer, f.Hits[1].Z)
	// Output:
	// simulate 2 frames
	// frame 1: 2 hits, last in layer 1 at z = 277.6 mm
}

// ExampleSummarizeFile prints what `pcttrack info` shows.
func ExampleSummarizeFile() {
	path := filepath.Join(os.TempDir(), "pcttrack-example-summary.parquet")
	defer os.Remove(path)
	f := dataset.Frame{Meta: dataset.FrameMeta{ProtonsPerFrame: 2}, Hits: []dataset.Hit{
		{Layer: 0, EventID: 1, Primary: true}, {Layer: 1, EventID: 1, Primary: true},
		{Layer: 0, EventID: 2, Primary: true}, {Layer: 1, EventID: 2, TrackID: 5, ParentID: 1},
	}}
	if err := dataset.WriteFile(context.Background(), path, dataset.Meta{Source: "simulate"}, []dataset.Frame{f}); err != nil {
		log.Fatal(err)
	}
	_, s, err := dataset.SummarizeFile(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d hits, %.1f per primary, deepest layer mean %.1f, %.0f%% secondaries\n",
		s.Hits, s.HitsPerPrimary, s.DeepestLayer.Mean, 100*s.SecondaryFraction)
	// Output:
	// 4 hits, 2.0 per primary, deepest layer mean 0.5, 25% secondaries
}
