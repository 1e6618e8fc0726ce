package demo

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
)

// Options configures Run. The zero value is the full demo in memory on
// all cores.
type Options struct {
	// Out is the directory for the outputs; "" keeps everything in
	// memory. It is created if missing.
	Out string
	// Quick runs a smaller demo (a few frames per dataset).
	Quick bool
	// Workers is the number of parallel workers for simulation and
	// tracking; 0 means GOMAXPROCS.
	Workers int
	// Seed is the simulation seed; 0 means 1.
	Seed uint64
	// Methods are the built-in methods evaluated (pipeline.Builtin);
	// nil means DefaultMethods.
	Methods []string
	// Train lists the training configs (train.LoadConfig: file or
	// embedded name) of the learned trackers the train stage makes; nil
	// means DefaultTrain.
	Train []string
	// Progress receives the training progress bars or lines; nil means
	// none.
	Progress io.Writer
}

// DefaultTrain are the training configs of the demo: the paper's
// line-graph model trained two-step (PTT) and end to end through the
// solver (PAT) on sparse graphs, each small enough to train in seconds
// (small-ptt and small-pat are the same on the paper's full graph).
var DefaultTrain = []string{"small-ptt-sparse", "small-pat-sparse"}

// DefaultMethods are the methods the demo evaluates by default, those of
// them that are built in: the model that ships in the binary, the two
// baselines and the truth upper bound.
var DefaultMethods = []string{pipeline.MethodModel, baseline.NameFollower, baseline.NamePhysics, baseline.NameTruth}

// Dataset is one simulated dataset of the demo.
type Dataset struct {
	Name            string // e.g. "water100-p50"
	Phantom         string // e.g. "water:100"
	ProtonsPerFrame int
	Path            string // file written in Options.Out
	Meta            dataset.Meta
	Frames          pipeline.Frames
}

// State is what the stages of a demo share: each stage reads what the
// earlier ones left and adds its own results.
type State struct {
	Options    Options
	W          io.Writer // the demo's text output
	Datasets   []Dataset
	Models     []Model
	Evaluation *pipeline.Evaluation
	CT         *CTResult // the proton CT stage's scan and image
	// Times are the wall times of the stages done so far.
	Times []StageTime
	// Report is the path of the written report (REPORT.md).
	Report string

	start time.Time
}

// Stage is one step of the demo.
type Stage struct {
	Name string
	Run  func(ctx context.Context, s *State) error
}

// DefaultStages returns the stages of the demo: Simulate, Train,
// Evaluate, CT and WriteReport.
func DefaultStages() []Stage {
	return []Stage{{"simulate", Simulate}, {"train", Train}, {"evaluate", Evaluate}, {"ct", CT}, {"report", WriteReport}}
}

