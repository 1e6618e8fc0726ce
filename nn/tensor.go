package nn

import (
	"math"
	"math/rand/v2"
)

// Float is the set of element types of tensors: float32 for training and
// inference, float64 for finite-difference gradient checks.
type Float interface{ ~float32 | ~float64 }

// Tensor is a dense row-major Rows×Cols matrix; Data has Rows·Cols
// elements. Vectors are 1×n or n×1 tensors.
type Tensor[T Float] struct {
	Rows, Cols int
	Data       []T
}

// Row returns row i of x, sharing memory with x.
func (x Tensor[T]) Row(i int) []T { return x.Data[i*x.Cols : (i+1)*x.Cols] }

// Var is a tensor in a computation: a parameter (created by NewParam), a
// constant, or the output of a Tape operation. Grad has the shape of Value
// and holds dL/dValue after Tape.Backward; it is nil for values that need
// no gradient (constants, or everything when the tape has NoGrad set).
type Var[T Float] struct {
	Name  string
	Value Tensor[T]
	Grad  []T
}

// RequiresGrad reports whether v tracks a gradient.
func (v *Var[T]) RequiresGrad() bool { return v.Grad != nil }

// ZeroGrad sets v's gradient to zero.
func (v *Var[T]) ZeroGrad() { clear(v.Grad) }

// NewParam returns a rows×cols parameter with zero value and a zero
// gradient. It allocates.
func NewParam[T Float](name string, rows, cols int) *Var[T] {
	if rows < 0 || cols < 0 {
		panic("nn: negative parameter shape")
	}
	return &Var[T]{
		Name:  name,
		Value: Tensor[T]{Rows: rows, Cols: cols, Data: make([]T, rows*cols)},
		Grad:  make([]T, rows*cols),
	}
}

// NewBuffer returns a rows×cols tensor that is saved with the model but is
// not trained (no gradient), such as batch-norm running statistics.
func NewBuffer[T Float](name string, rows, cols int) *Var[T] {
	if rows < 0 || cols < 0 {
		panic("nn: negative buffer shape")
	}
	return &Var[T]{Name: name, Value: Tensor[T]{Rows: rows, Cols: cols, Data: make([]T, rows*cols)}}
}

// Uniform fills v with independent draws from U(-bound, bound) taken from
// rng in index order (PyTorch's default Linear initialisation uses
// bound = 1/√fan_in).
func Uniform[T Float](v []T, bound float64, rng *rand.Rand) {
	for i := range v {
		v[i] = T((2*rng.Float64() - 1) * bound)
	}
}

// NumParams returns the total number of elements of params.
func NumParams[T Float](params []*Var[T]) int {
	n := 0
	for _, p := range params {
		n += len(p.Value.Data)
	}
	return n
}

// ZeroGrads sets the gradients of all params to zero.
func ZeroGrads[T Float](params []*Var[T]) {
	for _, p := range params {
		clear(p.Grad)
	}
}

// GradNorm returns the Euclidean norm of all gradients of params,
// accumulated in float64.
func GradNorm[T Float](params []*Var[T]) float64 {
	var s float64
	for _, p := range params {
		for _, g := range p.Grad {
			s += float64(g) * float64(g)
		}
	}
	return math.Sqrt(s)
}
