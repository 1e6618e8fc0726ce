// Package dataset stores, reads, imports and summarises readout frames of the
// Bergen pCT digital tracking calorimeter. A dataset is one Parquet file with
// one row per hit (positions in mm, energies in MeV, layer 0 = most upstream
// sensor) and the dataset and per-frame metadata as JSON in the footer (see
// SCHEMA.md); the Writer is deterministic, so the same frames give the same
// bytes, and atomic, so an error never leaves a partial file. ReadGATE and
// ReadNPZ turn GATE ROOT trees and the paper's Zenodo .npz files into frames
// with the paper's pipeline (layer numbering, merge per event, track and
// layer, ALPIDE cluster size, frames of N consecutive events per spot).
// Simulated datasets also carry per primary the Monte-Carlo truth of range
// studies (PrimaryTruth), and tracks files per track what package wepl
// measures (TrackWEPL); files written before those columns existed still
// read and report them missing.
// Slices passed to a Writer are only read during the call; frames and slices
// returned by readers belong to the caller, except that ReadFrameInto reuses
// the capacity of the caller's dst.Hits. Only this package imports groot and
// parquet-go.
package dataset
