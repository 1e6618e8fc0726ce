// Package imaging runs proton CT image reconstruction from files to
// scored images: it reads the list-mode protons of a scan (truth pairing
// and Monte-Carlo WEPL from the datasets `pcttrack scan` writes), applies
// the 3σ cuts, estimates the paths and reconstructs the RSP slice (package
// recon), and writes the image as MetaImage with JSON provenance, a PNG,
// a profile plot and the per-ROI table with the phantom's ground truth.
// Reconstructed from a tracker's tracks, every proton carries its track's
// error type (package wepl) and its primary's WEPL through the cuts, so
// that the image is scored by what the tracking errors left in it
// (ScoreTracking); Diff compares two images (bias maps, seed differences).
// Units: mm, MeV, degrees for projection angles.
package imaging

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/physics"
	"github.com/pcttrack/pcttrack/plot"
	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/sim"
)

// DefaultHullMargin is how far in mm the default hull reaches beyond the
// phantom. The single-sided path of a proton near the edge is uncertain by
// about the spot's size (σ ≈ 3 mm): with a 2 mm margin the WEPL of the
// paths that leave the hull piled up in a bright rim and took 0.5–1.2 % of
// the interior's RSP (RESULTS.md, issue 19); at 10 mm the air inserts
// start to rise.
const DefaultHullMargin = 5.0

// Options configure Reconstruct. Zero values mean the documented defaults
// of each part; the hull defaults to the phantom's radius plus
// DefaultHullMargin.
type Options struct {
	Inputs []string // scan datasets (all of one run or of its shards)
	// Tracks, if not empty, are the tracks files (with the WEPL columns of
	// package wepl) made from Inputs, one per input in the same order:
	// the protons are then the measured tracks (any tracker, fitted
	// WEPL) instead of truth pairing with the Monte-Carlo WEPL.
	Tracks  []string
	Out     string // output prefix: Out.mhd/.raw/.json, Out.png, Out-profile.png
	Grid    recon.Grid
	Path    recon.PathOptions
	Cut     recon.CutOptions
	Solve   recon.Options
	Pairs   string // if set, also export the protons in RTK-PCT's pairs format into this directory
	Workers int    // 0 means GOMAXPROCS
	// Progress receives progress lines; nil means none.
	Progress io.Writer
}

// ROIResult is one row of the ROI table.
type ROIResult struct {
	Name     string  `json:"name"`
	Material string  `json:"material"`
	Truth    float64 `json:"truth_rsp"`
	Mean     Number  `json:"mean_rsp"`
	Std      Number  `json:"std_rsp"`
	Pixels   int     `json:"pixels"`
	Diff     Number  `json:"diff"`
	RelErr   Number  `json:"rel_err"` // NaN (null) for air; see Diff
}

// Number is a float64 that encodes NaN as JSON null.
type Number float64

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

// Result is what Reconstruct did; it is also the JSON metadata written
// beside the image.
type Result struct {
	Commit  string   `json:"commit"`
	Inputs  []string `json:"inputs"`
	Phantom string   `json:"phantom"`
	// TruthEnergy is the energy the ground-truth RSP is taken at, MeV.
	TruthEnergy float64 `json:"truth_energy_mev"`
	Grid        recon.Grid
	Path        struct {
		Kind   string  `json:"kind"`
		Energy float64 `json:"energy_mev"`
		Hull   float64 `json:"hull_mm"`
		Step   float64 `json:"step_mm"`
		Prior  recon.Cov2
	} `json:"path"`
	Cut      recon.CutOptions `json:"cut"`
	Solve    solveJSON        `json:"solve"`
	Source   string           `json:"source"` // "truth pairing, Monte-Carlo WEPL" or "tracks: …"
	Truth    recon.TruthStats `json:"truth_pairing"`
	TrackSt  TrackStats       `json:"tracks"`
	CutStats recon.CutStats   `json:"cut_stats"`
	Rows     int              `json:"rows"`
	Skipped  int              `json:"skipped"`
	Entries  int64            `json:"entries"`
	ROIs     []ROIResult      `json:"rois"`
	// MeanAbsRelErr is the mean |relative RSP error| over the ROIs that
	// are not air (truth RSP ≥ 0.1).
	MeanAbsRelErr Number `json:"mean_abs_rel_err"`
	MTF10         Number `json:"mtf10_lp_per_cm"`
	// MTF50 is where the MTF falls to 50 %, lp/cm: MTF10 lies beyond the
	// Nyquist frequency of 1 mm pixels in a good image.
	MTF50 Number `json:"mtf50_lp_per_cm"`
	// Tracking scores the protons against the Monte-Carlo truth: the
	// mis-tracked share before and after the cuts, δWEPL by error type.
	Tracking  Tracking `json:"tracking"`
	Seconds   map[string]float64
	PeakHeap  float64 `json:"peak_heap_mb"`
	PairFiles int     `json:"pair_files,omitempty"`
}

