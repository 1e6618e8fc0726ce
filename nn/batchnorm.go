package nn

import (
	"math"

	"github.com/pcttrack/pcttrack/nn/kern"
)

// BatchNorm is 1-D batch normalisation over the rows of an n×C input with
// PyTorch's BatchNorm1d semantics: in training mode each column is
// normalised with the batch mean and biased variance, and the running
// statistics are updated with momentum and the unbiased variance; in
// evaluation mode the running statistics are used.
type BatchNorm[T Float] struct {
	Gamma, Beta             *Var[T] // 1×C scale and shift (trained)
	RunningMean, RunningVar *Var[T] // 1×C running statistics (buffers)
	// Momentum weights the batch statistics in the running update:
	// running = (1-Momentum)·running + Momentum·batch.
	Momentum float64
	// Eps is added to the variance before the square root.
	Eps float64
}

// NewBatchNorm returns a C-channel batch norm named name (tensors
// name+".weight", ".bias", ".running_mean", ".running_var") with PyTorch's
// defaults: γ = 1, β = 0, running mean 0, running variance 1, momentum 0.1,
// eps 1e-5. It allocates.
func NewBatchNorm[T Float](name string, c int) *BatchNorm[T] {
	bn := &BatchNorm[T]{
		Gamma:       NewParam[T](name+".weight", 1, c),
		Beta:        NewParam[T](name+".bias", 1, c),
		RunningMean: NewBuffer[T](name+".running_mean", 1, c),
		RunningVar:  NewBuffer[T](name+".running_var", 1, c),
		Momentum:    0.1,
		Eps:         1e-5,
	}
	for i := 0; i < c; i++ {
		bn.Gamma.Value.Data[i] = 1
		bn.RunningVar.Value.Data[i] = 1
	}
	return bn
}

// C returns the number of channels.
func (bn *BatchNorm[T]) C() int { return bn.Gamma.Value.Cols }

// Params returns γ and β.
func (bn *BatchNorm[T]) Params() []*Var[T] { return []*Var[T]{bn.Gamma, bn.Beta} }

// Buffers returns the running mean and variance.
func (bn *BatchNorm[T]) Buffers() []*Var[T] { return []*Var[T]{bn.RunningMean, bn.RunningVar} }

// UpdateRunning folds batch statistics (mean, biased variance over n rows)
// into the running statistics, as PyTorch does in training mode.
func (bn *BatchNorm[T]) UpdateRunning(mean, biasedVar []float64, n int) {
	m := bn.Momentum
	unbias := float64(n) / float64(max(n-1, 1))
	rm, rv := bn.RunningMean.Value.Data, bn.RunningVar.Value.Data
	for c := range rm {
		rm[c] = T((1-m)*float64(rm[c]) + m*mean[c])
		rv[c] = T((1-m)*float64(rv[c]) + m*biasedVar[c]*unbias)
	}
}

// BatchNorm normalises the columns of x. In training mode (tape not Eval)
// it uses batch statistics and updates bn's running statistics (unless the
// tape's FreezeStats is set); it panics
// if x has fewer than two rows then (the variance is undefined, as in
// PyTorch) or if x has the wrong width.
func (t *Tape[T]) BatchNorm(x *Var[T], bn *BatchNorm[T]) *Var[T] {
	c := bn.C()
	if x.Value.Cols != c {
		panic("nn: BatchNorm input width does not match the layer")
	}
	n := x.Value.Rows
	train := !t.Eval
	if train && n < 2 {
		panic("nn: BatchNorm in training mode needs at least two rows")
	}
	y := t.newVar(n, c, anyGrad(x, bn.Gamma, bn.Beta))
	// save = mean, invstd, alpha, shift with y = x·alpha + shift.
	save := t.mem.get(4 * c)
	stats := t.fmem.get(2 * c) // mean, invstd in float64 for the backward pass
	nd := t.begin(node[T]{op: opBatchNorm, out: y, a: x, bn: bn, save: save, f64: stats, train: train})
	nb := numBlocks(n)
	mean, invstd := stats[:c], stats[c:]
	if train {
		// Column sums of x and x² in float64, as PyTorch accumulates BN
		// statistics in double on the CPU.
		sums := t.fmem.get(2 * c)
		reduce(sums, t.run(jBNStats, nd, nb, 2*c), 2*c)
		variance := t.fmem.get(c)
		for i := 0; i < c; i++ {
			mean[i] = sums[i] / float64(n)
			variance[i] = max(sums[c+i]/float64(n)-mean[i]*mean[i], 0)
			invstd[i] = 1 / math.Sqrt(variance[i]+bn.Eps)
		}
		if !t.FreezeStats {
			bn.UpdateRunning(mean, variance, n)
		}
	} else {
		rm, rv := bn.RunningMean.Value.Data, bn.RunningVar.Value.Data
		for i := range mean {
			mean[i] = float64(rm[i])
			invstd[i] = 1 / math.Sqrt(float64(rv[i])+bn.Eps)
		}
	}
	g, b := bn.Gamma.Value.Data, bn.Beta.Value.Data
	for i := 0; i < c; i++ {
		alpha := invstd[i] * float64(g[i])
		save[i] = T(mean[i])
		save[c+i] = T(invstd[i])
		save[2*c+i] = T(alpha)
		save[3*c+i] = T(float64(b[i]) - mean[i]*alpha)
	}
	t.run(jBNApply, nd, nb, 0)
	t.record()
	return y
}

