package speed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/cputime"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
)

// Defaults of Options.
var DefaultProtons = []int{10, 25, 50, 100, 150, 200}

const (
	DefaultFrames  = 1000
	DefaultWorkers = 2
	DefaultPhantom = "water:100"
)

// Graph names of Select.
const (
	GraphFull   = "full"   // the paper's graph, graph.Options{}
	GraphSparse = "sparse" // graph.SparseOptions()
)

// Tracker is one tracker to time on the graphs it is timed with.
type Tracker struct {
	// Name labels the rows, e.g. "physics/sparse" or "model".
	Name string
	// Method is the tracker; Method.New is called once per worker and run.
	Method pipeline.Method
	// Graph is the hit graph the frame loop builds for it.
	Graph graph.Options
}

// Select returns the trackers of a command line: every built-in method of
// the comma-separated list methods (pipeline.ParseMethods, opt for
// "model") on each graph of graphs (GraphFull, GraphSparse), and every
// learned tracker of models ([NAME=]PATH) on the graph its checkpoint
// records; a learned tracker takes its own graph whatever graphs says.
func Select(methods string, graphs []string, models []string, opt *learned.Options) ([]Tracker, error) {
	var ms []pipeline.Method
	if methods != "" && methods != "none" {
		var err error
		if ms, err = pipeline.ParseMethods(methods, opt); err != nil {
			return nil, err
		}
	}
	for _, v := range models {
		name, path, err := pipeline.ParseModelFlag(v)
		if err != nil {
			return nil, err
		}
		mm, err := pipeline.ModelMethods(name, []string{path}, opt)
		if err != nil {
			return nil, err
		}
		ms = append(ms, mm...)
	}
	var ts []Tracker
	for _, m := range ms {
		if m.Graph != nil {
			ts = append(ts, Tracker{Name: m.Label(), Method: m, Graph: *m.Graph})
			continue
		}
		for _, gname := range graphs {
			var g graph.Options
			switch gname {
			case GraphFull:
			case GraphSparse:
				g = graph.SparseOptions()
			default:
				return nil, fmt.Errorf("speed: unknown graph %q (want %s or %s)", gname, GraphFull, GraphSparse)
			}
			ts = append(ts, Tracker{Name: m.Label() + "/" + gname, Method: m, Graph: g})
		}
	}
	if len(ts) == 0 {
		return nil, errors.New("speed: no tracker to time")
	}
	seen := map[string]bool{}
	for _, t := range ts {
		if seen[t.Name] {
			return nil, fmt.Errorf("speed: tracker %q given twice", t.Name)
		}
		seen[t.Name] = true
	}
	return ts, nil
}

// Options configures Run. The zero value times 1000 fresh frames per
// number of protons in DefaultProtons behind 100 mm of water, on 2
// workers, once.
type Options struct {
	// Protons lists the protons per frame; nil means DefaultProtons.
	Protons []int
	// Frames is the number of frames per protons value; 0 means
	// DefaultFrames.
	Frames int
	// Workers is the number of frame-loop workers; 0 means
	// DefaultWorkers.
	Workers int
	// Rounds is the number of interleaved rounds over all trackers and
	// protons; the rows report the median. 0 means 1.
	Rounds int
	// Phantom is the phantom of the test data (sim.ParsePhantom); ""
	// means DefaultPhantom. Seed is the simulation seed; 0 means 1.
	Phantom string
	Seed    uint64
	// Dir holds the datasets, named after phantom, protons, frames and
	// seed and simulated when absent (so a second run reuses them); ""
	// means a temporary directory removed afterwards.
	Dir string
	// Reference names the tracker the Relative column divides by; ""
	// means the first tracker.
	Reference string
	// Progress, when not nil, receives one line per timed run.
	Progress io.Writer
}

