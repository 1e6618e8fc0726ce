package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/wepl"
)

func newWEPLCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "wepl TRACKS.parquet --out T.parquet | --calibrate --out CAL.csv | --resolution --out-dir DIR",
		Short: "Measure the WEPL of tracks; calibrate range to WEPL; run the WEPL resolution study",
		Long: "With a tracks file (pcttrack track), measures every track — the residual range by a Bragg–Kleeman fit\n" +
			"of the per-layer deposits (--wepl-method), the WEPL from the range → WEPL calibration, the exit\n" +
			"position and direction at the first tracker plane — and writes the tracks with the columns wepl,\n" +
			"wepl_range, wepl_chi2, wepl_flags, exit_x/y/z, exit_tx/ty to --out (dataset/SCHEMA.md). Tracks with\n" +
			"less than 25 mm of residual range are flagged as cut.\n\n" +
			"--calibrate simulates the degrader scan (water 0–290 mm, truth tracking) and writes the calibration\n" +
			"table; with the defaults it reproduces the embedded wepl/calibration/dtc-230.csv.\n\n" +
			"--resolution simulates water phantoms (--phantoms) at several pile-ups (--protons-per-frame), tracks\n" +
			"them with --method and --model and writes resolution.md (bias, σ, share beyond 3σ, split by error\n" +
			"type), resolution.csv and δWEPL histograms (per cell: wepl-hist-waterT-pN.png; per tracker:\n" +
			"wepl-hist-METHOD-pN.png) to --out-dir. Outputs are written atomically.",
		Args: cobra.MaximumNArgs(1),
	}, (*weplFlags).bind, runWEPL)
}

// weplFlags are the flags of `pcttrack wepl`.
type weplFlags struct {
	out, outDir          string
	calibrate, study     bool
	est                  weplEstFlags
	geometry             string
	energy               float64
	protons              int
	seed                 uint64
	thicknesses, phantom string
	ppf                  string
	methods              string
	models               []string
	paper                bool
	workers              int
}

// bind registers the flags on fl.
func (f *weplFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.out, "out", "", "output tracks file (with TRACKS) or calibration table (--calibrate)")
	fl.StringVar(&f.outDir, "out-dir", "", "output directory of --resolution")
	fl.BoolVar(&f.calibrate, "calibrate", false, "make a range → WEPL calibration by a simulated degrader scan")
	fl.BoolVar(&f.study, "resolution", false, "run the WEPL resolution study")
	f.est.add(fl)
	fl.StringVar(&f.geometry, "geometry", "", "detector geometry, preset or YAML file (default: the tracks file's; dtc for --calibrate/--resolution)")
	fl.Float64Var(&f.energy, "energy", 0, "beam energy, MeV (default: the tracks file's; 230 for --calibrate)")
	fl.IntVar(&f.protons, "protons", 0, "protons per degrader thickness (--calibrate, 0 = 2000) or per phantom and pile-up (--resolution, 0 = 10000)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed: thickness k uses seed+k (--calibrate); water T mm at N p/frame seed+10⁶+1000·10T+N (--resolution)")
	fl.StringVar(&f.thicknesses, "thicknesses", "", "degrader thicknesses of --calibrate, mm: a list or FROM:TO:STEP (default 0:290:10)")
	fl.StringVar(&f.phantom, "phantoms", "100,150,200", "water phantoms of --resolution, mm")
	fl.StringVar(&f.ppf, "protons-per-frame", "50,100,150", "pile-ups of --resolution")
	fl.StringVar(&f.methods, "method", "truth,follower,physics,model", "trackers of --resolution (model: the shipped learned tracker; or none)")
	fl.StringArrayVar(&f.models, "model", nil, "learned tracker of --resolution, [NAME=]CKPT (repeatable)")
	fl.BoolVar(&f.paper, "paper", false, "learned trackers solve each layer pair like the paper (maximum cardinality)")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
}

func runWEPL(cmd *cobra.Command, args []string, f *weplFlags) error {
	modes := 0
	for _, on := range []bool{len(args) == 1, f.calibrate, f.study} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return errors.New("wepl: give a tracks file, --calibrate or --resolution (one of them)")
	}
	if err := checkBounds("wepl", atLeast("workers", f.workers, 0), atLeast("protons", f.protons, 0)); err != nil {
		return err
	}
	var geom *detector.Geometry
	if f.geometry != "" {
		var err error
		if geom, err = detector.Resolve(f.geometry); err != nil {
			return fmt.Errorf("wepl: --geometry: %w", err)
		}
	}
	switch {
	case f.calibrate:
		return runCalibrate(cmd, f, geom)
	case f.study:
		return runResolution(cmd, f, geom)
	}
	if f.out == "" {
		return errors.New("wepl: --out is required")
	}
	opt, err := f.est.options()
	if err != nil {
		return err
	}
	var bar *progress.Bar
	sum, err := wepl.Annotate(cmd.Context(), args[0], f.out, &wepl.AnnotateOptions{Options: opt, Geometry: geom, Energy: f.energy,
		Progress: lazyBar(cmd, &bar, "wepl")})
	bar.Finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d frames, %d tracks, %d pass the cuts\n", f.out, sum.Frames, sum.Tracks, sum.OK)
	return err
}

