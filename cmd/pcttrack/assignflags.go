package main

import (
	"errors"
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/track"
)

// assignFlags are the learned trackers' assignment flags of eval and track.
type assignFlags struct {
	paper     bool
	unmatched float64
	fl        *pflag.FlagSet
}

func (f *assignFlags) add(fl *pflag.FlagSet) {
	fl.BoolVar(&f.paper, "paper", false, "learned trackers solve each layer pair like the paper (maximum cardinality, no unmatched hits)")
	fl.Float64Var(&f.unmatched, "unmatched-cost", track.DefaultUnmatchedCost, "learned trackers' cost of a hit left unmatched in a layer pair: a segment of probability p is taken only when 1 − p < 2·`COST`, so lower is stricter")
	f.fl = fl
}

// options checks the flags; cmd prefixes errors.
func (f *assignFlags) options(cmd string) (track.Options, error) {
	if !(f.unmatched > 0) || math.IsInf(f.unmatched, 0) {
		return track.Options{}, fmt.Errorf("%s: --unmatched-cost must be a positive number, not %v", cmd, f.unmatched)
	}
	if f.paper && f.fl.Changed("unmatched-cost") {
		return track.Options{}, errors.New(cmd + ": --unmatched-cost and --paper exclude each other (the paper's solver leaves no hit unmatched)")
	}
	if f.paper {
		return track.Options{Paper: true}, nil
	}
	if f.unmatched == track.DefaultUnmatchedCost {
		return track.Options{}, nil // the zero value: records and checkpoints stay as before
	}
	return track.Options{UnmatchedCost: f.unmatched}, nil
}
