// Package model holds the interaction networks of Kortus, Keidel & Gauger
// (TMLR 2025) on package nn, their per-frame inputs and their checkpoints.
//
// The line-graph model (the paper's main model, 4,961 parameters) scores
// every hit-graph segment from the line graph, whose nodes are segments
// with features [edep_a, edep_b, pos_a, pos_b] in raw MeV and mm (a = the
// deeper hit; x and y relative to the frame's beam spot, which is the
// paper's (0, 0) for its data) and whose edges carry the 128-d sinusoidal encoding of √θ,
// θ the scattering angle in rad. Its message MLP over the ~500k line-graph
// edges of a 100-proton frame runs as one fused, hand-differentiated
// operation (see lgmsg.go): the encoding input is quantised (√θ in bins of
// Config.AngleBinWidth) so that the first layer becomes a learned table per
// bin. The hit-graph model (the ablation, 39,839 parameters) scores
// segments from the hit graph with normalised hit features. Both return
// one logit per segment in HitGraph segment order.
//
// Inputs are prepared once per frame by NewInput (cacheable across epochs)
// and keep references to the graph's slices, which must not change
// afterwards. Models own reusable workspaces: Predict and Forward allocate
// nothing once they have seen the largest frame, and a model is not safe
// for concurrent use (Clone gives independent copies). Checkpoints are a
// versioned little-endian binary format described in CHECKPOINT.md.
package model