func runCalibrate(cmd *cobra.Command, f *weplFlags, geom *detector.Geometry) error {
	if f.out == "" {
		return errors.New("wepl: --calibrate needs --out")
	}
	cfg := wepl.CalibrationConfig{Geometry: geom, Energy: f.energy, Protons: f.protons, Seed: f.seed, Workers: f.workers}
	if f.thicknesses != "" {
		var err error
		if cfg.Thicknesses, err = parseFloatList(f.thicknesses); err != nil {
			return fmt.Errorf("wepl: --thicknesses: %w", err)
		}
	}
	var bar *progress.Bar
	cfg.Progress = lazyBar(cmd, &bar, "calibrate")
	cal, err := wepl.Calibrate(cmd.Context(), cfg)
	bar.Finish()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := cal.Write(&b); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(f.out, b.Bytes()); err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d thicknesses, p = %.4f, scales %.4g (deposit) %.4g (cluster)\n",
		f.out, len(cal.Points), cal.P, cal.Scale[0], cal.Scale[1])
	return err
}

func runResolution(cmd *cobra.Command, f *weplFlags, geom *detector.Geometry) error {
	if f.outDir == "" {
		return errors.New("wepl: --resolution needs --out-dir")
	}
	opt, err := f.est.options()
	if err != nil {
		return err
	}
	phantoms, err := parseFloatList(f.phantom)
	if err != nil {
		return fmt.Errorf("wepl: --phantoms: %w", err)
	}
	var ppf []int
	for _, v := range strings.Split(f.ppf, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return fmt.Errorf("wepl: --protons-per-frame: %q is not a positive integer", v)
		}
		ppf = append(ppf, n)
	}
	methods, err := pipeline.Select(f.methods, f.models, modelOptions(f.paper))
	if err != nil {
		return fmt.Errorf("wepl: %w", err)
	}
	var bar *progress.Bar
	rep, err := wepl.Resolution(cmd.Context(), wepl.ResolutionConfig{Phantoms: phantoms, ProtonsPerFrame: ppf, Protons: f.protons,
		Methods: methods, Estimator: opt, Geometry: geom, Seed: f.seed, Workers: f.workers,
		Progress: lazyBar(cmd, &bar, "resolution")})
	bar.Finish()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.outDir, 0o755); err != nil {
		return fmt.Errorf("wepl: %w", err)
	}
	var md, csv bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := rep.WriteCSV(&csv); err != nil {
		return err
	}
	for _, p := range phantoms {
		for _, n := range ppf {
			path := filepath.Join(f.outDir, fmt.Sprintf("wepl-hist-water%g-p%d.png", p, n))
			err := plot.Curves(path, rep.HistogramSeries(p, n), &plot.CurvesOptions{
				Title:  fmt.Sprintf("δWEPL (estimated − true) behind %g mm water, %d p⁺/frame, by error type", p, n),
				XLabel: "δWEPL (mm)", LogY: panels(rep, p, n), Columns: 2})
			if err != nil {
				return err
			}
		}
	}
	for _, m := range methods {
		for _, n := range ppf {
			series := rep.MethodSeries(m.Label(), n)
			var logY []string
			for _, s := range series {
				if !slices.Contains(logY, s.Panel) {
					logY = append(logY, s.Panel)
				}
			}
			path := filepath.Join(f.outDir, fmt.Sprintf("wepl-hist-%s-p%d.png", strings.ReplaceAll(m.Label(), " ", "-"), n))
			err := plot.Curves(path, series, &plot.CurvesOptions{
				Title:  fmt.Sprintf("δWEPL (estimated − true), %s tracks, %d p⁺/frame, by error type", m.Label(), n),
				XLabel: "δWEPL (mm)", LogY: logY})
			if err != nil {
				return err
			}
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(f.outDir, "resolution.csv"), csv.Bytes()); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(f.outDir, "resolution.md"), md.Bytes()); err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(md.Bytes())
	return err
}

// lazyBar returns a progress callback that starts *bar on its first call,
// when the total is known.
func lazyBar(cmd *cobra.Command, bar **progress.Bar, desc string) func(done, total int) {
	return func(done, total int) {
		if *bar == nil {
			*bar = progress.New(cmd.ErrOrStderr(), int64(total), desc)
		}
		(*bar).Add(1)
	}
}

// panels lists the trackers of one cell, all drawn with log y.
func panels(rep *wepl.ResolutionReport, phantom float64, ppf int) []string {
	var p []string
	for _, c := range rep.Cells {
		if c.Phantom == phantom && c.ProtonsPerFrame == ppf {
			p = append(p, c.Method)
		}
	}
	return p
}

// parseFloatList parses "a,b,c" or "FROM:TO:STEP".
func parseFloatList(s string) ([]float64, error) {
	if a, rest, ok := strings.Cut(s, ":"); ok {
		b, c, ok := strings.Cut(rest, ":")
		if !ok {
			return nil, fmt.Errorf("%q: want FROM:TO:STEP", s)
		}
		var v [3]float64
		for i, x := range []string{a, b, c} {
			var err error
			if v[i], err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
				return nil, fmt.Errorf("%q: %w", s, err)
			}
		}
		if !(v[2] > 0) || v[1] < v[0] {
			return nil, fmt.Errorf("%q: want FROM <= TO and STEP > 0", s)
		}
		var out []float64
		for k := 0; ; k++ {
			x := v[0] + float64(k)*v[2]
			if x > v[1]+1e-9*v[2] {
				break
			}
			out = append(out, x)
		}
		return out, nil
	}
	var out []float64
	for _, x := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", x, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func init() {
	rootCmd.AddCommand(newWEPLCmd())
}
