package train

import (
	"context"
	"errors"
	"fmt"
)

// Recorder receives the events of a training loop: progress bars,
// JSON-lines logs and checkpoints all go through it. A method's error
// ends the loop with that error; ErrStop ends it as if the step limit
// had been reached.
type Recorder interface {
	// Step is called after every optimiser step.
	Step(t *Trainer, s StepResult) error
	// Validation is called after every validation; best reports a new
	// best purity (t.Best).
	Validation(t *Trainer, v Validation, best bool) error
	// Checkpoint is called every Config.CheckpointEvery steps and once
	// when the loop ends (final), also when it is interrupted.
	Checkpoint(t *Trainer, final bool) error
}

// ErrStop may be returned by a Recorder to end the loop early, normally.
var ErrStop = errors.New("train: stop")

// InterruptedError is returned when the context is cancelled: the final
// checkpoint was written at Step (whole steps only), from which the run
// can resume.
type InterruptedError struct {
	Step int
	Err  error // ctx.Err()
}

// Error says where the run stopped and how to continue it.
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("train: interrupted at step %d, resume with --resume", e.Step)
}

// Unwrap returns the context's error.
func (e *InterruptedError) Unwrap() error { return e.Err }

// Recorders calls several recorders in order, stopping at the first
// error.
type Recorders []Recorder

// Step implements Recorder.
func (rs Recorders) Step(t *Trainer, s StepResult) error {
	for _, r := range rs {
		if err := r.Step(t, s); err != nil {
			return err
		}
	}
	return nil
}

// Validation implements Recorder.
func (rs Recorders) Validation(t *Trainer, v Validation, best bool) error {
	for _, r := range rs {
		if err := r.Validation(t, v, best); err != nil {
			return err
		}
	}
	return nil
}

// Checkpoint implements Recorder.
func (rs Recorders) Checkpoint(t *Trainer, final bool) error {
	for _, r := range rs {
		if err := r.Checkpoint(t, final); err != nil {
			return err
		}
	}
	return nil
}

// Loop trains t up to steps optimiser steps (t.Steps() may already be
// larger than 0 after Resume): it validates before the first step, every
// Config.ValEvery steps and after the last, reports every step and
// validation to rec, and asks rec for a checkpoint every
// Config.CheckpointEvery steps and at the end. A validation missed
// because of an interruption is done first on resumption. If ctx is
// cancelled, the current step is abandoned (the model stays at the last
// whole step), the final checkpoint is requested and an
// *InterruptedError is returned. A training error ends the loop without
// a final checkpoint (the last one stays valid).
func Loop(ctx context.Context, t *Trainer, steps int, rec Recorder) error {
	cfg := &t.cfg
	due := func() bool {
		s := t.step
		return t.validated != s && (s == 0 || s%cfg.ValEvery == 0 || s == steps)
	}
	validate := func() error {
		v, err := t.Validate(ctx)
		if err != nil {
			return err
		}
		return rec.Validation(t, v, t.bestStep == t.step && t.best == v.Purity)
	}
	var err error
	if due() {
		err = validate()
	}
	for err == nil && t.step < steps {
		var s StepResult
		if s, err = t.Step(ctx); err != nil {
			break
		}
		if err = rec.Step(t, s); err != nil {
			break
		}
		if due() {
			if err = validate(); err != nil {
				break
			}
		}
		if t.step%cfg.CheckpointEvery == 0 && t.step < steps {
			err = rec.Checkpoint(t, false)
		}
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, ctx.Err())) {
		if cerr := rec.Checkpoint(t, true); cerr != nil {
			return cerr
		}
		return &InterruptedError{Step: t.step, Err: ctx.Err()}
	}
	if err != nil && !errors.Is(err, ErrStop) {
		return err
	}
	return rec.Checkpoint(t, true)
}
