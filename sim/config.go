package sim

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
	"github.com/pcttrack/pcttrack/shard"
)

// Phantom is a homogeneous slab phantom perpendicular to the beam,
// infinite laterally. The zero value means no phantom.
type Phantom struct {
	Material  string  `yaml:"material,omitempty"`  // physics material name; "" = none
	Thickness float64 `yaml:"thickness,omitempty"` // mm
	Center    float64 `yaml:"center,omitempty"`    // z of the slab centre, mm (0 as in the TK macros)
}

// ParsePhantom parses "none" (or "") and "MATERIAL:THICKNESS[@CENTER]"
// with the thickness and optional centre z in mm, e.g. "water:100" or
// "water:250@-125" (a slab ending at z = 0).
func ParsePhantom(s string) (Phantom, error) {
	t := strings.TrimSpace(s)
	if t == "" || strings.EqualFold(t, "none") {
		return Phantom{}, nil
	}
	mat, rest, ok := strings.Cut(t, ":")
	if !ok {
		return Phantom{}, fmt.Errorf("sim: phantom %q: want none or MATERIAL:THICKNESS_MM, e.g. water:100", s)
	}
	thk, ctr, hasCtr := strings.Cut(rest, "@")
	p := Phantom{Material: strings.TrimSpace(mat)}
	var err error
	if p.Thickness, err = strconv.ParseFloat(strings.TrimSpace(thk), 64); err != nil {
		return Phantom{}, fmt.Errorf("sim: phantom %q: thickness: %w", s, err)
	}
	if hasCtr {
		if p.Center, err = strconv.ParseFloat(strings.TrimSpace(ctr), 64); err != nil {
			return Phantom{}, fmt.Errorf("sim: phantom %q: centre: %w", s, err)
		}
	}
	if err := p.validate(); err != nil {
		return Phantom{}, err
	}
	return p, nil
}

// None reports whether there is no phantom.
func (p Phantom) None() bool { return p.Material == "" || p.Thickness == 0 }

// String returns the ParsePhantom form ("none", "water:100", "water:250@-125").
func (p Phantom) String() string {
	if p.None() {
		return "none"
	}
	s := p.Material + ":" + strconv.FormatFloat(p.Thickness, 'g', -1, 64)
	if p.Center != 0 {
		s += "@" + strconv.FormatFloat(p.Center, 'g', -1, 64)
	}
	return s
}

// WET returns the water-equivalent thickness in mm (stopping-power ratio
// at 150 MeV).
func (p Phantom) WET() float64 {
	if p.None() {
		return 0
	}
	m, err := physics.MaterialByName(p.Material)
	if err != nil {
		return 0
	}
	w := physics.Water
	if m == w {
		return p.Thickness
	}
	e := detector.WETReferenceEnergy
	return p.Thickness * m.StoppingPower(e) * m.Density / (w.StoppingPower(e) * w.Density)
}

func (p Phantom) validate() error {
	if p.Material == "" {
		if p.Thickness != 0 {
			return fmt.Errorf("sim: phantom of %g mm has no material", p.Thickness)
		}
		return nil
	}
	if _, err := physics.MaterialByName(p.Material); err != nil {
		return fmt.Errorf("sim: phantom %q: %w", p.Material, err)
	}
	if !(p.Thickness >= 0) || math.IsInf(p.Thickness, 0) {
		return fmt.Errorf("sim: phantom %s: thickness %g mm is not a non-negative number", p.Material, p.Thickness)
	}
	if math.IsNaN(p.Center) || math.IsInf(p.Center, 0) {
		return fmt.Errorf("sim: phantom %s: centre %g is not finite", p.Material, p.Center)
	}
	return nil
}

// UnmarshalYAML accepts the ParsePhantom string form or a mapping.
func (p *Phantom) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var s string
		if err := n.Decode(&s); err != nil {
			return err
		}
		v, err := ParsePhantom(s)
		if err != nil {
			return err
		}
		*p = v
		return nil
	}
	type plain Phantom
	var v plain
	if err := n.Decode(&v); err != nil {
		return err
	}
	*p = Phantom(v)
	return p.validate()
}

