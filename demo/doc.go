// Package demo runs `pcttrack demo`: the whole method end to end on embedded
// defaults. It simulates test data (100 mm of water, 50, 100 and 150 protons
// per frame), trains the paper's line-graph network two-step (PTT) and end to
// end through the assignment solver (PAT), evaluates both against the
// baseline trackers and the truth upper bound with package pipeline, and
// scans the CTP404-like phantom and reconstructs its RSP slice (package
// imaging), and writes REPORT.md with training curves, purity and efficiency
// versus protons per frame, an event display and the CT image with its
// per-insert table. The demo is a list of Stages sharing a
// State, so a program can drop, replace or append stages. Everything goes to
// Options.Out (datasets, run directories, eval.txt, eval.json, the report),
// each file written atomically; without it a temporary directory is used and
// removed. Units are those of the packages used (mm, MeV).
package demo
