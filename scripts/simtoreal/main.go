// Command simtoreal prints the purity and efficiency of trackers on real
// (GATE) frames and on simulated frames of the same set-up, the gap
// (simulated − real) and its bootstrap confidence interval; it is the last
// step of scripts/sim-to-real.sh. Frames of the real dataset are split by
// event id: those whose events all lie below --split are the calibration
// half, those at or above it the report half (a frame straddling the split
// is dropped). Learned trackers given several times under one name
// (--model ptt=a.ckpt --model ptt=b.ckpt) are seeds: their per-frame
// metrics are averaged over the seeds before the bootstrap, which
// resamples frames. --reframe R regroups each real half's events R times
// at random into frames of the same size and prints the mean over the
// regroupings and its spread: how much of a half's figure is which events
// happened to share a frame; with --bootstrap-events B the gap to that
// mean gets a confidence interval from B resamples of the half's events
// (with replacement, each drawn into new frames, a copy never sharing a
// frame with itself) against B resamples of the simulated frames.
//
//	go run ./scripts/simtoreal --real gate.parquet --sim test.parquet \
//	    --method follower,physics,truth --model ptt=runs/seed-0/best.ckpt ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/stats"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/track"
)

type modelFlags []string

func (m *modelFlags) String() string     { return strings.Join(*m, ",") }
func (m *modelFlags) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "simtoreal:", err)
		os.Exit(1)
	}
}

