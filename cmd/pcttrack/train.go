package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/configs"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/train"
)

func newTrainCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "train --config CONFIG --out DIR",
		Short: "Train a tracking model (PTT or PAT) and keep the best checkpoint",
		Long: "Trains the model of --config (a YAML file, or an embedded config, listed below) for each seed of\n" +
			"--seeds, one after another, into DIR/seed-S/: config.yaml (resolved), metrics.jsonl,\n" +
			"best.ckpt (best validation purity), last.ckpt (for --resume) and curves.png. The data (dataset files\n" +
			"or an inline simulation) are prepared once for all seeds. --shard k/K runs only the seeds at positions\n" +
			"i of --seeds with i mod K = k. Ctrl-C saves last.ckpt; --resume continues bit-identically from it\n" +
			"(seeds without one start fresh). Use --print-config to see a config with every default filled in.\n" +
			"Memory: the prepared-frame cache (data.cache_mb, --cache-mb) dominates; unless GOMEMLIMIT is set, the\n" +
			"Go memory limit is set to the cache size + 2 GiB.\n\n" +
			"Embedded configs: " + strings.Join(configs.Names(), ", ") + ".",
		Args: cobra.NoArgs,
	}, (*trainFlags).bind, runTrain, "config")
}

// trainFlags are the flags of `pcttrack train`.
type trainFlags struct {
	config, out, seeds, shard string
	resume, printConfig       bool
	steps, cacheMB            int
}

// bind registers the flags on fl.
func (f *trainFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.config, "config", "", "training config: YAML file or embedded config name (required)")
	fl.StringVar(&f.out, "out", "", "run directory; seed S trains into DIR/seed-S (required unless --print-config)")
	fl.StringVar(&f.seeds, "seeds", "", "model seeds: S, A..B (inclusive) or a comma list; default: the config's seed")
	fl.StringVar(&f.shard, "shard", "", "train only shard k/K of the seeds")
	fl.BoolVar(&f.resume, "resume", false, "continue the runs in DIR from their last.ckpt")
	fl.IntVar(&f.steps, "steps", 0, "override the config's number of steps")
	fl.IntVar(&f.cacheMB, "cache-mb", 0, "override the memory budget (MB) for prepared training frames; -1 keeps none")
	fl.BoolVar(&f.printConfig, "print-config", false, "print the resolved config as YAML and exit")
}

func runTrain(cmd *cobra.Command, _ []string, f *trainFlags) error {
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
		if seeds, err = train.ParseSeeds(f.seeds); err != nil {
			return err
		}
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return fmt.Errorf("train: --shard: %w", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" && cfg.Data.CacheMB > 0 {
		// With a large live cache the default GC target (twice the live
		// heap) would double the footprint: collect earlier instead.
		debug.SetMemoryLimit(int64(cfg.Data.CacheMB)<<20 + 2<<30)
	}
	_, err = train.RunSeeds(cmd.Context(), cfg, f.out, seeds, train.SeedsOptions{
		Shard: sh, Resume: f.resume, Progress: cmd.ErrOrStderr(),
		Recorder: func(dir string) train.Recorder { return &curvesRecorder{dir: dir, warn: cmd.ErrOrStderr()} },
		Done: func(sum train.Summary) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), sum)
			return err
		},
	})
	if errors.Is(err, train.ErrNoSeeds) {
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "shard %s owns none of the %d seeds\n", sh, len(seeds))
	}
	return err
}

// fileCurves is the training-curves figure the train command keeps in each
// run directory.
const fileCurves = "curves.png"

// curvesRecorder redraws a run's curves.png from its metrics log after
// every validation. A failed plot must not end a long run: it is reported
// once and training goes on.
type curvesRecorder struct {
	dir    string
	warn   io.Writer
	warned bool
}

func (r *curvesRecorder) Step(*train.Trainer, train.StepResult) error { return nil }

func (r *curvesRecorder) Checkpoint(*train.Trainer, bool) error { return nil }

func (r *curvesRecorder) Validation(t *train.Trainer, _ train.Validation, _ bool) error {
	h, err := train.ReadHistory(r.dir)
	if err == nil {
		run := plot.TrainingRun{Loss: train.LossName(t.Config().Method)}
		run.Step, run.Value, run.ValStep, run.Purity, run.Efficiency = h.Columns()
		err = plot.Curves(filepath.Join(r.dir, fileCurves), plot.TrainingSeries([]plot.TrainingRun{run}),
			&plot.CurvesOptions{LogY: []string{"training loss (" + run.Loss + ")"}})
	}
	if err != nil && !r.warned {
		r.warned = true
		fmt.Fprintf(r.warn, "pcttrack: warning: %v (%s)\n", err, r.dir)
	}
	return nil
}

func init() {
	rootCmd.AddCommand(newTrainCmd())
}
