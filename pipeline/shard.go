package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/shard"
)

// SelectShard returns the positions, for Options.Frames, of the frames
// that shard s owns among the first n frames of each source (all of them
// for n = 0): frame i of a source belongs to s when s.Owns(i). The zero
// Shard gives FirstN(n).
func (c Concat) SelectShard(n int, s shard.Shard) []int {
	var pos []int
	off := 0
	for _, src := range c {
		m := src.NumFrames()
		k := m
		if n > 0 {
			k = min(n, m)
		}
		for i := range k {
			if s.Owns(i) {
				pos = append(pos, off+i)
			}
		}
		off += m
	}
	return pos
}

// FirstN returns the positions of the first n frames of each source (all
// of them for n = 0), for Options.Frames.
func (c Concat) FirstN(n int) []int { return c.SelectShard(n, shard.Shard{}) }

// Counts returns, per source, the number of frames among its first n (all
// for n = 0): what an evaluation of all shards selects from each source.
func (c Concat) Counts(n int) []int {
	out := make([]int, len(c))
	for i, src := range c {
		out[i] = src.NumFrames()
		if n > 0 {
			out[i] = min(n, out[i])
		}
	}
	return out
}

// EvalState is what Evaluate accumulates before it computes its tables:
// every per-frame metric, the seed-stability counts and the frame loop's
// report. The states of the shards of an evaluation merge (Merge) into
// the state of one process, and Evaluation then gives the same result
// (timings aside). It encodes to and from JSON without loss.
type EvalState struct {
	Metrics   metrics.Aggregator `json:"metrics"`
	Stability metrics.Stability  `json:"stability"`
	Report    *Report            `json:"report"`
}