func run() error {
	var models modelFlags
	real := flag.String("real", "", "real (GATE) dataset, required")
	simf := flag.String("sim", "", "simulated dataset of the same set-up, required")
	methods := flag.String("method", "follower,physics,truth", "built-in methods, or none")
	flag.Var(&models, "model", "learned tracker [NAME=]CKPT (repeatable; one name = seeds)")
	split := flag.Int64("split", 2500, "event id that splits the real frames into the calibration and the report half")
	boot := flag.Int("bootstrap", 4000, "bootstrap resamples")
	kink := flag.Float64("kink-cut", 0, "segment-angle cut of the metric, rad (0: none)")
	paper := flag.Bool("paper", false, "learned trackers solve each layer pair like the paper")
	reframes := flag.Int("reframe", 0, "regroup each real half's events this many times into new frames (0: none)")
	bootEvents := flag.Int("bootstrap-events", 0, "with --reframe: resample each real half's events this many times for the interval of the regrouped gap (0: none)")
	flag.Parse()
	if *real == "" || *simf == "" {
		return errors.New("--real and --sim are required")
	}
	if *boot < 100 {
		return fmt.Errorf("--bootstrap %d: want at least 100", *boot)
	}
	ms, err := pipeline.Select(*methods, models, &learned.Options{Assign: track.Options{Paper: *paper}})
	if err != nil {
		return err
	}
	if *reframes < 0 || *bootEvents < 0 || *bootEvents > 0 && *reframes == 0 {
		return fmt.Errorf("--reframe %d, --bootstrap-events %d: want --reframe ≥ 0, and ≥ 1 with --bootstrap-events ≥ 1", *reframes, *bootEvents)
	}
	mopt := metrics.Options{MaxKinkAngle: *kink}
	var realData []dataset.Frame
	var realFrames, simFrames []frameRates
	for _, f := range []struct {
		path   string
		frames *[]dataset.Frame
		rates  *[]frameRates
	}{{*real, &realData, &realFrames}, {*simf, new([]dataset.Frame), &simFrames}} {
		var err error
		if _, *f.frames, err = dataset.ReadAll(f.path); err != nil {
			return err
		}
		if *f.rates, err = perFrame(*f.frames, ms, mopt); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	names := methodNames(ms)
	report := pooled(realFrames, func(lo, hi int64) bool { return lo >= *split })
	calib := pooled(realFrames, func(lo, hi int64) bool { return hi < *split })
	whole := pooled(realFrames, func(int64, int64) bool { return true })
	all := pooled(simFrames, func(int64, int64) bool { return true })
	t := gapTable{names: names, boot: *boot}
	t.print("report half (events >= split)", "sim", all, "real", report)
	t.print("calibration half (events < split)", "sim", all, "real", calib)
	t.print("whole real file", "sim", all, "real", whole)
	// The real file's own spread: how far apart its two halves are bounds
	// what a gap measured on one half can resolve.
	t.print("real halves against each other", "report", report, "calib", calib)
	if *reframes > 0 {
		return printReframed(realData, *split, *reframes, *bootEvents, ms, mopt, names, all)
	}
	return nil
}

// frameRates are one frame's purity and efficiency per method (seeds
// averaged) and the range of its event ids.
type frameRates struct {
	lo, hi      int64
	purity, eff map[string]float64
}

func perFrame(frames []dataset.Frame, ms []pipeline.Method, mopt metrics.Options) ([]frameRates, error) {
	var out []frameRates
	_, err := pipeline.Run(context.Background(), pipeline.Frames(frames), &pipeline.Options{Methods: ms, Metrics: mopt}, func(o *pipeline.Output) error {
		f := frameRates{lo: math.MaxInt64, hi: math.MinInt64, purity: map[string]float64{}, eff: map[string]float64{}}
		for _, h := range o.Frame.Hits {
			f.lo, f.hi = min(f.lo, h.EventID), max(f.hi, h.EventID)
		}
		seeds := map[string]float64{}
		for i, m := range ms {
			f.purity[m.Name] += o.Metrics[i].Purity
			f.eff[m.Name] += o.Metrics[i].Efficiency
			seeds[m.Name]++
		}
		for n, k := range seeds {
			f.purity[n] /= k
			f.eff[n] /= k
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// printReframed regroups the events of each real half n times (random
// stream r of seed 1) into frames of as many events as the half's frames
// hold, runs the trackers and prints, per half and method, the mean over
// the regroupings of the half's mean purity and efficiency, the sd over
// the regroupings, and the gap of the simulated frames to that mean.
func printReframed(frames []dataset.Frame, split int64, n, boot int, ms []pipeline.Method, mopt metrics.Options, names []string, simAll map[string]*series) error {
	halves := []struct {
		name string
		keep func(ev int64) bool
	}{{"report", func(ev int64) bool { return ev >= split }}, {"calib", func(ev int64) bool { return ev < split }}}
	means := map[string][2][]float64{} // half/method → purity, efficiency mean per regrouping
	boots := map[string][2][]float64{} // the same per event resample
	add := func(to map[string][2][]float64, half string, fs []dataset.Frame) error {
		rates, err := perFrame(fs, ms, mopt)
		if err != nil {
			return err
		}
		sub := pooled(rates, func(int64, int64) bool { return true })
		for _, m := range names {
			v := to[half+"/"+m]
			v[0], v[1] = append(v[0], stats.Mean(sub[m].purity)), append(v[1], stats.Mean(sub[m].eff))
			to[half+"/"+m] = v
		}
		return nil
	}
	for _, h := range halves {
		events, size := eventsOf(frames, h.keep)
		for r := range n {
			fs := regroup(events, size, frames[0].Meta, rand.New(rand.NewPCG(1, uint64(r))))
			if err := add(means, h.name, fs); err != nil {
				return fmt.Errorf("%s half, regrouping %d: %w", h.name, r, err)
			}
		}
		for b := range boot {
			fs := resampleEvents(events, size, frames[0].Meta, rand.New(rand.NewPCG(2, uint64(b))))
			if err := add(boots, h.name, fs); err != nil {
				return fmt.Errorf("%s half, event resample %d: %w", h.name, b, err)
			}
		}
	}
	fmt.Printf("\nreal halves regrouped %d times (events shuffled into new frames): mean over regroupings ± sd, %%; gap = sim − that mean", n)
	if boot > 0 {
		fmt.Printf(" [95%% interval: %d resamples of the half's events against as many of the simulated frames]", boot)
	}
	fmt.Printf("\n%-10s %-7s %15s %22s   %15s %22s\n", "method", "half", "purity", "gap", "efficiency", "gap")
	for _, m := range names {
		for _, h := range halves {
			v, bv := means[h.name+"/"+m], boots[h.name+"/"+m]
			p, pe := stats.MeanSD(v[0], 1)
			e, ee := stats.MeanSD(v[1], 1)
			gp, ge := stats.Mean(simAll[m].purity)-p, stats.Mean(simAll[m].eff)-e
			ip, ie := "", ""
			if boot > 0 {
				ip = interval(simAll[m].purity, bv[0], 3)
				ie = interval(simAll[m].eff, bv[1], 4)
			}
			fmt.Printf("%-10s %-7s %8.1f ± %4.1f %7.1f %14s   %8.1f ± %4.1f %7.1f %14s\n", m, h.name, 100*p, 100*pe,
				100*gp, ip, 100*e, 100*ee, 100*ge, ie)
		}
	}
	return nil
}

// interval returns the 95 % percentile interval of stats.Mean(resampled sim) −
// real[i] over the real resamples, the simulated frames resampled once
// per real resample (stream seed).
func interval(sim, real []float64, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x6576656e))
	d := make([]float64, len(real))
	for i, x := range real {
		var s float64
		for range sim {
			s += sim[r.IntN(len(sim))]
		}
		d[i] = s/float64(len(sim)) - x
	}
	slices.Sort(d)
	q := func(p float64) float64 { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return fmt.Sprintf("[%5.1f, %5.1f]", 100*q(0.025), 100*q(0.975))
}

// resampleEvents draws len(events) events with replacement and deals them
// into frames of size events: the distinct events in random order, each
// with its copies one after another, dealt round-robin, so that copies
// (fewer than frames, almost surely) land in different frames.
func resampleEvents(events [][]dataset.Hit, size int, meta dataset.FrameMeta, r *rand.Rand) []dataset.Frame {
	count := make([]int, len(events))
	for range events {
		count[r.IntN(len(events))]++
	}
	nf := len(events) / size
	var dealt []int
	for _, i := range r.Perm(len(events)) {
		for range min(count[i], nf) {
			dealt = append(dealt, i)
		}
	}
	out := make([]dataset.Frame, nf)
	for k, i := range dealt[:nf*size] {
		f := &out[k%nf]
		f.Hits = append(f.Hits, events[i]...)
	}
	for k := range out {
		out[k].Meta = meta
		out[k].Meta.Frame = int64(k)
	}
	return out
}

// eventsOf returns the hits of each event of frames that keep accepts, in
// event order, and the most events a frame holds.
func eventsOf(frames []dataset.Frame, keep func(ev int64) bool) (events [][]dataset.Hit, size int) {
	for _, f := range frames {
		var ids []int64
		byID := map[int64][]dataset.Hit{}
		for _, h := range f.Hits {
			if !keep(h.EventID) {
				continue
			}
			if _, ok := byID[h.EventID]; !ok {
				ids = append(ids, h.EventID)
			}
			byID[h.EventID] = append(byID[h.EventID], h)
		}
		size = max(size, len(ids))
		for _, id := range ids {
			events = append(events, byID[id])
		}
	}
	return events, size
}

// regroup shuffles events into frames of size events each (the rest left
// out), with meta's geometry and beam.
func regroup(events [][]dataset.Hit, size int, meta dataset.FrameMeta, r *rand.Rand) []dataset.Frame {
	order := r.Perm(len(events))
	var out []dataset.Frame
	for k := 0; k+size <= len(order); k += size {
		f := dataset.Frame{Meta: meta}
		f.Meta.Frame = int64(len(out))
		for _, i := range order[k : k+size] {
			f.Hits = append(f.Hits, events[i]...)
		}
		out = append(out, f)
	}
	return out
}

type series struct{ purity, eff []float64 }

// gapTable prints purity and efficiency of two sets of frames per method
// and their difference a − b with its bootstrap confidence interval.
type gapTable struct {
	names []string
	boot  int
}

func (t gapTable) print(title, an string, a map[string]*series, bn string, b map[string]*series) {
	fmt.Printf("\n%s: %d %s frames, %d %s; purity / efficiency %%, gap = %s − %s [95%% bootstrap CI]\n",
		title, len(a[t.names[0]].purity), an, len(b[t.names[0]].purity), bn, an, bn)
	fmt.Printf("%-10s %11s %11s %22s   %11s %11s %22s\n", "method", "pur "+an, "pur "+bn, "gap", "eff "+an, "eff "+bn, "gap")
	for _, n := range t.names {
		x, y := a[n], b[n]
		gp := metrics.BootstrapMeanDiff(x.purity, y.purity, t.boot, 0.95, 1)
		ge := metrics.BootstrapMeanDiff(x.eff, y.eff, t.boot, 0.95, 2)
		fmt.Printf("%-10s %11.1f %11.1f %7.1f [%5.1f, %5.1f]   %11.1f %11.1f %7.1f [%5.1f, %5.1f]\n", n,
			100*stats.Mean(x.purity), 100*stats.Mean(y.purity), 100*gp.Value, 100*gp.Lo, 100*gp.Hi,
			100*stats.Mean(x.eff), 100*stats.Mean(y.eff), 100*ge.Value, 100*ge.Lo, 100*ge.Hi)
	}
}

func pooled(fs []frameRates, keep func(lo, hi int64) bool) map[string]*series {
	out := map[string]*series{}
	for _, f := range fs {
		if !keep(f.lo, f.hi) {
			continue
		}
		for n, p := range f.purity {
			s := out[n]
			if s == nil {
				s = &series{}
				out[n] = s
			}
			s.purity = append(s.purity, p)
			s.eff = append(s.eff, f.eff[n])
		}
	}
	return out
}

func methodNames(ms []pipeline.Method) []string {
	var n []string
	for _, m := range ms {
		if !slices.Contains(n, m.Name) {
			n = append(n, m.Name)
		}
	}
	return n
}
