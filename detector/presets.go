package detector

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Preset names.
const (
	// PresetDTC is the geometry of the paper's ML data (default): the DTC
	// toolkit's Module_final_auto — 2 tracker layers (52.4 mm pitch) and 48
	// calorimeter layers with 3.5 mm aluminium absorbers (5.5 mm pitch),
	// 25 µm epitaxial layers as the only sensitive volumes, sensor planes
	// at 225.2315 + 52.4k and 333.3815 + 5.5j mm, aperture 270 × 135 mm
	// (the simulated GATE box; the paper's code digitises over 270.8 ×
	// 166.3 mm, which only matters for spots near the edges).
	PresetDTC = "dtc"
	// PresetGATE3mm is the older geometry of the GATE reference file
	// DTC_Aluminium_Absorber3mm_Degrader250mm_250MeV.root (DTC toolkit
	// Module.mac era): 100 layers with a 3.435 mm pitch, each a 14 µm
	// sensitive silicon slab at the front (layer k spans z = 3.435k +
	// 0.00005 … +0.01395 mm), 106 µm passive silicon, glue, 160 µm PCB,
	// glue (0.36 mm chip module), 3 mm aluminium and 75 µm air. As in the
	// toolkit macros the first module (layer 0, "FM_Layer") has an air
	// absorber. 100 layers cover the deepest secondary hit (layer 89).
	PresetGATE3mm = "gate-3mm"
)

var presetAliases = map[string]string{
	"default": PresetDTC, "paper": PresetDTC, "dtc-auto": PresetDTC, "final-auto": PresetDTC,
	"gate3mm": PresetGATE3mm, "gate": PresetGATE3mm, "3mm": PresetGATE3mm,
}

var presets = map[string]func() *Geometry{
	PresetDTC:     dtcAuto,
	PresetGATE3mm: gate3mm,
}

// PresetNames returns the names of the built-in geometries, sorted.
func PresetNames() []string { return slices.Sorted(maps.Keys(presets)) }

// Preset returns a new copy of the named built-in geometry (names are
// case-insensitive; "default" and "paper" mean PresetDTC).
func Preset(name string) (*Geometry, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if a, ok := presetAliases[key]; ok {
		key = a
	}
	f, ok := presets[key]
	if !ok {
		return nil, fmt.Errorf("detector: unknown geometry %q (presets: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return f(), nil
}

// Default returns a new copy of the default geometry, PresetDTC.
func Default() *Geometry { return dtcAuto() }

// µm helper
func um(material string, microns float64) Slab {
	return Slab{Material: material, Thickness: microns / 1000}
}

func sens(material string, microns float64) Slab {
	s := um(material, microns)
	s.Sensitive = true
	return s
}

// flex is the 260 µm flex-cable stack closing every layer (TK macros).
func flex() []Slab {
	return []Slab{
		um("aluminium", 30), um("kapton", 20), um("glue", 5), um("kapton", 75),
		um("glue", 5), um("aluminium", 100), um("kapton", 20), um("glue", 5),
	}
}

// cable is the 55 µm cable FDI of the _auto variant.
func cable() []Slab { return []Slab{um("aluminium", 30), um("kapton", 20), um("glue", 5)} }

func dtcAuto() *Geometry {
	tracker := []Slab{um("carbonfiber", 200), um("glue", 5), um("silicon", 14), sens("silicon", 25), um("silicon", 11), um("air", 1630)}
	tracker = append(tracker, cable()...)
	tracker = append(tracker, flex()...)
	tracker = append(tracker, um("carbonfiber", 200), um("air", 50000))
	calo := []Slab{um("aluminium", 3500), um("glue", 5), um("silicon", 64), sens("silicon", 25), um("silicon", 11), um("air", 1580)}
	calo = append(calo, cable()...)
	calo = append(calo, flex()...)
	g := &Geometry{
		Name:          PresetDTC,
		Description:   "Bergen DTC, Module_final_auto: 2 trackers + 48 layers of 3.5 mm Al, 25 µm epi",
		ApertureX:     270,
		ApertureY:     135,
		PitchX:        0.02924,
		PitchY:        0.02688,
		TrackerLayers: 2,
	}
	for k := 0; k < 2; k++ {
		g.Layers = append(g.Layers, Layer{Z: 225.2315 + 52.4*float64(k), Slabs: tracker})
	}
	for j := 0; j < 48; j++ {
		g.Layers = append(g.Layers, Layer{Z: 333.3815 + 5.5*float64(j), Slabs: calo})
	}
	return g.finish()
}

func gate3mm() *Geometry {
	module := []Slab{sens("silicon", 13.9), um("silicon", 105.9), um("glue", 39.9), um("pcb", 159.9), um("glue", 39.9)}
	first := append(append([]Slab(nil), module...), um("air", 3000), um("air", 74.9))
	layer := append(append([]Slab(nil), module...), um("aluminium", 3000), um("air", 74.9))
	g := &Geometry{
		Name:          PresetGATE3mm,
		Description:   "older DTC of the GATE reference file: 3 mm Al, 3.435 mm pitch, 14 µm sensitive Si",
		ApertureX:     270,
		ApertureY:     135,
		PitchX:        0.02924,
		PitchY:        0.02688,
		TrackerLayers: 1,
	}
	const pitch, z0 = 3.435, 0.00005 + 0.0139/2
	g.Layers = append(g.Layers, Layer{Z: z0, Slabs: first})
	for k := 1; k < 100; k++ {
		g.Layers = append(g.Layers, Layer{Z: z0 + pitch*float64(k), Slabs: layer})
	}
	return g.finish()
}

// finish sets Index and Tracker and gives each layer its own slab slice.
func (g *Geometry) finish() *Geometry {
	for i := range g.Layers {
		l := &g.Layers[i]
		l.Index = i
		l.Tracker = i < g.TrackerLayers
		l.Slabs = append([]Slab(nil), l.Slabs...)
	}
	return g
}
