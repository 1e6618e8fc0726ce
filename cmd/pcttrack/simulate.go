package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/sim"
)

func newSimulateCmd() *cobra.Command {
	return subcommand(&cobra.Command{
		Use:   "simulate --out D.parquet",
		Short: "Simulate readout frames of proton pencil beams through a water phantom and the DTC",
		Long: "Simulates --frames readout frames of --protons-per-frame primaries each (primaries that reach the\n" +
			"detector, as in the paper's data) and writes them with Monte-Carlo truth to a dataset. The same\n" +
			"seed gives a byte-identical dataset; --shard k/K writes only the frames i with i mod K = k, so K\n" +
			"machines (a Slurm array, a Kubernetes Indexed Job) produce exactly the frames of one run; join\n" +
			"them with `pcttrack merge`. --config reads a YAML run configuration (see sim.Config); flags given\n" +
			"on the command line override it. An interrupted run (SIGINT) leaves no output file.",
		Args: cobra.NoArgs,
	}, (*simulateFlags).bind, runSimulate, "out")
}

// simulateFlags are the flags of `pcttrack simulate`.
type simulateFlags struct {
	config, geometry, phantom, out, shard string
	energy, spotSigma, divergence         float64
	sourceZ, waterI                       float64
	legacy, noElectrons                   bool
	protonsPerFrame, frames, workers      int
	physicsVersion                        int
	seed                                  uint64
	resume                                bool
}

// bind registers the flags on fl.
func (f *simulateFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&f.out, "out", "", "output dataset (.parquet), required")
	fl.StringVar(&f.config, "config", "", "YAML run configuration (flags override it)")
	fl.StringVar(&f.phantom, "phantom", "none", "phantom: none or MATERIAL:MM[@CENTRE_Z], e.g. water:100")
	fl.Float64Var(&f.energy, "energy", sim.DefaultEnergy, "beam energy, MeV")
	fl.IntVar(&f.protonsPerFrame, "protons-per-frame", 100, "primaries per readout frame")
	fl.IntVar(&f.frames, "frames", 0, "frames of the whole run (all shards), required without --config")
	fl.Uint64Var(&f.seed, "seed", 1, "run seed")
	fl.StringVar(&f.shard, "shard", "", "simulate only shard k/K of the frames")
	fl.StringVar(&f.geometry, "geometry", detector.PresetDTC, "geometry preset ("+strings.Join(detector.PresetNames(), ", ")+") or YAML file")
	fl.Float64Var(&f.spotSigma, "spot-sigma", sim.DefaultSpotSigma, "beam spot size (rms per axis) at the source, mm; 0 = point beam")
	fl.Float64Var(&f.divergence, "divergence", 1e3*sim.DefaultDivergence, "beam divergence (rms per axis), mrad; 0 = parallel")
	fl.Float64Var(&f.sourceZ, "source-z", sim.DefaultSourceZ, "z of the source plane, mm (the GATE reference file's: -255)")
	fl.Float64Var(&f.waterI, "water-i", sim.DefaultWaterI, "mean excitation energy of the phantom's water, eV (PSTAR: 75)")
	fl.IntVar(&f.physicsVersion, "physics-version", 0, fmt.Sprintf("simulate an earlier physics version, for comparison or to reproduce its data: 2 (no electron hits), 1 (Highland scattering, exact offsets, Landau deposits, 75 eV water); 0 = the current, %d", sim.PhysicsVersion))
	fl.BoolVar(&f.legacy, "legacy-physics", false, "--physics-version 1")
	fl.BoolVar(&f.noElectrons, "no-electron-hits", false, "drop the electron hits of δ-electrons from passive material and of nuclear photons (GATE's rates), for comparison")
	fl.IntVar(&f.workers, "workers", 0, "parallel workers (0 = all cores)")
	fl.BoolVar(&f.resume, "resume", false, "keep --out if it already holds this run's shard (a requeued array task); another run there is an error")
}

