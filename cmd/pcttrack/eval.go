package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/shard"
)

func newEvalCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "eval D.parquet... [--method model,follower,physics,truth] [--model [NAME=]CKPT...]",
		Short: "Track datasets with several methods and print the paper's metrics table",
		Long: "Builds the hit graph of every frame (the paper's cuts, or the graph flags' ones), runs each method\n" +
			"on it and prints purity, efficiency, segment TPR/FPR, double-majority efficiency and fake rate in\n" +
			"percent as mean ± sd over frames, grouped by method, phantom and protons per frame, then the frames per second of each\n" +
			"stage (graph building, each tracker, metrics). Several datasets are evaluated together.\n\n" +
			"Methods: " + strings.Join(pipeline.MethodNames(), ", ") + " (model: the learned tracker of the\n" +
			"embedded default model, see pcttrack models; truth: assignment on the Monte-Carlo truth, the upper\n" +
			"bound of an assignment tracker). --model adds the learned tracker of a checkpoint;\n" +
			"repeat it (or use a shell glob such as runs/x/seed-*/best.ckpt) for several training seeds, which\n" +
			"are then reported as mean ± sd over the seeds as in the paper's tables. NAME=CKPT names the\n" +
			"method (default \"learned\"); checkpoints sharing a name are seeds of one method. --method none\n" +
			"evaluates only the models. Frames without hits or with one layer are skipped and reported.\n\n" +
			"With several seeds of a method, eval also compares their final assignments frame by frame and\n" +
			"prints the share of candidate segments (and of selected ones) that two seeds assign differently;\n" +
			"--stability-plot draws it as a bar chart.\n\n" +
			"--shard k/K evaluates only the frames at positions i with i mod K = k of each dataset (of the first\n" +
			"--frames), for a Slurm array (--shard slurm) or a Kubernetes Indexed Job (--shard k8s/K); --out\n" +
			"then stores everything the tables need (every per-frame value, not rounded means) and\n" +
			"`pcttrack merge` of the K files prints exactly what one process prints.",
		Args: cobra.MinimumNArgs(1),
	}, (*evalFlags).bind, runEval)
}

// evalOutput is the --json document of `pcttrack eval` (and of `merge`
// of eval shards).
type evalOutput struct {
	Files      []string              `json:"files"`
	Methods    []pipeline.MethodInfo `json:"methods"`
	Evaluation *pipeline.Evaluation  `json:"evaluation"`
}

