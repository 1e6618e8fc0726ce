package landscape

import (
	"math"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/nn"
)

// Vec is a point or direction in parameter space: one slice per tensor,
// in the order of model.Model.Params (or Buffers).
type Vec [][]float64

// Of returns the values of vs as a Vec (copied).
func Of[T nn.Float](vs []*nn.Var[T]) Vec {
	v := make(Vec, len(vs))
	for i, p := range vs {
		v[i] = make([]float64, len(p.Value.Data))
		for k, x := range p.Value.Data {
			v[i][k] = float64(x)
		}
	}
	return v
}

// Set writes v into the values of vs (rounded to T). It panics if the
// shapes differ.
func Set[T nn.Float](vs []*nn.Var[T], v Vec) {
	if len(vs) != len(v) {
		panic("landscape: Set: tensor count differs")
	}
	for i, p := range vs {
		if len(p.Value.Data) != len(v[i]) {
			panic("landscape: Set: tensor size differs")
		}
		for k, x := range v[i] {
			p.Value.Data[k] = T(x)
		}
	}
}

// size returns the number of elements of v.
func (v Vec) size() int {
	n := 0
	for _, x := range v {
		n += len(x)
	}
	return n
}

// Zero returns a zero Vec shaped like v.
func (v Vec) Zero() Vec {
	z := make(Vec, len(v))
	for i := range v {
		z[i] = make([]float64, len(v[i]))
	}
	return z
}

// Clone returns a copy of v.
func (v Vec) Clone() Vec {
	c := make(Vec, len(v))
	for i := range v {
		c[i] = append([]float64(nil), v[i]...)
	}
	return c
}

// Dot returns Σ v·w.
func (v Vec) Dot(w Vec) float64 {
	var s float64
	for i := range v {
		for k, x := range v[i] {
			s += x * w[i][k]
		}
	}
	return s
}

// Norm returns the Euclidean norm of v.
func (v Vec) Norm() float64 { return math.Sqrt(v.Dot(v)) }

// Scale multiplies v by s in place and returns it.
func (v Vec) Scale(s float64) Vec {
	for i := range v {
		for k := range v[i] {
			v[i][k] *= s
		}
	}
	return v
}

// AddScaled adds s·w to v in place and returns v.
func (v Vec) AddScaled(s float64, w Vec) Vec {
	for i := range v {
		for k, x := range w[i] {
			v[i][k] += s * x
		}
	}
	return v
}

// Combine writes Σ c_k·vs_k into dst (allocated when nil) and returns it.
func Combine(dst Vec, c []float64, vs ...Vec) Vec {
	if dst == nil {
		dst = vs[0].Zero()
	}
	for i := range dst {
		for k := range dst[i] {
			var s float64
			for j, v := range vs {
				s += c[j] * v[i][k]
			}
			dst[i][k] = s
		}
	}
	return dst
}

// RescaleTensors rescales every tensor d_k of d to ‖θ_k‖·d_k/‖d_k‖, the
// authors' normalisation of their slice directions (normalize_weights:
// per tensor, biases and batch-norm parameters included). Tensors where d
// or θ is zero stay zero. It works in place and returns d.
func RescaleTensors(d, theta Vec) Vec {
	for i := range d {
		var nd, nt float64
		for k, x := range d[i] {
			nd += x * x
			nt += theta[i][k] * theta[i][k]
		}
		s := 0.0
		if nd > 0 {
			s = math.Sqrt(nt / nd)
		}
		for k := range d[i] {
			d[i][k] *= s
		}
	}
	return d
}

// FilterNormalized returns a random direction filter-normalised as Li et
// al. (2018): Gaussian entries from rng, each row of a matrix (one output
// unit's incoming weights) rescaled to the norm of that row of θ, and the
// 1-D tensors (biases, batch-norm γ and β) zeroed (their --xignore biasbn).
// shapes gives each tensor's rows (1 for a vector).
func FilterNormalized(theta Vec, rows []int, rng *rand.Rand) Vec {
	d := theta.Zero()
	for i := range d {
		if rows[i] <= 1 {
			continue
		}
		cols := len(d[i]) / rows[i]
		for r := 0; r < rows[i]; r++ {
			row, ref := d[i][r*cols:(r+1)*cols], theta[i][r*cols:(r+1)*cols]
			var nd, nt float64
			for k := range row {
				row[k] = rng.NormFloat64()
				nd += row[k] * row[k]
				nt += ref[k] * ref[k]
			}
			s := math.Sqrt(nt) / (math.Sqrt(nd) + 1e-10)
			for k := range row {
				row[k] *= s
			}
		}
	}
	return d
}
