// Package e2e makes the per-layer-pair assignment of package track a
// differentiable layer, so that a segment classifier can be trained through
// the tracker ("PAT" training of Kortus, Keidel & Gauger, TMLR 2025): Layer
// maps segment probabilities p to the 0/1 assignment y that track.Assigner
// chooses for costs w = 1 − p, and back-propagates with the blackbox rule
// of Vlastelica et al. (ICLR 2020), w′ = max(w + λ·∂L/∂y, 0), y′ = LSAP(w′),
// ∂L/∂w = −(y − y′)/λ, or one of its variants (Variant); Hamming is the
// paper's split Hamming loss and Loss records the whole PAT loss on a tape
// from logits. Costs, probabilities and λ are dimensionless; segment order
// is graph.HitGraph's and model.Input's. The layer pairs of a frame are
// solved in parallel (Options.Workers), each pair writing only its own
// segment range, so results do not depend on the number of workers. Layer,
// Hamming and Loss own reusable workspaces: after warm-up on the largest
// frame they allocate nothing, and slices they return (Assignment,
// Perturbed) alias that workspace until the next call. They are not safe
// for concurrent use (give each goroutine its own), and each may be
// recorded at most once per tape pass (call Backward before the next
// forward). Bad option values and NaN logits are errors starting with
// "e2e: "; length mismatches are programmer errors and panic.
package e2e
