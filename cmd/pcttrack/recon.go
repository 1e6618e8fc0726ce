package main

import (
	"fmt"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/imaging"
	"github.com/pcttrack/pcttrack/recon"
)

func newReconCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "recon SCAN.parquet... --out PREFIX",
		Short: "Reconstruct an RSP slice from a proton CT scan (truth pairing and Monte-Carlo WEPL, or tracks with fitted WEPL)",
		Long: "Reads the scan datasets of `pcttrack scan` (one run, or its shards or per-angle files), takes each\n" +
			"primary's exit state from its own hits in the two tracker layers and its WEPL from the Monte-Carlo\n" +
			"truth, the entry from its spot, cuts at 3σ in exit angle and WEPL per bin, estimates the paths\n" +
			"(the single-sided MLP by default) and reconstructs the slice by DROP or SART. Writes PREFIX.mhd and\n" +
			"PREFIX.raw (MetaImage, for ITK, 3D Slicer, RTK), PREFIX.json (commit, inputs, parameters, ROI\n" +
			"table), PREFIX.png and PREFIX-profile.png, and prints the per-insert table and MTF10. With --tracks\n" +
			"the protons are the tracks of any tracker with the WEPL package wepl fitted (pcttrack track --wepl).",
		Args: cobra.MinimumNArgs(1),
	}, (*reconFlags).bind, runRecon, "out")
}

// reconFlags are the flags of `pcttrack recon`.
type reconFlags struct {
	out, path, method, pairs   string
	tracks                     []string
	grid                       int
	pixel, sliceY, thickness   float64
	hull, relax, cutSigma, bin float64
	iterations, blocks, tv     int
	workers                    int
	robust, negative           bool
}

// bind registers the flags on fl.
func (f *reconFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.out, "out", "", "output prefix, required")
	fl.StringVar(&f.path, "path", "mlp", "path estimate: mlp, spline, straight")
	fl.StringVar(&f.method, "method", "drop", "method: drop, sart")
	fl.IntVar(&f.iterations, "iterations", 10, "iterations")
	fl.IntVar(&f.blocks, "blocks", recon.DefaultBlocks, "blocks per iteration")
	fl.Float64Var(&f.relax, "relaxation", recon.DefaultRelaxation, "relaxation λ in (0, 2)")
	fl.IntVar(&f.tv, "tv", 0, "total-variation superiorization: perturbations per iteration (0 = off)")
	fl.IntVar(&f.grid, "grid", recon.DefaultGridSize, "pixels per side")
	fl.Float64Var(&f.pixel, "pixel", recon.DefaultPixel, "pixel size, mm")
	fl.Float64Var(&f.sliceY, "slice-y", 0, "slice position along the rotation axis, mm")
	fl.Float64Var(&f.thickness, "slice-thickness", 0, "keep protons whose path crosses the axis within ±thickness/2 of the slice (0 = all)")
	fl.Float64Var(&f.hull, "hull", 0, fmt.Sprintf("hull radius, mm (0 = the phantom's radius + %g mm)", imaging.DefaultHullMargin))
	fl.Float64Var(&f.cutSigma, "cut-sigmas", 3, "k of the kσ cuts on exit angle and WEPL (negative = no cuts)")
	fl.Float64Var(&f.bin, "cut-bin", 1, "lateral bin of the cuts, mm")
	fl.BoolVar(&f.negative, "negative", false, "let pixels go below RSP 0 (unbiased air in a noisy image; default: clamp at 0)")
	fl.BoolVar(&f.robust, "robust", false, "cuts around the median and MAD instead of mean and standard deviation")
	fl.StringSliceVar(&f.tracks, "tracks", nil, "tracks files with WEPL columns (pcttrack track --wepl), one per scan dataset: reconstruct from them instead of truth pairing and Monte-Carlo WEPL")
	fl.StringVar(&f.pairs, "pairs", "", "also export the protons in RTK-PCT's pairs format into this directory")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
}

