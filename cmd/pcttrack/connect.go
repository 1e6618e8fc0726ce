package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/landscape"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/zoo"
)

func newConnectCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "connect A.ckpt B.ckpt --out DIR",
		Short: "Mode connectivity: fit Bézier curves between two models and compare them with the linear path",
		Long: "Trains the middle point of a quadratic Bézier curve between the two models, as the authors do: RMSprop at\n" +
			"--lr 1e-3, --steps 1000 of --batch 8 frames (random training frames, one t ~ U(0,1) each), batch statistics, no\n" +
			"weight decay, the middle point starting at the midpoint; --loss hamming trains through the blackbox solver\n" +
			"(--lambda 10, the authors' value for every model), bce on the split BCE, both (default) fits one curve of\n" +
			"each. Then evaluates the linear path and each curve at --points values of t (51) on --frames frames (100,\n" +
			"spread evenly) as `landscape line` does, and writes DIR/connect.json, connect.csv, connect.png (losses and\n" +
			"TPR along t) and the middle points curve-hamming.ckpt, curve-bce.ckpt. Each stage keeps its state: Ctrl-C and\n" +
			"--resume continue where it stopped. `pcttrack connect table DIR...` tabulates many pairs in the paper's layout.",
		Args: cobra.ExactArgs(2),
	}, (*connectFlags).bind, runConnect, "out")
}

// connectFlags are the flags of `pcttrack connect`.
type connectFlags struct {
	zoo        zooFlags
	eval       pathEvalFlags
	out, loss  string
	points     int
	steps      int
	batch      int
	lr, lambda float64
	seed       uint64
	fitCacheMB int
	resume     bool
}

// bind registers the flags on fl.
func (f *connectFlags) bind(fl *pflag.FlagSet) {
	f.zoo.add(fl, 100, "the paths are evaluated on")
	f.eval.add(fl)
	fl.StringVar(&f.out, "out", "", "output directory (required)")
	fl.StringVar(&f.loss, "loss", "both", "curve loss: hamming, bce or both")
	fl.IntVar(&f.points, "points", 51, "values of t in [0, 1] evaluated")
	fl.IntVar(&f.steps, "steps", landscape.DefaultFitSteps, "optimiser steps of each fit")
	fl.IntVar(&f.batch, "batch", landscape.DefaultFitBatch, "frames per step")
	fl.Float64Var(&f.lr, "lr", landscape.DefaultFitLR, "RMSprop learning rate")
	fl.Float64Var(&f.lambda, "lambda", landscape.DefaultFitLambda, "blackbox λ of the Hamming curve")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the frames and t drawn by the fit")
	fl.IntVar(&f.fitCacheMB, "fit-cache-mb", 2048, "memory budget (MB) for training frames kept prepared during the fit; -1 keeps all")
	fl.BoolVar(&f.resume, "resume", false, "continue an interrupted run in DIR")
}

