package nn

import (
	"cmp"
	"fmt"
	"math"
)

// Optimizer updates parameters from the gradients accumulated in their
// Grad by one or more Backward calls.
//
// Gradient accumulation: Step(n) uses g = Grad/n, the mean of the
// gradients of n accumulated frames. The paper divides each of its 32
// frames' losses by 32 and sums the gradients, which is the same mean for
// differentiable losses (PTT); its unscaled PAT gradient is a sum instead,
// which the solver layer accounts for (e2e.Options). Step does not clear
// the gradients; call ZeroGrads before the next batch.
type Optimizer[T Float] interface {
	// Step applies one update with the mean gradient over accumulated
	// Backward calls (n < 1 counts as 1). It does not allocate.
	Step(accumulated int)
	// SetLR sets the learning rate used by the next Step (for schedules).
	SetLR(lr float64)
	// Settings returns the hyper-parameters and the step count.
	Settings() OptimizerSettings
	// State returns the live per-parameter state tensors (moving averages),
	// named "<param>.<kind>", in parameter order; copying values into them
	// restores the optimiser (see RestoreState).
	State() []*Var[T]
}

// OptimizerSettings describes an optimiser; it is stored in checkpoints.
// Zero fields mean PyTorch's defaults for that kind.
type OptimizerSettings struct {
	Kind  string  `json:"kind" yaml:"kind"`   // "rmsprop" (the paper's; default) or "adam"
	LR    float64 `json:"lr" yaml:"lr"`       // learning rate; 0 means 1e-3
	Alpha float64 `json:"alpha" yaml:"alpha"` // RMSprop smoothing; 0 means 0.99
	Beta1 float64 `json:"beta1" yaml:"beta1"` // Adam; 0 means 0.9
	Beta2 float64 `json:"beta2" yaml:"beta2"` // Adam; 0 means 0.999
	Eps   float64 `json:"eps" yaml:"eps"`     // 0 means 1e-8
	Steps int64   `json:"steps" yaml:"steps"` // updates done so far (Adam's bias correction)
}

func (s OptimizerSettings) withDefaults() OptimizerSettings {
	s.Kind = cmp.Or(s.Kind, "rmsprop")
	s.LR = cmp.Or(s.LR, 1e-3)
	s.Alpha = cmp.Or(s.Alpha, 0.99)
	s.Beta1 = cmp.Or(s.Beta1, 0.9)
	s.Beta2 = cmp.Or(s.Beta2, 0.999)
	s.Eps = cmp.Or(s.Eps, 1e-8)
	return s
}

// NewOptimizer returns the optimiser described by s over params, with
// zeroed state. It returns an error for an unknown kind or a hyper-parameter
// out of range.
func NewOptimizer[T Float](params []*Var[T], s OptimizerSettings) (Optimizer[T], error) {
	s = s.withDefaults()
	if !(s.LR > 0) || !(s.Eps > 0) || s.Steps < 0 {
		return nil, fmt.Errorf("nn: optimizer %q: lr and eps must be positive, steps non-negative", s.Kind)
	}
	switch s.Kind {
	case "rmsprop":
		if !(s.Alpha > 0 && s.Alpha < 1) {
			return nil, fmt.Errorf("nn: rmsprop: alpha %g outside (0,1)", s.Alpha)
		}
		return &RMSprop[T]{s: s, params: params, sq: stateVars(params, "square_avg")}, nil
	case "adam":
		if !(s.Beta1 >= 0 && s.Beta1 < 1 && s.Beta2 > 0 && s.Beta2 < 1) {
			return nil, fmt.Errorf("nn: adam: betas (%g, %g) outside [0,1)", s.Beta1, s.Beta2)
		}
		return &Adam[T]{s: s, params: params, m: stateVars(params, "exp_avg"), v: stateVars(params, "exp_avg_sq")}, nil
	}
	return nil, fmt.Errorf("nn: unknown optimizer %q (want rmsprop or adam)", s.Kind)
}

func stateVars[T Float](params []*Var[T], kind string) []*Var[T] {
	vs := make([]*Var[T], len(params))
	for i, p := range params {
		vs[i] = NewBuffer[T](p.Name+"."+kind, p.Value.Rows, p.Value.Cols)
	}
	return vs
}

