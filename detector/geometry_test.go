package detector

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestPresets(t *testing.T) {
	tests := []struct {
		name          string
		layers, track int
		z             map[int]float64 // layer -> sensor plane z
		spacing       map[int]float64
		thick         map[int]float64
		sensThick     float64
	}{
		{PresetDTC, 50, 2,
			map[int]float64{0: 225.2315, 1: 277.6315, 2: 333.3815, 49: 591.8815},
			map[int]float64{0: 52.4, 1: 55.75, 2: 5.5, 48: 5.5},
			map[int]float64{0: 52.4, 1: 52.4, 2: 5.5, 49: 5.5}, 0.025},
		{PresetGATE3mm, 100, 1,
			map[int]float64{0: 0.007, 1: 3.442, 89: 305.722},
			map[int]float64{0: 3.435, 50: 3.435},
			map[int]float64{0: 3.4344, 1: 3.4344}, 0.0139},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Preset(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Validate(); err != nil {
				t.Fatal(err)
			}
			if g.NumLayers() != tc.layers || g.TrackerLayers != tc.track {
				t.Errorf("%d layers, %d trackers; want %d, %d", g.NumLayers(), g.TrackerLayers, tc.layers, tc.track)
			}
			for l, z := range tc.z {
				if math.Abs(g.Layers[l].Z-z) > 1e-9 {
					t.Errorf("layer %d z %.6f, want %.6f", l, g.Layers[l].Z, z)
				}
				if math.Abs(g.Layers[l].SensitiveThickness()-tc.sensThick) > 1e-15 {
					t.Errorf("layer %d sensitive %g mm", l, g.Layers[l].SensitiveThickness())
				}
			}
			for l, d := range tc.spacing {
				if math.Abs(g.Spacing(l)-d) > 1e-9 {
					t.Errorf("spacing %d %.6f, want %.6f", l, g.Spacing(l), d)
				}
			}
			for l, d := range tc.thick {
				if math.Abs(g.Layers[l].Thickness()-d) > 1e-9 {
					t.Errorf("layer %d thickness %.6f, want %.6f", l, g.Layers[l].Thickness(), d)
				}
			}
		})
	}
	// GATE file: layer 0 spans posZ 5e-5 … 0.01395 mm
	g, _ := Preset("gate")
	if f, b := g.Layers[0].Front(), g.Layers[0].Front()+0.0139; math.Abs(f-5e-5) > 1e-12 || math.Abs(b-0.01395) > 1e-12 {
		t.Errorf("gate-3mm layer 0 sensitive slab %.6f…%.6f", f, b)
	}
	if _, err := Preset("nonesuch"); err == nil || !strings.Contains(err.Error(), `unknown geometry "nonesuch"`) {
		t.Errorf("unknown preset: %v", err)
	}
	if d := Default(); d.Name != PresetDTC {
		t.Errorf("Default() is %q", d.Name)
	}
}

// sameGeometry compares geometries allowing 1e-9 mm of rounding in z
// (YAML stores equally spaced layers as a start and a spacing).
func sameGeometry(a, b *Geometry) bool {
	if len(a.Layers) != len(b.Layers) {
		return false
	}
	for i := range a.Layers {
		if math.Abs(a.Layers[i].Z-b.Layers[i].Z) > 1e-9 {
			return false
		}
	}
	ac, bc := a.Clone(), b.Clone()
	for i := range ac.Layers {
		ac.Layers[i].Z = bc.Layers[i].Z
	}
	return reflect.DeepEqual(ac, bc)
}

