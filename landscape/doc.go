// Package landscape explores the loss surface of trained tracking models
// as the second half of Kortus, Keidel & Gauger (TMLR 2025) does
// (§1.1–1.3 of the landscape reference):
//
//   - paths in parameter space — the linear interpolation between two
//     models and quadratic Bézier curves whose middle point is trained
//     (Fit, Garipov et al. 2018, the authors' settings: RMSprop, lr 1e-3,
//     1000 steps of 8 frames, one t ~ U(0,1) per frame, the split Hamming
//     loss through the blackbox solver at λ = 10 or split BCE) —
//     evaluated at 51 points (EvalPath): split Hamming after the per-layer
//     LSAP, split BCE, TPR, FPR, purity and efficiency;
//   - 2-D slices through one model (Plane) along the top-2 eigenvectors of
//     the Hessian (power iteration with deflation on Hessian-vector
//     products, exact through nn.Tape.HVP or by central differences of
//     gradients; for PAT the Hessian of the blackbox surrogate gᵀσ(z) with
//     the solver's gradient g = y − y′ held fixed, as the authors'
//     autograd does) or along random filter-normalised directions, each
//     rescaled per tensor to the model's norm, on a grid that shards and
//     merges.
//
// Batch normalisation is selectable everywhere (BNMode): per-frame batch
// statistics (the authors' train-mode evaluation, the default), running
// statistics (interpolated with the weights along a path, the origin's
// on a plane), or statistics recomputed at each point over the frames
// (Garipov's update_bn). Parameters are handled as Vec, one float64 slice
// per tensor of model.Model.Params, in that order. Losses are the paper's
// split losses (dimensionless); t, α and β are dimensionless coordinates.
package landscape