// writeEvalOutput prints the evaluation: the JSON document or the tables.
func writeEvalOutput(w io.Writer, asJSON bool, files []string, ms []pipeline.MethodInfo, ev *pipeline.Evaluation) error {
	if !asJSON {
		return ev.WriteText(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(evalOutput{Files: files, Methods: ms, Evaluation: ev})
}

// evalFlags are the flags of `pcttrack eval`.
type evalFlags struct {
	trackingFlags
	methods       string
	models        []string
	json          bool
	kinkCut       float64
	stabilityPlot string
	batchNorm     string
	shard, out    string
	resume        bool
}

// bind registers the flags on fl.
func (f *evalFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.methods, "method", "follower,physics", "comma-separated methods ("+strings.Join(pipeline.MethodNames(), ", ")+"), or none")
	fl.StringArrayVar(&f.models, "model", nil, "checkpoint of a learned tracker, [NAME=]PATH (repeatable)")
	fl.BoolVar(&f.json, "json", false, "print one JSON document instead of the tables")
	f.trackingFlags.add(fl, "use only the first N frames of each dataset (0 = all)")
	fl.Float64Var(&f.kinkCut, "kink-cut", 0, fmt.Sprintf("drop tracks that turn by this many rad or more between two segments before counting, as the RL tracker's metric (%g); 0 = none, the paper's", metrics.RLTrackerKinkCut))
	fl.StringVar(&f.batchNorm, "batchnorm", "running", "batch-norm statistics of the learned trackers: running (eval mode) or batch (per-frame, the paper's validation mode)")
	fl.StringVar(&f.shard, "shard", "", "evaluate only shard k/K of the frames (or slurm, slurm/K, k8s/K); needs --out")
	fl.StringVar(&f.out, "out", "", "also store the evaluation for `pcttrack merge` (.json); required with --shard")
	fl.BoolVar(&f.resume, "resume", false, "keep --out if it already holds this run's shard (a requeued array task) and print it; another run there is an error")
	fl.StringVar(&f.stabilityPlot, "stability-plot", "", "draw the seed stability (share of candidate segments assigned differently by two seeds) to this .png or .svg")
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
	gopt, aopt, mopt, err := f.trackingFlags.options("eval")
	if err != nil {
		return err
	}
	if f.stabilityPlot != "" {
		if _, err := plot.FormatOf(f.stabilityPlot); err != nil {
			return fmt.Errorf("eval: --stability-plot: %w", err)
		}
	}
	bn, err := model.ParseBNMode(f.batchNorm)
	if err != nil {
		return fmt.Errorf("eval: --batchnorm: %w", err)
	}
	mopt.BatchNorm = bn
	ms, err := pipeline.Select(f.methods, f.models, mopt)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if gopt, err = f.graph.forModels("eval", ms); err != nil {
		return err
	}
	if f.stabilityPlot != "" && len(pipeline.SeedPairs(ms)) == 0 {
		return errors.New("eval: --stability-plot needs a method with two or more seeds (repeat --model NAME=CKPT)")
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return fmt.Errorf("eval: --shard: %w", err)
	}
	if f.shard != "" && f.out == "" {
		return errors.New("eval: --shard needs --out (the shard's result, joined by `pcttrack merge`)")
	}
	if !sh.All() && f.stabilityPlot != "" {
		return errors.New("eval: --stability-plot needs every frame: draw it from an unsharded run")
	}
	if !(f.kinkCut >= 0) || math.IsInf(f.kinkCut, 0) {
		return fmt.Errorf("eval: --kink-cut must be a non-negative angle in rad, not %v", f.kinkCut)
	}
	opts, err := runOptions(gopt, aopt)
	if err != nil {
		return err
	}
	src, rs, err := openSources(args)
	if err != nil {
		return err
	}
	defer closeAll(rs)
	infos := pipeline.Infos(ms)
	es := &pipeline.EvalShard{Shard: sh.String(), Files: args, Frames: src.Counts(f.frames), Methods: infos, Options: opts}
	if f.resume {
		if f.out == "" {
			return errors.New("eval: --resume needs --out")
		}
		if es.State, err = resumeEval(f.out, es); err != nil {
			return err
		}
	}
	st := es.State
	if st == nil {
		pos := src.SelectShard(f.frames, sh)
		bar := progress.New(cmd.ErrOrStderr(), int64(len(pos)), "eval")
		st, err = pipeline.Accumulate(cmd.Context(), src, &pipeline.Options{Graph: &gopt, Methods: ms, Workers: f.workers, Frames: pos,
			Metrics: metrics.Options{MaxKinkAngle: f.kinkCut}, Progress: func() { bar.Add(1) }})
		bar.Finish()
		if err != nil {
			return err
		}
		if f.out != "" {
			es.State = st
			if err := pipeline.WriteEvalShard(f.out, es); err != nil {
				return err
			}
		}
	}
	ev := st.Evaluation()
	if f.stabilityPlot != "" {
		if err := drawStability(f.stabilityPlot, ev.Stability); err != nil {
			return err
		}
	}
	return writeEvalOutput(cmd.OutOrStdout(), f.json, args, infos, ev)
}

// resumeEval returns the state stored at path if it is shard es.Shard of
// the run es describes, nil if there is no file.
func resumeEval(path string, es *pipeline.EvalShard) (*pipeline.EvalState, error) {
	got, err := pipeline.HoldsEvalShard(path, es)
	if err != nil {
		return nil, fmt.Errorf("eval: --resume: %w", err)
	}
	if got == nil {
		return nil, nil
	}
	return got.State, nil
}

// drawStability draws the seed stability bar chart.
func drawStability(path string, groups []metrics.StabilityGroup) error {
	bars := stabilityBars(groups)
	seen := map[string]bool{}
	for _, b := range bars {
		seen[b.Group] = true
	}
	// values above more than a few bars per method overlap
	opt := &plot.StabilityOptions{YLabel: "assigned differently by two seeds (% of candidate segments)", NoValues: len(seen) > 3}
	return plot.Stability(path, bars, opt)
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

func init() {
	rootCmd.AddCommand(newEvalCmd())
}
