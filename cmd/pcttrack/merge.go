package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/internal/xslices"
	"github.com/pcttrack/pcttrack/pipeline"
)

func newMergeCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "merge SHARD... [--out OUT]",
		Short: "Join the outputs of --shard k/K runs: datasets, tracks files or eval shards",
		Long: "Joins the K outputs of a sharded run into what one process would have made. The inputs must be\n" +
			"the shards 0/K … K-1/K of one run, each exactly once; a missing or repeated shard, shards of\n" +
			"different runs (seed, config, method, options, input) or of different K are an error naming the\n" +
			"shard, and nothing is written. A directory stands for the .parquet and .json files in it.\n\n" +
			"  datasets (simulate --shard):  --out OUT.parquet, byte-identical to the one-process dataset\n" +
			"  tracks files (track --shard): --out OUT.parquet, byte-identical to the one-process tracks file\n" +
			"  eval shards (eval --shard --out X.json): prints the tables (or with --json the document) that one\n" +
			"                                 eval process prints; --out stores the whole evaluation (.json)",
		Args: cobra.MinimumNArgs(1),
	}, (*mergeFlags).bind, runMerge)
}

// mergeFlags are the flags of `pcttrack merge`.
type mergeFlags struct {
	out  string
	json bool
}

// bind registers the flags on fl.
func (f *mergeFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.out, "out", "", "output file; required for datasets and tracks files")
	fl.BoolVar(&f.json, "json", false, "eval shards: print the JSON document of `eval --json` instead of the tables")
}

// Kinds of merge input.
const (
	kindDataset = "dataset"
	kindTracks  = "tracks file"
	kindEval    = "eval shard"
)

// inputKind tells a dataset, a tracks file and an eval shard apart by
// their first bytes and footers.
func inputKind(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("merge: %w", err)
	}
	head, _ := bufio.NewReader(fh).Peek(64)
	fh.Close()
	switch {
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("{")):
		return kindEval, nil
	case !bytes.HasPrefix(head, []byte("PAR1")):
		return "", fmt.Errorf("merge: %q is neither a Parquet file nor an eval shard (.json)", path)
	}
	r, err := dataset.Open(path)
	if err == nil {
		r.Close()
		return kindDataset, nil
	}
	if !errors.Is(err, dataset.ErrNotDataset) {
		return "", err
	}
	t, err := dataset.OpenTracks(path)
	if err != nil {
		return "", fmt.Errorf("merge: %q is neither a dataset nor a tracks file: %w", path, err)
	}
	t.Close()
	return kindTracks, nil
}

// expandDirs replaces each directory among args by the .parquet and .json
// files in it (hidden ones, such as unfinished temporary files, excepted).
func expandDirs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		es, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		n := len(out)
		for _, e := range es {
			name := e.Name()
			if ext := filepath.Ext(name); !e.IsDir() && !strings.HasPrefix(name, ".") && (ext == ".parquet" || ext == ".json") {
				out = append(out, filepath.Join(a, name))
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("merge: no .parquet or .json shards in directory %q", a)
		}
	}
	return out, nil
}

func runMerge(cmd *cobra.Command, args []string, f *mergeFlags) error {
	args, err := expandDirs(args)
	if err != nil {
		return err
	}
	kind, err := inputKind(args[0])
	if err != nil {
		return err
	}
	for _, p := range args[1:] {
		k, err := inputKind(p)
		if err != nil {
			return err
		}
		if k != kind {
			return fmt.Errorf("merge: %q is a %s but %q is a %s", p, k, args[0], kind)
		}
	}
	if kind == kindEval {
		es, err := pipeline.MergeEvalShards(args)
		if err != nil {
			return err
		}
		if f.out != "" {
			if err := pipeline.WriteEvalShard(f.out, es); err != nil {
				return err
			}
		}
		return writeEvalOutput(cmd.OutOrStdout(), f.json, es.Files, es.Methods, es.State.Evaluation())
	}
	if f.out == "" {
		return fmt.Errorf("merge: --out is required to merge %ss", kind)
	}
	if f.json {
		return fmt.Errorf("merge: --json is for eval shards, not %ss", kind)
	}
	var total int64
	for _, p := range args {
		n, err := numFrames(kind, p)
		if err != nil {
			return err
		}
		total += int64(n)
	}
	bar := progress.New(cmd.ErrOrStderr(), total, "merge")
	merge := dataset.Merge
	if kind == kindTracks {
		merge = dataset.MergeTracks
	}
	rep, err := merge(cmd.Context(), f.out, args, func() { bar.Add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	what := "hits"
	if kind == kindTracks {
		what = "track hits"
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d frames, %d %s from %d shards\n", f.out, rep.Frames, rep.Hits, what, rep.Inputs)
	return err
}

func numFrames(kind, path string) (int, error) {
	if kind == kindTracks {
		r, err := dataset.OpenTracks(path)
		if err != nil {
			return 0, err
		}
		defer r.Close()
		return r.NumFrames(), nil
	}
	r, err := dataset.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return r.NumFrames(), nil
}

func init() {
	rootCmd.AddCommand(newMergeCmd())
}

// mergeShardFiles reads the shard files of one sharded analysis (compare,
// landscape plane), merges them and creates the output directory out.
func mergeShardFiles[T any](cmd, out string, files []string, read func(string) (*T, error), merge func([]*T) (*T, error)) (*T, error) {
	parts, err := xslices.Map(files, read)
	if err != nil {
		return nil, err
	}
	res, err := merge(parts)
	if err != nil {
		return nil, err
	}
	return res, prepareOut(cmd, out)
}