// Row is the cost of one tracker at one number of protons per frame: the
// median over the rounds.
type Row struct {
	Tracker  string  `json:"tracker"`
	Protons  int     `json:"protons_per_frame"`
	Frames   int     `json:"frames"`
	Rate     float64 `json:"frames_per_s"` // frames per second of wall time, everything included
	MsFrame  float64 `json:"ms_per_frame"` // 1000/Rate
	MsProton float64 `json:"ms_per_proton"`
	// CPUMsFrame is the process's CPU time per frame (all workers).
	CPUMsFrame float64 `json:"cpu_ms_per_frame"`
	// Relative is Rate over the reference tracker's Rate in the same
	// round (median over rounds).
	Relative float64 `json:"relative"`
	// Segments is the mean number of hit-graph segments per frame of the
	// graph the frame loop built.
	Segments float64 `json:"segments"`
}

// Table is the result of Run.
type Table struct {
	Rows      []Row     `json:"rows"`
	Reference string    `json:"reference"`
	Workers   int       `json:"workers"`
	Rounds    int       `json:"rounds"`
	Phantom   string    `json:"phantom"`
	CPUs      int       `json:"cpus"`
	Start     time.Time `json:"start"`
	Seconds   float64   `json:"seconds"`
	// LoadBefore and LoadAfter are the 1, 5 and 15 minute load averages
	// (/proc/loadavg; zero where there is none).
	LoadBefore [3]float64 `json:"load_before"`
	LoadAfter  [3]float64 `json:"load_after"`
}

// Run times every tracker at every number of protons (see the package
// comment): after an untimed warm-up on 20 frames, per round, per protons
// value, each tracker in turn runs pipeline.Evaluate over the dataset on
// opt.Workers workers. A tracker
// error, a simulation or dataset error, or ctx's cancellation ends it
// with that error.
func Run(ctx context.Context, trackers []Tracker, opt *Options) (*Table, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if len(trackers) == 0 {
		return nil, errors.New("speed: no tracker to time")
	}
	if len(o.Protons) == 0 {
		o.Protons = DefaultProtons
	}
	o.Frames = cmp.Or(o.Frames, DefaultFrames)
	o.Workers = cmp.Or(o.Workers, DefaultWorkers)
	o.Rounds = cmp.Or(o.Rounds, 1)
	o.Phantom = cmp.Or(o.Phantom, DefaultPhantom)
	o.Seed = cmp.Or(o.Seed, 1)
	o.Reference = cmp.Or(o.Reference, trackers[0].Name)
	ref := slices.IndexFunc(trackers, func(t Tracker) bool { return t.Name == o.Reference })
	switch {
	case ref < 0:
		return nil, fmt.Errorf("speed: reference %q is not a tracker", o.Reference)
	case o.Frames < 0 || o.Workers < 0 || o.Rounds < 0:
		return nil, fmt.Errorf("speed: frames %d, workers %d and rounds %d must be positive", o.Frames, o.Workers, o.Rounds)
	}
	for _, p := range o.Protons {
		if p < 1 {
			return nil, fmt.Errorf("speed: %d protons per frame", p)
		}
	}
	ph, err := sim.ParsePhantom(o.Phantom)
	if err != nil {
		return nil, fmt.Errorf("speed: %w", err)
	}
	if o.Dir == "" {
		if o.Dir, err = os.MkdirTemp("", "pcttrack-speed"); err != nil {
			return nil, fmt.Errorf("speed: %w", err)
		}
		defer os.RemoveAll(o.Dir)
	} else if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("speed: %w", err)
	}
	paths := make([]string, len(o.Protons))
	for i, p := range o.Protons {
		name := fmt.Sprintf("%s-p%d-n%d-s%d.parquet", strings.ReplaceAll(ph.String(), ":", ""), p, o.Frames, o.Seed)
		paths[i] = filepath.Join(o.Dir, name)
		if _, err := os.Stat(paths[i]); err == nil {
			continue
		}
		c := sim.Config{Phantom: ph, ProtonsPerFrame: p, Frames: o.Frames, Seed: o.Seed}
		if _, err := sim.Write(ctx, c, paths[i], nil); err != nil {
			return nil, fmt.Errorf("speed: simulating %d protons per frame: %w", p, err)
		}
	}

	// Warm up every tracker (process-wide tables, workspaces) on a few
	// frames, untimed, so that the first one timed does not pay for it.
	if r, err := dataset.Open(paths[len(paths)-1]); err == nil {
		for k := range trackers {
			g := trackers[k].Graph
			_, err := pipeline.Evaluate(ctx, r, &pipeline.Options{Graph: &g, Methods: []pipeline.Method{trackers[k].Method}, Workers: o.Workers, Limit: min(o.Frames, 20)})
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("speed: %s: %w", trackers[k].Name, err)
			}
		}
		r.Close()
	}
	t := &Table{Reference: o.Reference, Workers: o.Workers, Rounds: o.Rounds, Phantom: ph.String(), CPUs: runtime.GOMAXPROCS(0), Start: time.Now()}
	t.LoadBefore = loadAvg()
	type cell struct {
		rate, cpu, rel []float64
		segs           float64
		frames         int
	}
	cells := make([][]cell, len(o.Protons))
	for i := range cells {
		cells[i] = make([]cell, len(trackers))
	}
	for round := range o.Rounds {
		for i, p := range o.Protons {
			r, err := dataset.Open(paths[i])
			if err != nil {
				return nil, fmt.Errorf("speed: %w", err)
			}
			rates := make([]float64, len(trackers))
			for k := range trackers {
				tr := &trackers[k]
				rate, cpu, segs, n, err := timeOne(ctx, r, tr, o.Workers)
				if err != nil {
					r.Close()
					return nil, fmt.Errorf("speed: %s at %d protons per frame: %w", tr.Name, p, err)
				}
				c := &cells[i][k]
				c.rate, c.cpu = append(c.rate, rate), append(c.cpu, cpu)
				c.segs, c.frames = segs, n
				rates[k] = rate
				if o.Progress != nil {
					fmt.Fprintf(o.Progress, "round %d/%d, %3d p+/frame, %-20s %6.1f frames/s, %7.3f ms/frame, cpu %7.3f ms/frame\n",
						round+1, o.Rounds, p, tr.Name, rate, 1000/rate, cpu)
				}
			}
			r.Close()
			for k := range trackers {
				cells[i][k].rel = append(cells[i][k].rel, rates[k]/rates[ref])
			}
		}
	}
	t.LoadAfter = loadAvg()
	t.Seconds = time.Since(t.Start).Seconds()
	for k, tr := range trackers {
		for i, p := range o.Protons {
			c := &cells[i][k]
			rate := median(c.rate)
			t.Rows = append(t.Rows, Row{
				Tracker: tr.Name, Protons: p, Frames: c.frames, Rate: rate, MsFrame: 1000 / rate,
				MsProton: 1000 / rate / float64(p), CPUMsFrame: median(c.cpu), Relative: median(c.rel), Segments: c.segs,
			})
		}
	}
	return t, nil
}

