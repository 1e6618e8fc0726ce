package physics

// Materials of the phantoms with structure (package sim: the CTP404-like
// sensitometry cylinder and the head), added to the shared list. The
// CTP404 compositions and densities are those of the Bergen GATE model
// (DTC toolkit gate/DTC/Phantom/Materials.txt); I values are the ICRU 37/49
// values PSTAR and ESTAR tabulate for polystyrene, polyethylene, Teflon and
// polyoxymethylene, Bragg additivity otherwise. The tissues are ICRU 44
// compositions and densities (soft tissue, brain, cortical bone). Element
// data (PDG radiation lengths, ICRU 37 I values) are standard values
// quoted from memory; the ground truth of a phantom is computed from these
// same numbers, so they affect realism, not consistency.
var _ = addPhantomMaterials()

func addPhantomMaterials() bool {
	for sym, e := range map[string]elemData{
		"F":  {9, 18.998, 32.93, 115},
		"Na": {11, 22.990, 27.74, 149},
		"Mg": {12, 24.305, 25.03, 156},
		"P":  {15, 30.974, 21.21, 173},
		"S":  {16, 32.06, 19.50, 180},
		"Cl": {17, 35.45, 19.28, 174},
		"K":  {19, 39.098, 17.32, 190},
		"Ca": {20, 40.078, 16.14, 191},
	} {
		elements[sym] = e
	}
	materials = append(materials,
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
	)
	for k, v := range map[string]string{
		"epoxy_ctp404": "catphan_epoxy", "ps": "polystyrene", "ldpe": "polyethylene", "pe": "polyethylene",
		"ptfe": "teflon", "pom": "delrin", "acetal": "delrin", "acrylic": "pmma",
		"tissue": "soft_tissue", "bone": "cortical_bone",
	} {
		aliases[k] = v
	}
	return true
}

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
