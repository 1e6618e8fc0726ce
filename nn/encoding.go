package nn

import "math"

// EncodingFrequencies returns the dim/2 frequencies of the sinusoidal
// encoding, f_k = exp(2k·(−ln scaling)/dim) for k = 0..dim/2−1 (the paper
// uses dim 128 and scaling 1e-3, so f runs from 1 to 1000^(126/128)). It
// panics unless dim is positive and even and 0 < scaling < 1. It
// allocates.
func EncodingFrequencies(dim int, scaling float64) []float64 {
	if dim <= 0 || dim%2 != 0 || !(scaling > 0 && scaling < 1) {
		panic("nn: encoding needs an even dim > 0 and 0 < scaling < 1")
	}
	f := make([]float64, dim/2)
	for k := range f {
		f[k] = math.Exp(float64(2*k) * (-math.Log(scaling) / float64(dim)))
	}
	return f
}

// Encode writes the encoding of v into dst (len 2·len(freqs)):
// dst[2k] = sin(v·f_k), dst[2k+1] = cos(v·f_k), computed in float64.
func Encode[T Float](dst []T, v float64, freqs []float64) {
	for k, f := range freqs {
		s, c := math.Sincos(v * f)
		dst[2*k], dst[2*k+1] = T(s), T(c)
	}
}

// SinEncoding returns the n×dim sinusoidal encoding of the n×1 input x
// (see Encode); its gradient is dx = Σ_k f_k·(cos·d[2k] − sin·d[2k+1]).
// It panics if x is not a column or for an invalid dim or scaling.
func (t *Tape[T]) SinEncoding(x *Var[T], dim int, scaling float64) *Var[T] {
	if x.Value.Cols != 1 {
		panic("nn: SinEncoding input must be n×1")
	}
	freqs := EncodingFrequencies(dim, scaling)
	n := x.Value.Rows
	y := t.newVar(n, dim, anyGrad(x))
	for i, v := range x.Value.Data {
		Encode(y.Value.Data[i*dim:(i+1)*dim], float64(v), freqs)
	}
	f := t.mem.get(dim / 2)
	for k, v := range freqs {
		f[k] = T(v)
	}
	t.begin(node[T]{op: opEncoding, out: y, a: x, dim: dim, save: f})
	t.record()
	return y
}

func (t *Tape[T]) encodingBackward(nd *node[T]) {
	dim := nd.dim
	y, dy := nd.out.Value.Data, nd.out.Grad
	for i := range nd.a.Grad {
		var g float64
		for k, f := range nd.save {
			s, c := float64(y[i*dim+2*k]), float64(y[i*dim+2*k+1])
			g += float64(f) * (c*float64(dy[i*dim+2*k]) - s*float64(dy[i*dim+2*k+1]))
		}
		nd.a.Grad[i] += T(g)
	}
}
