package physics

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// Element is one constituent of a material, given by mass fraction.
type Element struct {
	Symbol string
	Z      int
	A      float64 // g/mol
	W      float64 // mass fraction
}

// Material is a homogeneous material of the detector or phantom. Values
// returned by MaterialByName are shared: do not modify them.
type Material struct {
	Name     string
	Density  float64   // g/cm³
	I        float64   // mean excitation energy, eV
	ZoverA   float64   // <Z/A>, mol/g
	X0       float64   // radiation length, g/cm²
	Elements []Element // composition by mass, used for nuclear cross sections

	once sync.Once
	tab  *Table
}

// RadiationLength returns X0 in mm of this material at its density.
func (m *Material) RadiationLength() float64 { return 10 * m.X0 / m.Density }

// String returns the material name.
func (m *Material) String() string { return m.Name }

// element data: Z, A, X0 (g/cm², PDG), I (eV; ICRU 37/49 values used in
// Bragg additivity for mixtures without a tabulated I).
type elemData struct {
	z     int
	a, x0 float64
	i     float64
}

var elements = map[string]elemData{
	"H":  {1, 1.008, 63.04, 19.2},
	"C":  {6, 12.011, 42.70, 78},
	"N":  {7, 14.007, 37.99, 82},
	"O":  {8, 15.999, 34.24, 95},
	"Al": {13, 26.9815, 24.01, 166},
	"Si": {14, 28.0855, 21.82, 173},
	"Ar": {18, 39.948, 19.55, 188},
	"Cu": {29, 63.546, 12.86, 322},
	// of the phantoms' tissues and plastics
	"F":  {9, 18.998, 32.93, 115},
	"Na": {11, 22.990, 27.74, 149},
	"Mg": {12, 24.305, 25.03, 156},
	"P":  {15, 30.974, 21.21, 173},
	"S":  {16, 32.06, 19.50, 180},
	"Cl": {17, 35.45, 19.28, 174},
	"K":  {19, 39.098, 17.32, 190},
	"Ca": {20, 40.078, 16.14, 191},
}

// newMaterial builds a material from a mass-fraction composition. A zero
// I or X0 is computed by Bragg additivity and 1/X0 = Σ w_i/X0_i.
func newMaterial(name string, density, iev, x0 float64, comp ...any) *Material {
	m := &Material{Name: name, Density: density, I: iev, X0: x0}
	var lnI, invX0 float64
	for k := 0; k < len(comp); k += 2 {
		sym := comp[k].(string)
		w := comp[k+1].(float64)
		e := elements[sym]
		m.Elements = append(m.Elements, Element{Symbol: sym, Z: e.z, A: e.a, W: w})
		za := w * float64(e.z) / e.a
		m.ZoverA += za
		lnI += za * math.Log(e.i)
		invX0 += w / e.x0
	}
	if m.I == 0 {
		m.I = math.Exp(lnI / m.ZoverA)
	}
	if m.X0 == 0 {
		m.X0 = 1 / invX0
	}
	return m
}

// The materials of the DTC and the phantoms. Densities follow the GATE
// material database of the DTC toolkit except aluminium and air (PDG); I
// values are those of PSTAR/ICRU 49 where PSTAR tabulates the material
// (water 75 eV), Bragg additivity otherwise. "g4_water" is Geant4's
// G4_WATER with I = 78 eV, as the DTC toolkit's GATE macros set it (0.5 %
// less stopping than PSTAR water at 100–250 MeV, so 0.5 % longer ranges).
var materials = []*Material{
	newMaterial("water", 1.0, 75, 36.08, "H", 0.111894, "O", 0.888106),
	newMaterial("g4_water", 1.0, 78, 36.08, "H", 0.111894, "O", 0.888106),
	newMaterial("aluminium", 2.699, 166, 24.01, "Al", 1.0),
	newMaterial("silicon", 2.33, 173, 21.82, "Si", 1.0),
	newMaterial("air", 1.205e-3, 85.7, 36.62, "N", 0.755268, "O", 0.231781, "Ar", 0.012827, "C", 0.000124),
	newMaterial("carbonfiber", 2.2, 78, 42.70, "C", 1.0),
	newMaterial("kapton", 1.42, 79.6, 40.58, "H", 0.026362, "C", 0.691133, "N", 0.073270, "O", 0.209235),
	newMaterial("glue", 1.05, 0, 0, "H", 0.0709, "C", 0.7603, "O", 0.1688),
	newMaterial("pcb", 3.566, 0, 0, "H", 0.1502, "C", 0.1423, "O", 0.3910, "Si", 0.1836, "Cu", 0.1329),
	newMaterial("pmma", 1.19, 74, 40.55, "H", 0.080541, "C", 0.599846, "O", 0.319613),

	// The phantoms with structure (package sim: the CTP404-like
	// sensitometry cylinder and the head). The CTP404 compositions and
	// densities are those of the Bergen GATE model (DTC toolkit
	// gate/DTC/Phantom/Materials.txt); I values are the ICRU 37/49 values
	// PSTAR and ESTAR tabulate for polystyrene, polyethylene, Teflon and
	// polyoxymethylene, Bragg additivity otherwise. The tissues are ICRU 44
	// compositions and densities (soft tissue, brain, cortical bone). The
	// element data are standard values quoted from memory; the ground truth
	// of a phantom is computed from these same numbers, so they affect
	// realism, not consistency.
	newMaterial("catphan_epoxy", 1.16, 0, 0, "H", 0.078, "C", 0.7109, "N", 0.0203, "O", 0.1908),
	newMaterial("polystyrene", 1.06, 68.7, 0, "H", 0.077418, "C", 0.922582),
	newMaterial("polyethylene", 0.94, 57.4, 0, "H", 0.143716, "C", 0.856284),
	newMaterial("pmp", 0.83, 0, 0, "H", 0.144, "C", 0.856),
	newMaterial("delrin", 1.41, 77.4, 0, "H", 0.0671, "C", 0.40, "O", 0.5329),
	newMaterial("teflon", 2.2, 99.1, 0, "C", 0.2402, "F", 0.7598),
	newMaterial("soft_tissue", 1.06, 0, 0, "H", 0.102, "C", 0.143, "N", 0.034, "O", 0.708,
		"Na", 0.002, "P", 0.003, "S", 0.003, "Cl", 0.002, "K", 0.003),
	newMaterial("brain", 1.04, 0, 0, "H", 0.107, "C", 0.145, "N", 0.022, "O", 0.712,
		"Na", 0.002, "P", 0.004, "S", 0.002, "Cl", 0.003, "K", 0.003),
	newMaterial("cortical_bone", 1.92, 0, 0, "H", 0.034, "C", 0.155, "N", 0.042, "O", 0.435,
		"Na", 0.001, "Mg", 0.002, "P", 0.103, "S", 0.003, "Ca", 0.225),
}

