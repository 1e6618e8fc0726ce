// Package physics holds the proton physics of the pcttrack Monte-Carlo:
// materials, stopping power and CSDA range (Bethe–Bloch with the
// Barkas–Berger shell correction, validated against NIST PSTAR), energy-loss
// straggling (Bohr), multiple Coulomb scattering (Highland's Gaussian, and
// the screened-Rutherford model with Molière's screening for a Gaussian
// core plus the single-scattering tail), thin-layer energy deposits with
// Landau/Vavilov-like fluctuations, optionally Geant4's excitation model,
// and δ-rays, inelastic nuclear cross sections (Letaw systematics
// normalised to Bortfeld's fluence model for water), hadronic elastic cross
// sections with Gaussian or black-disk diffraction and the ALPIDE
// cluster-size model.
//
// Units: kinetic energy in MeV, lengths and thicknesses in mm, angles in
// rad, densities in g/cm³, mass stopping powers in MeV cm²/g, radiation
// lengths X0 in g/cm² (Material.RadiationLength gives mm). Functions are
// safe for concurrent use; the per-material lookup tables are built once,
// on first use. Samplers take a caller-owned *rand.Rand and do not
// allocate.
package physics
