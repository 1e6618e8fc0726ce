// Command simtoreal prints the purity and efficiency of trackers on real
// (GATE) frames and on simulated frames of the same set-up, the gap
// (simulated − real) and its bootstrap confidence interval; it is the last
// step of scripts/sim-to-real.sh. Frames of the real dataset are split by
// event id: those whose events all lie below --split are the calibration
// half, those at or above it the report half (a frame straddling the split
// is dropped). Learned trackers given several times under one name
// (--model ptt=a.ckpt --model ptt=b.ckpt) are seeds: their per-frame
// metrics are averaged over the seeds before the bootstrap, which
// resamples frames.
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
	"os"
	"slices"
	"strings"

	"github.com/pcttrack/pcttrack/dataset"
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
	mopt := metrics.Options{MaxKinkAngle: *kink}
	realFrames, err := perFrame(*real, ms, mopt)
	if err != nil {
		return err
	}
	simFrames, err := perFrame(*simf, ms, mopt)
	if err != nil {
		return err
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
	return nil
}

// frameRates are one frame's purity and efficiency per method (seeds
// averaged) and the range of its event ids.
type frameRates struct {
	lo, hi      int64
	purity, eff map[string]float64
}

func perFrame(path string, ms []pipeline.Method, mopt metrics.Options) ([]frameRates, error) {
	r, err := dataset.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []frameRates
	_, err = pipeline.Run(context.Background(), r, &pipeline.Options{Methods: ms, Metrics: mopt}, func(o *pipeline.Output) error {
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
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
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
			100*mean(x.purity), 100*mean(y.purity), 100*gp.Value, 100*gp.Lo, 100*gp.Hi,
			100*mean(x.eff), 100*mean(y.eff), 100*ge.Value, 100*ge.Lo, 100*ge.Hi)
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

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
