package detector

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/physics"
)

// Slab is one homogeneous slab of a layer.
type Slab struct {
	Material  string  `yaml:"material"`            // physics.MaterialByName name
	Thickness float64 `yaml:"thickness"`           // mm
	Sensitive bool    `yaml:"sensitive,omitempty"` // the epitaxial layer read out as hits
}

// Layer is one detector layer: a stack of slabs along +z, exactly one of
// them sensitive. Its position is that of the sensitive slab's centre.
type Layer struct {
	Index   int     `yaml:"-"` // position in Geometry.Layers
	Z       float64 `yaml:"z"` // centre of the sensitive slab, mm
	Slabs   []Slab  `yaml:"slabs"`
	Tracker bool    `yaml:"-"` // tracking layer (Index < Geometry.TrackerLayers)
}

// Geometry is a DTC geometry. Space between consecutive layers is air.
type Geometry struct {
	Name          string
	Description   string
	Layers        []Layer
	ApertureX     float64 // full sensitive width in x, mm (hits need |x| <= ApertureX/2)
	ApertureY     float64 // full sensitive height in y, mm
	PitchX        float64 // pixel pitch in x, mm
	PitchY        float64 // pixel pitch in y, mm
	TrackerLayers int     // the first TrackerLayers layers are trackers
}

// NumLayers returns the number of layers (sensor planes).
func (g *Geometry) NumLayers() int { return len(g.Layers) }

// Sensitive returns the index of the layer's sensitive slab, or -1.
func (l *Layer) Sensitive() int {
	for i, s := range l.Slabs {
		if s.Sensitive {
			return i
		}
	}
	return -1
}

// Thickness returns the total slab thickness of the layer in mm.
func (l *Layer) Thickness() float64 {
	var t float64
	for _, s := range l.Slabs {
		t += s.Thickness
	}
	return t
}

// Front returns the z of the layer's upstream face in mm. It panics if
// the layer has no sensitive slab.
func (l *Layer) Front() float64 {
	k := l.Sensitive()
	if k < 0 {
		panic("detector: Front of a layer without a sensitive slab")
	}
	z := l.Z - l.Slabs[k].Thickness/2
	for _, s := range l.Slabs[:k] {
		z -= s.Thickness
	}
	return z
}

// Back returns the z of the layer's downstream face in mm (see Front).
func (l *Layer) Back() float64 { return l.Front() + l.Thickness() }

// SensitiveThickness returns the thickness of the sensitive slab in mm (0
// if there is none).
func (l *Layer) SensitiveThickness() float64 {
	if k := l.Sensitive(); k >= 0 {
		return l.Slabs[k].Thickness
	}
	return 0
}

// Spacing returns the distance in mm between the sensor planes of layers
// l and l+1. It panics if l+1 is out of range.
func (g *Geometry) Spacing(l int) float64 { return g.Layers[l+1].Z - g.Layers[l].Z }

// Validate checks the geometry: at least one layer, positive finite
// aperture, pitch and thicknesses, known materials, exactly one sensitive
// slab per layer, layers in increasing z without overlap, Index and
// Tracker consistent with the layer order and TrackerLayers.
func (g *Geometry) Validate() error {
	name := g.Name
	if name == "" {
		return fmt.Errorf("detector: geometry has no name")
	}
	if len(g.Layers) == 0 {
		return fmt.Errorf("detector: geometry %q has no layers", name)
	}
	for _, v := range []struct {
		what string
		x    float64
	}{{"aperture x", g.ApertureX}, {"aperture y", g.ApertureY}, {"pixel pitch x", g.PitchX}, {"pixel pitch y", g.PitchY}} {
		if !(v.x > 0) || math.IsInf(v.x, 0) {
			return fmt.Errorf("detector: geometry %q: %s %g is not a positive number", name, v.what, v.x)
		}
	}
	if g.TrackerLayers < 0 || g.TrackerLayers > len(g.Layers) {
		return fmt.Errorf("detector: geometry %q: %d tracker layers out of 0..%d", name, g.TrackerLayers, len(g.Layers))
	}
	prevBack := math.Inf(-1)
	for i := range g.Layers {
		l := &g.Layers[i]
		if l.Index != i {
			return fmt.Errorf("detector: geometry %q: layer %d has index %d", name, i, l.Index)
		}
		if l.Tracker != (i < g.TrackerLayers) {
			return fmt.Errorf("detector: geometry %q: layer %d tracker flag does not match %d tracker layers", name, i, g.TrackerLayers)
		}
		if math.IsNaN(l.Z) || math.IsInf(l.Z, 0) {
			return fmt.Errorf("detector: geometry %q: layer %d: z %g is not finite", name, i, l.Z)
		}
		if len(l.Slabs) == 0 {
			return fmt.Errorf("detector: geometry %q: layer %d has no slabs", name, i)
		}
		nsens := 0
		for j, s := range l.Slabs {
			if !(s.Thickness > 0) || math.IsInf(s.Thickness, 0) {
				return fmt.Errorf("detector: geometry %q: layer %d slab %d: thickness %g mm is not positive", name, i, j, s.Thickness)
			}
			if _, err := physics.MaterialByName(s.Material); err != nil {
				return fmt.Errorf("detector: geometry %q: layer %d slab %d: %w", name, i, j, err)
			}
			if s.Sensitive {
				nsens++
			}
		}
		if nsens != 1 {
			return fmt.Errorf("detector: geometry %q: layer %d has %d sensitive slabs, want 1", name, i, nsens)
		}
		if f := l.Front(); f < prevBack-1e-6 {
			return fmt.Errorf("detector: geometry %q: layer %d (front z %.4f mm) overlaps layer %d (back z %.4f mm)", name, i, f, i-1, prevBack)
		}
		prevBack = l.Back()
	}
	return nil
}

// Clone returns a deep copy of g.
func (g *Geometry) Clone() *Geometry {
	c := *g
	c.Layers = make([]Layer, len(g.Layers))
	for i, l := range g.Layers {
		l.Slabs = append([]Slab(nil), l.Slabs...)
		c.Layers[i] = l
	}
	return &c
}

// LayerOf returns the index of the layer whose sensitive slab contains z
// (within tol mm of its faces), or -1. O(log n).
func (g *Geometry) LayerOf(z, tol float64) int {
	lo, hi := 0, len(g.Layers)
	for lo < hi {
		m := (lo + hi) / 2
		if g.Layers[m].Z < z {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for _, i := range []int{lo - 1, lo} {
		if i >= 0 && i < len(g.Layers) {
			l := &g.Layers[i]
			if math.Abs(z-l.Z) <= l.SensitiveThickness()/2+tol {
				return i
			}
		}
	}
	return -1
}
