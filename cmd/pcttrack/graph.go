package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/progress"
)

var graphFlags struct {
	stats  bool
	json   bool
	frames int
	graphOptFlags
	maxPairAngle float64
	physicsCut   float64
}

// graphOutput is the --json document of `pcttrack graph --stats`.
type graphOutput struct {
	File         string             `json:"file"`
	Options      graph.Options      `json:"options"`
	MaxPairAngle float64            `json:"max_pair_angle,omitempty"`
	PhysicsCut   float64            `json:"physics_cut,omitempty"`
	Frames       []graph.FrameStats `json:"frames"`
	Skipped      []graphSkip        `json:"skipped,omitempty"`
	Summary      graph.Summary      `json:"summary"`
}

type graphSkip struct {
	Frame  int64  `json:"frame"`
	Reason string `json:"reason"`
}

var graphCmd = &cobra.Command{
	Use:   "graph D.parquet --stats",
	Short: "Build hit and line graphs of a dataset and print their sizes",
	Long: `graph builds the hit graph (segments between adjacent layers inside the
angular cones) and the line graph (pairs of consecutive segments) of every
frame and prints per frame: hits, candidate pairs, segments, line-graph edges
(both directions, as the paper counts them), the fraction of true primary
segments kept by the cones and of true consecutive pairs kept in the line
graph; then the mean ± sd over frames next to the paper's figures for the
same phantom and protons per frame, and the per-layer-pair matrix sizes.
Frames without hits or with a single layer are reported and skipped.`,
	Args: cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		f := &graphFlags
		if !f.stats {
			return errors.New("graph: nothing to do (use --stats)")
		}
		if f.frames < 0 {
			return fmt.Errorf("graph: --frames must be >= 0, not %d", f.frames)
		}
		opt, err := f.options("graph")
		if err != nil {
			return err
		}
		var lopt graph.LineOptions
		switch {
		case f.maxPairAngle > 0:
			lopt.Filter = graph.MaxAngle(f.maxPairAngle)
		case f.maxPairAngle < 0 || f.maxPairAngle != f.maxPairAngle:
			return fmt.Errorf("graph: --max-pair-angle must be >= 0, not %g", f.maxPairAngle)
		}
		if f.physicsCut < 0 || f.physicsCut != f.physicsCut || math.IsInf(f.physicsCut, 1) {
			return fmt.Errorf("graph: --physics-cut must be a number of sigmas >= 0, not %g", f.physicsCut)
		}
		if f.physicsCut > 0 && lopt.Filter != nil {
			return errors.New("graph: use either --max-pair-angle or --physics-cut")
		}
		r, err := dataset.Open(args[0])
		if err != nil {
			return err
		}
		defer r.Close()
		if f.physicsCut > 0 {
			name := r.Meta().Geometry
			name = cmp.Or(name, detector.PresetDTC)
			geom, err := detector.Resolve(name)
			if err != nil {
				return fmt.Errorf("graph: --physics-cut: geometry of %q: %w", args[0], err)
			}
			h, err := graph.HighlandFilter(geom, f.physicsCut)
			if err != nil {
				return err
			}
			lopt.Filter = h
		}
		c, err := graph.NewCollector(&opt, &lopt)
		if err != nil {
			return err
		}
		n := r.NumFrames()
		if f.frames > 0 {
			n = min(n, f.frames)
		}
		out := cmd.OutOrStdout()
		doc := graphOutput{File: args[0], Options: c.Options(), MaxPairAngle: f.maxPairAngle, PhysicsCut: f.physicsCut, Frames: []graph.FrameStats{}}
		table := graph.NewStatsTable(out)
		bar := progress.New(os.Stderr, int64(n), "graph")
		defer bar.Finish()
		var fr dataset.Frame
		for i := range n {
			if err := cmd.Context().Err(); err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			if err := r.ReadFrameInto(&fr, i); err != nil {
				return err
			}
			st, err := c.Add(&fr)
			switch {
			case errors.Is(err, graph.ErrEmptyFrame) || errors.Is(err, graph.ErrTooFewLayers):
				if f.json {
					doc.Skipped = append(doc.Skipped, graphSkip{fr.Meta.Frame, err.Error()})
				} else {
					table.Skip(fr.Meta.Frame, err)
				}
			case err != nil:
				return fmt.Errorf("%w (in %q)", err, args[0])
			case f.json:
				doc.Frames = append(doc.Frames, st)
			default:
				table.Row(&st)
			}
			bar.Add(1)
		}
		bar.Finish()
		doc.Summary = c.Summary()
		if f.json {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		}
		if err := table.Err(); err != nil {
			return err
		}
		fmt.Fprintln(out)
		return doc.Summary.WriteText(out)
	},
}

func init() {
	fl := graphCmd.Flags()
	f := &graphFlags
	fl.BoolVar(&f.stats, "stats", false, "print per-frame and aggregate graph statistics")
	fl.BoolVar(&f.json, "json", false, "print one JSON document (frames, skipped frames, summary)")
	fl.IntVar(&f.frames, "frames", 0, "use only the first N frames (0 = all)")
	f.graphOptFlags.add(fl)
	fl.Float64Var(&f.maxPairAngle, "max-pair-angle", 0, "drop line-graph pairs scattering by this angle or more, rad (0 = keep all)")
	fl.Float64Var(&f.physicsCut, "physics-cut", 0, "drop line-graph pairs scattering by more than `NSIGMA` Highland sigmas at their depth (0 = keep all)")
	rootCmd.AddCommand(graphCmd)
}
