package dataset

import (
	"context"
	"fmt"

	"github.com/pcttrack/pcttrack/shard"
)

// MergeReport tells what Merge or MergeTracks wrote.
type MergeReport struct {
	Inputs int
	Frames int
	Hits   int64 // hits (Merge) or track hits (MergeTracks) written
}

// shardFile is what merging needs of an opened shard: its frames' indexes
// in file order.
type shardFile interface {
	NumFrames() int
	frameIndex(pos int) int64
	Close() error
}

func (r *Reader) frameIndex(pos int) int64       { return r.metas[pos].Frame }
func (r *TracksReader) frameIndex(pos int) int64 { return r.table.Frame[pos] }

// openShards opens the inputs of a merge and checks that they are the
// shards 0/K … K−1/K of one run: same(first, other) compares the runs'
// metadata, shardOf reads a file's "k/K". On error it closes what it
// opened.
func openShards[R shardFile, M any](what string, inputs []string, open func(string) (R, error), meta func(R) M,
	shardOf func(M) string, same func(a, b M) error) ([]R, []shard.Part, error) {
	if len(inputs) == 0 {
		return nil, nil, fmt.Errorf("dataset: %s: no input files", what)
	}
	var rs []R
	fail := func(err error) ([]R, []shard.Part, error) {
		closeAll(rs)
		return nil, nil, err
	}
	parts := make([]shard.Part, len(inputs))
	for i, p := range inputs {
		r, err := open(p)
		if err != nil {
			return fail(err) // names the file
		}
		rs = append(rs, r)
		s, err := shard.ParseFixed(shardOf(meta(r)))
		if err != nil {
			return fail(fmt.Errorf("dataset: %s: %q: %w", what, p, err))
		}
		parts[i] = shard.Part{Shard: s, Name: fmt.Sprintf("%q", p)}
		if i > 0 {
			if err := same(meta(rs[0]), meta(r)); err != nil {
				return fail(fmt.Errorf("dataset: %s: %s (shard %s) is not of the run of %s (shard %s): %w", what, parts[i].Name, s, parts[0].Name, parts[0].Shard, err))
			}
		}
	}
	if _, err := shard.Complete(parts); err != nil {
		return fail(fmt.Errorf("dataset: %s: %w", what, err))
	}
	return rs, parts, nil
}

// mergeFrames copies the frames of the shards in increasing frame index:
// copyFrame(k, pos) copies frame pos of shard k and returns its hits. A
// frame in two shards is an error. It counts into rep and calls progress.
func mergeFrames[R shardFile](ctx context.Context, what string, rs []R, parts []shard.Part, rep *MergeReport, progress func(),
	copyFrame func(k, pos int) (int, error)) error {
	pos := make([]int, len(rs))
	last := int64(-1)
	for {
		k := -1 // the shard whose next frame has the smallest index
		for i, r := range rs {
			if pos[i] < r.NumFrames() && (k < 0 || r.frameIndex(pos[i]) < rs[k].frameIndex(pos[k])) {
				k = i
			}
		}
		if k < 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("dataset: %s: %w", what, err)
		}
		idx := rs[k].frameIndex(pos[k])
		if idx == last {
			return fmt.Errorf("dataset: %s: frame %d is in more than one input (again in %s, shard %s)", what, idx, parts[k].Name, parts[k].Shard)
		}
		n, err := copyFrame(k, pos[k])
		if err != nil {
			return err
		}
		rep.Frames++
		rep.Hits += int64(n)
		if progress != nil {
			progress()
		}
		pos[k]++
		last = idx
	}
}