// MarshalYAML writes the ParsePhantom string form.
func (p Phantom) MarshalYAML() (any, error) { return p.String(), nil }

// Spot is a pencil-beam spot position, mm.
type Spot struct {
	X float64 `yaml:"x"`
	Y float64 `yaml:"y"`
}

// GridSpots returns the spots of a rectangular grid from (x0, y0) to at
// most (x1, y1) in steps of step mm, row by row (y outer, x inner). It
// returns nil for a non-positive step or an empty range.
func GridSpots(x0, x1, y0, y1, step float64) []Spot {
	if !(step > 0) || x1 < x0 || y1 < y0 {
		return nil
	}
	var s []Spot
	ny := int(math.Floor((y1-y0)/step+1e-9)) + 1
	nx := int(math.Floor((x1-x0)/step+1e-9)) + 1
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			s = append(s, Spot{x0 + float64(i)*step, y0 + float64(j)*step})
		}
	}
	return s
}

// Beam is a proton pencil beam, Gaussian in position, angle and energy,
// with GATE PencilBeam's position–angle correlation (the DTC toolkit's
// Main.mac: σ 3 mm, 2 mrad, emittance 15 mm·mrad, rotation "negative").
// Zero values mean the defaults below; a negative SpotSigma, Divergence,
// EnergySpread or Emittance means exactly none.
type Beam struct {
	Energy       float64 `yaml:"energy,omitempty"`        // MeV; 0 means 230
	EnergySpread float64 `yaml:"energy_spread,omitempty"` // rms, MeV; 0 means none
	// SourceZ is the z of the source plane in mm; nil (the zero value, or
	// no source_z in YAML) means DefaultSourceZ. A pointer so that any z,
	// 0 included, can be asked for: Beam{SourceZ: sim.Float(0)}, YAML
	// "source_z: 0", flag --source-z 0.
	SourceZ    *float64 `yaml:"source_z,omitempty"`
	SpotSigma  float64  `yaml:"spot_sigma,omitempty"` // rms size per axis at the source, mm; 0 means 3
	Divergence float64  `yaml:"divergence,omitempty"` // rms angle per axis, rad; 0 means 0.002
	// Emittance is GATE's phase-space ellipse area per axis, π·ε_rms, in
	// mm·mrad; 0 means 15, negative means no correlation. It must not
	// exceed π·SpotSigma·Divergence (GATE refuses such a source). The
	// correlation is ±√(σx²σθ² − ε_rms²).
	Emittance float64 `yaml:"emittance,omitempty"`
	// Converging selects GATE's rotation "positive" (x and angle
	// anti-correlated: the beam narrows downstream); the default is
	// GATE's "negative", as in Main.mac, whose covariance −αε with α < 0
	// is positive: the beam widens downstream of the source.
	Converging bool `yaml:"converging,omitempty"`
	// Spots are the spot positions; frame i uses Spots[i mod len]. Empty
	// means a single spot at (0, 0), as in the paper's water data.
	Spots []Spot `yaml:"spots,omitempty"`
	// VirtualSource tilts each spot's axis as if the beam came from a
	// point this far upstream of z = 0 (mm); 0 means parallel spots.
	VirtualSource float64 `yaml:"virtual_source,omitempty"`
}

// Defaults of Beam.
const (
	DefaultEnergy     = 230.0
	DefaultSourceZ    = -500.0
	DefaultSpotSigma  = 3.0
	DefaultDivergence = 0.002
	DefaultEmittance  = 15.0 // mm·mrad
)

// Water returns the simulation's water: physics.Water with WaterI (0
// means DefaultWaterI), the reference of the truth WEPL and RSP.
func (p *Physics) Water() *physics.Material {
	return physics.Water.WithI(cmp.Or(p.WaterI, DefaultWaterI))
}

// Float returns a pointer to v, for optional fields such as Beam.SourceZ.
func Float(v float64) *float64 { return &v }

// Source returns the z of the source plane: SourceZ, or DefaultSourceZ
// when it is nil.
func (b *Beam) Source() float64 {
	if b.SourceZ == nil {
		return DefaultSourceZ
	}
	return *b.SourceZ
}

