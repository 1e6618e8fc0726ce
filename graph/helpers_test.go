package graph

import (
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// mustBuild builds the hit graph of f with opt.
func mustBuild(tb testing.TB, f *dataset.Frame, opt *Options) *HitGraph {
	tb.Helper()
	g, err := Build(f, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// mustLineGraph builds the line graph of g with opt.
func mustLineGraph(tb testing.TB, g *HitGraph, opt *LineOptions) *LineGraph {
	tb.Helper()
	lg, err := NewLineGraph(g, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return lg
}

// mustSimFrames returns the simulated frames of simFrames.
func mustSimFrames(tb testing.TB) []dataset.Frame {
	tb.Helper()
	frames, err := simFrames()
	if err != nil {
		tb.Fatal(err)
	}
	return frames
}

// summarize collects the statistics of frames with the graph options opt
// and lopt.
func summarize(tb testing.TB, frames []dataset.Frame, opt *Options, lopt *LineOptions) Summary {
	tb.Helper()
	c, err := NewCollector(opt, lopt)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range frames {
		if _, err := c.Add(&frames[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return c.Summary()
}

// mustHighland returns the Highland cut of n σ for the default geometry.
func mustHighland(tb testing.TB, n float64) *Highland {
	tb.Helper()
	h, err := HighlandFilter(nil, n)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}
