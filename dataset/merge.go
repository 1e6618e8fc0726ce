package dataset

import (
	"context"
	"errors"
	"fmt"

	"github.com/pcttrack/pcttrack/shard"
)

// MergeReport tells what Merge or MergeTracks wrote.
type MergeReport struct {
	Inputs int
	Frames int
	Hits   int64 // hits (Merge) or track hits (MergeTracks) written
}

// Merge combines the datasets written by the K shards of one run (Meta.Shard
// "k/K", empty for 0/1) into one dataset at out, ordered by frame index. The
// inputs must be the shards 0/K … K−1/K, each exactly once
// (shard.Complete), agree on source, geometry, seed, config and number of
// frames, and hold only frames of their own shard (index mod K = k); when
// the run's frame count (Meta.Frames) is known, every frame below it must
// be present. Anything else is an error naming the file and shard at fault,
// and nothing is written. The output has the inputs' Meta with an empty
// Shard, so it is byte-identical to the dataset one machine writes.
// progress, if not nil, is called after each frame written. Cancelling ctx
// stops the merge and discards the output.
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
	parts := make([]shard.Part, len(inputs))
	for i, p := range inputs {
		r, err := Open(p)
		if err != nil {
			return rep, fmt.Errorf("dataset: merge: %w", err)
		}
		readers = append(readers, r)
		s, err := shard.ParseFixed(r.Meta().Shard)
		if err != nil {
			return rep, fmt.Errorf("dataset: merge: %q: %w", p, err)
		}
		parts[i] = shard.Part{Shard: s, Name: fmt.Sprintf("%q", p)}
	}
	meta := readers[0].Meta()
	for i, r := range readers[1:] {
		if err := sameRun(meta, r.Meta()); err != nil {
			return rep, fmt.Errorf("dataset: merge: %s (shard %s) is not of the run of %s (shard %s): %w",
				parts[i+1].Name, parts[i+1].Shard, parts[0].Name, parts[0].Shard, err)
		}
	}
	if _, err := shard.Complete(parts); err != nil {
		return rep, fmt.Errorf("dataset: merge: %w", err)
	}
	for i, r := range readers {
		s := parts[i].Shard
		for j := range r.NumFrames() {
			if idx := r.metas[j].Frame; !s.Owns(int(idx)) {
				return rep, fmt.Errorf("dataset: merge: %s (shard %s) holds frame %d of shard %d/%d",
					parts[i].Name, s, idx, idx%int64(s.Count), s.Count)
			}
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
		k := -1 // the reader whose next frame has the smallest index
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
			return rep, fmt.Errorf("dataset: merge: frame %d is in more than one input (again in %s)", idx, parts[k].Name)
		}
		if meta.Frames > 0 {
			if idx >= meta.Frames {
				return rep, fmt.Errorf("dataset: merge: %s (shard %s): frame %d beyond the run's %d frames", parts[k].Name, parts[k].Shard, idx, meta.Frames)
			}
			if idx != last+1 {
				return rep, missingFrame(last+1, parts)
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
	if meta.Frames > 0 && last+1 < meta.Frames {
		return rep, missingFrame(last+1, parts)
	}
	rep.Inputs = len(inputs)
	return rep, w.Close()
}

// missingFrame names the shard that should have held frame idx.
func missingFrame(idx int64, parts []shard.Part) error {
	for _, p := range parts {
		if p.Shard.Owns(int(idx)) {
			return fmt.Errorf("dataset: merge: %s (shard %s) lacks frame %d of the run", p.Name, p.Shard, idx)
		}
	}
	return fmt.Errorf("dataset: merge: frame %d is missing", idx)
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
	}
	return nil
}

// MergeTracks combines the tracks files written by the K shards of one
// tracking run (TracksMeta.Shard "k/K", see pipeline.WriteTracks) into one
// tracks file at out, ordered by frame. The inputs must be the shards 0/K …
// K−1/K, each exactly once, of one run: the same method, config, options,
// input dataset (path and metadata) and frame count; each must hold its
// share of TracksMeta.Frames (shard.Shard.Len) and no frame may appear
// twice. Anything else is an error naming the file and shard at fault, and
// nothing is written. The output has the inputs' TracksMeta with an empty
// Shard, so it is byte-identical to the file one process writes. progress,
// if not nil, is called after each frame written.
func MergeTracks(ctx context.Context, out string, inputs []string, progress func()) (MergeReport, error) {
	var rep MergeReport
	if len(inputs) == 0 {
		return rep, errors.New("dataset: merge tracks: no input files")
	}
	readers := make([]*TracksReader, 0, len(inputs))
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	parts := make([]shard.Part, len(inputs))
	for i, p := range inputs {
		r, err := OpenTracks(p)
		if err != nil {
			return rep, fmt.Errorf("dataset: merge tracks: %w", err)
		}
		readers = append(readers, r)
		s, err := shard.ParseFixed(r.Meta().Shard)
		if err != nil {
			return rep, fmt.Errorf("dataset: merge tracks: %q: %w", p, err)
		}
		parts[i] = shard.Part{Shard: s, Name: fmt.Sprintf("%q", p)}
	}
	meta := readers[0].Meta()
	for i, r := range readers[1:] {
		if err := sameTracksRun(meta, r.Meta()); err != nil {
			return rep, fmt.Errorf("dataset: merge tracks: %s (shard %s) is not of the run of %s (shard %s): %w",
				parts[i+1].Name, parts[i+1].Shard, parts[0].Name, parts[0].Shard, err)
		}
	}
	if _, err := shard.Complete(parts); err != nil {
		return rep, fmt.Errorf("dataset: merge tracks: %w", err)
	}
	for i, r := range readers {
		if want := parts[i].Shard.Len(int(meta.Frames)); r.NumFrames() != want {
			return rep, fmt.Errorf("dataset: merge tracks: %s (shard %s) holds %d frames, want %d of the run's %d",
				parts[i].Name, parts[i].Shard, r.NumFrames(), want, meta.Frames)
		}
	}
	meta.Shard = ""
	w, err := CreateTracks(out, meta)
	if err != nil {
		return rep, err
	}
	defer w.Abort()
	pos := make([]int, len(readers))
	var f FrameTracks
	last := int64(-1)
	for {
		k := -1
		for i, r := range readers {
			if pos[i] < r.NumFrames() && (k < 0 || r.table.Frame[pos[i]] < readers[k].table.Frame[pos[k]]) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("dataset: merge tracks: %w", err)
		}
		r := readers[k]
		if idx := r.table.Frame[pos[k]]; idx == last {
			return rep, fmt.Errorf("dataset: merge tracks: frame %d is in more than one input (again in %s, shard %s)", idx, parts[k].Name, parts[k].Shard)
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
		last = f.Frame
		if progress != nil {
			progress()
		}
	}
	rep.Inputs = len(inputs)
	return rep, w.Close()
}

// sameTracksRun checks that two tracks shards agree on everything but Shard.
func sameTracksRun(a, b TracksMeta) error {
	switch {
	case a.Method != b.Method:
		return fmt.Errorf("methods differ (%q, %q)", a.Method, b.Method)
	case a.Config != b.Config:
		return fmt.Errorf("method configs differ (%q, %q)", a.Config, b.Config)
	case a.Options != b.Options:
		return fmt.Errorf("options differ (%s, %s)", a.Options, b.Options)
	case a.Source != b.Source:
		return fmt.Errorf("input datasets differ (%q, %q)", a.Source, b.Source)
	case a.Frames != b.Frames:
		return fmt.Errorf("frame counts differ (%d, %d)", a.Frames, b.Frames)
	case a.Dataset != b.Dataset:
		return errors.New("the input datasets' metadata differ")
	case a.Version != b.Version:
		return fmt.Errorf("tracks format versions differ (%d, %d)", a.Version, b.Version)
	}
	return nil
}
