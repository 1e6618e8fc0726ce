package landscape

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// topEigenLanczos is TopEigen with Lanczos set. MaxIter bounds the
// Krylov dimension; Progress is called once per step with k = 0 and the
// current largest-magnitude Ritz value.
func topEigenLanczos(ctx context.Context, op Operator, like Vec, n int, opt EigenOptions) ([]float64, []Vec, error) {
	maxIter := cmp.Or(opt.MaxIter, 100)
	tol := cmp.Or(opt.Tol, 1e-3)
	rng := rand.New(rand.NewPCG(opt.Seed, 0))
	q := like.Zero()
	for i := range q {
		for j := range q[i] {
			q[i][j] = rng.NormFloat64()
		}
	}
	q.Scale(1 / q.Norm())
	var (
		basis       = []Vec{q}
		alpha, beta []float64
		vals        []float64
		s           *mat.Dense
		order       []int
	)
	for j := 0; ; j++ {
		w := like.Zero()
		if err := op.Apply(ctx, w, basis[j]); err != nil {
			return nil, nil, err
		}
		a := w.Dot(basis[j])
		if math.IsNaN(a) || math.IsInf(a, 0) {
			return nil, nil, fmt.Errorf("landscape: Hessian-vector product is %g", a)
		}
		alpha = append(alpha, a)
		// Full reorthogonalisation, twice ("twice is enough"): the
		// three-term recurrence alone loses orthogonality as soon as a
		// Ritz value converges and then finds it again as a ghost.
		for range 2 {
			for _, u := range basis {
				w.AddScaled(-w.Dot(u), u)
			}
		}
		b := w.Norm()
		var ok bool
		vals, s, order, ok = tridiagEigen(alpha, beta)
		if !ok {
			return nil, nil, fmt.Errorf("landscape: Lanczos: the tridiagonal eigenproblem of size %d failed", len(alpha))
		}
		if opt.Progress != nil {
			opt.Progress(0, j, vals[order[0]])
		}
		m := len(alpha)
		done := m >= n
		for k := 0; done && k < n; k++ {
			i := order[k]
			done = math.Abs(b*s.At(m-1, i)) <= tol*math.Abs(vals[i])
		}
		// An invariant subspace (b ≈ 0) is exact; the whole space or the
		// budget ends the run.
		if done || b <= 1e-12*math.Abs(vals[order[0]]) || m == maxIter || m == like.size() {
			if m < n {
				return nil, nil, fmt.Errorf("landscape: Lanczos: the Krylov space has dimension %d < %d", m, n)
			}
			break
		}
		beta = append(beta, b)
		basis = append(basis, w.Scale(1/b))
	}
	outVals := make([]float64, n)
	outVecs := make([]Vec, n)
	c := make([]float64, len(alpha))
	for k := range n {
		i := order[k]
		outVals[k] = vals[i]
		for r := range c {
			c[r] = s.At(r, i)
		}
		v := Combine(like.Zero(), c, basis[:len(c)]...)
		outVecs[k] = v.Scale(1 / v.Norm())
	}
	return outVals, outVecs, nil
}

// tridiagEigen returns the eigenvalues and eigenvectors (columns of s) of
// the symmetric tridiagonal matrix with diagonal alpha and off-diagonal
// beta, and their indices ordered by decreasing magnitude.
func tridiagEigen(alpha, beta []float64) ([]float64, *mat.Dense, []int, bool) {
	m := len(alpha)
	t := mat.NewSymDense(m, nil)
	for i, a := range alpha {
		t.SetSym(i, i, a)
		if i < len(beta) && i+1 < m {
			t.SetSym(i, i+1, beta[i])
		}
	}
	var es mat.EigenSym
	if !es.Factorize(t, true) {
		return nil, nil, nil, false
	}
	vals := es.Values(nil)
	var s mat.Dense
	es.VectorsTo(&s)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(math.Abs(vals[b]), math.Abs(vals[a])) })
	return vals, &s, order, true
}
