package model

import (
	"math"

	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
)

// SplitBCE is the paper's PTT loss: binary cross-entropy of the logits
// against Input.Labels, averaged separately over the segments touching
// layers 0–2 (Input.NearTracker) and over the others, the two means summed
// (weights Input.SplitWeight). It keeps its weight and target
// scratch between calls, so use one per training loop (not concurrently);
// the zero value is ready.
type SplitBCE[T nn.Float] struct {
	w, y []T
}

// Loss records the loss of logits (one per segment) on t. The scratch it
// hands to the tape stays valid until the next call, which must come after
// Backward. It panics if in has no labels.
func (l *SplitBCE[T]) Loss(t *nn.Tape[T], logits *nn.Var[T], in *Input) *nn.Var[T] {
	if in.Labels == nil {
		panic("model: SplitBCE needs labelled input")
	}
	n := in.NumSegments
	l.w, l.y = scratch.Grow(l.w, n), scratch.Grow(l.y, n)
	for s := 0; s < n; s++ {
		l.y[s] = T(in.Labels[s])
		l.w[s] = T(in.SplitWeight[s])
	}
	return t.BCEWithLogits(logits, l.y, l.w)
}

// SplitLosses returns, without a tape, the paper's split BCE of the
// probabilities p (PyTorch's BCELoss, logarithms clamped at −100, as the
// authors' evaluation) and the split Hamming error of the selection sel,
// both against in.Labels with the weights in.SplitWeight: the PTT and PAT
// losses of validation and of the loss-landscape evaluations. It panics
// if in has no labels or the lengths differ.
func SplitLosses(p []float32, sel []bool, in *Input) (bce, ham float64) {
	if in.Labels == nil || len(p) != len(in.Labels) || len(sel) != len(in.Labels) {
		panic("model: SplitLosses needs labelled input and one probability and selection per segment")
	}
	for s, l := range in.Labels {
		w, pv := in.SplitWeight[s], float64(p[s])
		if l >= 0.5 {
			bce -= w * max(math.Log(pv), -100)
		} else {
			bce -= w * max(math.Log1p(-pv), -100)
		}
		if sel[s] != (l >= 0.5) {
			ham += w
		}
	}
	return bce, ham
}
