// Package recon reconstructs relative-stopping-power (RSP) images from
// list-mode proton CT data (dataset.Proton: entry and exit states, WEPL and
// projection angle per proton). Each proton's path through the object is
// estimated — a straight line, the cubic spline with the Bergen Λ0/Λ1, or
// the Schulte most-likely path with a single-sided (beam-spot) prior for a
// detector without a front tracker — and turned into one row of the system
// matrix by its chord lengths through the pixels of a 2-D slice; Cut removes
// protons beyond 3σ in exit angle or WEPL per bin; Solve runs block-iterative
// DROP or SART with optional total-variation superiorization. Images are
// written as MetaImage (.mhd/.raw, read by ITK, 3D Slicer and RTK) with JSON
// metadata, and analysed by ROI means, profiles and the MTF of an edge.
// ExportPairs writes the protons in RTK-PCT's list-mode pairs format.
//
// Units: mm, MeV, degrees for projection angles, rad for proton angles. The
// beam frame of a projection has x lateral, y along the rotation axis and z
// along the beam; the object frame (X, Y, Z) is fixed to the object and
// related to it by dataset.BeamToObject. A slice is the (X, Z) plane at one
// Y; pixel (i, k) is element k·NX + i. Results do not depend on the number
// of workers: work is split into fixed chunks reduced in a fixed order.
package recon