// resolved returns b with defaults filled in and negative spreads zeroed.
func (b Beam) resolved() Beam {
	def := func(v, d float64) float64 {
		switch {
		case v == 0:
			return d
		case v < 0:
			return 0
		}
		return v
	}
	b.Energy = cmp.Or(b.Energy, DefaultEnergy) // a negative energy stays, for the range check
	b.SourceZ = Float(b.Source())
	b.SpotSigma = def(b.SpotSigma, DefaultSpotSigma)
	b.Divergence = def(b.Divergence, DefaultDivergence)
	b.EnergySpread = def(b.EnergySpread, 0)
	b.Emittance = def(b.Emittance, DefaultEmittance)
	if len(b.Spots) == 0 {
		b.Spots = []Spot{{}}
	}
	return b
}

// Physics switches parts of the physics and sets model parameters. The
// zero value is the default model (PhysicsVersion 3): Wentzel multiple
// scattering with its single-scattering tail, Geant4-like condensed-history
// steps (MSCStep), water with I = 78 eV, Geant4's fluctuation model for the
// sensor deposits, nuclear interactions with black-disk elastic scattering
// (enhanced in the detector, DetectorElastic) and secondary protons, the
// electron hits of passive material and nuclear photons (NoElectronHits),
// and no in-sensor δ-electron hits (DeltaCut). Version selects an earlier
// version's models instead; Legacy returns those of version 1.
type Physics struct {
	// Version is the physics version to simulate: 0 means PhysicsVersion;
	// 2 is version 2, without electron hits; 1 is version 1, Legacy's
	// models, which it fills in where the fields below are zero. Each
	// reproduces the frames of its version bit for bit.
	Version      int  `yaml:"version,omitempty"`
	NoNuclear    bool `yaml:"no_nuclear,omitempty"`    // no nuclear interactions at all (inelastic or elastic)
	NoElastic    bool `yaml:"no_elastic,omitempty"`    // no hadronic elastic scattering (p–p, p–nucleus)
	NoStraggling bool `yaml:"no_straggling,omitempty"` // no energy-loss straggling (thick slabs)
	NoScattering bool `yaml:"no_scattering,omitempty"` // no multiple Coulomb scattering
	// Scattering is the multiple-scattering model: "" or ScatterWentzel
	// (default): the screened-Rutherford cross section with Molière's
	// screening, a Gaussian for the deflections below a cut plus the
	// single-scattering tail above it drawn one by one (package physics,
	// SoftScatter and SampleRutherford); ScatterHighland: Highland's
	// Gaussian, the model before PhysicsVersion 2.
	Scattering string `yaml:"scattering,omitempty"`
	// MSCStep is the longest condensed-history step in mm: as Geant4 does,
	// the multiple-scattering deflection of a step is applied at its end
	// without the lateral displacement a step accrues inside (Geant4 drops
	// it where a step ends on a volume boundary, so every thin detector
	// volume scatters at its exit face). The phantom is cut into such
	// steps, each volume of the detector is at least one. 0 means
	// DefaultMSCStep; negative means exact small-angle transport (the
	// correlated offset of every phantom step and slab group sampled), the
	// transport before PhysicsVersion 2.
	MSCStep float64 `yaml:"msc_step,omitempty"`
	// Diffraction is the angular distribution of coherent proton–nucleus
	// elastic scattering: "" or DiffractionDisk (default): a black disc of
	// radius physics.DiskRadius·A^(1/3), forward peak and 1/θ tail
	// (physics.SampleDiffraction); DiffractionGauss: a Gaussian of rms
	// ħc/(pR), the model before PhysicsVersion 2.
	Diffraction string `yaml:"diffraction,omitempty"`
	// DetectorElastic scales the coherent p–nucleus elastic cross section
	// in the detector's passive material; 0 means DefaultDetectorElastic.
	// It is empirical: the GATE reference file's primaries are kinked by
	// 50–200 mrad in its 3 mm Al layers 2–3 times as often as Rutherford
	// scattering and the elastic cross section that fits the lateral
	// spread behind its water make them (VALIDATION.md), and that tail
	// costs every tracker efficiency. 1 is the plain model.
	DetectorElastic float64 `yaml:"detector_elastic,omitempty"`
	// Deposit is the model of the energy deposited in a sensitive slab:
	// "" or DepositUrban (default): Geant4's universal fluctuation model,
	// ionisation as a Landau variable plus Poisson-distributed atomic
	// excitations (physics.ThinOptions.Excitation); DepositLandau: a
	// Landau variable of the whole loss, the model before PhysicsVersion 2.
	// Both have the exact mean loss.
	Deposit string `yaml:"deposit,omitempty"`
	// WaterI is the mean excitation energy of the phantom's water in eV; 0
	// means DefaultWaterI. It sets the water's stopping power, hence its
	// range (PSTAR's 75 eV gives the PSTAR ranges; 78 eV makes them 0.5 %
	// longer). Other materials keep their I.
	WaterI float64 `yaml:"water_i,omitempty"`
	// SecondaryYield is the mean number of fast secondary protons emitted
	// per inelastic interaction, at most 1.5 (quasi-free knock-out: the
	// leading proton, plus the struck proton for half of the events). 0
	// means DefaultSecondaryYield; negative means none.
	SecondaryYield float64 `yaml:"secondary_yield,omitempty"`
	// PhantomStep is the longest transport step in the phantom, mm; 0
	// means 2.
	PhantomStep float64 `yaml:"phantom_step,omitempty"`
	// DeltaCut is the production threshold in MeV of δ-electrons freed in
	// the sensitive slabs, which become hits of their own (PDG 11) while
	// the proton deposits the restricted loss. 0 means DefaultDeltaCut
	// (none); negative means no δ-electrons (the proton deposits its full
	// loss).
	DeltaCut float64 `yaml:"delta_cut,omitempty"`
	// NoElectronHits drops the electron hits the proton transport does
	// not make itself (electrons.go): δ-electrons from the passive
	// material in front of a sensor and Compton electrons of nuclear
	// de-excitation photons, both at the rates of the GATE reference file.
	// They make no difference to the protons' tracks but make events
	// impure, which the paper's efficiency divides by (VALIDATION.md).
	// Versions before 3 have none.
	NoElectronHits bool `yaml:"no_electron_hits,omitempty"`
}

