package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/landscape"
	"github.com/pcttrack/pcttrack/zoo"
)

// zooFlags select the frames of the analysis commands (compare,
// landscape, connect).
type zooFlags struct {
	data    []string
	frames  int
	first   bool
	cacheMB int
	workers int
}

func (f *zooFlags) add(fl *pflag.FlagSet, frames int, what string) {
	fl.StringArrayVar(&f.data, "data", nil, "dataset file to take the frames from (repeatable; default: the models' training frames from their run config)")
	fl.IntVar(&f.frames, "frames", frames, "number of frames "+what+" (0 = all), spread evenly over the data unless --first")
	fl.BoolVar(&f.first, "first", false, "take the first --frames frames instead of an evenly spread subset")
	fl.IntVar(&f.cacheMB, "cache-mb", 2048, "memory budget (MB) for frames kept prepared; -1 keeps all")
	fl.IntVar(&f.workers, "workers", 0, "frames processed in parallel (0 = all cores)")
}

func (f *zooFlags) options(cmd string) (zoo.DataOptions, error) {
	if err := checkBounds(cmd, atLeast("frames", f.frames, 0), atLeast("workers", f.workers, 0)); err != nil {
		return zoo.DataOptions{}, err
	}
	return zoo.DataOptions{Files: f.data, Frames: f.frames, First: f.first, CacheMB: f.cacheMB}, nil
}

// evalFlags of the landscape commands: batch-norm mode and assignment.
type pathEvalFlags struct {
	bn, assign string
}

func (f *pathEvalFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.bn, "batchnorm", "batch", "batch-norm statistics: batch (per-frame, the paper's), running (interpolated along paths, the origin's on planes) or recompute (averaged over the frames at each point)")
	fl.StringVar(&f.assign, "assign", "paper", "per-layer assignment: paper (maximum cardinality, the authors' solver) or default")
}

// analysisOptions returns the data options of zf and the evaluation options
// of ef, the two flag groups every landscape command has.
func analysisOptions(cmd string, zf *zooFlags, ef *pathEvalFlags) (zoo.DataOptions, landscape.EvalOptions, error) {
	dopt, err := zf.options(cmd)
	if err != nil {
		return dopt, landscape.EvalOptions{}, err
	}
	eopt, err := ef.options(cmd)
	return dopt, eopt, err
}

func (f *pathEvalFlags) options(cmd string) (landscape.EvalOptions, error) {
	bn, err := landscape.ParseBNMode(f.bn)
	if err != nil {
		return landscape.EvalOptions{}, fmt.Errorf("%s: --batchnorm: %w", cmd, err)
	}
	asg, err := parseAssign(cmd, f.assign)
	if err != nil {
		return landscape.EvalOptions{}, err
	}
	return landscape.EvalOptions{BN: bn, Assign: asg}, nil
}