// simConfig builds the run configuration from --config and the flags.
func (f *simulateFlags) simConfig(cmd *cobra.Command) (sim.Config, error) {
	var c sim.Config
	fromFile := f.config != ""
	if fromFile {
		data, err := os.ReadFile(f.config)
		if err != nil {
			return c, fmt.Errorf("simulate: --config: %w", err)
		}
		if c, err = sim.ParseConfig(data); err != nil {
			return c, fmt.Errorf("simulate: --config %s: %w", f.config, err)
		}
	}
	set := func(name string) bool { return !fromFile || cmd.Flags().Changed(name) }
	if set("geometry") && (c.Geometry == nil || cmd.Flags().Changed("geometry")) {
		g, err := detector.Resolve(f.geometry)
		if err != nil {
			return c, err
		}
		c.Geometry = g
	}
	if set("phantom") {
		p, err := sim.ParsePhantom(f.phantom)
		if err != nil {
			return c, err
		}
		c.Phantom = p
	}
	var err error
	if set("energy") {
		if c.Beam.Energy, err = beamEnergy(f.energy); err != nil {
			return c, fmt.Errorf("simulate: %w", err)
		}
	}
	if set("spot-sigma") {
		if c.Beam.SpotSigma, err = beamSpread("spot-sigma", f.spotSigma, 1); err != nil {
			return c, fmt.Errorf("simulate: %w", err)
		}
	}
	if set("divergence") {
		if c.Beam.Divergence, err = beamSpread("divergence", f.divergence, 1e-3); err != nil {
			return c, fmt.Errorf("simulate: %w", err)
		}
	}
	if set("source-z") {
		c.Beam.SourceZ = sim.Float(f.sourceZ)
	}
	if f.legacy {
		f.physicsVersion = 1
	}
	if f.physicsVersion != 0 {
		c.Physics = sim.Physics{Version: f.physicsVersion}
	}
	if set("water-i") && (c.Physics.Version != 1 || cmd.Flags().Changed("water-i")) {
		c.Physics.WaterI = f.waterI
	}
	if f.noElectrons {
		c.Physics.NoElectronHits = true
	}
	if set("protons-per-frame") {
		if err := checkBounds("simulate", atLeast("protons-per-frame", f.protonsPerFrame, 1)); err != nil {
			return c, err
		}
		c.ProtonsPerFrame = f.protonsPerFrame
	}
	if set("frames") {
		c.Frames = f.frames
	}
	if err := checkBounds("simulate", atLeast("frames", c.Frames, 1)); err != nil {
		return c, err
	}
	if set("seed") {
		c.Seed = f.seed
	}
	sh, err := shard.Parse(f.shard)
	if err != nil {
		return c, fmt.Errorf("simulate: --shard: %w", err)
	}
	c.Shard = sh
	if f.workers < 0 {
		return c, fmt.Errorf("simulate: --workers must not be negative, not %d", f.workers)
	}
	c.Workers = f.workers
	return c, nil
}

// beamSpread converts the value of a spread flag (spot size, divergence),
// where 0 means none, to sim.Beam's units (v·scale) and convention, where
// 0 means the default and a negative value none.
func beamSpread(flag string, v, scale float64) (float64, error) {
	switch {
	case !(v >= 0):
		return 0, fmt.Errorf("--%s must not be negative, not %g", flag, v)
	case v == 0:
		return -1, nil
	}
	return v * scale, nil
}

// beamEnergy checks --energy, which sim.Beam would read as the default
// when 0.
func beamEnergy(v float64) (float64, error) {
	if !(v > 0) {
		return 0, fmt.Errorf("--energy must be positive, not %g MeV", v)
	}
	return v, nil
}

func runSimulate(cmd *cobra.Command, _ []string, f *simulateFlags) error {
	c, err := f.simConfig(cmd)
	if err != nil {
		return err
	}
	meta, err := sim.Meta(c) // validates before the progress bar
	if err != nil {
		return err
	}
	if f.resume {
		done, err := dataset.Holds(f.out, meta)
		if err != nil {
			return fmt.Errorf("simulate: --resume: %w", err)
		}
		if done {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "kept %s: shard %s of this run is complete\n", f.out, c.Shard)
			return err
		}
	}
	bar := progress.New(cmd.ErrOrStderr(), int64(c.Owned()), "simulate")
	st, err := sim.Write(cmd.Context(), c, f.out, func() { bar.Add(1) })
	bar.Finish()
	if err != nil {
		return err
	}
	perPrimary := 0.0
	if st.Primaries > 0 {
		perPrimary = float64(st.Hits) / float64(st.Primaries)
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d frames, %d primaries, %d hits (%.2f per primary) in %.2f s: %.0f primaries/s\n",
		f.out, st.Frames, st.Primaries, st.Hits, perPrimary, st.Elapsed.Seconds(), st.Rate())
	return err
}

func init() {
	rootCmd.AddCommand(newSimulateCmd())
}