// Run runs the stages (nil means DefaultStages) in order, printing a
// heading and the time of each to w, and returns the final state. It
// stops at the first error, naming the stage; ctx cancels it.
func Run(ctx context.Context, w io.Writer, opt *Options, stages []Stage) (*State, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	if o.Workers < 0 {
		return nil, fmt.Errorf("demo: negative number of workers %d", o.Workers)
	}
	o.Seed = cmp.Or(o.Seed, 1)
	if o.Methods == nil {
		for _, m := range DefaultMethods {
			if _, err := pipeline.Builtin(m, nil); err == nil {
				o.Methods = append(o.Methods, m)
			}
		}
	}
	if o.Train == nil {
		o.Train = DefaultTrain
	}
	if o.Out != "" {
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	} else {
		dir, err := os.MkdirTemp("", "pcttrack-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		o.Out = dir
	}
	if stages == nil {
		stages = DefaultStages()
	}
	s := &State{Options: o, W: w, start: time.Now()}
	for _, st := range stages {
		fmt.Fprintf(w, "== %s\n", st.Name)
		t0 := time.Now()
		if err := st.Run(ctx, s); err != nil {
			return s, fmt.Errorf("demo: %s: %w", st.Name, err)
		}
		d := time.Since(t0)
		s.Times = append(s.Times, StageTime{st.Name, d})
		fmt.Fprintf(w, "(%s: %.1f s)\n\n", st.Name, d.Seconds())
	}
	return s, nil
}

// StageTime is the wall time of one stage.
type StageTime struct {
	Stage string
	Time  time.Duration
}

// Sizes returns the protons per frame and frames per dataset of the demo.
func Sizes(quick bool) (protons []int, frames []int) {
	if quick {
		return []int{50, 100, 150}, []int{12, 6, 4}
	}
	// 6000 protons per dataset
	return []int{50, 100, 150}, []int{120, 60, 40}
}

// Simulate is the first stage: it simulates one dataset of 100 mm of water
// per number of protons per frame (Sizes), keeps the frames in memory and,
// with Options.Out, writes them to OUT/NAME.parquet.
func Simulate(ctx context.Context, s *State) error {
	protons, frames := Sizes(s.Options.Quick)
	for k, n := range protons {
		ph, err := sim.ParsePhantom("water:100")
		if err != nil {
			return err
		}
		c := sim.Config{Phantom: ph, ProtonsPerFrame: n, Frames: frames[k], Seed: s.Options.Seed + uint64(k), Workers: s.Options.Workers}
		meta, err := sim.Meta(c)
		if err != nil {
			return err
		}
		d := Dataset{Name: fmt.Sprintf("water100-p%d", n), Phantom: ph.String(), ProtonsPerFrame: n, Meta: meta}
		if d.Frames, err = sim.Collect(ctx, c); err != nil {
			return err
		}
		var hits int
		for _, f := range d.Frames {
			hits += len(f.Hits)
		}
		if s.Options.Out != "" {
			d.Path = filepath.Join(s.Options.Out, d.Name+".parquet")
			if err := dataset.WriteFile(ctx, d.Path, d.Meta, d.Frames); err != nil {
				return err
			}
		}
		where := "in memory"
		if d.Path != "" {
			where = d.Path
		}
		fmt.Fprintf(s.W, "%s: %d frames of %d protons behind %s, %d hits (%s)\n", d.Name, len(d.Frames), n, d.Phantom, hits, where)
		s.Datasets = append(s.Datasets, d)
	}
	return nil
}

// Evaluate is the third stage: it evaluates Options.Methods and the
// trained Models on all datasets (pipeline.Evaluate), prints the metrics table and the
// throughput and, with Options.Out, writes them to OUT/eval.txt and
// OUT/eval.json.
func Evaluate(ctx context.Context, s *State) error {
	if len(s.Datasets) == 0 {
		return fmt.Errorf("no datasets (run the simulate stage first)")
	}
	ms, err := pipeline.ParseMethods(strings.Join(s.Options.Methods, ","), nil)
	if err != nil {
		return err
	}
	for _, m := range s.Models {
		mm, err := m.Method()
		if err != nil {
			return err
		}
		ms = append(ms, mm)
	}
	src := make(pipeline.Concat, len(s.Datasets))
	for i := range s.Datasets {
		src[i] = s.Datasets[i].Frames
	}
	ev, err := pipeline.Evaluate(ctx, src, &pipeline.Options{Methods: ms, Workers: s.Options.Workers})
	if err != nil {
		return err
	}
	s.Evaluation = ev
	var text strings.Builder
	if err := ev.WriteText(&text); err != nil {
		return err
	}
	if _, err := io.WriteString(s.W, text.String()); err != nil {
		return err
	}
	if s.Options.Out == "" {
		return nil
	}
	if err := atomicfile.WriteFile(filepath.Join(s.Options.Out, FileEval), []byte(text.String())); err != nil {
		return err
	}
	js, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(s.Options.Out, FileJSON), append(js, '\n'))
}
