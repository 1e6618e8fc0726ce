package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/compare"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/zoo"
)

func newCompareCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "compare CKPT... --out DIR",
		Short: "Pairwise prediction instability of trained models: min-max disagreement and CKA",
		Long: "Compares every pair of the checkpoints (e.g. runs/*/seed-*/best.ckpt; each with the config.yaml of its run\n" +
			"beside it) on the same frames, by default the models' training frames, as the paper's instability study:\n" +
			"the min-max normalised disagreement of their edge assignments after the per-layer LSAP, networks in\n" +
			"evaluation mode, in two variants (LSAP on 1 − logit as the authors' code, on 1 − σ(logit) as the tracker),\n" +
			"and with --cka linear CKA (minibatch unbiased HSIC, minibatches of 1024 rows) per matching leaf layer of R1,\n" +
			"O and R2 on --cka-rows sampled rows per frame and module (--cka-full: the full cross-layer matrix per module,\n" +
			"whose mean is the authors' module score; about 9× slower). Writes DIR/compare.json, pairs.csv, groups.csv\n" +
			"(medians, means, ranges within each group and across groups: within λ, across λ, PTT↔PAT), tests.csv\n" +
			"(Welch t with permutation p-values for every pair of groups) and the pairwise matrices as heatmaps (PNG),\n" +
			"and prints the group tables.\n\n" +
			"--shard k/K computes only the pairs i with i mod K = k into DIR/compare-shard-k-of-K.json; `pcttrack\n" +
			"compare merge DIR/compare-shard-*.json --out DIR` joins them into exactly the one-process result.\n" +
			"Progress is saved every 30 s and on Ctrl-C; --resume continues.",
		Args: cobra.MinimumNArgs(1),
	}, (*compareFlags).bind, runCompare, "out")
}

// compareFlags are the flags of `pcttrack compare`.
type compareFlags struct {
	zoo          zooFlags
	out, assign  string
	shard        string
	resume       bool
	cka, ckaFull bool
	ckaRows      int
	permutations int
	seed         uint64
}

// bind registers the flags on fl.
func (f *compareFlags) bind(fl *pflag.FlagSet) {
	f.zoo.add(fl, 0, "compared")
	fl.StringVar(&f.out, "out", "", "output directory (required)")
	fl.StringVar(&f.assign, "assign", "paper", "per-layer assignment of both variants: paper (maximum cardinality, the authors' solver) or default")
	fl.StringVar(&f.shard, "shard", "", "compute only shard k/K of the pairs")
	fl.BoolVar(&f.resume, "resume", false, "continue from the saved state in DIR")
	fl.BoolVar(&f.cka, "cka", false, "also compute linear CKA per matching layer")
	fl.BoolVar(&f.ckaFull, "cka-full", false, "compute CKA for every pair of layers of each module (implies --cka)")
	fl.IntVar(&f.ckaRows, "cka-rows", compare.DefaultCKARows, "rows sampled per frame and module for CKA")
	fl.IntVar(&f.permutations, "permutations", compare.DefaultPermutations, "random relabellings per permutation test")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the CKA row sample and the permutation tests")
}

func parseAssign(cmd, s string) (*track.Options, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "paper":
		return &track.Options{Paper: true}, nil
	case "default":
		return &track.Options{}, nil
	}
	return nil, fmt.Errorf("%s: --assign %q: want paper or default", cmd, s)
}

// shardFile is the result of shard sh of the sharded analysis name (compare,
// plane) in dir: name-shard-k-of-K.json, which `name merge` joins.
func shardFile(dir, name string, sh shard.Shard) string {
	return filepath.Join(dir, fmt.Sprintf("%s-shard-%d-of-%d.json", name, sh.Index, sh.Count))
}

// stateFile is where the analysis name keeps its progress in dir for
// --resume: .name.state.json for a whole run, name-shard-k-of-K.state.json
// for shard sh of several.
func stateFile(dir, name string, sh shard.Shard) string {
	if sh.Count > 1 {
		return strings.TrimSuffix(shardFile(dir, name, sh), ".json") + ".state.json"
	}
	return filepath.Join(dir, "."+name+".state.json")
}