func runRecon(cmd *cobra.Command, args []string, f *reconFlags) error {
	kind, err := recon.ParsePathKind(f.path)
	if err != nil {
		return err
	}
	method, err := recon.ParseMethod(f.method)
	if err != nil {
		return err
	}
	if err := checkBounds("recon", atLeast("iterations", f.iterations, 1), atLeast("blocks", f.blocks, 1), atLeast("grid", f.grid, 1),
		atLeast("tv", f.tv, 0), atLeast("workers", f.workers, 0)); err != nil {
		return err
	}
	if f.cutSigma == 0 {
		return fmt.Errorf("recon: --cut-sigmas 0 would cut everything; give a negative value for no cuts")
	}
	o := imaging.Options{Inputs: args, Tracks: f.tracks, Out: f.out, Pairs: f.pairs, Workers: f.workers, Progress: cmd.ErrOrStderr(),
		Grid:  recon.Grid{NX: f.grid, NZ: f.grid, Pixel: f.pixel, Y: f.sliceY, Thickness: f.thickness},
		Path:  recon.PathOptions{Kind: kind, Hull: f.hull},
		Cut:   recon.CutOptions{Sigmas: f.cutSigma, Bin: f.bin, Robust: f.robust},
		Solve: recon.Options{Method: method, Iterations: f.iterations, Blocks: f.blocks, Relaxation: f.relax, TV: recon.TVOptions{Perturbations: f.tv}, Negative: f.negative},
	}
	res, err := imaging.Reconstruct(cmd.Context(), o)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "wrote %s.{mhd,raw,json,png} and %s-profile.png: %s, %s, %d protons read, %d after cuts, %d rows (%d entries)\n",
		f.out, f.out, res.Phantom, res.Source, res.CutStats.In, res.CutStats.Kept, res.Rows, res.Entries)
	fmt.Fprintf(w, "time: read %.1f s, system %.1f s, solve %.1f s (%d × %s, %d blocks), total %.1f s; heap %.0f MB\n",
		res.Seconds["read"], res.Seconds["system"], res.Seconds["solve"], res.Solve.Iterations, res.Solve.Method, res.Solve.Blocks,
		res.Seconds["total"], res.PeakHeap)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "ROI\tmaterial\ttruth RSP\tmean\tstd\tΔRSP\terror %%\tpixels\t\n")
	for _, r := range res.ROIs {
		rel := "–"
		if !math.IsNaN(float64(r.RelErr)) {
			rel = fmt.Sprintf("%+.2f", 100*r.RelErr)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4f\t%.4f\t%+.4f\t%s\t%d\t\n", r.Name, r.Material, r.Truth, float64(r.Mean), float64(r.Std), float64(r.Diff), rel, r.Pixels)
	}
	tw.Flush()
	mtf := "– (no circular insert edge, or the MTF stays above 10 %)"
	if m := float64(res.MTF10); !math.IsNaN(m) {
		mtf = fmt.Sprintf("%.2f lp/cm (Teflon insert edge)", m)
	}
	if m := float64(res.MTF50); !math.IsNaN(m) {
		mtf += fmt.Sprintf(", MTF50 %.2f lp/cm", m)
	}
	if _, err := fmt.Fprintf(w, "MTF10 %s; truth RSP at %.0f MeV; mean |error| over the ROIs that are not air %.2f %%\n",
		mtf, res.TruthEnergy, 100*float64(res.MeanAbsRelErr)); err != nil {
		return err
	}
	if tr := res.Tracking; len(f.tracks) > 0 && tr.Judged {
		pct := func(v imaging.Number) string {
			if math.IsNaN(float64(v)) {
				return "–"
			}
			return fmt.Sprintf("%.2f %%", 100*float64(v))
		}
		fmt.Fprintf(w, "mis-tracked (Monte-Carlo truth): %d of %d tracks; %s of the kept, %s of the cut; %s of them survive the cuts\n",
			tr.Mistracked, tr.In, pct(tr.SurvivorShare), pct(tr.CutShare), pct(tr.Survival))
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "error type\ttracks\tkept\tmean δWEPL in\tkept: mean\tRMS\tcore σ (mm)\t\n")
		for _, t := range tr.Types {
			if t.In == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", t.Type, t.In, t.Kept, mm(t.MeanIn, true), mm(t.Mean, true), mm(t.RMS, false), mm(t.CoreSD, false))
		}
		return tw.Flush()
	}
	return nil
}

