package e2e

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// Loss is the paper's PAT loss of one frame: σ(logits) → solver Layer →
// split Hamming loss against the labels. The zero value is ready (default
// Options); use one per training loop, not concurrently, and call
// Tape.Backward on its result before the next Loss call.
type Loss[T nn.Float] struct {
	Options Options
	// Assign is the solver's per-layer-pair assignment (see Layer.Assign).
	Assign track.Options

	layer Layer[T]
	ham   Hamming[T]
}

// Loss records the PAT loss of logits (the n×1 output of model Forward,
// n = len(g.Src)) for the hit graph g and its prepared input in (which must
// carry labels) on t, and returns the 1×1 loss. The cost margin applies
// only when t is in training mode (t.Eval false). It returns an error for
// invalid Options or a NaN logit, and then records nothing the caller
// should back-propagate: Reset the tape. After Backward, Err reports a
// failure of the perturbed solve. One forward solve, plus one in
// Backward (none for Identity); no allocation once grown. It panics if in
// has no labels or the sizes of logits, g and in disagree.
func (l *Loss[T]) Loss(t *nn.Tape[T], logits *nn.Var[T], g *graph.HitGraph, in *model.Input) (*nn.Var[T], error) {
	if err := l.Options.Check(); err != nil {
		return nil, err
	}
	if err := l.Assign.Check(); err != nil {
		return nil, fmt.Errorf("e2e: %w", err)
	}
	if in.Labels == nil {
		panic("e2e: Loss needs labelled input")
	}
	n := len(g.Src)
	if in.NumSegments != n || len(logits.Value.Data) != n {
		panic("e2e: Loss: logits, graph and input sizes differ")
	}
	for s, v := range logits.Value.Data {
		if math.IsNaN(float64(v)) {
			return nil, fmt.Errorf("e2e: frame %d: logit of segment %d (hit %d -> %d) is NaN", g.Meta.Frame, s, g.Src[s], g.Dst[s])
		}
	}
	p := t.Sigmoid(logits)
	var labels []float32
	if !t.Eval {
		labels = in.Labels
	}
	l.layer.Options, l.layer.Assign = l.Options, l.Assign
	l.layer.Prepare(g, labels, nil)
	y := t.Custom(&l.layer, n, 1, p)
	if err := l.layer.Err(); err != nil {
		return nil, err
	}
	return l.ham.Loss(t, y, in), nil
}

// Assignment returns the segments chosen by the last forward solve (for
// training metrics); the slice is reused by the next call.
func (l *Loss[T]) Assignment() []bool { return l.layer.Assignment() }

// Stats returns the assignment counts of the last forward solve.
func (l *Loss[T]) Stats() track.Stats { return l.layer.Stats() }

// Flips returns the number of segments whose assignment the perturbation
// of the last Backward changed (0 for Identity).
func (l *Loss[T]) Flips() int { return l.layer.Flips() }

// Err returns the error of the last forward or perturbed (Backward) solve,
// nil if none; check it after Backward.
func (l *Loss[T]) Err() error { return l.layer.Err() }
