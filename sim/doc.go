// Package sim is a fast Monte-Carlo of proton pencil beams through a
// water phantom and the DTC, producing readout frames of hits with
// Monte-Carlo truth in the dataset.Frame format. Protons are stepped slab
// by slab with CSDA energy loss from PSTAR-validated range tables (water's
// I-value a parameter), Bohr straggling, multiple scattering as Wentzel's
// screened Rutherford model (a Gaussian core plus the single-scattering
// tail drawn deflection by deflection) applied in Geant4-like condensed-
// history steps, deposits in the sensitive slabs from Geant4's fluctuation
// model with δ-electrons above a cut as hits of their own, hadronic elastic
// scattering (p–p with a tracked recoil, black-disk p–nucleus diffraction),
// and inelastic nuclear interactions that end the primary and emit
// secondary protons (a quasi-free knock-out model). Physics selects the
// models; its zero value is PhysicsVersion 3, its Version an earlier one.
// See package physics and VALIDATION.md for the models, their calibrated
// parameters and the agreement with PSTAR, Bortfeld, Highland, the paper's
// data and a GATE/Geant4 run.
//
// Units: mm, MeV, rad; the beam runs along +z. Run is deterministic: the
// randomness of frame i comes only from rand.NewPCG(Seed, i), so any
// split of the frames over workers or shards (Config.Shard) gives exactly
// the frames one run gives. Frames passed to the emit callback are reused
// after it returns. Each frame carries the Monte-Carlo truth of the
// primaries with hits (dataset.PrimaryTruth: WEPL through the phantom, state
// at its exit and at layer 0), observed where the proton enters a segment.
package sim
