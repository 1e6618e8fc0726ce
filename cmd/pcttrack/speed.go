package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/speed"
	"github.com/pcttrack/pcttrack/track"
)

func newSpeedCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "speed [--method follower,physics,truth] [--model NAME=CKPT]... --out DIR",
		Short: "Time every tracker against protons per frame, full and sparse graphs: the performance table",
		Long: "For each number of protons per frame (--protons) simulates --frames fresh frames behind 100 mm of water\n" +
			"into DIR/data (reused by later runs) and times what `pcttrack eval --workers N` does on them — read, hit\n" +
			"graph, tracker, metrics — for every built-in --method on each of --graphs (full: the paper's; sparse:\n" +
			"tracker cut, physics cut at 4 σ, isolated segments dropped) and every learned tracker --model on the graph\n" +
			"its checkpoint records. The trackers run in turn, in --rounds interleaved rounds (medians reported), and\n" +
			"each throughput is also given relative to --reference in the same round, which cancels much of the\n" +
			"load of a shared machine. Writes DIR/speed.md (the table, with each tracker's cost per proton from 50 to\n" +
			"150 p+/frame and the load average), DIR/speed.json and DIR/speed.png (ms per frame and per proton), and\n" +
			"prints the table.",
		Args: cobra.NoArgs,
	}, (*speedFlags).bind, runSpeed, "out")
}

// speedFlags are the flags of `pcttrack speed`.
type speedFlags struct {
	methods, protons, graphs, out, ref, phantom string
	models                                      []string
	frames, workers, rounds                     int
	seed                                        uint64
	paper                                       bool
}

// bind registers the flags on fl.
func (f *speedFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.methods, "method", "follower,physics,truth", "comma-separated built-in methods, or none")
	fl.StringArrayVar(&f.models, "model", nil, "checkpoint of a learned tracker, [NAME=]PATH (repeatable)")
	fl.StringVar(&f.graphs, "graphs", "full,sparse", "graphs of the built-in methods: full, sparse or both")
	fl.StringVar(&f.protons, "protons", "10,25,50,100,150,200", "protons per frame, comma-separated")
	fl.IntVar(&f.frames, "frames", speed.DefaultFrames, "frames per protons value")
	fl.IntVar(&f.workers, "workers", speed.DefaultWorkers, "frame-loop workers, as eval --workers")
	fl.IntVar(&f.rounds, "rounds", 1, "interleaved rounds (the table reports medians)")
	fl.StringVar(&f.ref, "reference", "", "tracker the relative throughput refers to (default: the first)")
	fl.StringVar(&f.phantom, "phantom", speed.DefaultPhantom, "phantom of the test data")
	fl.Uint64Var(&f.seed, "seed", 1, "simulation seed of the test data")
	fl.BoolVar(&f.paper, "paper", false, "learned trackers solve each layer pair like the paper")
	fl.StringVar(&f.out, "out", "", "output directory (required)")
}

func runSpeed(cmd *cobra.Command, _ []string, f *speedFlags) error {
	var protons []int
	for _, s := range strings.Split(f.protons, ",") {
		p, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || p < 1 {
			return fmt.Errorf("speed: --protons: %q is not a positive number", s)
		}
		protons = append(protons, p)
	}
	if err := checkBounds("speed", atLeast("frames", f.frames, 1), atLeast("workers", f.workers, 1), atLeast("rounds", f.rounds, 1)); err != nil {
		return err
	}
	trs, err := speed.Select(f.methods, strings.Split(f.graphs, ","), f.models, &learned.Options{Assign: track.Options{Paper: f.paper}})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("speed: %w", err)
	}
	tab, err := speed.Run(cmd.Context(), trs, &speed.Options{
		Protons: protons, Frames: f.frames, Workers: f.workers, Rounds: f.rounds, Phantom: f.phantom, Seed: f.seed,
		Dir: filepath.Join(f.out, "data"), Reference: f.ref, Progress: cmd.ErrOrStderr()})
	if err != nil {
		return err
	}
	var md strings.Builder
	if err := tab.WriteMarkdown(&md); err != nil {
		return err
	}
	js, err := json.MarshalIndent(tab, "", "  ")
	if err != nil {
		return fmt.Errorf("speed: %w", err)
	}
	for name, data := range map[string][]byte{"speed.md": []byte(md.String()), "speed.json": append(js, '\n')} {
		if err := atomicfile.WriteFile(filepath.Join(f.out, name), data); err != nil {
			return fmt.Errorf("speed: %w", err)
		}
	}
	if err := tab.Plot(filepath.Join(f.out, "speed.png")); err != nil {
		return err
	}
	_, err = fmt.Fprint(cmd.OutOrStdout(), md.String())
	return err
}

func init() {
	rootCmd.AddCommand(newSpeedCmd())
}