func runConnect(cmd *cobra.Command, args []string, f *connectFlags) error {
	dopt, eopt, err := analysisOptions("connect", &f.zoo, &f.eval)
	if err != nil {
		return err
	}
	var losses []string
	switch strings.ToLower(f.loss) {
	case "both":
		losses = []string{landscape.LossHamming, landscape.LossBCE}
	case landscape.LossHamming, landscape.LossBCE:
		losses = []string{strings.ToLower(f.loss)}
	default:
		return fmt.Errorf("connect: --loss %q: want hamming, bce or both", f.loss)
	}
	if err := checkBounds("connect", atLeast("points", f.points, 2), atLeast("steps", f.steps, 1), atLeast("batch", f.batch, 1),
		positive("lr", f.lr), positive("lambda", f.lambda)); err != nil {
		return err
	}
	ms, err := zoo.Load(args, 2, true)
	if err != nil {
		return err
	}
	if err := prepareOut("connect", f.out); err != nil {
		return err
	}
	final := filepath.Join(f.out, "connect.json")
	if _, err := os.Stat(final); err == nil && !f.resume {
		return fmt.Errorf("connect: %s exists: use another directory, or --resume to reuse its finished stages", final)
	}
	a, b := byPath(ms, args[0]), byPath(ms, args[1])
	pa, pb := pointOf(a), pointOf(b)
	ed, err := zoo.LoadData(cmd.Context(), ms, dopt, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	fd, err := zoo.LoadData(cmd.Context(), ms, zoo.DataOptions{CacheMB: f.fitCacheMB}, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	ts := landscape.Ts(f.points)
	eopt.Workers, eopt.Progress, eopt.Resume = f.zoo.workers, cmd.ErrOrStderr(), f.resume
	c := &landscape.Connection{Ends: [2]landscape.Endpoint{endpoint(a), endpoint(b)}, Frames: ed.Source, BN: eopt.BN}
	// Each stage's result is kept in DIR/.stage-NAME.json, so --resume
	// skips finished stages.
	stage := func(name string, run func() ([]landscape.Metrics, error)) ([]landscape.Metrics, error) {
		p := filepath.Join(f.out, ".stage-"+name+".json")
		if f.resume {
			if sc, err := landscape.ReadConnection(p); err == nil && sc.Frames == c.Frames && sc.Ends == c.Ends {
				return sc.Linear, nil
			}
		}
		ms, err := run()
		if err != nil {
			return nil, err
		}
		tmp := *c
		tmp.Linear, tmp.Curves = ms, nil
		return ms, tmp.WriteJSON(p)
	}
	eval := func(name string, pts []landscape.Point) func() ([]landscape.Metrics, error) {
		return func() ([]landscape.Metrics, error) {
			o := eopt
			o.State, o.Desc = filepath.Join(f.out, ".eval-"+name+".state.json"), "evaluate "+name
			return landscape.EvalPath(cmd.Context(), a.Net, pts, ts, ed, o)
		}
	}
	interrupted := func(err error) error {
		if cmd.Context().Err() != nil {
			fmt.Fprintln(cmd.ErrOrStderr(), "pcttrack: connect interrupted; --resume continues")
		}
		return err
	}
	if c.Linear, err = stage("linear", eval("linear", landscape.Linear(pa, pb, ts))); err != nil {
		return interrupted(err)
	}
	for _, loss := range losses {
		ck := filepath.Join(f.out, "curve-"+loss+".ckpt")
		fitOpt := landscape.FitOptions{Loss: loss, Lambda: f.lambda, Steps: f.steps, Batch: f.batch, LR: f.lr, Seed: f.seed,
			Assign: eopt.Assign, Progress: cmd.ErrOrStderr(), Resumable: zoo.Resumable{State: filepath.Join(f.out, ".fit-"+loss+".ckpt"), Resume: f.resume}}
		res, err := landscape.Fit(cmd.Context(), a.Net, pa, pb, fd, fitOpt)
		if err != nil {
			return interrupted(err)
		}
		if err := model.Save(ck, res.Net, nil, map[string]string{"curve": loss, "a": a.Path, "b": b.Path}); err != nil {
			return err
		}
		pts, err := stage("curve-"+loss, eval("curve-"+loss, landscape.Bezier(pa, res.Mid, pb, ts)))
		if err != nil {
			return interrupted(err)
		}
		c.Curves = append(c.Curves, landscape.Curve{Loss: loss, Checkpoint: ck, Losses: res.Losses, Points: pts})
	}
	files, err := writePaths(f.out, "connect", c)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "%s → %s on %d frames (of %s), batch norm %s\n", a.Name, b.Name, ed.Len(), ed.Source, eopt.BN)
	if err := landscape.WriteTable(w, landscape.Table([]*landscape.Connection{c}), false); err != nil {
		return err
	}
	return printWrote(w, files)
}

func newConnectTableCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "table DIR|connect.json...",
		Short: "Tabulate connect runs in the paper's layout",
		Long: "Reads the connect.json of each directory (or file) and prints, per method (pairs across methods as A↔B) and\n" +
			"path (linear, Bézier-Hamming, Bézier-BCE), the min / max / mean over t of the split Hamming loss (×10⁻³)\n" +
			"and of the TPR (%, pooled over frames), each as mean ± sd (population) over the pairs, as the paper's\n" +
			"connectivity tables.",
		Args: cobra.MinimumNArgs(1),
	}, (*connectTableFlags).bind, runConnectTable)
}

// connectTableFlags are the flags of `pcttrack connect table`.
type connectTableFlags struct {
	markdown bool
	out      string
}

// bind registers the flags on fl.
func (f *connectTableFlags) bind(fl *pflag.FlagSet) {
	fl.BoolVar(&f.markdown, "markdown", false, "print a Markdown table")
	fl.StringVar(&f.out, "out", "", "also write the Markdown table to this file")
}

func runConnectTable(cmd *cobra.Command, args []string, f *connectTableFlags) error {
	var cs []*landscape.Connection
	for _, a := range args {
		p := a
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			p = filepath.Join(a, "connect.json")
		}
		c, err := landscape.ReadConnection(p)
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}
	rows := landscape.Table(cs)
	if f.out != "" {
		var b bytes.Buffer
		if err := landscape.WriteTable(&b, rows, true); err != nil {
			return err
		}
		if err := atomicfile.WriteFile(f.out, b.Bytes()); err != nil {
			return err
		}
	}
	return landscape.WriteTable(cmd.OutOrStdout(), rows, f.markdown)
}

func init() {
	cmd := newConnectCmd()
	cmd.AddCommand(newConnectTableCmd())
	rootCmd.AddCommand(cmd)
}
