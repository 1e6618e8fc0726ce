package compare

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/enum"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/track"
)

// Variant selects the costs of the LSAP whose assignments are compared.
type Variant int

const (
	// VariantLogit solves on 1 − logit, as the authors' similarity code
	// does (it passes raw logits to the solver).
	VariantLogit Variant = iota
	// VariantProb solves on 1 − σ(logit), as the tracker does at inference.
	VariantProb
	numVariants
)

// Variants lists the variants in output order.
var Variants = [...]Variant{VariantLogit, VariantProb}

var variantNames = [...]string{VariantLogit: "logit", VariantProb: "prob"}

// String returns "logit" or "prob".
func (v Variant) String() string { return enum.Name(variantNames[:], int(v), "Variant") }

// Label describes the variant for tables and figures.
func (v Variant) Label() string {
	if v == VariantLogit {
		return "LSAP on 1 − logit (authors' code)"
	}
	return "LSAP on 1 − σ(logit) (inference)"
}

// Counts are the pooled counts of one model pair and variant.
type Counts struct {
	Edges  int64 `json:"edges"`  // candidate segments compared
	ErrA   int64 `json:"err_a"`  // segments model A assigns against the label
	ErrB   int64 `json:"err_b"`  // the same for B
	Differ int64 `json:"differ"` // segments A and B assign differently
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Edges += o.Edges
	c.ErrA += o.ErrA
	c.ErrB += o.ErrB
	c.Differ += o.Differ
}

// Rates returns q_a, q_b and m: the two error rates and the share of
// differing assignments (0 without edges).
func (c Counts) Rates() (qa, qb, m float64) {
	if c.Edges == 0 {
		return 0, 0, 0
	}
	n := float64(c.Edges)
	return float64(c.ErrA) / n, float64(c.ErrB) / n, float64(c.Differ) / n
}

// MinMax returns the min-max normalised disagreement (m − m_min)/(m_max −
// m_min) with m_min = |q_a − q_b| and m_max = min(q_a + q_b, 1), the bounds
// any two predictions with these error rates obey: 0 when the models make
// nested errors (as few disagreements as their accuracies allow), 1 when
// their errors never coincide. When m_max = m_min (e.g. identical perfect
// predictions) the disagreement is fixed by the error rates and MinMax
// returns 0.
func (c Counts) MinMax() float64 {
	qa, qb, m := c.Rates()
	lo, hi := math.Abs(qa-qb), math.Min(qa+qb, 1)
	if hi-lo <= 0 {
		return 0
	}
	return (m - lo) / (hi - lo)
}

// assigner computes the assignments of both variants for one model on
// one frame; it owns its workspace (not safe for concurrent use).
type assigner struct {
	opt  track.Options
	a    track.Assigner
	cost []float64
}

// assign writes the assignment of variant v for logits into dst (grown)
// and returns it.
func (s *assigner) assign(dst []bool, g *graph.HitGraph, logits []float32, v Variant) ([]bool, error) {
	s.cost = scratch.Grow(s.cost, len(logits))
	for i, z := range logits {
		if math.IsNaN(float64(z)) {
			return nil, fmt.Errorf("compare: frame %d: logit of segment %d is NaN", g.Meta.Frame, i)
		}
		if v == VariantLogit {
			s.cost[i] = 1 - float64(z)
		} else {
			s.cost[i] = 1 - sigmoid(float64(z))
		}
	}
	dst, _, err := s.a.Assign(dst, g, s.cost, &s.opt)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	return dst, nil
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// errorsOf counts the segments whose assignment differs from the label.
func errorsOf(a []bool, label []bool) int64 {
	var n int64
	for i, x := range a {
		if x != label[i] {
			n++
		}
	}
	return n
}

// differ counts the segments assigned differently.
func differ(a, b []bool) int64 {
	var n int64
	for i, x := range a {
		if x != b[i] {
			n++
		}
	}
	return n
}