func runCompare(cmd *cobra.Command, args []string, f *compareFlags) error {
	dopt, err := f.zoo.options("compare")
	if err != nil {
		return err
	}
	asg, err := parseAssign("compare", f.assign)
	if err != nil {
		return err
	}
	if err := checkBounds("compare", atLeast("cka-rows", f.ckaRows, 4), atLeast("permutations", f.permutations, 0)); err != nil {
		return err
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return fmt.Errorf("compare: --shard: %w", err)
	}
	ms, err := zoo.Load(args, 2, len(dopt.Files) == 0)
	if err != nil {
		return err
	}
	if err := compare.CheckShard(sh, len(ms)); err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	d, err := zoo.LoadData(cmd.Context(), ms, dopt, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	opt := compare.Options{Assign: asg, CKA: f.cka, CKAFull: f.ckaFull, CKARows: f.ckaRows, Seed: f.seed,
		Shard: sh, Workers: f.zoo.workers, Progress: cmd.ErrOrStderr(), Resumable: zoo.Resumable{State: stateFile(f.out, "compare", sh), Resume: f.resume}}
	res, err := compare.Run(cmd.Context(), ms, d, opt)
	if err != nil {
		if cmd.Context().Err() != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "pcttrack: compare interrupted after %d of %d frames; --resume continues\n", res.Done, res.Frames)
		}
		return err
	}
	if sh.Count > 1 {
		path := shardFile(f.out, "compare", sh)
		if err := res.WriteJSON(path); err != nil {
			return err
		}
		_, err := fmt.Fprintf(cmd.OutOrStdout(), "shard %s: %d pairs on %d frames -> %s\n", sh, len(res.Pairs), res.Frames, path)
		return err
	}
	return writeCompare(cmd, res, f.out, f.permutations, f.seed)
}

// writeCompare writes the report files and heatmaps of a complete result.
func writeCompare(cmd *cobra.Command, res *compare.Result, dir string, permutations int, seed uint64) error {
	rep := compare.NewReport(res, permutations, seed)
	files, err := rep.Write(dir)
	if err != nil {
		return err
	}
	for _, m := range rep.Matrices() {
		p := filepath.Join(dir, m.Name+".png")
		if err := plot.Matrix(p, m.Labels, m.Values, &plot.MatrixOptions{Title: m.Title}); err != nil {
			return err
		}
		files = append(files, p)
	}
	out := cmd.OutOrStdout()
	if err := rep.WriteText(out); err != nil {
		return err
	}
	fmt.Fprintln(out)
	return printWrote(out, files)
}

func newCompareMergeCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "merge SHARD.json... --out DIR",
		Short: "Join the shards of a compare run into its report",
		Long: "Joins the compare-shard-k-of-K.json files of all K shards of one comparison into exactly the result of one\n" +
			"process and writes the report files and heatmaps into DIR, as compare does.",
		Args: cobra.MinimumNArgs(1),
	}, (*compareMergeFlags).bind, runCompareMerge)
}

// compareMergeFlags are the flags of `pcttrack compare merge`.
type compareMergeFlags struct {
	out          string
	permutations int
	seed         uint64
}

// bind registers the flags on fl.
func (f *compareMergeFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.out, "out", "", "output directory (required)")
	fl.IntVar(&f.permutations, "permutations", compare.DefaultPermutations, "random relabellings per permutation test")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the permutation tests")
}

func runCompareMerge(cmd *cobra.Command, args []string, f *compareMergeFlags) error {
	res, err := mergeShardFiles("compare merge", f.out, args, compare.ReadResult, compare.Merge)
	if err != nil {
		return err
	}
	return writeCompare(cmd, res, f.out, f.permutations, f.seed)
}

func init() {
	cmd := newCompareCmd()
	cmd.AddCommand(newCompareMergeCmd())
	rootCmd.AddCommand(cmd)
}