type solveJSON struct {
	Method        string  `json:"method"`
	Iterations    int     `json:"iterations"`
	Blocks        int     `json:"blocks"`
	Relaxation    float64 `json:"relaxation"`
	TVPerturb     int     `json:"tv_perturbations"`
	TVKernel      float64 `json:"tv_kernel"`
	TVStep        float64 `json:"tv_step"`
	InitialRSP    float64 `json:"initial_rsp"`
	Negative      bool    `json:"negative"`
	Workers       int     `json:"workers"`
	ProtonsPerSec Number  `json:"rows_per_second"`
}

// Reconstruct reads the scan, reconstructs the slice and writes the
// outputs (all of them or none). Inputs of different phantoms or beams, a
// file without Monte-Carlo truth, NaN values, an empty slice and a grid
// that does not cover the phantom are errors.
func Reconstruct(ctx context.Context, o Options) (*Result, error) {
	if len(o.Inputs) == 0 {
		return nil, fmt.Errorf("imaging: no input datasets")
	}
	if o.Out == "" {
		return nil, fmt.Errorf("imaging: no output prefix")
	}
	if len(o.Tracks) > 0 && len(o.Tracks) != len(o.Inputs) {
		return nil, fmt.Errorf("imaging: %d tracks files for %d scan datasets; give one per dataset", len(o.Tracks), len(o.Inputs))
	}
	res := &Result{Commit: recon.Commit(), Inputs: o.Inputs, Seconds: map[string]float64{}}
	t0 := time.Now()
	protons, cfg, err := readScan(ctx, o, res)
	if err != nil {
		return nil, err
	}
	res.Seconds["read"] = time.Since(t0).Seconds()
	solid := cfg.Object
	res.Phantom = solid.Name
	radius, _, _ := solid.Radius()
	beam := recon.BeamOf(cfg.Beam)

	g := o.Grid
	if g.NX == 0 {
		g.NX = recon.DefaultGridSize
	}
	if g.NZ == 0 {
		g.NZ = recon.DefaultGridSize
	}
	g.Pixel = cmp.Or(g.Pixel, recon.DefaultPixel)
	if hw := min(float64(g.NX), float64(g.NZ)) * g.Pixel / 2; hw < radius {
		return nil, fmt.Errorf("imaging: the %d × %d grid of %g mm pixels (±%g mm) does not cover %s (radius %g mm)",
			g.NX, g.NZ, g.Pixel, hw, solid.Name, radius)
	}
	res.Grid = g
	po := o.Path
	po.Energy = cmp.Or(po.Energy, cfg.Beam.Energy, sim.DefaultEnergy)
	po.Hull = cmp.Or(po.Hull, radius+DefaultHullMargin)
	if po.Prior == (recon.Cov2{}) {
		po.Prior = beam.Cov
	}
	paths, err := recon.NewPaths(g, &po)
	if err != nil {
		return nil, err
	}
	po = paths.Options()
	res.Path.Kind, res.Path.Energy, res.Path.Hull, res.Path.Step, res.Path.Prior = po.Kind.String(), po.Energy, po.Hull, po.Step, po.Prior
	res.TruthEnergy = solid.TruthEnergy(cfg.Physics.Water(), po.Energy)

	t1 := time.Now()
	kept, cst, err := recon.Cut(nil, protons, &o.Cut)
	if err != nil {
		return nil, err
	}
	res.Cut, res.CutStats = o.Cut, cst
	res.Tracking = ScoreTracking(protons, kept)
	protons = nil // let the collector have them
	res.Seconds["cut"] = time.Since(t1).Seconds()
	if o.Pairs != "" {
		if err := os.MkdirAll(o.Pairs, 0o755); err != nil {
			return nil, fmt.Errorf("imaging: %w", err)
		}
		if res.PairFiles, err = recon.ExportPairs(o.Pairs, kept); err != nil {
			return nil, err
		}
	}

	t2 := time.Now()
	logf(o.Progress, "recon: %d protons after cuts; building the system (%s paths)", len(kept), po.Kind)
	sys, err := recon.NewSystem(ctx, kept, g, &po, o.Workers)
	if err != nil {
		return nil, err
	}
	kept = nil
	res.Rows, res.Skipped, res.Entries = sys.Rows(), sys.Skipped, sys.Entries()
	res.Seconds["system"] = time.Since(t2).Seconds()
	heap := heapMB()

	t3 := time.Now()
	so := o.Solve
	so.Workers = o.Workers
	bar := progress.New(cmp.Or[io.Writer](o.Progress, io.Discard), int64(cmp.Or(so.Iterations, 10)), "recon")
	so.Progress = func(int, *recon.Image) { bar.Add(1) }
	im, err := recon.Solve(ctx, sys, &so)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	res.Seconds["solve"] = time.Since(t3).Seconds()
	res.PeakHeap = max(heap, heapMB())
	res.Solve = solveJSON{Method: so.Method.String(), Iterations: cmp.Or(so.Iterations, 10), Blocks: cmp.Or(so.Blocks, recon.DefaultBlocks),
		Relaxation: cmp.Or(so.Relaxation, recon.DefaultRelaxation), TVPerturb: so.TV.Perturbations,
		TVKernel: cmp.Or(so.TV.Kernel, recon.DefaultTVKernel), TVStep: cmp.Or(so.TV.Step, recon.DefaultTVStep),
		InitialRSP: so.Initial, Negative: so.Negative, Workers: cmp.Or(o.Workers, runtime.GOMAXPROCS(0))}
	res.Solve.ProtonsPerSec = Number(float64(res.Rows*res.Solve.Iterations) / res.Seconds["solve"])

	// score
	truth := solid.TruthRSP(cfg.Physics.Water(), res.TruthEnergy)
	var rois []recon.ROI
	for k, r := range solid.ROIs {
		rois = append(rois, recon.ROI{Name: r.Name, X: r.X, Z: r.Z, R: r.R, Truth: truth[k]})
	}
	for k, st := range recon.Measure(im, rois) {
		rel := st.RelErr
		if st.Truth < 0.1 {
			rel = math.NaN() // air is scored by |ΔRSP|
		}
		res.ROIs = append(res.ROIs, ROIResult{Name: st.Name, Material: solid.ROIs[k].Material.Name, Truth: st.Truth, Mean: Number(st.Mean),
			Std: Number(st.Std), Pixels: st.N, Diff: Number(st.Diff), RelErr: Number(rel)})
	}
	res.MeanAbsRelErr = MeanAbsRelErr(res.ROIs)
	res.MTF10, res.MTF50 = Number(math.NaN()), Number(math.NaN())
	if x, z, r, ok := solid.Edge(); ok {
		if m, err := recon.EdgeMTF(im, x, z, r, r/2); err == nil {
			res.MTF10, res.MTF50 = Number(m.MTF10), Number(m.Crossing(0.5))
		}
	}
	if err := writeOutputs(o.Out, im, res, solid, cfg.Physics.Water(), radius); err != nil {
		return nil, err
	}
	res.Seconds["total"] = time.Since(t0).Seconds()
	return res, nil
}

