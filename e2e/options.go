package e2e

import (
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/pcttrack/pcttrack/track"
)

// Variant selects the gradient the solver layer returns. With w = 1 − p,
// ∂L/∂p = −∂L/∂w in every variant.
type Variant int

const (
	// Blackbox is the rule of Vlastelica et al. (2020): w′ = w + λ·g
	// (clamped at 0 unless Options.NoClamp), y′ = LSAP(w′) and
	// ∂L/∂w = −(y − y′)/λ, the gradient of a piecewise-linear
	// interpolation of L(y(w)).
	Blackbox Variant = iota
	// Unscaled is the paper's code (E2E lsa.py): y′ as for Blackbox but
	// ∂L/∂w = −(y − y′), without 1/λ, so λ only sets how far w is pushed.
	Unscaled
	// Identity is the straight-through estimator: ∂L/∂w = −g, i.e. the
	// incoming gradient passes to p unchanged; no second solve.
	Identity
)

var variantNames = [...]string{Blackbox: "blackbox", Unscaled: "unscaled", Identity: "identity"}

// String returns the name ParseVariant accepts.
func (v Variant) String() string {
	if v >= 0 && int(v) < len(variantNames) {
		return variantNames[v]
	}
	return fmt.Sprintf("Variant(%d)", int(v))
}

// ParseVariant parses "blackbox" (or ""), "unscaled" or "identity", in any
// case. It returns an error naming the value otherwise.
func ParseVariant(s string) (Variant, error) {
	if strings.TrimSpace(s) == "" {
		return Blackbox, nil
	}
	for v, name := range variantNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Variant(v), nil
		}
	}
	return 0, fmt.Errorf("e2e: unknown gradient variant %q (want blackbox, unscaled or identity)", s)
}

// MarshalText implements encoding.TextMarshaler (YAML and JSON configs).
func (v Variant) MarshalText() ([]byte, error) {
	if v < 0 || int(v) >= len(variantNames) {
		return nil, fmt.Errorf("e2e: invalid gradient variant %d", int(v))
	}
	return []byte(v.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseVariant.
func (v *Variant) UnmarshalText(b []byte) error {
	p, err := ParseVariant(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// DefaultLambda is the interpolation strength used when Options.Lambda is 0.
const DefaultLambda = 50

// DefaultWorkers caps the number of goroutines solving the layer pairs of
// one frame when Options.Workers is 0.
const DefaultWorkers = 4

// Options configures the solver layer. The zero value means the defaults:
// Blackbox with λ = DefaultLambda, clamped perturbed costs, no margin,
// track's default assignment (unmatched hits at track.DefaultUnmatchedCost)
// and up to DefaultWorkers goroutines. It decodes from YAML or JSON.
//
// Units of λ: the incoming gradient g is that of one frame's loss. The
// paper divides each frame's loss by the 32 frames of a step before
// back-propagating, so its solver saw g/32; its λ corresponds to
// PaperLambda(λ, 32) here, where the optimiser averages accumulated
// gradients instead (nn.Optimizer.Step).
type Options struct {
	// Lambda is λ > 0; 0 means DefaultLambda.
	Lambda float64 `json:"lambda" yaml:"lambda"`
	// Variant selects the backward rule; the zero value is Blackbox.
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
	// Assign configures the per-layer-pair assignment (unmatched cost or
	// the paper's maximum-cardinality solver), in the forward and the
	// perturbed solve alike; the zero value is track's default.
	Assign track.Options `json:"assign" yaml:"assign"`
	// Workers is the number of goroutines solving the layer pairs of a
	// frame; 0 means min(GOMAXPROCS, DefaultWorkers), 1 solves serially.
	// The result does not depend on it.
	Workers int `json:"workers" yaml:"workers"`
}

// PaperLambda converts the paper's λ, used with framesPerStep frames per
// optimiser step (32 in the paper), to Options.Lambda: λ/framesPerStep.
// It panics if framesPerStep < 1.
func PaperLambda(lambda float64, framesPerStep int) float64 {
	if framesPerStep < 1 {
		panic("e2e: PaperLambda: framesPerStep < 1")
	}
	return lambda / float64(framesPerStep)
}

// Check returns an error for a nonsense value: λ negative, NaN or
// infinite, a non-finite margin, an unknown variant, negative workers or
// a NaN unmatched cost.
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
	case math.IsNaN(o.Assign.UnmatchedCost) || math.IsInf(o.Assign.UnmatchedCost, 0):
		return fmt.Errorf("e2e: unmatched cost %g must be finite", o.Assign.UnmatchedCost)
	}
	return nil
}

func (o *Options) lambda() float64 {
	if o.Lambda == 0 {
		return DefaultLambda
	}
	return o.Lambda
}

func (o *Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return max(1, min(runtime.GOMAXPROCS(0), DefaultWorkers))
}
