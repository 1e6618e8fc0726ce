// Package demo runs `pcttrack demo`: a short end-to-end tour that simulates
// small datasets (100 mm of water, 50, 100 and 150 protons per frame),
// evaluates the baseline trackers and the truth upper bound on them with
// package pipeline and prints the paper's metrics table and the throughput.
// The demo is a list of Stages sharing a State, so later stages (training,
// a report with plots) are appended without touching the existing ones.
// Datasets stay in memory unless Options.Out names a directory, which then
// receives the datasets and the evaluation (eval.txt, eval.json), each
// written atomically. Units are those of the packages used (mm, MeV).
package demo