func (t *Tape[T]) bnBlock(j *tapeJob[T], b int) {
	nd := j.nd
	x := nd.a.Value
	c := x.Cols
	lo, hi := blockRange(b, x.Rows)
	xb := x.Data[lo*c : hi*c]
	switch j.kind {
	case jBNStats:
		p := j.part[b*2*c : (b+1)*2*c]
		kern.ColSums(p[:c], p[c:], xb, hi-lo, c)
	case jBNApply:
		kern.AffineCols(nd.out.Value.Data[lo*c:hi*c], xb, nd.save[2*c:3*c], nd.save[3*c:4*c], hi-lo, c)
	case jBNBwdSums:
		// partials: Σdy, Σdy·x.
		p := j.part[b*2*c : (b+1)*2*c]
		dy := nd.out.Grad[lo*c : hi*c]
		kern.ColSums(p[:c], nil, dy, hi-lo, c)
		kern.ColDot(p[c:], dy, xb, hi-lo, c)
	case jBNBwdApply:
		// aux = A, B, C: dx += dy·A + x·B + C.
		a, bb, cc := j.aux[:c], j.aux[c:2*c], j.aux[2*c:3*c]
		kern.Affine2Acc(nd.a.Grad[lo*c:hi*c], nd.out.Grad[lo*c:hi*c], xb, a, bb, cc, hi-lo, c)
	}
}

func (t *Tape[T]) batchNormBackward(nd *node[T]) {
	bn := nd.bn
	c := bn.C()
	n := nd.a.Value.Rows
	nb := numBlocks(n)
	sums := t.fmem.get(2 * c)
	reduce(sums, t.run(jBNBwdSums, nd, nb, 2*c), 2*c)
	// Σdy·x̂ = invstd·(Σdy·x − mean·Σdy), in float64.
	mean, invstd := nd.f64[:c], nd.f64[c:]
	for i := 0; i < c; i++ {
		sums[c+i] = invstd[i] * (sums[c+i] - mean[i]*sums[i])
	}
	if bn.Beta.Grad != nil {
		for i := 0; i < c; i++ {
			bn.Beta.Grad[i] += T(sums[i])
		}
	}
	if bn.Gamma.Grad != nil {
		for i := 0; i < c; i++ {
			bn.Gamma.Grad[i] += T(sums[c+i])
		}
	}
	if nd.a.Grad == nil {
		return
	}
	// dx = k·(dy − a − x̂·bc) with k = γ·invstd, a = mean(dy), bc =
	// mean(dy·x̂) (both 0 in eval mode) and x̂ = (x − mean)·invstd:
	// dx = dy·k + x·(−k·bc·invstd) + (−k·a + k·bc·invstd·mean).
	aux := t.mem.get(3 * c)
	g := bn.Gamma.Value.Data
	for i := 0; i < c; i++ {
		k := float64(g[i]) * invstd[i]
		var a, bc float64
		if nd.train {
			a, bc = sums[i]/float64(n), sums[c+i]/float64(n)
		}
		aux[i] = T(k)
		aux[c+i] = T(-k * bc * invstd[i])
		aux[2*c+i] = T(-k*a + k*bc*invstd[i]*mean[i])
	}
	t.job.aux = aux
	t.run(jBNBwdApply, nd, nb, 0)
	t.job.aux = nil
}