func closeAll[R shardFile](rs []R) {
	for _, r := range rs {
		r.Close()
	}
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
	const what = "merge"
	var rep MergeReport
	rs, parts, err := openShards(what, inputs, Open, (*Reader).Meta, func(m Meta) string { return m.Shard }, sameRun)
	if err != nil {
		return rep, err
	}
	defer closeAll(rs)
	for i, r := range rs {
		// carry the Monte-Carlo truth over, which ReadFrameInto skips by default
		if r.HasTruth() != rs[0].HasTruth() {
			return rep, fmt.Errorf("dataset: merge: %s (shard %s) and %s (shard %s): only one has the Monte-Carlo truth columns",
				parts[i].Name, parts[i].Shard, parts[0].Name, parts[0].Shard)
		}
		if r.HasTruth() {
			if err := r.SetTruth(true); err != nil {
				return rep, err
			}
		}
		s := parts[i].Shard
		for j := range r.NumFrames() {
			if idx := r.frameIndex(j); !s.Owns(int(idx)) {
				return rep, fmt.Errorf("dataset: merge: %s (shard %s) holds frame %d of shard %d/%d", parts[i].Name, s, idx, idx%int64(s.Count), s.Count)
			}
		}
	}
	meta := rs[0].Meta()
	meta.Shard = ""
	w, err := Create(out, meta)
	if err != nil {
		return rep, err
	}
	defer w.Abort()
	var f Frame
	err = mergeFrames(ctx, what, rs, parts, &rep, progress, func(k, pos int) (int, error) {
		if idx := rs[k].frameIndex(pos); meta.Frames > 0 {
			if idx >= meta.Frames {
				return 0, fmt.Errorf("dataset: merge: %s (shard %s): frame %d beyond the run's %d frames", parts[k].Name, parts[k].Shard, idx, meta.Frames)
			}
			if idx != int64(rep.Frames) {
				return 0, missingFrame(int64(rep.Frames), parts)
			}
		}
		if err := rs[k].ReadFrameInto(&f, pos); err != nil {
			return 0, err
		}
		return len(f.Hits), w.Write(&f)
	})
	if err != nil {
		return rep, err
	}
	if meta.Frames > 0 && int64(rep.Frames) < meta.Frames {
		return rep, missingFrame(int64(rep.Frames), parts)
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
	return firstDiff(
		field{"sources", a.Source, b.Source, true}, field{"geometries", a.Geometry, b.Geometry, true},
		field{"seeds", a.Seed, b.Seed, true}, field{"configs", a.Config, b.Config, false},
		field{"frame counts", a.Frames, b.Frames, true}, field{"simulator physics versions", a.SimPhysics, b.SimPhysics, true})
}

// field is one piece of metadata two shards must agree on; show prints
// the two values in the error (not for long ones).
type field struct {
	what string
	a, b any
	show bool
}

// firstDiff returns an error naming the first field whose values differ.
func firstDiff(fs ...field) error {
	for _, f := range fs {
		switch {
		case f.a == f.b:
		case f.show:
			verb := "%v"
			if _, ok := f.a.(string); ok {
				verb = "%q"
			}
			return fmt.Errorf("%s differ ("+verb+", "+verb+")", f.what, f.a, f.b)
		default:
			return fmt.Errorf("%s differ", f.what)
		}
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
	const what = "merge tracks"
	var rep MergeReport
	rs, parts, err := openShards(what, inputs, OpenTracks, (*TracksReader).Meta, func(m TracksMeta) string { return m.Shard }, sameTracksRun)
	if err != nil {
		return rep, err
	}
	defer closeAll(rs)
	meta := rs[0].Meta()
	for i, r := range rs {
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
	var f FrameTracks
	err = mergeFrames(ctx, what, rs, parts, &rep, progress, func(k, pos int) (int, error) {
		if err := rs[k].ReadFrameInto(&f, pos); err != nil {
			return 0, err
		}
		return len(f.Hits), w.Write(&f)
	})
	if err != nil {
		return rep, err
	}
	rep.Inputs = len(inputs)
	return rep, w.Close()
}

// sameTracksRun checks that two tracks shards agree on everything but Shard.
func sameTracksRun(a, b TracksMeta) error {
	return firstDiff(
		field{"methods", a.Method, b.Method, true},
		field{"method configs", a.Config, b.Config, true},
		field{"options", a.Options, b.Options, true},
		field{"WEPL measurements", a.WEPL, b.WEPL, true},
		field{"input datasets", a.Source, b.Source, true},
		field{"frame counts", a.Frames, b.Frames, true},
		field{"the input datasets' metadata", a.Dataset, b.Dataset, false},
		field{"tracks format versions", a.Version, b.Version, true},
	)
}