// timeOne runs tracker tr over every frame of src and returns the frames
// per second of wall time, the CPU ms per frame, the mean segments per
// frame and the number of frames.
func timeOne(ctx context.Context, src pipeline.Source, tr *Tracker, workers int) (rate, cpuMs, segs float64, frames int, err error) {
	g := tr.Graph
	var nseg int
	c0, _ := cputime.Process()
	ev, err := pipeline.Evaluate(ctx, src, &pipeline.Options{Graph: &g, Methods: []pipeline.Method{tr.Method}, Workers: workers})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	cpu := cputime.Since(c0)
	rep := ev.Report
	n := rep.Frames + len(rep.Skipped)
	if n == 0 {
		return 0, 0, 0, 0, errors.New("no frames")
	}
	for _, gr := range ev.Groups {
		nseg += gr.Counts.Segments
	}
	return rep.Rate(), float64(cpu.Microseconds()) / 1e3 / float64(n), float64(nseg) / float64(max(rep.Frames, 1)), n, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return 0.5 * (s[len(s)/2-1] + s[len(s)/2])
}

// loadAvg reads the load averages of /proc/loadavg (zeros if absent).
func loadAvg() [3]float64 {
	var l [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err == nil {
		fmt.Sscan(string(b), &l[0], &l[1], &l[2])
	}
	return l
}
