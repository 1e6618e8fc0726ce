package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/landscape"
	"github.com/pcttrack/pcttrack/zoo"
)

// zooFlags select the frames of the analysis commands (compare,
// landscape, connect).
type zooFlags struct {
	data    []string
	frames  int
	first   bool
	cacheMB int
	workers int
}

func (f *zooFlags) add(fl *pflag.FlagSet, frames int, what string) {
	fl.StringArrayVar(&f.data, "data", nil, "dataset file to take the frames from (repeatable; default: the models' training frames from their run config)")
	fl.IntVar(&f.frames, "frames", frames, "number of frames "+what+" (0 = all), spread evenly over the data unless --first")
	fl.BoolVar(&f.first, "first", false, "take the first --frames frames instead of an evenly spread subset")
	fl.IntVar(&f.cacheMB, "cache-mb", 2048, "memory budget (MB) for frames kept prepared; -1 keeps all")
	fl.IntVar(&f.workers, "workers", 0, "frames processed in parallel (0 = all cores)")
}

func (f *zooFlags) options(cmd string) (zoo.DataOptions, error) {
	if f.frames < 0 || f.workers < 0 {
		return zoo.DataOptions{}, fmt.Errorf("%s: --frames and --workers must be >= 0", cmd)
	}
	return zoo.DataOptions{Files: f.data, Frames: f.frames, First: f.first, CacheMB: f.cacheMB}, nil
}

func newCompareCmd() *cobra.Command {
	cmd := subcommand(&cobra.Command{
		Use:   "compare CKPT... --out DIR",
		Short: "Pairwise prediction instability of trained models: min-max disagreement and CKA",
		Long: "Compares every pair of the checkpoints (e.g. runs/*/seed-*/best.ckpt; each with the config.yaml of its run\n" +
			"beside it) on the same frames, by default the models' training frames, as the paper's instability study:\n" +
			"the min-max normalised disagreement of their edge assignments after the per-layer LSAP, networks in\n" +
			"evaluation mode, in two variants (LSAP on 1 − logit as the authors' code, on 1 − σ(logit) as the tracker),\n" +
			"and with --cka linear CKA (minibatch unbiased HSIC, minibatches of 1024 rows) per matching leaf layer of R1,\n" +
			"O and R2 on --cka-rows sampled rows per frame and module (--cka-full: the full cross-layer matrix per module,\n" +
			"whose mean is the authors' module score; about 9× slower). Writes DIR/compare.json, pairs.csv, groups.csv\n" +
			"(medians, means, ranges within each group and across groups: within λ, across λ, PTT↔PAT), tests.csv\n" +
			"(Welch t with permutation p-values for every pair of groups) and the pairwise matrices as heatmaps (PNG),\n" +
			"and prints the group tables.\n\n" +
			"--shard k/K computes only the pairs i with i mod K = k into DIR/compare-shard-k-of-K.json; `pcttrack\n" +
			"compare merge DIR/compare-shard-*.json --out DIR` joins them into exactly the one-process result.\n" +
			"Progress is saved every 30 s and on Ctrl-C; --resume continues.",
		Args: cobra.MinimumNArgs(1),
	}, (*compareFlags).bind, runCompare, "out")
	cmd.AddCommand(newCompareMergeCmd())
	return cmd
}

// evalFlags of the landscape commands: batch-norm mode and assignment.
type pathEvalFlags struct {
	bn, assign string
}

func (f *pathEvalFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.bn, "batchnorm", "batch", "batch-norm statistics: batch (per-frame, the paper's), running (interpolated along paths, the origin's on planes) or recompute (averaged over the frames at each point)")
	fl.StringVar(&f.assign, "assign", "paper", "per-layer assignment: paper (maximum cardinality, the authors' solver) or default")
}

// analysisOptions returns the data options of zf and the evaluation options
// of ef, the two flag groups every landscape command has.
func analysisOptions(cmd string, zf *zooFlags, ef *pathEvalFlags) (zoo.DataOptions, landscape.EvalOptions, error) {
	dopt, err := zf.options(cmd)
	if err != nil {
		return dopt, landscape.EvalOptions{}, err
	}
	eopt, err := ef.options(cmd)
	return dopt, eopt, err
}

func (f *pathEvalFlags) options(cmd string) (landscape.EvalOptions, error) {
	bn, err := landscape.ParseBNMode(f.bn)
	if err != nil {
		return landscape.EvalOptions{}, fmt.Errorf("%s: --batchnorm: %w", cmd, err)
	}
	asg, err := parseAssign(cmd, f.assign)
	if err != nil {
		return landscape.EvalOptions{}, err
	}
	return landscape.EvalOptions{BN: bn, Assign: asg}, nil
}