// readScan reads the list-mode protons of the inputs under truth pairing
// and returns them with the run's simulation configuration.
func readScan(ctx context.Context, o Options, res *Result) ([]dataset.Proton, sim.Config, error) {
	var protons []dataset.Proton
	var cfg sim.Config
	var cfgText string
	var f dataset.Frame
	for k, path := range o.Inputs {
		if slices.Index(o.Inputs, path) != k {
			return nil, cfg, fmt.Errorf("imaging: %s given twice", path)
		}
		r, err := dataset.Open(path)
		if err != nil {
			return nil, cfg, err
		}
		err = func() error {
			defer r.Close()
			m := r.Meta()
			if cfgText == "" {
				cfgText = m.Config
				c, err := sim.ParseConfig([]byte(m.Config))
				if m.Config == "" || err != nil {
					return fmt.Errorf("imaging: %s is not a scan written by pcttrack scan (no readable simulation configuration in its metadata)", path)
				}
				if c.Object == nil {
					return fmt.Errorf("imaging: %s is not a scan of a phantom with structure (no object in its configuration; use pcttrack scan)", path)
				}
				cfg = c
			} else if m.Config != cfgText {
				return fmt.Errorf("imaging: %s was simulated with another configuration than %s", path, o.Inputs[0])
			}
			beam := recon.BeamOf(cfg.Beam)
			if len(o.Tracks) > 0 {
				tp := o.Tracks[slices.Index(o.Inputs, path)]
				res.Source = "tracks, fitted WEPL"
				logf(o.Progress, "recon: reading %s (tracks of %s)", tp, path)
				var err error
				geom := cmp.Or(cfg.Geometry, detector.Default())
				protons, err = readTracks(ctx, tp, r, beam, geom.TrackerLayers, protons, &res.TrackSt)
				return err
			}
			res.Source = "truth pairing, Monte-Carlo WEPL"
			if !r.HasTruth() {
				return fmt.Errorf("imaging: %s has no Monte-Carlo truth per primary (missing %s)", path, strings.Join(r.Missing(), ", "))
			}
			if err := r.SetTruth(true); err != nil {
				return err
			}
			logf(o.Progress, "recon: reading %s (%d frames)", path, r.NumFrames())
			for i := range r.NumFrames() {
				if i%256 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				if err := r.ReadFrameInto(&f, i); err != nil {
					return err
				}
				var st recon.TruthStats
				protons, st = recon.AppendTruth(protons, &f, beam)
				res.Truth.Add(st)
			}
			return nil
		}()
		if err != nil {
			return nil, cfg, err
		}
	}
	if len(protons) == 0 {
		return nil, cfg, fmt.Errorf("imaging: no usable protons in %s", strings.Join(append(o.Inputs, o.Tracks...), ", "))
	}
	return protons, cfg, nil
}