// Models of Physics.Scattering, Physics.Deposit and Physics.Diffraction.
const (
	ScatterWentzel  = "wentzel"
	ScatterHighland = "highland"
	DepositUrban    = "urban"
	DepositLandau   = "landau"

	DiffractionDisk  = "disk"
	DiffractionGauss = "gauss"
)

// PhysicsVersion identifies the simulator's physics; datasets record it
// (dataset.Meta.SimPhysics). 1: Highland's Gaussian with exact offsets,
// water at 75 eV. 2: Wentzel scattering with the single-scattering tail,
// Geant4-like condensed-history steps, water at 78 eV, recalibrated
// nuclear elastic scattering. 3: electron hits from passive material and
// nuclear photons (Physics.NoElectronHits).
const PhysicsVersion = 3

// Legacy returns the physics of PhysicsVersion 1, for comparison: Highland
// scattering, exact offsets, water at 75 eV, Landau deposits, Gaussian
// diffraction, no electron hits. With it Run reproduces that version's
// frames bit for bit.
func Legacy() Physics {
	return Physics{Version: 1, Scattering: ScatterHighland, MSCStep: -1, WaterI: 75, Deposit: DepositLandau,
		Diffraction: DiffractionGauss, DetectorElastic: 1, NoElectronHits: true}
}

