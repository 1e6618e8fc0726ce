package physics

import "math"

// ALPIDE cluster-size model (Tambave et al., NIM A 958 (2020) 162626), as
// used by the paper's pipeline and the DTC toolkit: the number of pixels a
// hit fires grows with the mean energy density dE/dx in the epitaxial layer,
// cs = 4.2267 (dE/dx [keV/µm])^0.65 + 0.5, truncated to an integer.
const (
	clusterA   = 4.2267
	clusterExp = 0.65

	// ClusterThreshold is the smallest cluster size the pipeline keeps; a
	// hit with fewer fired pixels is not seen (cs >= 2 <=> about 5 keV in
	// 25 µm).
	ClusterThreshold = 2
)

// ClusterSize returns the ALPIDE cluster size of a hit that deposited
// edep MeV in a sensitive slab of the given thickness in mm. It returns 0
// for edep <= 0 or thickness <= 0 and for NaN inputs.
func ClusterSize(edep, thickness float64) int {
	if !(edep > 0) || !(thickness > 0) {
		return 0
	}
	dedx := edep * 1e3 / (thickness * 1e3) // keV per µm
	return int(clusterA*math.Pow(dedx, clusterExp) + 0.5)
}

// EdepForClusterSize returns the smallest deposit in MeV, in a slab of the
// given thickness in mm, that gives a cluster of at least cs pixels: the
// exact inverse of ClusterSize.
func EdepForClusterSize(cs int, thickness float64) float64 {
	if cs <= 0 {
		return 0
	}
	dedx := math.Pow((float64(cs)-0.5)/clusterA, 1/clusterExp)
	return dedx * thickness // keV/µm * mm = MeV
}
