// Package train trains the tracking networks of package model as the paper
// does (Kortus, Keidel & Gauger, TMLR 2025): pre-tracker training (PTT,
// split BCE of the segment scores) or post-tracker training (PAT, split
// Hamming loss of the per-layer assignment, back-propagated through the
// solver by package e2e), RMSprop at a constant or step-decay rate, batches
// of frames drawn with replacement and accumulated, and validation by
// tracking (learned.Tracker, metrics) with the best validation purity kept.
// A Config (YAML, strict; zero values mean the paper's settings) describes a
// run; LoadData reads or simulates and prepares its frames once (hit
// graph, line graph, model input) within a memory budget; a Trainer does
// Step and Validate and saves or resumes its whole state; Loop drives it
// and reports to a Recorder; Run does all of this in a run directory
// (config.yaml, metrics.jsonl, best.ckpt, last.ckpt), RunSeeds once per seed
// into SeedDir(out, seed), and ReadHistory reads a run's log back. Runs are
// deterministic: the model is initialised from (Seed, "init") and the batch
// of step s is drawn from the stream (Seed, s), so a resumed run is
// bit-identical to an uninterrupted one. Units are those of the frames
// (mm, MeV); losses and metrics are dimensionless fractions. Prepared
// frames are read-only and may be shared by several runs of one config
// (not concurrently with a Trainer that prepares uncached frames).
package train