// versioned returns p with the models of its Version filled in (Version
// itself resolved to a number).
func (p Physics) versioned() (Physics, error) {
	switch p.Version {
	case 0, PhysicsVersion:
		p.Version = PhysicsVersion
	case 2:
		p.NoElectronHits = true
	case 1:
		l := Legacy()
		p.Scattering, p.Deposit, p.Diffraction = cmp.Or(p.Scattering, l.Scattering), cmp.Or(p.Deposit, l.Deposit), cmp.Or(p.Diffraction, l.Diffraction)
		p.MSCStep, p.WaterI, p.DetectorElastic = cmp.Or(p.MSCStep, l.MSCStep), cmp.Or(p.WaterI, l.WaterI), cmp.Or(p.DetectorElastic, l.DetectorElastic)
		p.NoElectronHits = true
	default:
		return p, fmt.Errorf("sim: physics version %d: want 1 … %d (0: %d)", p.Version, PhysicsVersion, PhysicsVersion)
	}
	return p, nil
}

// DefaultDetectorElastic is the default Physics.DetectorElastic, fitted
// to the share of the GATE file's primaries kinked by more than 70 mrad in
// its layers 4–10 (first half of its events).
const DefaultDetectorElastic = 3.5

// DefaultWaterI is the default water I-value in eV: Geant4's G4_WATER and
// the DTC toolkit's GATE macros, which made the paper's data.
const DefaultWaterI = 78.0

// DefaultMSCStep is the default condensed-history step in mm, fitted to
// the position–angle correlation behind 250 mm of water in the GATE
// reference file (VALIDATION.md): about the 0.1–0.2 × range steps of
// Geant4's proton ionisation and msc step limits there.
const DefaultMSCStep = 25.0

// DefaultDeltaCut is negative: by default no δ-electron hits are made and
// the proton deposits its full loss, as in the GATE runs behind the paper's
// data. The GATE reference file shows no in-sensor δ-electrons (its
// primaries deposit the full, not the restricted, mean loss), and the
// paper's efficiency (correct tracks over events whose hits are all primary)
// is only below 100 % if few events carry secondary hits: with the 30 keV
// threshold of a 10 µm range cut (DTC toolkit Main_chip.mac), 1.5 δ hits per
// proton make 82 % of the events impure at 100 mm and that efficiency
// exceeds 300 %. Set Physics.DeltaCut to 0.030 to study them.
const DefaultDeltaCut = -1.0

// DefaultSecondaryYield is calibrated on the GATE reference file (see the
// package tests): 0.9 fast protons per inelastic event reproduce its
// secondary-proton hits.
const DefaultSecondaryYield = 0.9

// MaxProtonsPerFrame bounds Config.ProtonsPerFrame. A frame is simulated and
// written in memory: 10⁵ protons (3.6 million hits) take 1.7 GB, five hundred
// times the paper's densest frames.
const MaxProtonsPerFrame = 100_000

// Config is a simulation run. Zero values mean the documented defaults;
// it decodes from YAML (the geometry as a preset name, file path or
// inline definition; the phantom as "water:100").
type Config struct {
	Geometry        *detector.Geometry `yaml:"geometry,omitempty"` // nil means detector.Default()
	Phantom         Phantom            `yaml:"phantom"`
	Beam            Beam               `yaml:"beam,omitempty"`
	Physics         Physics            `yaml:"physics,omitempty"`
	ProtonsPerFrame int                `yaml:"protons_per_frame,omitempty"` // 0 means 100; at most MaxProtonsPerFrame
	Frames          int                `yaml:"frames"`                      // frames in the whole run, >= 1
	Seed            uint64             `yaml:"seed"`
	Shard           shard.Shard        `yaml:"-"` // frames this run owns; zero value = all
	Workers         int                `yaml:"-"` // parallel workers; 0 means GOMAXPROCS
	// CountGenerated makes a frame hold ProtonsPerFrame generated
	// primaries. By default a frame holds ProtonsPerFrame primaries that
	// left at least one deposit in a sensitive slab, as the paper's
	// frames do (its pipeline keeps only events with hits); primaries
	// lost in the phantom are then skipped and do not use event ids.
	CountGenerated bool `yaml:"count_generated,omitempty"`
	// KeepSmallClusters keeps hits with cluster size < 2, which the
	// paper's pipeline (and by default this simulation) drops.
	KeepSmallClusters bool `yaml:"keep_small_clusters,omitempty"`
	// Digitize snaps hit positions to the centres of the geometry's pixel
	// grid (pixel edges at multiples of the pitch); off by default, as the
	// paper's features use continuous positions.
	Digitize bool `yaml:"digitize,omitempty"`
	// Object is a phantom with structure (a built-in solid by name in
	// YAML: ctp404, head) centred on the isocentre z = 0 and rotated per
	// frame by Angles; nil means none. It excludes Phantom.
	Object *Solid `yaml:"object,omitempty"`
	// Angles are the projection angles of a scan, degrees. Frames must be
	// a multiple of their number: frame i is at Angles[i / (Frames /
	// len(Angles))], so each angle has a block of consecutive frames (and
	// frame i uses spot i mod len(Beam.Spots) as always). Empty means
	// angle 0; see Scan.
	Angles []float64 `yaml:"angles,omitempty"`
}

