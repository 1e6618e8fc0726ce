package demo

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/imaging"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/wepl"
)

// ctCases are the trackers whose images the CT stage sets beside the one
// from truth pairing and the Monte-Carlo WEPL: a small version of the
// tracking-error experiment (RESULTS.md, issue 20): truth pairing with the
// fitted WEPL (the reference of every tracker) and the shipped model.
var ctCases = []string{baseline.NameTruth, pipeline.MethodModel}

// CTCase is one image of the CT stage made from tracks.
type CTCase struct {
	Method string
	*imaging.Result
}

// trackScan tracks the scan with method (its preferred graph, the
// paper's otherwise), measures each track's WEPL and writes the tracks to
// out.
func trackScan(ctx context.Context, scan, out, method string, workers int) error {
	m, err := pipeline.Builtin(method, nil)
	if err != nil {
		return err
	}
	g, _ := pipeline.PreferredGraph([]pipeline.Method{m})
	r, err := dataset.Open(scan)
	if err != nil {
		return err
	}
	defer r.Close()
	est, err := wepl.NewFor(r.Meta(), nil)
	if err != nil {
		return err
	}
	meta := dataset.TracksMeta{Source: scan, Dataset: r.Meta(), WEPL: est.String(), Frames: int64(r.NumFrames())}
	_, _, err = pipeline.WriteTracks(ctx, pipeline.Concat{r}, out, meta,
		&pipeline.Options{Graph: &g, Methods: []pipeline.Method{m}, Workers: workers, EditTracks: wepl.EditTracks(est)})
	return err
}

// ctCase reconstructs the scan from method's tracks with the options of
// the truth image.
func ctCase(ctx context.Context, s *State, scan, method string, o imaging.Options) (CTCase, error) {
	tracks := filepath.Join(s.Options.Out, "ct-tracks-"+method+".parquet")
	if err := trackScan(ctx, scan, tracks, method, s.Options.Workers); err != nil {
		return CTCase{}, fmt.Errorf("ct: tracking with %s: %w", method, err)
	}
	o.Tracks = []string{tracks}
	o.Out = filepath.Join(s.Options.Out, FileCTImage+"-"+method)
	res, err := imaging.Reconstruct(ctx, o)
	return CTCase{Method: method, Result: res}, err
}

// ctCasesReport is the report's table of the tracker images.
func ctCasesReport(s *State) string {
	ct := s.CT
	if ct == nil || len(ct.Cases) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### What tracking errors do to the image\n\n")
	b.WriteString("The same scan reconstructed, with the same cuts and reconstruction, from tracks with the fitted WEPL: " +
		"truth pairing (the reference) and the shipped model (`--method model`). " +
		"Mis-tracked: the share of the protons the cuts kept whose track is a wrong stop, merged or has a wrong tracker hit (Monte-Carlo truth). " +
		"MAE: the mean |RSP error| over the ROIs that are not air. " +
		"A small version of the experiment in RESULTS.md (\"Tracking errors in the image\", `scripts/tracking-error.sh`); " +
		"at this size the MAE is uncertain to about a point.\n\n")
	b.WriteString("| image | protons kept | mis-tracked | MAE | MAE − truth pairing |\n|---|---:|---:|---:|---:|\n")
	ref := math.NaN()
	for _, c := range ct.Cases {
		if c.Method == baseline.NameTruth {
			ref = float64(c.MeanAbsRelErr)
		}
	}
	fmt.Fprintf(&b, "| Monte-Carlo WEPL, truth pairing | %d | – | %.2f %% | |\n", ct.CutStats.Kept, 100*float64(ct.MeanAbsRelErr))
	for _, c := range ct.Cases {
		name := "fitted WEPL, " + c.Method
		if c.Method == baseline.NameTruth {
			name = "fitted WEPL, truth pairing"
		}
		d := ""
		if c.Method != baseline.NameTruth {
			d = fmt.Sprintf("%+.2f points", 100*(float64(c.MeanAbsRelErr)-ref))
		}
		fmt.Fprintf(&b, "| [%s](%s.png) | %d | %.1f %% | %.2f %% | %s |\n", name, FileCTImage+"-"+c.Method, c.CutStats.Kept,
			100*float64(c.Tracking.SurvivorShare), 100*float64(c.MeanAbsRelErr), d)
	}
	return b.String()
}

// robustCuts are the CT stage's cuts: median and MAD per bin, so that the
// nuclear tracks of measured tracks do not widen them (RESULTS.md, issue 20).
var robustCuts = recon.CutOptions{Robust: true}