func TestLayerOf(t *testing.T) {
	g := Default()
	for _, tc := range []struct {
		z    float64
		want int
	}{{225.2315, 0}, {225.24, 0}, {277.62, 1}, {333.3815 + 5.5*10, 12}, {300, -1}, {0, -1}, {1000, -1}} {
		if got := g.LayerOf(tc.z, 0); got != tc.want {
			t.Errorf("LayerOf(%g) = %d, want %d", tc.z, got, tc.want)
		}
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	for _, name := range PresetNames() {
		g, _ := Preset(name)
		data, err := Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, data)
		}
		if !sameGeometry(back, g) {
			t.Errorf("%s: round trip differs", name)
		}
		// a preset marshals as its name inside a config and decodes back
		var wrap struct {
			G *Geometry `yaml:"geometry"`
		}
		wrap.G = g
		out, err := yaml.Marshal(&wrap)
		if err != nil || strings.TrimSpace(string(out)) != "geometry: "+name {
			t.Errorf("%s: marshal in config = %q, %v", name, out, err)
		}
		wrap.G = nil
		if err := yaml.Unmarshal(out, &wrap); err != nil || !reflect.DeepEqual(wrap.G, g) {
			t.Errorf("%s: unmarshal of preset name: %v", name, err)
		}
	}
	// a modified preset is written in full
	g := Default()
	g.ApertureY = 166.3
	var wrap struct {
		G *Geometry `yaml:"geometry"`
	}
	wrap.G = g
	out, _ := yaml.Marshal(&wrap)
	wrap.G = nil
	if err := yaml.Unmarshal(out, &wrap); err != nil || !sameGeometry(wrap.G, g) {
		t.Errorf("modified preset round trip: %v\n%s", err, out)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := `name: two-layer
aperture: [100, 50]
pixel_pitch: [0.03, 0.03]
tracker_layers: 1
groups:
  - count: 2
    z: 10
    spacing: 5
    slabs:
      - {material: Aluminium, thickness: 3}
      - {material: silicon, thickness: 0.025, sensitive: true}
      - {material: air, thickness: 1}
`
	p := filepath.Join(dir, "g.yaml")
	os.WriteFile(p, []byte(good), 0o644)
	g, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.NumLayers() != 2 || g.Layers[1].Z != 15 || !g.Layers[0].Tracker || g.Layers[1].Tracker {
		t.Errorf("loaded %+v", g.Layers)
	}
	if r, err := Resolve(p); err != nil || r.Name != "two-layer" {
		t.Errorf("Resolve(file) = %v, %v", r, err)
	}
	base := "base: dtc\nname: wide\naperture: [270.8, 166.3]\n"
	if g, err := Parse([]byte(base)); err != nil || g.ApertureY != 166.3 || g.NumLayers() != 50 {
		t.Errorf("base preset: %v", err)
	}

	bad := []struct{ name, yaml, want string }{
		{"negative thickness", strings.Replace(good, "thickness: 3", "thickness: -3", 1), "thickness -3 mm is not positive"},
		{"nan thickness", strings.Replace(good, "thickness: 3", "thickness: .nan", 1), "thickness NaN mm is not positive"},
		{"nan z", strings.Replace(good, "z: 10", "z: .nan", 1), "z NaN is not finite"},
		{"unknown material", strings.Replace(good, "Aluminium", "Adamantium", 1), `unknown material "Adamantium"`},
		{"no sensitive", strings.Replace(good, ", sensitive: true", "", 1), "0 sensitive slabs"},
		{"overlap", strings.Replace(good, "spacing: 5", "spacing: 2", 1), "overlaps layer 0"},
		{"bad aperture", strings.Replace(good, "[100, 50]", "[100, 0]", 1), "aperture y 0"},
		{"unknown field", good + "colour: red\n", "field colour not found"},
		{"no name", strings.Replace(good, "name: two-layer", "", 1), "geometry has no name"},
		{"trackers", strings.Replace(good, "tracker_layers: 1", "tracker_layers: 3", 1), "3 tracker layers"},
		{"not yaml", "{{{", "geometry YAML"},
		{"unknown base", "base: foo\n", `unknown geometry "foo"`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.yaml")
			os.WriteFile(p, []byte(tc.yaml), 0o644)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "detector: ") {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file loaded")
	}
}
