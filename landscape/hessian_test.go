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

// knownSymmetric returns A = Q·diag(lambdas)·Qᵀ with a random orthogonal
// Q (rows are the eigenvectors).
func knownSymmetric(lambdas []float64, seed uint64) (a, q [][]float64) {
	n := len(lambdas)
	rng := rand.New(rand.NewPCG(seed, 1))
	q = make([][]float64, n)
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
	a = make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, n)
		for j := range a[i] {
			for k, l := range lambdas {
				a[i][j] += q[k][i] * l * q[k][j]
			}
		}
	}
	return a, q
}

func TestTopEigenKnownHessian(t *testing.T) {
	// Eigenvalues of distinct magnitudes, one negative: power iteration
	// finds the largest magnitudes, −9 and then 6.
	lambdas := []float64{6, -9, 2.5, 1, -0.5, 0.2, 0.1}
	a, q := knownSymmetric(lambdas, 1)
	like := Vec{make([]float64, 3), make([]float64, 4)}
	vals, vecs, err := TopEigen(context.Background(), quadratic{a}, like, 2, EigenOptions{Tol: 1e-10, MaxIter: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkEigen(t, vals, vecs, []float64{-9, 6}, [][]float64{q[1], q[0]})
}

// checkEigen compares eigenpairs with the true ones (vectors up to sign).
func checkEigen(t *testing.T, vals []float64, vecs []Vec, wantVals []float64, wantVecs [][]float64) {
	t.Helper()
	for k, l := range wantVals {
		if math.Abs(vals[k]-l) > 1e-6 {
			t.Errorf("eigenvalue %d = %.9f, want %g", k, vals[k], l)
		}
		var c float64
		for i, v := range flat(vecs[k]) {
			c += v * wantVecs[k][i]
		}
		if math.Abs(math.Abs(c)-1) > 1e-6 {
			t.Errorf("eigenvector %d: |cos| with the true one = %.9f", k, math.Abs(c))
		}
	}
	if d := math.Abs(vecs[0].Dot(vecs[1])); d > 1e-6 {
		t.Errorf("eigenvectors not orthogonal: %g", d)
	}
}

// TestTopEigenLanczos: the top two magnitudes are +9 and −8.95 of an
// indefinite matrix, as a PAT surrogate's Hessian can be. Power iteration
// with deflation does not separate them within 40 products per vector;
// Lanczos finds both in fewer than 40 products in all.
func TestTopEigenLanczos(t *testing.T) {
	lambdas := []float64{9, -8.95}
	rng := rand.New(rand.NewPCG(7, 7))
	for len(lambdas) < 40 {
		lambdas = append(lambdas, 2*rng.Float64()-1)
	}
	a, q := knownSymmetric(lambdas, 3)
	like := Vec{make([]float64, 15), make([]float64, 25)}
	op := &counting{op: quadratic{a}}
	vals, vecs, err := TopEigen(context.Background(), op, like, 2, EigenOptions{Lanczos: true, Tol: 1e-9, MaxIter: 40})
	if err != nil {
		t.Fatal(err)
	}
	checkEigen(t, vals, vecs, []float64{9, -8.95}, [][]float64{q[0], q[1]})
	if op.n >= 40 {
		t.Errorf("Lanczos took %d products, want < 40", op.n)
	}
	t.Logf("Lanczos: %d products", op.n)
	pv, _, err := TopEigen(context.Background(), quadratic{a}, like, 2, EigenOptions{Tol: 1e-9, MaxIter: 40})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(pv[0]-9) < 1e-3 && math.Abs(pv[1]+8.95) < 1e-3 {
		t.Errorf("power iteration separated ±9 in 40 steps (%v): the case is not hard", pv)
	}
}

type counting struct {
	op Operator
	n  int
}

func (c *counting) Apply(ctx context.Context, dst, v Vec) error {
	c.n++
	return c.op.Apply(ctx, dst, v)
}
