package demo

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/pcttrack/pcttrack/imaging"
	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/sim"
)

// Files of the CT stage in Options.Out.
const (
	FileCTScan  = "ct.parquet" // the scan dataset
	FileCTImage = "ct"         // prefix of the image: ct.mhd/.raw/.json, ct.png, ct-profile.png
)

// CTSizes returns the projections and protons of the CT stage's scan.
func CTSizes(quick bool) (projections, protons int) {
	if quick {
		return 12, 15000
	}
	return 90, 100000
}

// CT is the proton CT stage: it scans the CTP404-like phantom
// (sim.CTP404, CTSizes) and reconstructs its slice from truth pairing and
// the Monte-Carlo WEPL with the single-sided MLP and DROP on a 128 × 128
// grid of 1.25 mm (package imaging), then from the tracks of ctCases,
// leaving the results in State.CT.
func CT(ctx context.Context, s *State) error {
	proj, protons := CTSizes(s.Options.Quick)
	c := sim.Config{Beam: sim.BergenBeam, Seed: s.Options.Seed, Workers: s.Options.Workers}
	sc := sim.Scan{Object: sim.CTP404(), Projections: proj, Protons: protons}
	if err := sc.Apply(&c); err != nil {
		return err
	}
	scan := filepath.Join(s.Options.Out, FileCTScan)
	st, err := sim.Write(ctx, c, scan, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.W, "scanned %s: %d angles × %d spots, %d primaries in %.1f s\n", scan, len(c.Angles), len(c.Beam.Spots), st.Primaries, st.Elapsed.Seconds())
	o := imaging.Options{Inputs: []string{scan}, Out: filepath.Join(s.Options.Out, FileCTImage),
		Grid: recon.Grid{NX: 128, NZ: 128, Pixel: 1.25}, Cut: robustCuts, Workers: s.Options.Workers}
	res, err := imaging.Reconstruct(ctx, o)
	if err != nil {
		return err
	}
	s.CT = &CTResult{Result: res, Scan: st, Angles: len(c.Angles), Spots: len(c.Beam.Spots)}
	fmt.Fprintf(s.W, "reconstructed %s.mhd from %d rows in %.1f s\n", o.Out, res.Rows, res.Seconds["total"])
	for _, m := range ctCases {
		cc, err := ctCase(ctx, s, scan, m, o)
		if err != nil {
			return err
		}
		s.CT.Cases = append(s.CT.Cases, cc)
		fmt.Fprintf(s.W, "reconstructed %s.mhd from the tracks of %s: %.1f %% of the kept protons mis-tracked, mean |RSP error| %.2f %%\n",
			FileCTImage+"-"+m, m, 100*float64(cc.Tracking.SurvivorShare), 100*float64(cc.MeanAbsRelErr))
	}
	return nil
}

// CTResult is what the CT stage did.
type CTResult struct {
	*imaging.Result
	Scan          sim.WriteStats
	Angles, Spots int
	Cases         []CTCase // the images from tracks (ctCases)
}

// ctReport returns the report's CT section.
func ctReport(s *State) string {
	ct := s.CT
	if ct == nil {
		return ""
	}
	r := ct.Result
	var b strings.Builder
	b.WriteString("\n## Proton CT\n\n")
	fmt.Fprintf(&b, "The CTP404-like phantom (epoxy cylinder of R 75 mm, eight inserts) scanned over %d projections with %d spots of the Bergen beam (%d primaries, %.1f s), "+
		"reconstructed from truth pairing and the Monte-Carlo WEPL (entry from the spot: the DTC has no front tracker) with the single-sided most-likely path and %d %s iterations on %d × %d pixels of %g mm (%d rows, %.1f s). "+
		"Ground truth: the simulator's RSP at %.0f MeV.\n\n",
		ct.Angles, ct.Spots, ct.Scan.Primaries, ct.Scan.Elapsed.Seconds(), r.Solve.Iterations, r.Solve.Method,
		r.Grid.NX, r.Grid.NZ, r.Grid.Pixel, r.Rows, r.Seconds["total"], r.TruthEnergy)
	b.WriteString("| ROI | truth RSP | reconstructed | error |\n|---|---:|---:|---:|\n")
	for _, q := range r.ROIs {
		e := fmt.Sprintf("%+.4f", float64(q.Diff))
		if rel := float64(q.RelErr); !math.IsNaN(rel) {
			e = fmt.Sprintf("%+.2f %%", 100*rel)
		}
		fmt.Fprintf(&b, "| %s | %.4f | %.4f ± %.4f | %s |\n", q.Name, q.Truth, float64(q.Mean), float64(q.Std), e)
	}
	b.WriteString("\n![RSP image](" + FileCTImage + ".png)\n\n![profile](" + FileCTImage + "-profile.png)\n\n")
	b.WriteString("The image is also " + FileCTImage + ".mhd/.raw (MetaImage: ITK, 3D Slicer, RTK) with its provenance in " + FileCTImage + ".json. ")
	p, n := CTSizes(s.Options.Quick)
	fmt.Fprintf(&b, "Reproduce: `pcttrack scan --projections %d --protons %d --seed %d --out ct.parquet && pcttrack recon ct.parquet --grid 128 --pixel 1.25 --robust --out ct`; "+
		"from tracks: `pcttrack track ct.parquet --method model --wepl --out t.parquet && pcttrack recon ct.parquet --tracks t.parquet --grid 128 --pixel 1.25 --robust --out ct-model`.\n",
		p, n, s.Options.Seed)
	b.WriteString(ctCasesReport(s))
	return b.String()
}