// mm formats a length in mm with two decimals, with its sign if signed;
// NaN as "–".
func mm(v imaging.Number, signed bool) string {
	switch {
	case math.IsNaN(float64(v)):
		return "–"
	case signed:
		return fmt.Sprintf("%+.2f", float64(v))
	}
	return fmt.Sprintf("%.2f", float64(v))
}

func newReconDiffCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "diff A.mhd B.mhd --out PREFIX",
		Short: "Difference of two reconstructed slices: bias map A − B, or the pixel-wise difference of two seeds' images",
		Long: "Reads two images of the same grid written by `pcttrack recon`, writes A − B as PREFIX.mhd/.raw\n" +
			"with PREFIX.json (the statistics) and PREFIX.png on a diverging colour scale (blue negative, red\n" +
			"positive), and prints the mean, RMS, mean |Δ| and max |Δ| inside the phantom (named in A's JSON,\n" +
			"or --phantom; --radius overrides its radius) and the mean difference per ROI.",
		Args: cobra.ExactArgs(2),
	}, bindReconDiff, runReconDiff, "out")
}

// bindReconDiff registers the flags of `pcttrack recon diff` on fl.
func bindReconDiff(o *imaging.DiffOptions, fl *pflag.FlagSet) {
	fl.StringVar(&o.Out, "out", "", "output prefix, required")
	fl.StringVar(&o.Phantom, "phantom", "", "phantom whose disc and ROIs the statistics cover (default: the one in A's JSON)")
	fl.Float64Var(&o.Radius, "radius", 0, "radius of the disc, mm (0 = the phantom's)")
	fl.Float64Var(&o.Limit, "limit", 0, "colour scale ±limit in RSP (0 = the 99th percentile of |Δ| inside)")
}

func runReconDiff(cmd *cobra.Command, args []string, o *imaging.DiffOptions) error {
	o.A, o.B = args[0], args[1]
	res, err := imaging.Diff(*o)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	in := res.Inside
	where := "the whole image"
	if res.Radius > 0 {
		where = fmt.Sprintf("%s (r ≤ %g mm)", res.Phantom, res.Radius)
		if res.Phantom == "" {
			where = fmt.Sprintf("r ≤ %g mm", res.Radius)
		}
	}
	fmt.Fprintf(w, "wrote %s.{mhd,raw,json,png}: %s − %s over %s, %d pixels: mean %+.5f, RMS %.5f, mean |Δ| %.5f, max |Δ| %.4f\n",
		o.Out, o.A, o.B, where, in.Pixels, float64(in.Mean), float64(in.RMS), float64(in.MeanAbs), float64(in.MaxAbs))
	if len(res.ROIs) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "ROI\tmean Δ\tstd Δ\tpixels\t\n")
	for _, r := range res.ROIs {
		if math.IsNaN(float64(r.Mean)) {
			fmt.Fprintf(tw, "%s\t–\t–\t%d\t\n", r.Name, r.Pixels)
			continue
		}
		fmt.Fprintf(tw, "%s\t%+.5f\t%.5f\t%d\t\n", r.Name, float64(r.Mean), float64(r.Std), r.Pixels)
	}
	return tw.Flush()
}

func init() {
	cmd := newReconCmd()
	cmd.AddCommand(newReconDiffCmd())
	rootCmd.AddCommand(cmd)
}
