package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pcttrack/pcttrack/shard"
)

// SeedDir returns the run directory of seed s under out: out/seed-S, the
// layout of `pcttrack train --seeds` (so runs/x/seed-*/best.ckpt globs
// every seed of a study).
func SeedDir(out string, seed uint64) string {
	return filepath.Join(out, "seed-"+strconv.FormatUint(seed, 10))
}

// ParseSeeds reads a seed list: "S", "A..B" (inclusive, at most 10000) or
// "S1,S2,..." without repeats.
func ParseSeeds(s string) ([]uint64, error) {
	bad := func(err error) error {
		return fmt.Errorf("train: seeds %q: want S, A..B or a comma list of non-negative integers: %w", s, err)
	}
	if a, b, ok := strings.Cut(s, ".."); ok {
		lo, err := strconv.ParseUint(strings.TrimSpace(a), 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		hi, err := strconv.ParseUint(strings.TrimSpace(b), 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		if hi < lo || hi-lo >= 10000 {
			return nil, bad(fmt.Errorf("range %d..%d is empty or too long", lo, hi))
		}
		var out []uint64
		for v := lo; v <= hi; v++ {
			out = append(out, v)
		}
		return out, nil
	}
	var out []uint64
	seen := map[uint64]bool{}
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(part), 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		if seen[v] {
			return nil, bad(fmt.Errorf("seed %d twice", v))
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

// SeedsOptions configures RunSeeds. The zero value trains every seed
// fresh, without progress output.
type SeedsOptions struct {
	// Shard selects the seeds at positions i with i mod Count = Index (a
	// job array over seeds); the zero value is all of them.
	Shard shard.Shard
	// Resume continues runs from their last.ckpt (see RunOptions.Resume).
	Resume bool
	// Progress receives the data preparation's and each run's progress.
	Progress io.Writer
	// Recorder, when not nil, makes a recorder for the run in dir (e.g. one
	// that draws its curves); it is called once per seed.
	Recorder func(dir string) Recorder
	// Done, when not nil, is called after each seed's run with its summary.
	Done func(Summary) error
}

// ErrNoSeeds is returned by RunSeeds when the shard owns none of the
// seeds.
var ErrNoSeeds = errors.New("train: the shard owns none of the seeds")

// RunSeeds trains cfg once per seed of seeds that opt.Shard owns, one
// after another, into SeedDir(out, seed), on data prepared once for all of
// them. It checks before preparing the data that no run directory already
// holds a run unless opt.Resume is set. It returns the summaries of the
// runs done and the first error (an *InterruptedError on cancellation).
func RunSeeds(ctx context.Context, cfg Config, out string, seeds []uint64, opt SeedsOptions) ([]Summary, error) {
	var mine []uint64
	for i, s := range seeds {
		if opt.Shard.Owns(i) {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return nil, ErrNoSeeds
	}
	for _, s := range mine {
		dir := SeedDir(out, s)
		if _, err := os.Stat(filepath.Join(dir, FileLast)); err == nil && !opt.Resume {
			return nil, fmt.Errorf("train: %s already holds a run (%s); pass --resume to continue it or choose another --out", dir, FileLast)
		}
	}
	data, err := LoadData(ctx, cfg, opt.Progress)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("train: interrupted while preparing the data: %w", err)
		}
		return nil, err
	}
	if opt.Progress != nil {
		st := data.Stats()
		fmt.Fprintf(opt.Progress, "data: %d training frames (%d kept prepared, ~%.1f GB with validation; %d skipped), %d validation frames (%d skipped)\n",
			st.TrainFrames, st.Cached, float64(st.CachedBytes)/(1<<30), st.TrainSkipped, st.ValFrames, st.ValSkipped)
	}
	var sums []Summary
	for _, s := range mine {
		c := cfg
		c.Seed = s
		dir := SeedDir(out, s)
		ro := RunOptions{Resume: opt.Resume, Data: data, Progress: opt.Progress}
		if opt.Recorder != nil {
			ro.Recorder = opt.Recorder(dir)
		}
		sum, err := Run(ctx, c, dir, ro)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				err = fmt.Errorf("%w (%s)", err, dir)
			}
			return sums, err
		}
		sums = append(sums, sum)
		if opt.Done != nil {
			if err := opt.Done(sum); err != nil {
				return sums, err
			}
		}
	}
	return sums, nil
}
