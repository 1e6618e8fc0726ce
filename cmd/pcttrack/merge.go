package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/progress"
)

var mergeOut string

var mergeCmd = &cobra.Command{
	Use:   "merge IN.parquet... --out OUT.parquet",
	Short: "Merge shard datasets (--shard k/K runs) into one, ordered by frame",
	Long: "Checks that the inputs come from one run (source, geometry, seed, config, frame count) and\n" +
		"that no frame appears twice; the output is byte-identical to a one-machine run.",
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		var total int64
		for _, p := range args {
			r, err := dataset.Open(p)
			if err != nil {
				return err
			}
			total += int64(r.NumFrames())
			r.Close()
		}
		bar := progress.New(os.Stderr, total, "merge")
		rep, err := dataset.Merge(cmd.Context(), mergeOut, args, func() { bar.Add(1) })
		bar.Finish()
		if err != nil {
			return err
		}
		if len(rep.Missing) > 0 {
			slog.Warn("frames missing from every input", "count", len(rep.Missing), "frames", dataset.FormatRanges(rep.Missing))
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d frames, %d hits from %d inputs; %d frames missing\n",
			mergeOut, rep.Frames, rep.Hits, rep.Inputs, len(rep.Missing))
		return nil
	},
}

func init() {
	mergeCmd.Flags().StringVar(&mergeOut, "out", "", "output dataset (.parquet), required")
	mergeCmd.MarkFlagRequired("out")
	rootCmd.AddCommand(mergeCmd)
}
