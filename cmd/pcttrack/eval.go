package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/track"
)

// evalFlags are the flags of `pcttrack eval`.
type evalFlags struct {
	methods       string
	models        []string
	json          bool
	paper         bool
	frames        int
	workers       int
	kinkCut       float64
	stabilityPlot string
	graph         graphOptFlags
}

// evalOutput is the --json document of `pcttrack eval`.
type evalOutput struct {
	Files      []string             `json:"files"`
	Methods    []evalMethod         `json:"methods"`
	Evaluation *pipeline.Evaluation `json:"evaluation"`
}

type evalMethod struct {
	Name   string `json:"name"`
	Seed   uint64 `json:"seed,omitempty"`
	Config string `json:"config,omitempty"`
}

func newEvalCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval D.parquet... [--method follower,physics,truth] [--model [NAME=]CKPT...]",
		Short: "Track datasets with several methods and print the paper's metrics table",
		Long: "Builds the hit graph of every frame (the paper's cuts, or the graph flags' ones), runs each method\n" +
			"on it and prints purity, efficiency, segment TPR/FPR, double-majority efficiency and fake rate in\n" +
			"percent as mean ± sd over frames, grouped by method, phantom and protons per frame, then the frames per second of each\n" +
			"stage (graph building, each tracker, metrics). Several datasets are evaluated together.\n\n" +
			"Methods: " + strings.Join(baseline.Names(), ", ") + " (truth: assignment on the Monte-Carlo\n" +
			"truth, the upper bound of an assignment tracker). --model adds the learned tracker of a checkpoint;\n" +
			"repeat it (or use a shell glob such as runs/x/seed-*/best.ckpt) for several training seeds, which\n" +
			"are then reported as mean ± sd over the seeds as in the paper's tables. NAME=CKPT names the\n" +
			"method (default \"model\"); checkpoints sharing a name are seeds of one method. --method none\n" +
			"evaluates only the models. Frames without hits or with one layer are skipped and reported.\n\n" +
			"With several seeds of a method, eval also compares their final assignments frame by frame and\n" +
			"prints the share of candidate segments (and of selected ones) that two seeds assign differently;\n" +
			"--stability-plot draws it as a bar chart.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runEval(cmd, args, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.methods, "method", "follower,physics", "comma-separated built-in methods, or none")
	fl.StringArrayVar(&f.models, "model", nil, "checkpoint of a learned tracker, [NAME=]PATH (repeatable)")
	fl.BoolVar(&f.json, "json", false, "print one JSON document instead of the tables")
	fl.BoolVar(&f.paper, "paper", false, "learned trackers solve each layer pair like the paper (maximum cardinality, no unmatched hits)")
	fl.IntVar(&f.frames, "frames", 0, "use only the first N frames of each dataset (0 = all)")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
	fl.Float64Var(&f.kinkCut, "kink-cut", 0, fmt.Sprintf("drop tracks that turn by this many rad or more between two segments before counting, as the RL tracker's metric (%g); 0 = none, the paper's", metrics.RLTrackerKinkCut))
	f.graph.add(fl)
	fl.StringVar(&f.stabilityPlot, "stability-plot", "", "draw the seed stability (share of candidate segments assigned differently by two seeds) to this .png or .svg")
	return cmd
}

// openSources opens the datasets; the caller closes them with closeAll.
func openSources(paths []string) (pipeline.Concat, []*dataset.Reader, error) {
	var src pipeline.Concat
	var rs []*dataset.Reader
	for _, p := range paths {
		r, err := dataset.Open(p)
		if err != nil {
			closeAll(rs)
			return nil, nil, err
		}
		rs = append(rs, r)
		src = append(src, r)
	}
	return src, rs, nil
}

func closeAll(rs []*dataset.Reader) {
	for _, r := range rs {
		r.Close()
	}
}

func runEval(cmd *cobra.Command, args []string, f *evalFlags) error {
	if f.frames < 0 {
		return fmt.Errorf("eval: --frames must be >= 0, not %d", f.frames)
	}
	if f.workers < 0 {
		return fmt.Errorf("eval: --workers must be >= 0, not %d", f.workers)
	}
	gopt, err := f.graph.options("eval")
	if err != nil {
		return err
	}
	if f.stabilityPlot != "" {
		if _, err := plot.FormatOf(f.stabilityPlot); err != nil {
			return fmt.Errorf("eval: --stability-plot: %w", err)
		}
	}
	ms, err := pipeline.Select(f.methods, f.models, modelOptions(f.paper))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if f.stabilityPlot != "" && len(pipeline.SeedPairs(ms)) == 0 {
		return errors.New("eval: --stability-plot needs a method with two or more seeds (repeat --model NAME=CKPT)")
	}
	src, rs, err := openSources(args)
	if err != nil {
		return err
	}
	defer closeAll(rs)
	pos := src.FirstN(f.frames)
	bar := progress.New(cmd.ErrOrStderr(), int64(len(pos)), "eval")
	if !(f.kinkCut >= 0) || math.IsInf(f.kinkCut, 0) {
		return fmt.Errorf("eval: --kink-cut must be a non-negative angle in rad, not %v", f.kinkCut)
	}
	ev, err := pipeline.Evaluate(cmd.Context(), src, &pipeline.Options{Graph: &gopt, Methods: ms, Workers: f.workers, Frames: pos,
		Metrics:  metrics.Options{MaxKinkAngle: f.kinkCut},
		Progress: func() { bar.Add(1) }})
	bar.Finish()
	if err != nil {
		return err
	}
	if f.stabilityPlot != "" {
		bars := stabilityBars(ev.Stability)
		groups := map[string]bool{}
		for _, b := range bars {
			groups[b.Group] = true
		}
		// values above more than a few bars per method overlap
		opt := &plot.StabilityOptions{YLabel: "assigned differently by two seeds (% of candidate segments)", NoValues: len(groups) > 3}
		if err := plot.Stability(f.stabilityPlot, bars, opt); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if f.json {
		doc := evalOutput{Files: args, Evaluation: ev}
		for _, m := range ms {
			doc.Methods = append(doc.Methods, evalMethod{Name: m.Name, Seed: m.Seed, Config: m.Config})
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return ev.WriteText(out)
}

// stabilityBars turns the seed stability into bars: one per method, grouped
// by what varies among the groups (phantom, protons per frame).
func stabilityBars(groups []metrics.StabilityGroup) []plot.Bar {
	phantoms, protons := map[string]bool{}, map[int]bool{}
	for _, g := range groups {
		phantoms[g.Key.Phantom], protons[g.Key.ProtonsPerFrame] = true, true
	}
	bars := make([]plot.Bar, len(groups))
	for i, g := range groups {
		var parts []string
		if len(phantoms) > 1 {
			parts = append(parts, g.Key.Phantom)
		}
		if len(protons) > 1 {
			parts = append(parts, fmt.Sprintf("%d p/frame", g.Key.ProtonsPerFrame))
		}
		bars[i] = plot.Bar{Label: g.Key.Method, Group: strings.Join(parts, ", "), Value: g.OfEdges.Mean, SD: g.OfEdges.SD}
	}
	return bars
}

// modelOptions are the learned trackers' options for the --paper flag.
func modelOptions(paper bool) *learned.Options {
	return &learned.Options{Assign: track.Options{Paper: paper}}
}

func init() {
	rootCmd.AddCommand(newEvalCmd())
}
