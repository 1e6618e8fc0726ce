package dataset

import (
	"context"
	"errors"
	"fmt"
)

// MergeReport tells what Merge wrote.
type MergeReport struct {
	Inputs  int
	Frames  int
	Hits    int64
	Missing []int64 // frame indexes absent from every input (see Merge)
}

// Merge combines datasets written by shards of one run (Meta.Shard "k/K")
// into one dataset at out, ordered by frame index. The inputs must agree
// on source, geometry, seed, config and number of frames, and no frame
// index may appear twice. The output has the inputs' Meta with an empty
// Shard, so it is byte-identical to the dataset one machine writes for the
// same frames. Missing lists the frame indexes in [0, Meta.Frames) that no
// input holds (when Meta.Frames is 0: the gaps between the first and last
// frame); they are reported, not an error. progress, if not nil, is
// called after each frame written. Cancelling ctx stops the merge and
// discards the output.
func Merge(ctx context.Context, out string, inputs []string, progress func()) (MergeReport, error) {
	var rep MergeReport
	if len(inputs) == 0 {
		return rep, errors.New("dataset: merge: no input files")
	}
	readers := make([]*Reader, 0, len(inputs))
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for _, p := range inputs {
		r, err := Open(p)
		if err != nil {
			return rep, err
		}
		readers = append(readers, r)
	}
	meta := readers[0].Meta()
	for _, r := range readers[1:] {
		if err := sameRun(meta, r.Meta()); err != nil {
			return rep, fmt.Errorf("dataset: merge: %q and %q: %w", readers[0].Path(), r.Path(), err)
		}
	}
	meta.Shard = ""
	w, err := Create(out, meta)
	if err != nil {
		return rep, err
	}
	defer w.Abort()
	pos := make([]int, len(readers))
	var f Frame
	last := int64(-1)
	for {
		// The reader whose next frame has the smallest index.
		k := -1
		for i, r := range readers {
			if pos[i] < r.NumFrames() && (k < 0 || r.metas[pos[i]].Frame < readers[k].metas[pos[k]].Frame) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("dataset: merge: %w", err)
		}
		r := readers[k]
		idx := r.metas[pos[k]].Frame
		if idx == last {
			return rep, fmt.Errorf("dataset: merge: frame %d is in more than one input (again in %q)", idx, r.Path())
		}
		if meta.Frames > 0 && idx >= meta.Frames {
			return rep, fmt.Errorf("dataset: merge: %q: frame %d beyond the run's %d frames", r.Path(), idx, meta.Frames)
		}
		for g := last + 1; g < idx; g++ {
			if last >= 0 || meta.Frames > 0 {
				rep.Missing = append(rep.Missing, g)
			}
		}
		if err := r.ReadFrameInto(&f, pos[k]); err != nil {
			return rep, err
		}
		if err := w.Write(&f); err != nil {
			return rep, err
		}
		rep.Frames++
		rep.Hits += int64(len(f.Hits))
		pos[k]++
		last = idx
		if progress != nil {
			progress()
		}
	}
	for g := last + 1; g < meta.Frames; g++ {
		rep.Missing = append(rep.Missing, g)
	}
	rep.Inputs = len(inputs)
	return rep, w.Close()
}

// sameRun checks that two shards' metadata agree on everything but Shard.
func sameRun(a, b Meta) error {
	switch {
	case a.Source != b.Source:
		return fmt.Errorf("sources differ (%q, %q)", a.Source, b.Source)
	case a.Geometry != b.Geometry:
		return fmt.Errorf("geometries differ (%q, %q)", a.Geometry, b.Geometry)
	case a.Seed != b.Seed:
		return fmt.Errorf("seeds differ (%d, %d)", a.Seed, b.Seed)
	case a.Config != b.Config:
		return errors.New("configs differ")
	case a.Frames != b.Frames:
		return fmt.Errorf("frame counts differ (%d, %d)", a.Frames, b.Frames)
	case a.SimPhysics != b.SimPhysics:
		return fmt.Errorf("simulator physics versions differ (%d, %d)", a.SimPhysics, b.SimPhysics)
	}
	return nil
}
