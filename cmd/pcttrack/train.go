package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/configs"
	"github.com/pcttrack/pcttrack/internal/shard"
	"github.com/pcttrack/pcttrack/train"
)

// trainFlags are the flags of `pcttrack train`.
type trainFlags struct {
	config, out, seeds, shard string
	resume, printConfig       bool
	steps, cacheMB            int
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --config CONFIG --out DIR",
		Short: "Train a tracking model (PTT or PAT) and keep the best checkpoint",
		Long: "Trains the model of --config (a YAML file, or an embedded config: " + strings.Join(configs.Names(), ", ") + ")\n" +
			"for each seed of --seeds, one after another, into DIR/seed-S/: config.yaml (resolved), metrics.jsonl,\n" +
			"best.ckpt (best validation purity), last.ckpt (for --resume) and curves.png. The data (dataset files\n" +
			"or an inline simulation) are prepared once for all seeds. --shard k/K runs only the seeds at positions\n" +
			"i of --seeds with i mod K = k. Ctrl-C saves last.ckpt; --resume continues bit-identically from it\n" +
			"(seeds without one start fresh). Use --print-config to see a config with every default filled in.\n" +
			"Memory: the prepared-frame cache (data.cache_mb, --cache-mb) dominates; unless GOMEMLIMIT is set, the\n" +
			"Go memory limit is set to the cache size + 2 GiB.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runTrain(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "", "training config: YAML file or embedded config name (required)")
	fl.StringVar(&f.out, "out", "", "run directory; seed S trains into DIR/seed-S (required unless --print-config)")
	fl.StringVar(&f.seeds, "seeds", "", "model seeds: S, A..B (inclusive) or a comma list; default: the config's seed")
	fl.StringVar(&f.shard, "shard", "", "train only shard k/K of the seeds")
	fl.BoolVar(&f.resume, "resume", false, "continue the runs in DIR from their last.ckpt")
	fl.IntVar(&f.steps, "steps", 0, "override the config's number of steps")
	fl.IntVar(&f.cacheMB, "cache-mb", 0, "override the memory budget (MB) for prepared training frames; -1 keeps none")
	fl.BoolVar(&f.printConfig, "print-config", false, "print the resolved config as YAML and exit")
	cmd.MarkFlagRequired("config")
	return cmd
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	cfg, err := train.LoadConfig(f.config)
	if err != nil {
		return err
	}
	if f.steps < 0 {
		return fmt.Errorf("train: --steps must not be negative, not %d", f.steps)
	}
	if f.steps > 0 {
		cfg.Steps = f.steps
	}
	if f.cacheMB != 0 {
		cfg.Data.CacheMB = f.cacheMB
	}
	if f.printConfig {
		y, err := cfg.Marshal()
		if err != nil {
			return err
		}
		_, err = cmd.OutOrStdout().Write(y)
		return err
	}
	if f.out == "" {
		return errors.New("train: --out is required")
	}
	seeds := []uint64{cfg.Seed}
	if f.seeds != "" {
		if seeds, err = parseSeeds(f.seeds); err != nil {
			return err
		}
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return fmt.Errorf("train: --shard: %w", err)
	}
	var mine []uint64
	for i, s := range seeds {
		if sh.Owns(i) {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "shard %s owns none of the %d seeds\n", sh, len(seeds))
		return err
	}
	dirs := make([]string, len(mine))
	for i, s := range mine {
		dirs[i] = filepath.Join(f.out, "seed-"+strconv.FormatUint(s, 10))
		// fail before the (possibly long) data preparation
		if _, err := os.Stat(filepath.Join(dirs[i], train.FileLast)); err == nil && !f.resume {
			return fmt.Errorf("train: %s already holds a run (%s); pass --resume to continue it or choose another --out", dirs[i], train.FileLast)
		}
	}
	if os.Getenv("GOMEMLIMIT") == "" && cfg.Data.CacheMB > 0 {
		// With a large live cache the default GC target (twice the live
		// heap) would double the footprint: collect earlier instead.
		debug.SetMemoryLimit(int64(cfg.Data.CacheMB)<<20 + 2<<30)
	}
	ctx := cmd.Context()
	data, err := train.LoadData(ctx, cfg, cmd.ErrOrStderr())
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("train: interrupted while preparing the data: %w", err)
		}
		return err
	}
	st := data.Stats()
	fmt.Fprintf(cmd.ErrOrStderr(), "data: %d training frames (%d kept prepared, ~%.1f GB with validation; %d skipped), %d validation frames (%d skipped)\n",
		st.TrainFrames, st.Cached, float64(st.CachedBytes)/(1<<30), st.TrainSkipped, st.ValFrames, st.ValSkipped)
	for i, s := range mine {
		c := cfg
		c.Seed = s
		sum, err := train.Run(ctx, c, dirs[i], train.RunOptions{Resume: f.resume, Data: data, Progress: cmd.ErrOrStderr()})
		if err != nil {
			if !strings.Contains(err.Error(), dirs[i]) {
				err = fmt.Errorf("%w (%s)", err, dirs[i])
			}
			return err
		}
		for _, w := range sum.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "pcttrack: warning: %s (%s)\n", w, dirs[i])
		}
		if _, err := fmt.Fprintln(cmd.OutOrStdout(), sum); err != nil {
			return err
		}
	}
	return nil
}

// parseSeeds reads "S", "A..B" (inclusive) or "S1,S2,...".
func parseSeeds(s string) ([]uint64, error) {
	bad := func(err error) error {
		return fmt.Errorf("train: --seeds %q: want S, A..B or a comma list of non-negative integers: %w", s, err)
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

func init() {
	rootCmd.AddCommand(newTrainCmd())
}
