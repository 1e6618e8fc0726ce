// Package pretrained holds the tracking models that ship inside the
// binary: trained checkpoints (package model) with their model cards, which
// say how each was trained (config, command, simulator version, commit,
// training time), its checksum and how well it tracks (purity and
// efficiency per phantom and protons per frame, with the tool's default
// assignment and with the paper's solver). Default returns the model that
// `pcttrack track --method model` uses. Every checkpoint is verified
// against its card's SHA-256 when it is read.
package pretrained
