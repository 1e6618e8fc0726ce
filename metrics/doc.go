// Package metrics scores reconstructed proton tracks against the Monte-Carlo
// truth of their frame, as the paper does (Kortus, Keidel, Gauger, TMLR 2025;
// E2E src/utils/eval.py and experiments.py) plus TrackML-style extras, per
// frame (Evaluate, Evaluator) and per group of frames or model seeds
// (Aggregator, OverSeeds). The truth is that of the hit graph: "hits" are the
// hits of graph.HitGraph g (after the cluster-size cut, the aperture cut and
// any layer removal of graph building), "events" are the distinct EventIDs
// among them, "tracks" are the tracks handed in (package track has already
// applied the paper's filter: more than 4 hits, deepest deposit above
// 0.0625 MeV). All results are ratios in [0, 1] (efficiency may exceed 1, see
// below) or counts; a ratio whose denominator is 0 is 0, as in eval.py, and
// the counts are kept so that sums over frames give pooled ratios. Evaluate
// and Evaluator read g and the tracks and never keep or modify them; an
// Evaluator owns its workspace. Definitions:
//
//   - Primary track: a track all of whose hits are Primary.
//   - Correct track: a primary track whose hits all share one EventID. Tracks
//     holding a secondary hit are neither correct nor counted in any
//     denominator of purity.
//   - Purity = correct / primary tracks.
//   - Primary event: an EventID all of whose hits in g are Primary (eval.py's
//     true_primary_tracks_from_graph). Efficiency = correct / primary events.
//     As in eval.py the numerator also counts correct tracks of events that
//     are not primary events, and every piece of a split event, so the
//     efficiency can exceed 1. When there are no primary events the paper
//     divides by zero (inf); here the efficiency is then 0.
//   - Segment TPR = selected segments with g.Label / labelled segments of g;
//     FPR = selected segments without g.Label / unlabelled segments of g
//     (g.Label is "same EventID", so a segment to a secondary hit of the same
//     history counts as true). The paper's training logs pool these over
//     frames: use Group.Pooled for that.
//   - Particle: the primary proton of one history, i.e. the Primary hits of
//     one EventID. It is reconstructable when it has at least
//     Options.ReconstructableHits (default 5) hits in g.
//   - Double-majority efficiency (TrackML) = matched / reconstructable
//     particles, where a particle is matched when some track has more than
//     half of its hits from the particle and holds more than half of the
//     particle's hits.
//   - Fake rate = tracks in which no particle has more than half of the hits
//     (secondary hits count for no particle) / tracks.
//
// Per-frame ratios are averaged over frames (the paper's "average per
// frame") with the sample standard deviation (n − 1, pandas' std) by
// Aggregator; OverSeeds then averages the per-seed means with the population
// standard deviation (numpy's std), which is how the paper's tables report
// "mean ± sd over 5 seeds".
//
// Seed stability (Disagreement, Stability) compares the final assignments
// (selected segments) of two training seeds of one method on the same
// frames: the share of candidate segments assigned differently, pooled over
// frames per seed pair and averaged over pairs.
package metrics
