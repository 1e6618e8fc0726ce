// Package baseline holds the non-learned trackers the learned ones are
// compared with, both implementing track.Tracker on a graph.HitGraph: the
// DTC toolkit's track follower (Follower: a recursive search from every
// unused hit of the deepest layer upstream with a score √Σθ² of the
// scattering angles, as findTracks.C/Node.C of Pettersen et al.), and a
// physics-cost assignment tracker (Physics: one LSAP per adjacent layer
// pair, deepest first, on the χ² of each segment's scattering angle under
// Highland multiple scattering at the energy the proton has left, package
// track's Assigner). Positions are the hits' global coordinates in mm,
// angles are in rad, energies in MeV. A tracker owns a workspace that it
// reuses from frame to frame (so tracking does not allocate once it has
// grown to the largest frame) and is not safe for concurrent use: give
// each goroutine its own. Results go into the caller's track.Result,
// whose slices are reused; tracks list graph hit indices, deepest first.
package baseline
