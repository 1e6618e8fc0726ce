package landscape

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// quadratic is the Hessian of ½xᵀAx for a symmetric A over a Vec of two
// tensors (sizes 3 and 4).
type quadratic struct{ a [][]float64 }

func flat(v Vec) []float64 {
	var out []float64
	for _, t := range v {
		out = append(out, t...)
	}
	return out
}

func unflat(dst Vec, x []float64) {
	k := 0
	for i := range dst {
		for j := range dst[i] {
			dst[i][j] = x[k]
			k++
		}
	}
}

func (q quadratic) Apply(_ context.Context, dst, v Vec) error {
	x := flat(v)
	y := make([]float64, len(x))
	for i := range y {
		for j, xv := range x {
			y[i] += q.a[i][j] * xv
		}
	}
	unflat(dst, y)
	return nil
}

func TestTopEigenKnownHessian(t *testing.T) {
	// A = Q·diag(λ)·Qᵀ with a random orthogonal Q and eigenvalues of
	// distinct magnitudes, one negative: power iteration finds the largest
	// magnitudes, −9 and then 6.
	lambdas := []float64{6, -9, 2.5, 1, -0.5, 0.2, 0.1}
	n := len(lambdas)
	rng := rand.New(rand.NewPCG(1, 1))
	q := make([][]float64, n)
	for i := range q {
		q[i] = make([]float64, n)
		for j := range q[i] {
			q[i][j] = rng.NormFloat64()
		}
		for k := 0; k < i; k++ {
			var d float64
			for j := range q[i] {
				d += q[i][j] * q[k][j]
			}
			for j := range q[i] {
				q[i][j] -= d * q[k][j]
			}
		}
		var nrm float64
		for _, v := range q[i] {
			nrm += v * v
		}
		for j := range q[i] {
			q[i][j] /= math.Sqrt(nrm)
		}
	}
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
		for j := range a[i] {
			for k, l := range lambdas {
				a[i][j] += q[k][i] * l * q[k][j]
			}
		}
	}
	like := Vec{make([]float64, 3), make([]float64, 4)}
	vals, vecs, err := TopEigen(context.Background(), quadratic{a}, like, 2, EigenOptions{Tol: 1e-10, MaxIter: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		lambda float64
		vec    []float64
	}{{-9, q[1]}, {6, q[0]}}
	for k, w := range want {
		if math.Abs(vals[k]-w.lambda) > 1e-6 {
			t.Errorf("eigenvalue %d = %.9f, want %g", k, vals[k], w.lambda)
		}
		var c float64
		for i, v := range flat(vecs[k]) {
			c += v * w.vec[i]
		}
		if math.Abs(math.Abs(c)-1) > 1e-6 {
			t.Errorf("eigenvector %d: |cos| with the true one = %.9f", k, math.Abs(c))
		}
	}
	if d := math.Abs(vecs[0].Dot(vecs[1])); d > 1e-6 {
		t.Errorf("eigenvectors not orthogonal: %g", d)
	}
}