// writeOutputs writes the image files, the PNG and the profile plot.
func writeOutputs(out string, im *recon.Image, res *Result, solid *sim.Solid, water *physics.Material, radius float64) error {
	var rois []recon.ROI
	for _, r := range res.ROIs {
		for _, sr := range solid.ROIs {
			if sr.Name == r.Name {
				rois = append(rois, recon.ROI{Name: r.Name, X: sr.X, Z: sr.Z, R: sr.R})
			}
		}
	}
	// the profile through the centre along X (CTP404: through the
	// 0° and 180° air inserts)
	x0, x1 := -radius-8, radius+8
	dist, val := recon.Profile(im, x0, 0, x1, 0, 600)
	tr := make([]float64, len(dist))
	for k, d := range dist {
		tr[k] = solid.TruthAt(water, sim.Vec3{X: x0 + d, Y: im.Grid.Y, Z: 0}, res.TruthEnergy)
	}
	fig, err := plot.NewRSPImage(im, &plot.RSPImageOptions{Title: fmt.Sprintf("%s: %s, %s, %d rows", solid.Name, res.Path.Kind, res.Solve.Method, res.Rows),
		ROIs: rois, Line: [4]float64{x0, 0, x1, 0}})
	if err != nil {
		return err
	}
	prof, err := plot.NewCurves(plot.ProfileSeries(dist, val, tr, ""), &plot.CurvesOptions{Title: solid.Name + ": profile along X at Z = 0",
		XLabel: fmt.Sprintf("distance from X = %g mm (mm)", x0)})
	if err != nil {
		return err
	}
	// draw the figures before writing anything, so that a drawing error
	// leaves no output
	var png, ppng bytes.Buffer
	if err := fig.Encode(&png, plot.PNG); err != nil {
		return err
	}
	if err := prof.Encode(&ppng, plot.PNG); err != nil {
		return err
	}
	if err := recon.WriteImage(out+".mhd", im, res); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(out+".png", png.Bytes()); err != nil {
		return err
	}
	return atomicfile.WriteFile(out+"-profile.png", ppng.Bytes())
}

func heapMB() float64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / 1e6
}

func logf(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", a...)
	}
}
