package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/progress"
)

// graphCmdFlags are the flags of `pcttrack graph`.
type graphCmdFlags struct {
	stats   bool
	json    bool
	summary bool
	frames  int
	graphOptFlags
	maxPairAngle float64
}

// graphOutput is the --json document of `pcttrack graph --stats` for one
// file (an array of them for several files).
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

func newGraphCmd() *cobra.Command {
	f := &graphCmdFlags{}
	cmd := &cobra.Command{
		Use:   "graph D.parquet... --stats",
		Short: "Build hit and line graphs of datasets and print their sizes and what the cuts lose",
		Long: `graph builds the hit graph (segments between adjacent layers inside the
angular cones, optionally pruned by --tracker-cut) and the line graph (pairs
of consecutive segments, optionally cut by --physics-cut or --max-pair-angle)
of every frame and prints per frame: hits, candidate pairs, segments,
line-graph edges (both directions, as the paper counts them), the fraction of
true primary segments kept by the cuts and of true consecutive pairs kept in
the line graph; then the mean ± sd over frames next to the paper's figures
for the same phantom and protons per frame, the share of true primary
segments and pairs each cut loses, the graph sizes with and without the cuts,
and the per-layer-pair matrix sizes. With several datasets (e.g. one per
protons per frame) it ends with one line per dataset. --summary leaves out
the per-frame lines. Frames without hits or with a single layer are reported
and skipped.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !f.stats {
				return errors.New("graph: nothing to do (use --stats)")
			}
			if err := checkBounds("graph", atLeast("frames", f.frames, 0)); err != nil {
				return err
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
			if opt.PhysicsCut > 0 && lopt.Filter != nil {
				return errors.New("graph: use either --max-pair-angle or --physics-cut")
			}
			out := cmd.OutOrStdout()
			var docs []graphOutput
			for _, path := range args {
				doc, err := graphStats(cmd, f, path, len(args) > 1, &opt, &lopt)
				if err != nil {
					return err
				}
				docs = append(docs, doc)
			}
			if f.json {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if len(docs) == 1 {
					return enc.Encode(docs[0])
				}
				return enc.Encode(docs)
			}
			if len(docs) > 1 {
				return writeCutTable(out, docs)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.stats, "stats", false, "print per-frame and aggregate graph statistics")
	fl.BoolVar(&f.json, "json", false, "print one JSON document (frames, skipped frames, summary; an array for several files)")
	fl.BoolVar(&f.summary, "summary", false, "leave out the per-frame lines")
	fl.IntVar(&f.frames, "frames", 0, "use only the first N frames of each file (0 = all)")
	f.graphOptFlags.add(fl)
	fl.Float64Var(&f.maxPairAngle, "max-pair-angle", 0, "drop line-graph pairs scattering by this angle or more, rad (0 = keep all)")
	return cmd
}

// graphStats collects the statistics of one dataset, printing them unless
// --json.
func graphStats(cmd *cobra.Command, f *graphCmdFlags, path string, several bool, opt *graph.Options, lopt *graph.LineOptions) (graphOutput, error) {
	r, err := dataset.Open(path)
	if err != nil {
		return graphOutput{}, err
	}
	defer r.Close()
	c, err := graph.NewCollector(opt, lopt)
	if err != nil {
		return graphOutput{}, err
	}
	n := r.NumFrames()
	if f.frames > 0 {
		n = min(n, f.frames)
	}
	out := cmd.OutOrStdout()
	doc := graphOutput{File: path, Options: c.Options(), MaxPairAngle: f.maxPairAngle, PhysicsCut: opt.PhysicsCut, Frames: []graph.FrameStats{}}
	text := !f.json
	if text && several {
		fmt.Fprintf(out, "== %s\n", path)
	}
	table := graph.NewStatsTable(out)
	bar := progress.New(os.Stderr, int64(n), "graph")
	defer bar.Finish()
	var fr dataset.Frame
	for i := range n {
		if err := cmd.Context().Err(); err != nil {
			return doc, fmt.Errorf("graph: %w", err)
		}
		if err := r.ReadFrameInto(&fr, i); err != nil {
			return doc, err
		}
		st, err := c.Add(&fr)
		switch {
		case errors.Is(err, graph.ErrEmptyFrame) || errors.Is(err, graph.ErrTooFewLayers):
			if !text {
				doc.Skipped = append(doc.Skipped, graphSkip{fr.Meta.Frame, err.Error()})
			} else if !f.summary {
				table.Skip(fr.Meta.Frame, err)
			}
		case err != nil:
			return doc, fmt.Errorf("%w (in %q)", err, path)
		case !text:
			doc.Frames = append(doc.Frames, st)
		case !f.summary:
			table.Row(&st)
		}
		bar.Add(1)
	}
	bar.Finish()
	doc.Summary = c.Summary()
	if !text {
		return doc, nil
	}
	if err := table.Err(); err != nil {
		return doc, err
	}
	if !f.summary {
		fmt.Fprintln(out)
	}
	return doc, doc.Summary.WriteText(out)
}

// writeCutTable prints one line per dataset: sizes with and without the
// cuts and the true primary segments and pairs each cut loses.
func writeCutTable(w io.Writer, docs []graphOutput) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\np+/frame\thits\tsegments cone\tkept\tG_L edges cone\tkept\tsegs lost: cone %\ttracker cut %\tisolated %\tkept %\tpairs lost: cone %\ttracker cut %\tline cut %\tkept %\tfile\t")
	for _, d := range docs {
		s := &d.Summary
		c := &s.Cuts
		l := c.Lost()
		fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.3f\t%.3f\t%.3f\t%.2f\t%.3f\t%.3f\t%.3f\t%.2f\t%s\t\n", s.ProtonsPerFrame, s.Hits.Mean,
			c.ConeSegments.Mean, s.Segments.Mean, c.ConeLineEdges.Mean, s.LineEdges.Mean,
			100*l.SegCone, 100*l.SegTracker, 100*l.SegIsolated, 100*l.SegKept, 100*l.PairCone, 100*l.PairTracker, 100*l.PairLine, 100*l.PairKept, d.File)
	}
	return tw.Flush()
}

func init() {
	rootCmd.AddCommand(newGraphCmd())
}