// resolved returns a copy with defaults filled in, after validation.
func (c Config) resolved() (Config, error) {
	if c.Geometry == nil {
		c.Geometry = detector.Default()
	}
	if err := c.Geometry.Validate(); err != nil {
		return c, fmt.Errorf("sim: %w", err)
	}
	if c.Frames < 1 {
		return c, fmt.Errorf("sim: %d frames: need at least 1", c.Frames)
	}
	if c.ProtonsPerFrame < 0 {
		return c, fmt.Errorf("sim: %d protons per frame is negative", c.ProtonsPerFrame)
	}
	if c.ProtonsPerFrame == 0 {
		c.ProtonsPerFrame = 100
	}
	if c.ProtonsPerFrame > MaxProtonsPerFrame {
		return c, fmt.Errorf("sim: %d protons per frame is more than %d (a frame is held in memory: 10⁵ protons take 1.7 GB)", c.ProtonsPerFrame, MaxProtonsPerFrame)
	}
	if int64(c.Frames)*int64(c.ProtonsPerFrame) > math.MaxInt64/4 {
		return c, fmt.Errorf("sim: %d frames of %d protons overflow event ids", c.Frames, c.ProtonsPerFrame)
	}
	if c.Workers < 0 {
		return c, fmt.Errorf("sim: %d workers is negative", c.Workers)
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Shard.Count < 0 || (c.Shard.Count > 0 && (c.Shard.Index < 0 || c.Shard.Index >= c.Shard.Count)) || (c.Shard.Count == 0 && c.Shard.Index != 0) {
		return c, fmt.Errorf("sim: shard %d/%d is not of the form k/K with 0 <= k < K", c.Shard.Index, c.Shard.Count)
	}
	if err := c.Phantom.validate(); err != nil {
		return c, err
	}
	b := c.Beam
	for _, v := range []struct {
		name string
		x    float64
	}{{"energy", b.Energy}, {"energy spread", b.EnergySpread}, {"source z", b.Source()}, {"spot sigma", b.SpotSigma},
		{"divergence", b.Divergence}, {"virtual source", b.VirtualSource}, {"emittance", b.Emittance}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return c, fmt.Errorf("sim: beam %s %g is not finite", v.name, v.x)
		}
	}
	for i, s := range b.Spots {
		if math.IsNaN(s.X) || math.IsInf(s.X, 0) || math.IsNaN(s.Y) || math.IsInf(s.Y, 0) {
			return c, fmt.Errorf("sim: beam spot %d (%g, %g) is not finite", i, s.X, s.Y)
		}
	}
	c.Beam = b.resolved()
	if !(c.Beam.Energy > 0) || c.Beam.Energy > physics.MaxEnergy {
		return c, fmt.Errorf("sim: beam energy %g MeV out of (0, %g]", c.Beam.Energy, physics.MaxEnergy)
	}
	if c.Beam.Divergence > 0.5 {
		return c, fmt.Errorf("sim: beam divergence %g rad is not a pencil beam (at most 0.5)", c.Beam.Divergence)
	}
	if lim := math.Pi * c.Beam.SpotSigma * c.Beam.Divergence * 1e3; c.Beam.Emittance > lim*(1+1e-12) && c.Beam.SpotSigma > 0 && c.Beam.Divergence > 0 {
		return c, fmt.Errorf("sim: beam emittance %g mm·mrad exceeds π·σx·σθ = %.4g mm·mrad", c.Beam.Emittance, lim)
	}
	if err := c.checkObject(); err != nil {
		return c, err
	}
	p, err := c.Physics.versioned()
	if err != nil {
		return c, err
	}
	if math.IsNaN(p.SecondaryYield) || p.SecondaryYield > 1.5 {
		return c, fmt.Errorf("sim: secondary yield %g out of [0, 1.5]", p.SecondaryYield)
	}
	if p.SecondaryYield == 0 {
		p.SecondaryYield = DefaultSecondaryYield
	} else if p.SecondaryYield < 0 {
		p.SecondaryYield = 0
	}
	if math.IsNaN(p.PhantomStep) || p.PhantomStep < 0 || math.IsInf(p.PhantomStep, 0) {
		return c, fmt.Errorf("sim: phantom step %g mm is not a non-negative number", p.PhantomStep)
	}
	if p.PhantomStep == 0 {
		p.PhantomStep = 2
	}
	for _, m := range []struct {
		v              *string
		what, def, alt string
	}{
		{&p.Scattering, "scattering", ScatterWentzel, ScatterHighland},
		{&p.Deposit, "deposit", DepositUrban, DepositLandau},
		{&p.Diffraction, "diffraction", DiffractionDisk, DiffractionGauss},
	} {
		switch strings.ToLower(*m.v) {
		case "", m.def:
			*m.v = m.def
		case m.alt:
			*m.v = m.alt
		default:
			return c, fmt.Errorf("sim: %s model %q: want %s or %s", m.what, *m.v, m.def, m.alt)
		}
	}
	if err := defaultOrOff(&p.MSCStep, DefaultMSCStep, "msc step %g mm"); err != nil {
		return c, err
	}
	if math.IsNaN(p.WaterI) || p.WaterI < 0 || p.WaterI > 0 && (p.WaterI < 50 || p.WaterI > 100) {
		return c, fmt.Errorf("sim: water I-value %g eV out of [50, 100]", p.WaterI)
	}
	if p.WaterI == 0 {
		p.WaterI = DefaultWaterI
	}
	if math.IsNaN(p.DetectorElastic) || p.DetectorElastic < 0 || p.DetectorElastic > 100 {
		return c, fmt.Errorf("sim: detector elastic scale %g out of [0, 100]", p.DetectorElastic)
	}
	if p.DetectorElastic == 0 {
		p.DetectorElastic = DefaultDetectorElastic
	}
	if err := defaultOrOff(&p.DeltaCut, DefaultDeltaCut, "delta cut %g MeV"); err != nil {
		return c, err
	}
	c.Physics = p
	return c, nil
}

