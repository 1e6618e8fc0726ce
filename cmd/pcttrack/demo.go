package main

import (
	"cmp"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/demo"
)

func newDemoCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "demo [--out DIR] [--quick]",
		Short: "Simulate, train PTT and PAT, compare them with the baselines and write a report (under a minute)",
		Long: "The whole method on embedded defaults: simulates test data behind 100 mm of water at 50, 100 and\n" +
			"150 protons per frame, trains the paper's line-graph network on sparse graphs two-step (PTT, config\n" +
			"small-ptt-sparse) and end to end through the assignment solver (PAT, small-pat-sparse), evaluates\n" +
			"both and the shipped model (method model) against the track follower, the physics LSAP tracker\n" +
			"and the truth upper bound, then scans the CTP404-like phantom and reconstructs its RSP slice from\n" +
			"truth pairing and from the tracks of truth pairing and the shipped model, and writes a folder with\n" +
			"the datasets, the training runs, eval.txt/eval.json and REPORT.md with its figures (curves.png,\n" +
			"versus_protons.png, event.png, the CT images). The folder is --out, or pcttrack-demo-DATE-TIME in the working\n" +
			"directory. --quick runs a smoke test in seconds (too small for meaningful figures).",
		Args: cobra.NoArgs,
	}, bindDemo, runDemo)
}

// bindDemo registers the flags of `pcttrack demo` on fl.
func bindDemo(opt *demo.Options, fl *pflag.FlagSet) {
	fl.StringVar(&opt.Out, "out", "", "output directory (default pcttrack-demo-DATE-TIME)")
	fl.BoolVar(&opt.Quick, "quick", false, "a few frames per dataset and 30 training steps only")
	fl.IntVar(&opt.Workers, "workers", 0, "parallel workers (0 = all cores)")
	fl.Uint64Var(&opt.Seed, "seed", 1, "simulation seed of the test data")
	fl.StringSliceVar(&opt.Train, "train", demo.DefaultTrain, "training configs of the learned trackers (file or embedded name); \"\" for none")
}

func runDemo(cmd *cobra.Command, _ []string, opt *demo.Options) error {
	if err := checkBounds("demo", atLeast("workers", opt.Workers, 0)); err != nil {
		return err
	}
	opt.Out = cmp.Or(opt.Out, "pcttrack-demo-"+time.Now().Format("20060102-150405"))
	opt.Progress = cmd.ErrOrStderr()
	s, err := demo.Run(cmd.Context(), cmd.OutOrStdout(), opt, nil)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "report: %s\n", s.Report)
	return err
}

func init() {
	rootCmd.AddCommand(newDemoCmd())
}
