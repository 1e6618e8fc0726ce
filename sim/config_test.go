package sim

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/shard"
)

func TestParsePhantom(t *testing.T) {
	good := []struct {
		in   string
		want Phantom
		str  string
	}{
		{"water:100", Phantom{"water", 100, 0}, "water:100"},
		{" Water : 150 ", Phantom{"Water", 150, 0}, "Water:150"},
		{"none", Phantom{}, "none"},
		{"", Phantom{}, "none"},
		{"NONE", Phantom{}, "none"},
		{"water:250@-125", Phantom{"water", 250, -125}, "water:250@-125"},
		{"pmma:50", Phantom{"pmma", 50, 0}, "pmma:50"},
		{"water:0", Phantom{"water", 0, 0}, "none"},
	}
	for _, tc := range good {
		got, err := ParsePhantom(tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParsePhantom(%q) = %+v (%q), %v; want %+v (%q)", tc.in, got, got.String(), err, tc.want, tc.str)
		}
	}
	bad := []struct{ in, want string }{
		{"foo:100", `unknown material "foo"`},
		{"water:-5", "thickness -5 mm is not a non-negative number"},
		{"water:abc", "thickness"},
		{"water", "want none or MATERIAL:THICKNESS_MM"},
		{"water:nan", "thickness NaN"},
		{"water:10@x", "centre"},
	}
	for _, tc := range bad {
		_, err := ParsePhantom(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sim: ") {
			t.Errorf("ParsePhantom(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
	if w := (Phantom{"water", 100, 0}).WET(); w != 100 {
		t.Errorf("WET of 100 mm water = %g", w)
	}
	if w := (Phantom{"aluminium", 10, 0}).WET(); math.Abs(w-21.1) > 0.2 {
		t.Errorf("WET of 10 mm Al = %g, want ≈ 21.1", w)
	}
}

func TestConfigErrors(t *testing.T) {
	base := func() Config { return Config{Frames: 1, Phantom: Phantom{"water", 100, 0}} }
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"zero frames", func(c *Config) { c.Frames = 0 }, "0 frames: need at least 1"},
		{"negative protons", func(c *Config) { c.ProtonsPerFrame = -1 }, "-1 protons per frame"},
		{"negative thickness", func(c *Config) { c.Phantom.Thickness = -3 }, "thickness -3 mm"},
		{"unknown phantom", func(c *Config) { c.Phantom.Material = "cheese" }, `unknown material "cheese"`},
		{"energy too high", func(c *Config) { c.Beam.Energy = 900 }, "beam energy 900 MeV out of"},
		{"nan energy", func(c *Config) { c.Beam.Energy = math.NaN() }, "beam energy NaN"},
		{"negative energy", func(c *Config) { c.Beam.Energy = -5 }, "beam energy -5 MeV out of"},
		{"huge frames", func(c *Config) { c.ProtonsPerFrame = MaxProtonsPerFrame + 1 }, "100001 protons per frame is more than 100000"},
		{"nan spot", func(c *Config) { c.Beam.Spots = []Spot{{math.NaN(), 0}} }, "spot 0"},
		{"bad shard", func(c *Config) { c.Shard = shard.Shard{Index: 3, Count: 2} }, "shard 3/2"},
		{"negative workers", func(c *Config) { c.Workers = -2 }, "-2 workers"},
		{"yield", func(c *Config) { c.Physics.SecondaryYield = 2 }, "secondary yield 2"},
		{"scattering model", func(c *Config) { c.Physics.Scattering = "moliere" }, `scattering model "moliere"`},
		{"deposit model", func(c *Config) { c.Physics.Deposit = "vavilov" }, `deposit model "vavilov"`},
		{"diffraction model", func(c *Config) { c.Physics.Diffraction = "grey" }, `diffraction model "grey"`},
		{"water I", func(c *Config) { c.Physics.WaterI = 20 }, "water I-value 20 eV"},
		{"nan msc step", func(c *Config) { c.Physics.MSCStep = math.NaN() }, "msc step NaN"},
		{"detector elastic", func(c *Config) { c.Physics.DetectorElastic = -2 }, "detector elastic scale -2"},
		{"nan source", func(c *Config) { c.Beam.SourceZ = Float(math.NaN()) }, "source z NaN"},
		{"bad geometry", func(c *Config) { c.Geometry = detector.Default(); c.Geometry.Layers[5].Slabs[0].Thickness = -1 }, "thickness -1 mm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mod(&c)
			_, err := c.resolved()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sim: ") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// geometry-dependent checks happen when the beam line is compiled
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"phantom in detector", func(c *Config) { c.Phantom.Thickness = 600 }, "inside the detector"},
		{"source behind phantom", func(c *Config) { c.Beam.SourceZ = Float(-10) }, "upstream of the source"},
	} {
		c := base()
		tc.mod(&c)
		r, err := c.resolved()
		if err == nil {
			_, err = newPlan(&r)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	src := `geometry: dtc
phantom: water:150
beam:
  energy: 200
  spot_sigma: -1
  spots: [{x: 0, y: 0}, {x: 7, y: -7}]
protons_per_frame: 50
frames: 10
seed: 42
physics:
  no_elastic: true
`
	c, err := ParseConfig([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Phantom != (Phantom{"water", 150, 0}) || c.Beam.Energy != 200 || len(c.Beam.Spots) != 2 || c.Geometry.Name != "dtc" || !c.Physics.NoElastic {
		t.Errorf("decoded %+v", c)
	}
	out, err := MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r1, _ := c.resolved()
	r2, _ := back.resolved()
	if !reflect.DeepEqual(r1, r2) {
		t.Errorf("round trip differs:\n%s", out)
	}
	if !strings.Contains(string(out), "geometry: dtc\n") || !strings.Contains(string(out), "phantom: water:150\n") {
		t.Errorf("marshalled config:\n%s", out)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"geometry: nonesuch\nframes: 1\n", `unknown geometry "nonesuch"`},
		{"phantom: lava:10\nframes: 1\n", `unknown material "lava"`},
		{"frames: 1\ncolour: red\n", "field colour not found"},
		{"geometry:\n  name: g\n  aperture: [1, 1]\n  pixel_pitch: [0.03, 0.03]\n  layers:\n    - z: .nan\n      slabs: [{material: silicon, thickness: 0.025, sensitive: true}]\nframes: 1\n", "z NaN is not finite"},
	} {
		if _, err := ParseConfig([]byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseConfig(%q) error %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

// A source at z = 0 can be asked for (Beam.SourceZ is optional, not a
// zero-means-default number) and survives the YAML round trip; the
// physics' zero value resolves to version 2's models, Legacy to version
// 1's, and datasets record the version.
func TestSourceZAndPhysicsDefaults(t *testing.T) {
	c, err := ParseConfig([]byte("phantom: none\nbeam:\n  source_z: 0\nframes: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.resolved()
	if err != nil || c.Beam.SourceZ == nil || *r.Beam.SourceZ != 0 {
		t.Fatalf("source_z: 0 decoded as %v (%v)", r.Beam.SourceZ, err)
	}
	out, _ := MarshalConfig(c)
	back, _ := ParseConfig(out)
	if rb, _ := back.resolved(); *rb.Beam.SourceZ != 0 {
		t.Errorf("round trip moves the source to %g:\n%s", *rb.Beam.SourceZ, out)
	}
	if d, _ := (Config{Frames: 1}).resolved(); *d.Beam.SourceZ != DefaultSourceZ {
		t.Errorf("default source z %g", *d.Beam.SourceZ)
	}
	p := r.Physics
	if p.Scattering != ScatterWentzel || p.MSCStep != DefaultMSCStep || p.WaterI != DefaultWaterI || p.Deposit != DepositUrban ||
		p.Diffraction != DiffractionDisk || p.DetectorElastic != DefaultDetectorElastic || p.DeltaCut >= 0 {
		t.Errorf("zero Physics resolves to %+v", p)
	}
	l, _ := (Config{Frames: 1, Physics: Legacy()}).resolved()
	if l.Physics.Scattering != ScatterHighland || l.Physics.MSCStep >= 0 || l.Physics.WaterI != 75 || l.Physics.DetectorElastic != 1 {
		t.Errorf("Legacy resolves to %+v", l.Physics)
	}
	m, err := Meta(Config{Frames: 3, Seed: 4})
	if err != nil || m.SimPhysics != PhysicsVersion || m.Source != "simulate" || m.Geometry != "dtc" || m.Frames != 3 || !strings.Contains(m.Config, "scattering: wentzel") {
		t.Errorf("Meta = %+v, %v", m, err)
	}
}

func TestGridSpots(t *testing.T) {
	s := GridSpots(-7, 7, -7, 0, 7)
	want := []Spot{{-7, -7}, {0, -7}, {7, -7}, {-7, 0}, {0, 0}, {7, 0}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("GridSpots = %v", s)
	}
	if GridSpots(0, 1, 0, 1, 0) != nil {
		t.Error("zero step gives spots")
	}
}

func TestExampleConfigFile(t *testing.T) {
	data, err := os.ReadFile("testdata/sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.resolved()
	if err != nil {
		t.Fatal(err)
	}
	if r.Phantom.String() != "water:150" || r.Frames != 20 || r.Seed != 7 || r.Beam.SpotSigma != 3 || r.Physics.DeltaCut != 0.03 {
		t.Errorf("resolved %+v", r)
	}
}