// Accumulate runs the methods of opt on the frames of src as Evaluate
// does and returns the accumulated state instead of the tables.
func Accumulate(ctx context.Context, src Source, opt *Options) (*EvalState, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	o.NoMetrics = false
	st := new(EvalState)
	pairs := SeedPairs(o.Methods)
	rep, err := Run(ctx, src, &o, func(out *Output) error {
		m := &out.Frame.Meta
		for i, meth := range o.Methods {
			st.Metrics.Add(metrics.Key{Method: meth.Name, Phantom: m.Phantom, ProtonsPerFrame: m.ProtonsPerFrame, Seed: meth.Seed}, out.Metrics[i])
		}
		for _, p := range pairs {
			a, b := o.Methods[p[0]], o.Methods[p[1]]
			differ, union, err := metrics.Disagreement(out.Results[p[0]].Selected, out.Results[p[1]].Selected)
			if err != nil {
				return fmt.Errorf("pipeline: frame %d: %s: %w", m.Frame, a.Name, err)
			}
			st.Stability.Add(metrics.Key{Method: a.Name, Phantom: m.Phantom, ProtonsPerFrame: m.ProtonsPerFrame},
				a.Seed, b.Seed, len(out.Graph.Src), differ, union)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.Report = rep
	return st, nil
}

// Evaluation computes the tables of the accumulated frames (see Evaluate).
func (s *EvalState) Evaluation() *Evaluation {
	ev := &Evaluation{Groups: s.Metrics.Groups(), Stability: s.Stability.Groups(), Report: s.Report}
	ev.Table = seedTable(ev.Groups)
	return ev
}

// Merge adds the frames of b to s. The reports are joined: frames and
// skips added (skips in position order), stages matched by name with their
// frames and times added; Workers is the sum and Wall the longest, as for
// shards run side by side.
func (s *EvalState) Merge(b *EvalState) {
	s.Metrics.Merge(&b.Metrics)
	s.Stability.Merge(&b.Stability)
	switch {
	case b.Report == nil:
	case s.Report == nil:
		r := *b.Report
		r.Skipped = slices.Clone(r.Skipped)
		r.Stages = slices.Clone(r.Stages)
		s.Report = &r
	default:
		s.Report.Merge(b.Report)
	}
}

// Merge adds the report of another shard of the same run to r (see
// EvalState.Merge).
func (r *Report) Merge(b *Report) {
	r.Frames += b.Frames
	r.Skipped = append(r.Skipped, b.Skipped...)
	slices.SortStableFunc(r.Skipped, func(x, y Skip) int { return x.Position - y.Position })
	r.Workers += b.Workers
	r.Wall = max(r.Wall, b.Wall)
	for _, sb := range b.Stages {
		i := slices.IndexFunc(r.Stages, func(s Stage) bool { return s.Name == sb.Name })
		if i < 0 {
			r.Stages = append(r.Stages, Stage{Name: sb.Name})
			i = len(r.Stages) - 1
		}
		st := &r.Stages[i]
		st.Frames += sb.Frames
		st.Time += sb.Time
		st.Rate = 0
		if st.Time > 0 {
			st.Rate = float64(st.Frames) / st.Time.Seconds()
		}
	}
}

// ClearTimings zeroes what depends on the machine and on the split of the
// frames: wall time, workers, stage times and rates. Two reports of the
// same frames, by one process or merged from shards, are then equal.
func (r *Report) ClearTimings() {
	r.Wall, r.Workers = 0, 0
	for i := range r.Stages {
		r.Stages[i].Time, r.Stages[i].Rate = 0, 0
	}
}

// EvalShardFormat identifies an evaluation shard file.
const EvalShardFormat = "pcttrack eval shard 1"

// MethodInfo describes a method in output metadata.
type MethodInfo struct {
	Name   string `json:"name"`
	Seed   uint64 `json:"seed,omitempty"`
	Config string `json:"config,omitempty"`
}

// Infos returns the descriptions of ms.
func Infos(ms []Method) []MethodInfo {
	out := make([]MethodInfo, len(ms))
	for i, m := range ms {
		out[i] = MethodInfo{Name: m.Name, Seed: m.Seed, Config: m.Config}
	}
	return out
}

// EvalShard is the stored result of one shard of an evaluation (or of a
// whole one, Shard "0/1"): what was evaluated and the accumulated state.
// MergeEvalShards joins the K shards of one run.
type EvalShard struct {
	Format string `json:"format"` // EvalShardFormat
	Shard  string `json:"shard"`  // "k/K"
	// Files are the datasets evaluated, in order, and Frames the number of
	// frames selected from each over all shards (Concat.Counts).
	Files  []string `json:"files"`
	Frames []int    `json:"frames"`
	// Methods are the methods run; Options the graph and tracker options
	// (free text, e.g. JSON). Shards whose Files, Frames, Methods or
	// Options differ are of different runs.
	Methods []MethodInfo `json:"methods"`
	Options string       `json:"options,omitempty"`
	State   *EvalState   `json:"state"`
}

// WriteEvalShard writes s as JSON to path, atomically.
func WriteEvalShard(path string, s *EvalShard) error {
	c := *s
	c.Format = EvalShardFormat
	b, err := json.MarshalIndent(&c, "", " ")
	if err != nil {
		return fmt.Errorf("pipeline: eval shard %q: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n')); err != nil {
		return fmt.Errorf("pipeline: eval shard %q: %w", path, err)
	}
	return nil
}

// ReadEvalShard reads an evaluation shard file and checks that its shard
// processed exactly its share of the frames.
func ReadEvalShard(path string) (*EvalShard, shard.Shard, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, shard.Shard{}, fmt.Errorf("pipeline: %w", err)
	}
	var s EvalShard
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, shard.Shard{}, fmt.Errorf("pipeline: eval shard %q: %w", path, err)
	}
	if s.Format != EvalShardFormat {
		return nil, shard.Shard{}, fmt.Errorf("pipeline: %q is not an eval shard (format %q, want %q)", path, s.Format, EvalShardFormat)
	}
	sh, err := shard.ParseFixed(s.Shard)
	if err != nil {
		return nil, sh, fmt.Errorf("pipeline: eval shard %q: %w", path, err)
	}
	if s.State == nil || s.State.Report == nil || len(s.Files) != len(s.Frames) {
		return nil, sh, fmt.Errorf("pipeline: eval shard %q: incomplete (no state, no report, or %d files for %d frame counts)", path, len(s.Files), len(s.Frames))
	}
	want := 0
	for _, n := range s.Frames {
		want += sh.Len(n)
	}
	if got := s.State.Report.Frames + len(s.State.Report.Skipped); got != want {
		return nil, sh, fmt.Errorf("pipeline: eval shard %q (shard %s) holds %d frames, want %d", path, sh, got, want)
	}
	return &s, sh, nil
}

// MergeEvalShards reads the K shard files of one evaluation and merges
// them into the result of one process (Shard "0/1"). The files must be the
// shards 0/K … K−1/K, each once, of one run (the same files, frame counts,
// methods and options); anything else is an error naming the shard at
// fault.
func MergeEvalShards(paths []string) (*EvalShard, error) {
	if len(paths) == 0 {
		return nil, errors.New("pipeline: merge: no eval shards")
	}
	parts := make([]shard.Part, len(paths))
	shards := make([]*EvalShard, len(paths))
	for i, p := range paths {
		s, sh, err := ReadEvalShard(p)
		if err != nil {
			return nil, err
		}
		shards[i], parts[i] = s, shard.Part{Shard: sh, Name: fmt.Sprintf("%q", p)}
		if i > 0 {
			if err := sameEvalRun(shards[0], s); err != nil {
				return nil, fmt.Errorf("pipeline: merge: %s (shard %s) is not of the run of %s (shard %s): %w",
					parts[i].Name, sh, parts[0].Name, parts[0].Shard, err)
			}
		}
	}
	if _, err := shard.Complete(parts); err != nil {
		return nil, fmt.Errorf("pipeline: merge: %w", err)
	}
	out := *shards[0]
	out.Shard = shard.Shard{}.String()
	out.State = new(EvalState)
	for _, s := range shards {
		out.State.Merge(s.State)
	}
	return &out, nil
}

func sameEvalRun(a, b *EvalShard) error {
	switch {
	case !slices.Equal(a.Files, b.Files):
		return fmt.Errorf("datasets differ (%q, %q)", a.Files, b.Files)
	case !slices.Equal(a.Frames, b.Frames):
		return fmt.Errorf("frame counts differ (%v, %v)", a.Frames, b.Frames)
	case !slices.Equal(a.Methods, b.Methods):
		return fmt.Errorf("methods differ (%v, %v)", a.Methods, b.Methods)
	case a.Options != b.Options:
		return fmt.Errorf("options differ (%s, %s)", a.Options, b.Options)
	}
	return nil
}

// HoldsEvalShard reports whether path already holds the result of shard
// want.Shard of the run want describes (Files, Frames, Methods, Options),
// and returns it: a requeued array task keeps it. A missing file is
// (nil, nil); a file of another run or shard is an error saying which.
func HoldsEvalShard(path string, want *EvalShard) (*EvalShard, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	got, sh, err := ReadEvalShard(path)
	if err != nil {
		return nil, err
	}
	if w, err := shard.ParseFixed(want.Shard); err != nil || w != sh {
		return nil, fmt.Errorf("pipeline: %q holds shard %s, not %s", path, sh, want.Shard)
	}
	if err := sameEvalRun(got, want); err != nil {
		return nil, fmt.Errorf("pipeline: %q holds another run: %w", path, err)
	}
	return got, nil
}
