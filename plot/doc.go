// Package plot draws the figures of pcttrack with gonum.org/v1/plot: the
// event display of one reconstructed frame (x–z and y–z views with true and
// reconstructed tracks and the tracker's mistakes marked), training curves,
// purity and efficiency versus protons per frame, and the seed-stability bar
// chart. Each figure is built by a NewX function into a Figure, which Save
// writes atomically as PNG or SVG (chosen by the file extension) or Encode
// writes to any io.Writer; the X(path, ...) functions do both in one call.
// Positions are in mm (beam along +z), deposits in MeV, purity, efficiency
// and stability fractions in [0, 1] (drawn in percent), sizes in vg.Length
// (1/72 inch). Inputs are only read; a Figure keeps its own copies, so the
// caller may reuse its slices after NewX returns. There is no global state:
// figures can be drawn concurrently.
package plot
