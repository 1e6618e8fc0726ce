package train_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pcttrack/pcttrack/train"
)

// Train the line-graph model for 6 pre-tracker steps on a small simulated
// data set and list the files of the run directory.
func ExampleRun() {
	cfg, err := train.ParseConfig([]byte(`
method: ptt
batch: 2
steps: 6
val_every: 3
data:
  simulate: {phantoms: [water:100], protons_per_frame: 20, frames: 4, val_frames: 2, seed: 1}
`))
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "train-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sum, err := train.Run(context.Background(), cfg, dir, train.RunOptions{})
	if err != nil {
		panic(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	fmt.Println("steps:", sum.Steps, "last validation at step", sum.Last.Step)
	// Output:
	// best.ckpt
	// config.yaml
	// last.ckpt
	// metrics.jsonl
	// steps: 6 last validation at step 6
}
