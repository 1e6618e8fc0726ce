package sim

import (
	"math"

	"github.com/pcttrack/pcttrack/physics"
)

// CTP404Insert is an insert of the CTP404-like phantom: its material and
// its angle in the X–Z plane (degrees from +X towards +Z).
type CTP404Insert struct {
	Name     string
	Material string
	Angle    float64
}

// CTP404Inserts are the eight inserts of the Bergen GATE model of the
// Catphan CTP404 sensitometry module (DTC toolkit CTP404.mac): R 6.1 mm at
// 58.5 mm from the axis.
var CTP404Inserts = []CTP404Insert{
	{"air 0°", "air", 0}, {"polystyrene", "polystyrene", 30}, {"LDPE", "polyethylene", 90},
	{"PMP", "pmp", 150}, {"air 180°", "air", 180}, {"Teflon", "teflon", 210},
	{"Delrin", "delrin", 270}, {"PMMA", "pmma", 330},
}

// CTP404 returns the CTP404-like sensitometry phantom: an epoxy cylinder
// (R 75 mm, 25 mm tall along the rotation axis) with the eight inserts of
// CTP404Inserts running its full height, in air. The small rods, spheres
// and wires of the real module are left out. Its ROIs are the inner 4 mm
// of each insert and 15 mm of epoxy at the centre.
func CTP404() *Solid {
	const r, h, ri, rr = 75.0, 12.5, 6.1, 58.5
	s := &Solid{Name: "ctp404"}
	epoxy := physics.MustMaterial("catphan_epoxy")
	s.Parts = append(s.Parts, Part{"epoxy", Cylinder{R: r, Y0: -h, Y1: h}, epoxy})
	s.ROIs = append(s.ROIs, ROI{"epoxy", 0, 0, 15, epoxy})
	for _, in := range CTP404Inserts {
		sn, cs := math.Sincos(in.Angle * math.Pi / 180)
		m := physics.MustMaterial(in.Material)
		s.Parts = append(s.Parts, Part{in.Name, Cylinder{X: rr * cs, Z: rr * sn, R: ri, Y0: -h, Y1: h}, m})
		s.ROIs = append(s.ROIs, ROI{in.Name, rr * cs, rr * sn, 4, m})
	}
	return s
}

// Head returns a head-like phantom after the dimensions of the Bergen head
// phantom (160 mm tall, 180 mm nose to back, 147 mm ear to ear; nose at
// −Z): 6 mm of ICRU soft tissue over a 6 mm cortical-bone skull around
// brain, two CSF (water) ventricles, an air-filled frontal sinus and two
// bone ridges at the skull base, all ellipsoids. Its ROIs sample brain,
// ventricle, skull, scalp, sinus and ridge in the central slice (Y = 0).
func Head() *Solid {
	tissue := physics.MustMaterial("soft_tissue")
	bone := physics.MustMaterial("cortical_bone")
	brain := physics.MustMaterial("brain")
	water := physics.Water
	air := physics.MustMaterial("air")
	el := func(x, y, z, a, b, c float64) Ellipsoid { return Ellipsoid{C: Vec3{x, y, z}, A: Vec3{a, b, c}} }
	s := &Solid{Name: "head", Parts: []Part{
		{"scalp", el(0, 0, 0, 73.5, 80, 90), tissue},
		{"skull", el(0, 0, 0, 67.5, 74, 84), bone},
		{"brain", el(0, 0, 0, 61.5, 68, 78), brain},
		{"ventricle left", el(-9, 5, 5, 5, 12, 22), water},
		{"ventricle right", el(9, 5, 5, 5, 12, 22), water},
		{"frontal sinus", el(0, 0, -77, 14, 10, 6), air},
		{"ridge left", el(-38, 0, 25, 6, 8, 16), bone},
		{"ridge right", el(38, 0, 25, 6, 8, 16), bone},
	}}
	s.ROIs = []ROI{
		{"brain", 0, 45, 8, brain},
		{"ventricle", 9, 5, 3, water},
		{"skull", 0, 81, 1.8, bone},
		{"scalp", 0, 87, 1.8, tissue},
		{"sinus", 0, -77, 3.5, air},
		{"ridge", 38, 25, 4, bone},
	}
	return s
}

// TruthEnergy returns the proton energy (MeV) at which the ground-truth RSP
// of a solid's materials is taken for a beam of energy e: the energy after
// the water-equivalent thickness of the solid's outer radius in its first
// part's material, i.e. at the object's centre on average (water is
// Physics.Water).
func (s *Solid) TruthEnergy(water *physics.Material, e float64) float64 {
	r, _, _ := s.Radius()
	wet := r * waterFor(s.Parts[0].Material, water).RSPTo(water, e)
	return water.EnergyAfter(e, wet)
}

// Edge returns a circular edge of the solid's central slice to measure
// an MTF on (centre X, Z and radius, mm), and false if it has none: the
// CTP404's Teflon insert, the highest contrast to its surroundings.
func (s *Solid) Edge() (x, z, r float64, ok bool) {
	for _, p := range s.Parts {
		if c, isCyl := p.Shape.(Cylinder); isCyl && p.Material.Name == "teflon" {
			return c.X, c.Z, c.R, true
		}
	}
	return 0, 0, 0, false
}

// TruthAt returns the ground-truth RSP relative to water at object point
// p for energy e MeV (0 outside the parts; see TruthEnergy). Check must have been called.
func (s *Solid) TruthAt(water *physics.Material, p Vec3, e float64) float64 {
	m := s.MaterialAt(p)
	if m == s.medium() && s.Medium == nil {
		return 0
	}
	return waterFor(m, water).RSPTo(water, e)
}