var aliases = map[string]string{
	"aluminum": "aluminium", "al": "aluminium", "g4_al": "aluminium",
	"si": "silicon", "g4_si": "silicon", "g4_air": "air", "carbon": "carbonfiber",
	"graphite": "carbonfiber", "c": "carbonfiber", "g4_kapton": "kapton", "epoxy": "glue",
	"plexiglass": "pmma", "g4_plexiglass": "pmma",
	"epoxy_ctp404": "catphan_epoxy", "ps": "polystyrene", "ldpe": "polyethylene", "pe": "polyethylene",
	"ptfe": "teflon", "pom": "delrin", "acetal": "delrin", "acrylic": "pmma",
	"tissue": "soft_tissue", "bone": "cortical_bone",
}

// MaterialByName returns the shared material with the given name. Names are
// case-insensitive; GATE/Geant4 spellings (Aluminium, G4_WATER, Silicon,
// CarbonFiber, Kapton, Glue, PCB, PMMA, Air) are accepted.
func MaterialByName(name string) (*Material, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if a, ok := aliases[key]; ok {
		key = a
	}
	for _, m := range materials {
		if m.Name == key {
			return m, nil
		}
	}
	return nil, fmt.Errorf("physics: unknown material %q (known: %s)", name, strings.Join(MaterialNames(), ", "))
}

// MustMaterial is MaterialByName for names fixed in code. It panics if
// the material is unknown.
func MustMaterial(name string) *Material {
	m, err := MaterialByName(name)
	if err != nil {
		panic("physics: unknown material in MustMaterial")
	}
	return m
}

// MaterialNames returns the canonical material names, sorted.
func MaterialNames() []string {
	names := make([]string, len(materials))
	for i, m := range materials {
		names[i] = m.Name
	}
	sort.Strings(names)
	return names
}

// WithI returns the material m with mean excitation energy iev eV instead
// of m.I: m itself if iev equals m.I, otherwise a shared copy (one per
// material and I-value) with its own tables. It panics unless iev > 0.
func (m *Material) WithI(iev float64) *Material {
	if !(iev > 0) {
		panic("physics: WithI with a non-positive I-value")
	}
	if iev == m.I {
		return m
	}
	variantMu.Lock()
	defer variantMu.Unlock()
	k := variantKey{m, iev}
	if v, ok := variants[k]; ok {
		return v
	}
	v := &Material{Name: m.Name, Density: m.Density, I: iev, ZoverA: m.ZoverA, X0: m.X0, Elements: m.Elements}
	variants[k] = v
	return v
}

type variantKey struct {
	m *Material
	i float64
}

var (
	variantMu sync.Mutex
	variants  = map[variantKey]*Material{}
)

// Water is the shared water material (I = 75 eV, PSTAR).
var Water = MustMaterial("water")

// RSP returns the stopping power of m relative to water (Water, I =
// 75 eV) at proton energy e MeV: the linear stopping-power
// ratio, which integrated along a path gives its WEPL.
func (m *Material) RSP(e float64) float64 {
	return m.RSPTo(Water, e)
}

// RSPTo is RSP relative to another water (Material.WithI: the
// simulator's water has Physics.WaterI).
func (m *Material) RSPTo(water *Material, e float64) float64 {
	return m.LinearStoppingPower(e) / water.LinearStoppingPower(e)
}
