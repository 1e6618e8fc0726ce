// Package detector describes the geometry of the Bergen pCT digital
// tracking calorimeter (DTC): an ordered list of layers, each a stack of
// slabs (material, thickness) with one sensitive slab (the ALPIDE
// epitaxial layer), the lateral aperture and the pixel pitch. It provides
// the presets used by the paper's data and by the GATE reference file,
// YAML loading, and a compiled Stack with cheap range–energy helpers for
// downstream physics cuts (energy at a layer, energy needed to reach a
// layer, water-equivalent thickness).
//
// Units: mm for lengths and positions (global z along the beam), MeV for
// energies. A Geometry is plain data owned by the caller; Stack keeps its
// own copy, so later edits of the Geometry do not affect a Stack.
package detector
