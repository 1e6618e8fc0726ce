package e2e

import (
	"cmp"
	"fmt"
	"math"
	"runtime"

	"github.com/pcttrack/pcttrack/internal/enum"
)

// Variant selects the gradient the solver layer returns. With w = 1 − p,
// ∂L/∂p = −∂L/∂w in every variant.
type Variant int

const (
	// Unscaled is the paper's code (E2E lsa.py) and the zero value: y′ as
	// for Blackbox but ∂L/∂w = −(y − y′), without 1/λ, so λ only sets how
	// far w is pushed.
	Unscaled Variant = iota
	// Blackbox is the rule of Vlastelica et al. (2020): w′ = w + λ·g
	// (clamped at 0 unless Options.NoClamp), y′ = LSAP(w′) and
	// ∂L/∂w = −(y − y′)/λ, the gradient of a piecewise-linear
	// interpolation of L(y(w)).
	Blackbox
	// Identity is the straight-through estimator: ∂L/∂w = −g, i.e. the
	// incoming gradient passes to p unchanged; no second solve.
	Identity
)

var variantNames = [...]string{Unscaled: "unscaled", Blackbox: "blackbox", Identity: "identity"}

// String returns the name ParseVariant accepts.
func (v Variant) String() string { return enum.Name(variantNames[:], int(v), "Variant") }

// ParseVariant parses "unscaled" (or ""), "blackbox" or "identity", in any
// case. It returns an error naming the value otherwise.
func ParseVariant(s string) (Variant, error) {
	if v, ok := enum.Index(variantNames[:], s); ok {
		return Variant(v), nil
	}
	return 0, fmt.Errorf("e2e: unknown gradient variant %q (want blackbox, unscaled or identity)", s)
}

// MarshalText implements encoding.TextMarshaler (YAML and JSON configs).
func (v Variant) MarshalText() ([]byte, error) {
	return enum.Text(variantNames[:], int(v), "e2e: invalid gradient variant")
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseVariant.
func (v *Variant) UnmarshalText(b []byte) error { return enum.Unmarshal(v, b, ParseVariant) }

// DefaultLambda is the paper's λ used when Options.Lambda is 0 (its
// λ ∈ {25, 50, 75}).
const DefaultLambda = 50

// DefaultWorkers caps the number of goroutines solving the layer pairs of
// one frame when Options.Workers is 0.
const DefaultWorkers = 4

// Options configures the solver layer. The zero value is the paper's
// set-up for one frame per step: Unscaled with λ = DefaultLambda, clamped
// perturbed costs, no margin, and up to DefaultWorkers goroutines. It
// decodes from YAML or JSON. The assignment itself (unmatched cost or the
// paper's maximum-cardinality solver) is the Assign field of Layer and
// Loss, shared with the tracker.
//
// Units of λ: Lambda is the paper's λ, quoted for a loss that is the mean
// over Batch frames. The paper divides each frame's loss by the frames of
// a step before back-propagating, so its solver sees g/Batch for a
// frame's gradient g; the layer, which is given g, perturbs with
// λ/Batch (FrameLambda). The paper then sums the unscaled gradients
// y − y′ over its batch, while nn optimisers average accumulated
// gradients (nn.Optimizer.Step), so for Unscaled the layer returns
// Batch·(y − y′); for Blackbox, whose 1/λ already carries the batch,
// averaging is right.
type Options struct {
	// Lambda is the paper's λ > 0; 0 means DefaultLambda.
	Lambda float64 `json:"lambda" yaml:"lambda"`
	// Batch is the number of frames whose mean loss one optimiser step
	// minimises (32 in the paper); 0 means 1 (Lambda is per frame).
	Batch int `json:"batch,omitempty" yaml:"batch,omitempty"`
	// Variant selects the backward rule; the zero value is Unscaled.
	Variant Variant `json:"variant" yaml:"variant"`
	// Margin is the cost margin α ≥ 0 of Rolínek et al. (2020), applied in
	// training only (tape not in Eval mode, labels given): before solving,
	// true segments cost α/2 more and false ones α/2 less, so the model
	// must prefer the truth by a margin. As in the paper's code
	// (margins.py, secondary_sensitive) only segments joining two primary
	// hits get it unless MarginAll is set. 0 means none (the paper's
	// setting); a negative α reverses the shift.
	Margin float64 `json:"margin" yaml:"margin"`
	// MarginAll applies the margin to every segment, secondaries included.
	MarginAll bool `json:"margin_all" yaml:"margin_all"`
	// NoClamp disables the clamp max(·, 0) of the perturbed costs w′.
	NoClamp bool `json:"no_clamp" yaml:"no_clamp"`
	// Workers is the number of goroutines solving the layer pairs of a
	// frame; 0 means min(GOMAXPROCS, DefaultWorkers), 1 solves serially.
	// The result does not depend on it.
	Workers int `json:"workers" yaml:"workers"`
}

// Check returns an error for a nonsense value: λ negative, NaN or
// infinite, a negative batch, a non-finite margin, an unknown variant or
// negative workers.
func (o *Options) Check() error {
	switch {
	case o.Lambda < 0 || math.IsNaN(o.Lambda) || math.IsInf(o.Lambda, 0):
		return fmt.Errorf("e2e: lambda %g must be positive and finite", o.Lambda)
	case math.IsNaN(o.Margin) || math.IsInf(o.Margin, 0):
		return fmt.Errorf("e2e: margin %g must be finite", o.Margin)
	case o.Variant < 0 || int(o.Variant) >= len(variantNames):
		return fmt.Errorf("e2e: invalid gradient variant %d", int(o.Variant))
	case o.Workers < 0:
		return fmt.Errorf("e2e: workers %d must not be negative", o.Workers)
	case o.Batch < 0:
		return fmt.Errorf("e2e: batch %d must not be negative", o.Batch)
	}
	return nil
}

// FrameLambda returns the λ the layer perturbs one frame's costs with:
// Lambda (DefaultLambda if 0) divided by Batch (1 if 0).
func (o *Options) FrameLambda() float64 {
	l := o.Lambda
	l = cmp.Or(l, DefaultLambda)
	return l / float64(o.batch())
}

func (o *Options) batch() int { return max(o.Batch, 1) }

func (o *Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return max(1, min(runtime.GOMAXPROCS(0), DefaultWorkers))
}
