package nn

// CustomOp is a user-defined differentiable operation, recorded with
// Tape.Custom. The solver layer of the PAT loss (an LSAP forward pass with
// a blackbox backward pass) and the fused message-passing kernels of
// package model are built on it.
type CustomOp[T Float] interface {
	// Forward computes out.Value (already shaped, contents undefined) from
	// the values of in.
	Forward(out *Var[T], in []*Var[T])
	// Backward receives dL/d(out) in out.Grad and must add dL/d(in[k]) to
	// in[k].Grad for every input whose Grad is non-nil. Values are as
	// Forward left them.
	Backward(out *Var[T], in []*Var[T])
}

// CustomFunc adapts two functions to CustomOp.
type CustomFunc[T Float] struct {
	Fwd func(out *Var[T], in []*Var[T])
	Bwd func(out *Var[T], in []*Var[T])
}

// Forward calls f.Fwd.
func (f CustomFunc[T]) Forward(out *Var[T], in []*Var[T]) { f.Fwd(out, in) }

// Backward calls f.Bwd.
func (f CustomFunc[T]) Backward(out *Var[T], in []*Var[T]) { f.Bwd(out, in) }

// Custom runs op.Forward to compute a rows×cols output from in and records
// op for the backward pass. The output needs a gradient when any input
// does. Pass a pointer (or another non-allocating value) as op to keep the
// tape allocation-free.
func (t *Tape[T]) Custom(op CustomOp[T], rows, cols int, in ...*Var[T]) *Var[T] {
	ins := t.vsl.get(len(in))
	copy(ins, in)
	y := t.newVar(rows, cols, anyGrad(ins...))
	op.Forward(y, ins)
	t.begin(node[T]{op: opCustom, out: y, ins: ins, custom: op})
	t.record()
	return y
}
