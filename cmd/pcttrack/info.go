package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/progress"
)

var infoJSON bool

// infoOutput is the --json document of `pcttrack info`.
type infoOutput struct {
	File          string          `json:"file"`
	FormatVersion int             `json:"format_version"`
	Meta          dataset.Meta    `json:"meta"`
	Summary       dataset.Summary `json:"summary"`
	// MissingColumns are the optional columns the file lacks (written
	// before they existed).
	MissingColumns []string `json:"missing_columns,omitempty"`
}

var infoCmd = &cobra.Command{
	Use:   "info D.parquet",
	Short: "Summarise a dataset: frames, hits, primaries, depth, secondaries",
	Args:  cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		r, err := dataset.Open(args[0])
		if err != nil {
			return err
		}
		defer r.Close()
		bar := progress.New(os.Stderr, int64(r.NumFrames()), "info")
		s, err := dataset.SummarizeReader(cmd.Context(), r, func() { bar.Add(1) })
		bar.Finish()
		if err != nil {
			return err
		}
		meta := r.Meta()
		out := cmd.OutOrStdout()
		if infoJSON {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(infoOutput{File: args[0], FormatVersion: meta.Version, Meta: meta, Summary: s, MissingColumns: r.Missing()})
		}
		fmt.Fprintf(out, "file\t%s\nsource\t%s\ngeometry\t%s\nseed\t%d\n", args[0], meta.Source, meta.Geometry, meta.Seed)
		if meta.SimPhysics > 0 {
			fmt.Fprintf(out, "physics\tsimulator physics version %d\n", meta.SimPhysics)
		}
		if meta.Shard != "" {
			fmt.Fprintf(out, "shard\t%s of a %d-frame run\n", meta.Shard, meta.Frames)
		}
		if m := r.Missing(); m != nil {
			fmt.Fprintf(out, "missing columns\t%s (written before they existed)\n", strings.Join(m, ", "))
		}
		return s.WriteText(out)
	},
}

func init() {
	infoCmd.Flags().BoolVar(&infoJSON, "json", false, "print machine-readable JSON")
	rootCmd.AddCommand(infoCmd)
}
