package detector

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fileFormat is the YAML form of a geometry. Layers come either as an
// explicit list or as groups of identical, equally spaced layers:
//
//	name: my-dtc
//	aperture: [270, 135]          # mm, full width
//	pixel_pitch: [0.02924, 0.02688]
//	tracker_layers: 2
//	groups:
//	  - count: 2
//	    z: 225.2315               # sensitive-slab centre of the group's first layer
//	    spacing: 52.4             # mm between consecutive layers of the group
//	    slabs:
//	      - {material: carbonfiber, thickness: 0.2}
//	      - {material: silicon, thickness: 0.025, sensitive: true}
//	      - {material: air, thickness: 52.175}
//	  - count: 48
//	    z: 333.3815
//	    spacing: 5.5
//	    slabs: [...]
//
// A geometry may also start from a preset and replace fields:
// `base: dtc` then e.g. `aperture: [270.8, 166.3]`.
type fileFormat struct {
	Name          string       `yaml:"name"`
	Base          string       `yaml:"base,omitempty"`
	Description   string       `yaml:"description,omitempty"`
	Aperture      []float64    `yaml:"aperture,flow"`
	PixelPitch    []float64    `yaml:"pixel_pitch,flow"`
	TrackerLayers *int         `yaml:"tracker_layers,omitempty"`
	Groups        []layerGroup `yaml:"groups,omitempty"`
	Layers        []Layer      `yaml:"layers,omitempty"`
}

type layerGroup struct {
	Count   int     `yaml:"count"`
	Z       float64 `yaml:"z"`
	Spacing float64 `yaml:"spacing"`
	Slabs   []Slab  `yaml:"slabs"`
}

// Load reads a geometry from a YAML file (see the format above) and
// validates it.
func Load(path string) (*Geometry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	g, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %q)", err, path)
	}
	return g, nil
}

// Parse decodes and validates a YAML geometry.
func Parse(data []byte) (*Geometry, error) {
	var f fileFormat
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("detector: geometry YAML: %w", err)
	}
	return f.geometry()
}

func (f *fileFormat) geometry() (*Geometry, error) {
	g := &Geometry{}
	if f.Base != "" {
		b, err := Preset(f.Base)
		if err != nil {
			return nil, err
		}
		g = b
	}
	if f.Name != "" {
		g.Name = f.Name
	} else if f.Base == "" {
		return nil, errors.New("detector: geometry has no name")
	}
	if f.Description != "" {
		g.Description = f.Description
	}
	if f.Aperture != nil {
		if len(f.Aperture) != 2 {
			return nil, fmt.Errorf("detector: geometry %q: aperture needs [x, y], got %d values", g.Name, len(f.Aperture))
		}
		g.ApertureX, g.ApertureY = f.Aperture[0], f.Aperture[1]
	}
	if f.PixelPitch != nil {
		if len(f.PixelPitch) != 2 {
			return nil, fmt.Errorf("detector: geometry %q: pixel_pitch needs [x, y], got %d values", g.Name, len(f.PixelPitch))
		}
		g.PitchX, g.PitchY = f.PixelPitch[0], f.PixelPitch[1]
	}
	if len(f.Groups) > 0 && len(f.Layers) > 0 {
		return nil, fmt.Errorf("detector: geometry %q: give groups or layers, not both", g.Name)
	}
	if len(f.Groups) > 0 || len(f.Layers) > 0 {
		g.Layers = nil
		for i, gr := range f.Groups {
			if gr.Count < 1 || gr.Count > 10000 {
				return nil, fmt.Errorf("detector: geometry %q: group %d: count %d out of 1..10000", g.Name, i, gr.Count)
			}
			if gr.Count > 1 && !(gr.Spacing > 0) {
				return nil, fmt.Errorf("detector: geometry %q: group %d: spacing %g is not positive", g.Name, i, gr.Spacing)
			}
			for k := 0; k < gr.Count; k++ {
				g.Layers = append(g.Layers, Layer{Z: gr.Z + gr.Spacing*float64(k), Slabs: gr.Slabs})
			}
		}
		g.Layers = append(g.Layers, f.Layers...)
	}
	if f.TrackerLayers != nil {
		g.TrackerLayers = *f.TrackerLayers
	}
	if g.TrackerLayers < 0 || g.TrackerLayers > len(g.Layers) {
		return nil, fmt.Errorf("detector: geometry %q: %d tracker layers out of 0..%d", g.Name, g.TrackerLayers, len(g.Layers))
	}
	g.finish()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// Resolve returns the preset with the given name, or, if spec names an
// existing file (or ends in .yaml/.yml), the geometry loaded from it.
func Resolve(spec string) (*Geometry, error) {
	if strings.HasSuffix(spec, ".yaml") || strings.HasSuffix(spec, ".yml") {
		return Load(spec)
	}
	if st, err := os.Stat(spec); err == nil && !st.IsDir() {
		return Load(spec)
	}
	return Preset(spec)
}

// UnmarshalYAML decodes a geometry given as a preset name or file path
// (a scalar) or inline in the file format (a mapping), and validates it.
func (g *Geometry) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var s string
		if err := n.Decode(&s); err != nil {
			return err
		}
		r, err := Resolve(s)
		if err != nil {
			return err
		}
		*g = *r
		return nil
	}
	var f fileFormat
	if err := n.Decode(&f); err != nil {
		return fmt.Errorf("detector: geometry YAML: %w", err)
	}
	r, err := f.geometry()
	if err != nil {
		return err
	}
	*g = *r
	return nil
}

// MarshalYAML writes the preset name if g equals that preset, and the
// file format (equally spaced identical layers grouped) otherwise.
func (g *Geometry) MarshalYAML() (any, error) {
	if p, err := Preset(g.Name); err == nil && reflect.DeepEqual(p, g) {
		return g.Name, nil
	}
	return toFile(g), nil
}

// Marshal returns the YAML file form of g (see Load), in full even for a
// preset.
func Marshal(g *Geometry) ([]byte, error) {
	return yaml.Marshal(toFile(g))
}

func toFile(g *Geometry) fileFormat {
	tl := g.TrackerLayers
	f := fileFormat{
		Name:          g.Name,
		Description:   g.Description,
		Aperture:      []float64{g.ApertureX, g.ApertureY},
		PixelPitch:    []float64{g.PitchX, g.PitchY},
		TrackerLayers: &tl,
	}
	for i := 0; i < len(g.Layers); {
		l := g.Layers[i]
		gr := layerGroup{Count: 1, Z: l.Z, Slabs: l.Slabs}
		j := i + 1
		for ; j < len(g.Layers); j++ {
			sp := g.Layers[j].Z - g.Layers[j-1].Z
			if !reflect.DeepEqual(g.Layers[j].Slabs, l.Slabs) || (j > i+1 && math.Abs(sp-gr.Spacing) > 1e-9) {
				break
			}
			gr.Spacing = sp
			gr.Count++
		}
		f.Groups = append(f.Groups, gr)
		i = j
	}
	return f
}
