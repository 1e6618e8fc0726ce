package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/sim"
)

func newScanCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "scan --phantom ctp404 --projections 180 --protons 1000000 --out S.parquet",
		Short: "Simulate a proton CT scan: a phantom with structure rotated over projection angles, spot by spot",
		Long: "Rotates a built-in phantom over --projections angles evenly spread over --arc degrees and, at\n" +
			"each angle, scans a raster of pencil-beam spots (--pitch, --x, --y)\n" +
			"with the Bergen beam (230 MeV, σ 2 mm, 2.5 mrad at z = −500 mm, spots tilted from 6600 mm), every\n" +
			"spot getting the same number of frames of --protons-per-frame primaries until --protons are\n" +
			"reached. Frames carry their angle and spot; the dataset carries the Monte-Carlo truth per primary\n" +
			"(WEPL through the phantom). Writes one dataset, or with --per-angle one per angle in the\n" +
			"directory --out. --shard k/K writes the frames i with i mod K = k (join them with merge).\n\n" +
			"Phantoms: " + strings.Join(sim.SolidNames(), ", ") + ".",
		Args: cobra.NoArgs,
	}, (*scanFlags).bind, runScan, "out")
}

// scanFlags are the flags of `pcttrack scan`.
type scanFlags struct {
	phantom, out, shard, geometry string
	projections, protons, ppf     int
	workers                       int
	arc, pitch                    float64
	xField, yField                []float64
	energy, spotSigma, divergence float64
	seed                          uint64
	perAngle                      bool
}

// bind registers the flags on fl.
func (f *scanFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.phantom, "phantom", "ctp404", "phantom: "+strings.Join(sim.SolidNames(), ", "))
	fl.StringVar(&f.out, "out", "", "output dataset (.parquet), or directory with --per-angle; required")
	fl.IntVar(&f.projections, "projections", 180, "projection angles")
	fl.Float64Var(&f.arc, "arc", 360, "degrees the angles cover")
	fl.IntVar(&f.protons, "protons", 1000000, "primaries of the whole scan (rounded up to whole frames per spot and angle)")
	fl.IntVar(&f.ppf, "protons-per-frame", sim.DefaultScanProtonsPerFrame, "primaries per readout frame")
	fl.Float64Var(&f.pitch, "pitch", sim.DefaultScanPitch, "spot pitch, mm")
	fl.Float64SliceVar(&f.xField, "x", nil, "spot field along x, mm: X0,X1 (default: the phantom's diameter plus a pitch)")
	fl.Float64SliceVar(&f.yField, "y", nil, "spot field along y, mm: Y0,Y1 (default: one row at y = 0, a 2-D slice)")
	fl.Float64Var(&f.energy, "energy", sim.BergenBeam.Energy, "beam energy, MeV")
	fl.Float64Var(&f.spotSigma, "spot-sigma", sim.BergenBeam.SpotSigma, "spot size (rms per axis) at the source, mm; 0 = point beam (an exactly known entry)")
	fl.Float64Var(&f.divergence, "divergence", 1e3*sim.BergenBeam.Divergence, "beam divergence (rms per axis), mrad; 0 = parallel")
	fl.Uint64Var(&f.seed, "seed", 1, "run seed")
	fl.StringVar(&f.shard, "shard", "", "simulate only shard k/K of the frames")
	fl.StringVar(&f.geometry, "geometry", detector.PresetDTC, "geometry preset ("+strings.Join(detector.PresetNames(), ", ")+") or YAML file")
	fl.BoolVar(&f.perAngle, "per-angle", false, "write one dataset per projection angle into the directory --out")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
}

func runScan(cmd *cobra.Command, _ []string, f *scanFlags) error {
	solid, err := sim.SolidByName(f.phantom)
	if err != nil {
		return err
	}
	geom, err := detector.Resolve(f.geometry)
	if err != nil {
		return err
	}
	s := sim.Scan{Object: solid, Projections: f.projections, Arc: f.arc, Pitch: f.pitch, Protons: f.protons, ProtonsPerFrame: f.ppf}
	for _, fld := range []struct {
		name string
		v    []float64
		a, b *float64
	}{{"--x", f.xField, &s.X0, &s.X1}, {"--y", f.yField, &s.Y0, &s.Y1}} {
		switch len(fld.v) {
		case 0:
		case 2:
			*fld.a, *fld.b = fld.v[0], fld.v[1]
		default:
			return fmt.Errorf("scan: %s wants two values, from and to (mm), not %d", fld.name, len(fld.v))
		}
	}
	c := sim.Config{Geometry: geom, Beam: sim.BergenBeam, Seed: f.seed, Workers: f.workers}
	if c.Beam.Energy, err = beamEnergy(f.energy); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if c.Beam.SpotSigma, err = beamSpread("spot-sigma", f.spotSigma, 1); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if c.Beam.Divergence, err = beamSpread("divergence", f.divergence, 1e-3); err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if err := s.Apply(&c); err != nil {
		return err
	}
	if c.Shard, err = shard.Parse(f.shard); err != nil {
		return fmt.Errorf("scan: --shard: %w", err)
	}
	if f.workers < 0 {
		return fmt.Errorf("scan: --workers must not be negative, not %d", f.workers)
	}
	if _, err := sim.MarshalConfig(c); err != nil { // validates before the progress bar
		return err
	}
	bar := progress.New(cmd.ErrOrStderr(), int64(c.Owned()), "scan")
	var st sim.WriteStats
	if f.perAngle {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		st, err = sim.WritePerAngle(cmd.Context(), c, f.out, func() { bar.Add(1) })
	} else {
		st, err = sim.Write(cmd.Context(), c, f.out, func() { bar.Add(1) })
	}
	bar.Finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %s, %d angles × %d spots, %d frames, %d primaries, %d hits in %.2f s: %.0f primaries/s\n",
		f.out, solid.Name, len(c.Angles), len(c.Beam.Spots), st.Frames, st.Primaries, st.Hits, st.Elapsed.Seconds(), st.Rate())
	return err
}

func init() {
	rootCmd.AddCommand(newScanCmd())
}
