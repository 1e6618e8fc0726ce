// Package compare measures how differently trained models of a zoo
// (package zoo) behave on the same frames, as the instability study of
// Kortus, Keidel & Gauger (TMLR 2025, §1.4 of the landscape reference)
// does, for every pair of models:
//
//   - the min-max normalised disagreement of their binary edge
//     assignments after the per-layer-pair LSAP, with the networks in
//     evaluation mode (running batch-norm statistics), pooled over all
//     candidate segments of all frames: with q_a, q_b the two error rates
//     against the segment labels and m the share of segments they assign
//     differently, (m − |q_a − q_b|)/(min(q_a + q_b, 1) − |q_a − q_b|),
//     0 when the bounds coincide. Two variants, labelled: the LSAP on the
//     costs 1 − logit (VariantLogit, the authors' code) and on 1 − σ(logit)
//     (VariantProb, what the tracker does);
//   - linear CKA (minibatch CKA with the unbiased HSIC estimator of Song
//     et al., minibatches of 1024 rows) per matching leaf layer of R1, O
//     and R2 on a seeded sample of rows per frame, or the full
//     cross-layer matrix per module;
//
// then summarises the pairs by group (within a λ, across two λ, PTT↔PAT)
// with Welch t statistics and permutation p-values, as the authors'
// significance script does. Pairs shard over workers (shard k of K owns
// pair i when i mod K = k) and Merge joins the shards into exactly the
// one-process result; a run saves its state every few frames and resumes.
// Quantities are dimensionless fractions in [0, 1] (CKA ∈ [−1, 1]).
package compare
