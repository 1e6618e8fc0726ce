// Package wepl measures what a reconstructed track is for: the proton's
// water-equivalent path length (WEPL) through the patient, and where and in
// which direction it left the patient. It follows the DTC toolkit's method:
// a per-layer dE/dx signal (the hit's deposit or its ALPIDE cluster size,
// per unit path in the sensitive slab), a one-parameter fit of the
// differentiated Bragg–Kleeman curve S·(R₀ − z)^(1/p − 1) over the layers'
// water-equivalent depths z (or, as a baseline, the last layer plus half the
// next), and a calibration of the residual range R₀ against the true WEPL
// made from our own degrader scans (Calibrate; the table for the default
// geometry at 230 MeV is embedded). Tracks whose residual range is below
// 25 mm, where the fit is biased, are flagged. The exit point is the track
// at the first tracker plane, its direction the slope between the two
// tracker hits.
//
// Estimator (New, or NewFor a dataset's geometry and beam) turns tracks
// (dataset.FrameTracks) into Track records — WEPL, residual range, fit
// quality, hits, exit position and direction, flags — the per-proton
// list-mode input of image reconstruction; Annotate adds them as columns to
// a tracks file and EditTracks while pipeline.WriteTracks writes one.
// Truth.Classify names what went wrong with a track (ErrorType), and
// Resolution runs the study of WEPL against Monte-Carlo truth (bias, σ,
// tails and their causes) for any set of trackers. Units: mm, MeV; depths
// and ranges are water-equivalent mm from the detector's front face.
package wepl