// ParseConfig decodes a YAML run configuration (unknown fields are an
// error). Defaults are applied by Run, not here.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("sim: config: %w", err)
	}
	return c, nil
}

// MarshalConfig returns c as YAML with its defaults filled in (the
// geometry by preset name when it is one), for dataset metadata.
func MarshalConfig(c Config) ([]byte, error) {
	r, err := c.resolved()
	if err != nil {
		return nil, err
	}
	// resolved zeros mean "none": write them as the negative sentinel so
	// that the YAML decodes to the same run
	neg := func(v *float64) {
		if *v == 0 {
			*v = -1
		}
	}
	neg(&r.Beam.SpotSigma)
	neg(&r.Beam.Divergence)
	neg(&r.Beam.Emittance)
	neg(&r.Physics.SecondaryYield)
	return yaml.Marshal(&r)
}

// defaultOrOff resolves a finite setting where 0 means def and a negative
// value means off (-1); what names it in the error, with a %g verb.
func defaultOrOff(v *float64, def float64, what string) error {
	if math.IsNaN(*v) || math.IsInf(*v, 0) {
		return fmt.Errorf("sim: "+what+" is not finite", *v)
	}
	if *v == 0 {
		*v = def
	} else if *v < 0 {
		*v = -1
	}
	return nil
}