// RestoreState copies saved state tensors (matched by name and shape)
// into o, e.g. when resuming from a checkpoint. It returns an error naming
// the first missing or mismatched tensor.
func RestoreState[T Float](o Optimizer[T], saved map[string]Tensor[T]) error {
	for _, v := range o.State() {
		s, ok := saved[v.Name]
		if !ok {
			return fmt.Errorf("nn: optimizer state %q missing", v.Name)
		}
		if s.Rows != v.Value.Rows || s.Cols != v.Value.Cols || len(s.Data) != len(v.Value.Data) {
			return fmt.Errorf("nn: optimizer state %q has shape %d×%d, want %d×%d", v.Name, s.Rows, s.Cols, v.Value.Rows, v.Value.Cols)
		}
		copy(v.Value.Data, s.Data)
	}
	return nil
}

// RMSprop is PyTorch's RMSprop without momentum, centring or weight decay:
//
//	v ← α·v + (1−α)·g²,   θ ← θ − lr·g/(√v + ε).
type RMSprop[T Float] struct {
	s      OptimizerSettings
	params []*Var[T]
	sq     []*Var[T]
}

// Step implements Optimizer.
func (o *RMSprop[T]) Step(accumulated int) {
	inv := 1 / float64(max(accumulated, 1))
	a, lr, eps := T(o.s.Alpha), T(o.s.LR), T(o.s.Eps)
	for i, p := range o.params {
		v := o.sq[i].Value.Data
		for j, g := range p.Grad {
			if accumulated > 1 {
				g = T(float64(g) * inv)
			}
			v[j] = a*v[j] + (1-a)*g*g
			p.Value.Data[j] -= lr * g / (T(math.Sqrt(float64(v[j]))) + eps)
		}
	}
	o.s.Steps++
}

// SetLR implements Optimizer.
func (o *RMSprop[T]) SetLR(lr float64) { o.s.LR = lr }

// Settings implements Optimizer.
func (o *RMSprop[T]) Settings() OptimizerSettings { return o.s }

// State implements Optimizer.
func (o *RMSprop[T]) State() []*Var[T] { return o.sq }

// Adam is PyTorch's Adam (no weight decay, no AMSGrad):
//
//	m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,
//	θ ← θ − lr/(1−β1^t) · m/(√v/√(1−β2^t) + ε).
type Adam[T Float] struct {
	s      OptimizerSettings
	params []*Var[T]
	m, v   []*Var[T]
}

// Step implements Optimizer.
func (o *Adam[T]) Step(accumulated int) {
	o.s.Steps++
	inv := 1 / float64(max(accumulated, 1))
	b1, b2 := T(o.s.Beta1), T(o.s.Beta2)
	t := float64(o.s.Steps)
	stepSize := T(o.s.LR / (1 - math.Pow(o.s.Beta1, t)))
	bc2 := T(math.Sqrt(1 - math.Pow(o.s.Beta2, t)))
	eps := T(o.s.Eps)
	for i, p := range o.params {
		m, v := o.m[i].Value.Data, o.v[i].Value.Data
		for j, g := range p.Grad {
			if accumulated > 1 {
				g = T(float64(g) * inv)
			}
			m[j] = b1*m[j] + (1-b1)*g
			v[j] = b2*v[j] + (1-b2)*g*g
			p.Value.Data[j] -= stepSize * m[j] / (T(math.Sqrt(float64(v[j])))/bc2 + eps)
		}
	}
}

// SetLR implements Optimizer.
func (o *Adam[T]) SetLR(lr float64) { o.s.LR = lr }

// Settings implements Optimizer.
func (o *Adam[T]) Settings() OptimizerSettings { return o.s }

// State implements Optimizer.
func (o *Adam[T]) State() []*Var[T] {
	out := make([]*Var[T], 0, 2*len(o.m))
	out = append(out, o.m...)
	return append(out, o.v...)
}

// StepLR is a step-decay learning-rate schedule: the rate at optimiser
// step s (0-based) is Base·Gamma^⌊s/StepSize⌋. The zero value is the
// paper's schedule as its code runs, a constant 1e-3 (it builds
// StepLR(1000, 0.5) but never steps it): Base 0 means 1e-3, StepSize 0
// means no decay, and Gamma 0 means 0.5. It is stateless, so resuming only
// needs the step count.
type StepLR struct {
	Base     float64 `json:"base" yaml:"base"`
	StepSize int     `json:"step_size" yaml:"step_size"`
	Gamma    float64 `json:"gamma" yaml:"gamma"`
}

// LR returns the learning rate for optimiser step s.
func (s StepLR) LR(step int) float64 {
	base, size, gamma := s.Base, s.StepSize, s.Gamma
	base = cmp.Or(base, 1e-3)
	if size <= 0 {
		return base
	}
	gamma = cmp.Or(gamma, 0.5)
	return base * math.Pow(gamma, float64(max(step, 0)/size))
}
