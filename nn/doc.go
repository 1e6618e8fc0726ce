// Package nn is a small reverse-mode automatic-differentiation engine for
// graph neural networks on CPUs, built for the interaction networks of
// package model: tensors are dense row-major matrices of float32 (for
// production) or float64 (for gradient checks), a Tape records the
// operations of one forward pass (linear layers, LeakyReLU, sigmoid, batch
// normalisation, row gathers, segment max and sum, the sinusoidal
// encoding, BCE with logits, reductions and user-defined Custom ops) and
// Backward accumulates dL/dθ into every parameter's Grad, so several frames
// can be accumulated before one optimiser step (RMSprop, Adam, StepLR).
//
// Work is split into blocks of rows whose boundaries depend only on the
// shapes, never on the number of goroutines, and partial sums are combined
// in block order (in float64), so a computation gives bit-identical results
// on 1 or 64 cores. Values and gradients returned by tape operations live
// in memory owned by the Tape and are valid until Tape.Reset; a reused Tape
// allocates nothing once it has seen the largest graph. Parameters and
// their gradients belong to the caller. Slices passed in (indices, targets,
// weights) are read, never retained beyond the tape's lifetime, and never
// modified. Shape mismatches are programmer errors and panic with an
// "nn: ..." message. Quantities are dimensionless; callers decide units.
package nn
