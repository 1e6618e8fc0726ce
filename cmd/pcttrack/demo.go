package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/demo"
)

func newDemoCmd() *cobra.Command {
	var opt demo.Options
	cmd := &cobra.Command{
		Use:   "demo [--out DIR] [--quick]",
		Short: "Simulate small datasets and compare the trackers on them (under a minute)",
		Long: "Simulates 100 mm of water with 50, 100 and 150 protons per frame, evaluates the baseline\n" +
			"trackers and the truth upper bound on them and prints the paper's metrics table and the\n" +
			"throughput of each stage. Datasets stay in memory unless --out names a directory, which then\n" +
			"receives the datasets (*.parquet) and the evaluation (eval.txt, eval.json).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opt.Workers < 0 {
				return fmt.Errorf("demo: --workers must be >= 0, not %d", opt.Workers)
			}
			_, err := demo.Run(cmd.Context(), cmd.OutOrStdout(), &opt, nil)
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opt.Out, "out", "", "directory for the datasets and results (default: keep in memory)")
	fl.BoolVar(&opt.Quick, "quick", false, "a few frames per dataset only")
	fl.IntVar(&opt.Workers, "workers", 0, "parallel workers (0 = all cores)")
	fl.Uint64Var(&opt.Seed, "seed", 1, "simulation seed")
	return cmd
}

func init() {
	rootCmd.AddCommand(newDemoCmd())
}
