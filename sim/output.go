package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/pcttrack/pcttrack/dataset"
)

// Meta returns the dataset metadata of simulation c: source "simulate",
// the geometry's name, the seed, the whole configuration as YAML
// (MarshalConfig), the run's frame count, its shard and the physics
// version it simulates (Physics.Version). An invalid configuration is an error.
func Meta(c Config) (dataset.Meta, error) {
	text, err := MarshalConfig(c)
	if err != nil {
		return dataset.Meta{}, err
	}
	r, _ := c.resolved()
	return dataset.Meta{Source: "simulate", Geometry: r.Geometry.Name, Seed: c.Seed, Config: string(text),
		Frames: int64(c.Frames), Shard: c.Shard.String(), SimPhysics: r.Physics.Version}, nil
}

// Collect runs simulation c (see Run) and returns copies of the frames it
// owns, with their truth, in frame order.
func Collect(ctx context.Context, c Config) ([]dataset.Frame, error) {
	var frames []dataset.Frame
	err := Run(ctx, c, func(f *dataset.Frame) error {
		frames = append(frames, dataset.Frame{Meta: f.Meta, Hits: append([]dataset.Hit(nil), f.Hits...),
			Primaries: append([]dataset.PrimaryTruth(nil), f.Primaries...)})
		return nil
	})
	return frames, err
}

// WriteStats describes what Write simulated.
type WriteStats struct {
	Frames, Primaries, Hits int
	Elapsed                 time.Duration
}

// Rate returns the primaries simulated and written per second.
func (s WriteStats) Rate() float64 { return float64(s.Primaries) / s.Elapsed.Seconds() }

// Write runs simulation c (see Run) into a new dataset at path with
// metadata Meta(c), frame by frame as they are simulated; progress, when
// not nil, is called after each frame. The file is written atomically: a
// bad configuration, an error or a cancelled ctx leave no file.
func Write(ctx context.Context, c Config, path string, progress func()) (WriteStats, error) {
	var st WriteStats
	meta, err := Meta(c)
	if err != nil {
		return st, err
	}
	w, err := dataset.Create(path, meta)
	if err != nil {
		return st, err
	}
	defer w.Abort()
	start := time.Now()
	err = runWriting(ctx, c, &st, progress, "no output written", func(*dataset.Frame) (*dataset.Writer, error) { return w, nil })
	if err != nil {
		return st, err
	}
	if err := w.Close(); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// runWriting runs c, writing each frame with the writer that to returns
// for it and counting it in st. An interruption's error says after how
// many frames and what is left (kept).
func runWriting(ctx context.Context, c Config, st *WriteStats, progress func(), kept string, to func(*dataset.Frame) (*dataset.Writer, error)) error {
	err := Run(ctx, c, func(fr *dataset.Frame) error {
		w, err := to(fr)
		if err != nil {
			return err
		}
		if err := w.Write(fr); err != nil {
			return err
		}
		st.add(fr, progress)
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("sim: interrupted after %d frames, %s: %w", st.Frames, kept, err)
	}
	return err
}

// Owned returns the number of frames of c that its shard owns.
func (c *Config) Owned() int {
	n := 0
	for i := 0; i < c.Frames; i++ {
		if c.Shard.Owns(i) {
			n++
		}
	}
	return n
}
