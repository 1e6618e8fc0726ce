// Package graph builds the graphs the tracking models work on from one
// readout frame: the hit graph (nodes = hits sorted deepest layer first,
// edges = "segments" from a hit in layer L to a hit in layer L-1 that pass
// an angular cone cut around the beam axis), its line graph (nodes =
// segments, edges = pairs of consecutive segments sharing a hit, with the
// scattering angle at that hit), graph-size statistics (Kortus, Keidel,
// Gauger, TMLR 2025, §3 and the graph-size tables), and physics-informed
// sparse graphs: the Highland cut on line-graph pairs (Options.PhysicsCut),
// the pruning of the tracker-cone segments to those continuing a deeper
// segment within that cut (Options.TrackerCut, done while building, so
// the cost stays proportional to what is kept) and the removal of the
// segments the cut leaves without a pair (Options.DropIsolated, Dropper);
// the statistics say what each cut loses. Positions are global and in mm with the
// beam along +z, energies in MeV, angles in rad. A HitGraph or LineGraph
// owns all of its slices; Builder and LineBuilder reuse the slices of the
// graph they build into (and their own workspace), so building thousands
// of frames into the same graph does not allocate once the slices have
// grown. Feature functions follow the dst convention: they write into dst
// (grown if too short) and return it. Bad data (NaN coordinates, negative
// layers, hits outside the aperture, empty frames) gives an error wrapped
// in a *FrameError; programmer errors (nil graphs, mismatched lengths)
// panic with a "graph: ..." message.
package graph
