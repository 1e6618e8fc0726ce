// Package testframes holds shared test fixtures for readout frames: small
// hand-made frames with known hit graphs, line graphs and tracks (Cases),
// and Synthetic, a fast deterministic generator of pCT-like frames at the
// default DTC geometry for tests and benchmarks of other packages until
// the real simulator is in place. The synthetic frames are NOT a physics
// simulation: straight lines with Gaussian kinks whose size follows the
// Highland formula, a Bragg–Kleeman range, a constant nuclear-loss rate and
// a few crude secondaries, with lateral beam parameters tuned so that the
// graph sizes come close to the paper's 100 mm table. Positions are global
// mm (beam along +z), energies MeV. Every function returns fresh slices
// that the caller owns.
package testframes
