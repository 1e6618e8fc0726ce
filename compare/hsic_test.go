package compare

import (
	"math"
	"math/rand/v2"
	"testing"
)

// hsicGram is the authors' estimator (torch_cka's _HSIC) on explicit Gram
// matrices of the uncentred features: the specification of hsic1.
func hsicGram(x []float64, p int, y []float64, q int, n int) float64 {
	k := make([]float64, n*n)
	l := make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a == b {
				continue
			}
			k[a*n+b] = dotF(x[a*p:(a+1)*p], x[b*p:(b+1)*p])
			l[a*n+b] = dotF(y[a*q:(a+1)*q], y[b*q:(b+1)*q])
		}
	}
	var tr, sk, sl, kl1 float64
	k1, l1 := make([]float64, n), make([]float64, n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			tr += k[a*n+b] * l[b*n+a]
			sk += k[a*n+b]
			sl += l[a*n+b]
			k1[a] += k[a*n+b]
			l1[a] += l[a*n+b]
		}
	}
	for a := 0; a < n; a++ {
		kl1 += k1[a] * l1[a]
	}
	fn := float64(n)
	return (tr + sk*sl/((fn-1)*(fn-2)) - 2*kl1/(fn-2)) / (fn * (fn - 3))
}

func randFeatures(rng *rand.Rand, n, p int, shift float64) []float32 {
	x := make([]float32, n*p)
	for i := range x {
		x[i] = float32(rng.NormFloat64() + shift*float64(i%p))
	}
	return x
}

func to64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func TestHSICMatchesGramFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n, p, q = 37, 5, 3
	x := randFeatures(rng, n, p, 3) // uncentred: the shift must not matter
	y := make([]float32, n*q)
	for r := 0; r < n; r++ {
		for c := 0; c < q; c++ {
			y[r*q+c] = x[r*p+c]*float32(c+1) + float32(rng.NormFloat64()) + 5
		}
	}
	var fx, fy features
	centre(&fx, x, p, 0, n)
	centre(&fy, y, q, 0, n)
	got := hsic1(crossNorm(fx.x, p, fy.x, q, n, make([]float64, p*q)), dotF(fx.sq, fy.sq), fx.sumSq, fy.sumSq, n)
	want := hsicGram(to64(x), p, to64(y), q, n)
	if math.Abs(got-want) > 1e-9*math.Abs(want) {
		t.Fatalf("HSIC from the cross product %.15g, Gram formula %.15g", got, want)
	}
	// The affine path (shared input times a diagonal) agrees too.
	scale := []float64{0.5, -2, 1, 3, 0.1}
	xs := make([]float64, n*p)
	for r := 0; r < n; r++ {
		for c := 0; c < p; c++ {
			xs[r*p+c] = float64(x[r*p+c])*scale[c] + 7
		}
	}
	var fa features
	affine(&fa, &fx, scale)
	gotA := hsic1(affineCross(&fa, &fa, &fx, nil), dotF(fa.sq, fa.sq), fa.sumSq, fa.sumSq, n)
	wantA := hsicGram(xs, p, xs, p, n)
	if math.Abs(gotA-wantA) > 1e-9*math.Abs(wantA) {
		t.Fatalf("affine HSIC %.15g, Gram formula %.15g", gotA, wantA)
	}
}

func TestMinibatchCKAProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const n, p, batch = 4096, 16, 1024
	x := randFeatures(rng, n, p, 1)
	y := make([]float32, n*p)
	for i := range y {
		y[i] = float32(math.Tanh(float64(x[i]))) + 0.3*float32(rng.NormFloat64())
	}
	// A random orthogonal matrix (Gram–Schmidt) and an isotropic scale.
	q := make([]float64, p*p)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for i := 0; i < p; i++ {
		row := q[i*p : (i+1)*p]
		for j := 0; j < i; j++ {
			prev := q[j*p : (j+1)*p]
			d := dotF(row, prev)
			for k := range row {
				row[k] -= d * prev[k]
			}
		}
		nrm := math.Sqrt(dotF(row, row))
		for k := range row {
			row[k] /= nrm
		}
	}
	rot := func(v []float32, s float64) []float32 {
		out := make([]float32, len(v))
		for r := 0; r < n; r++ {
			for c := 0; c < p; c++ {
				var acc float64
				for k := 0; k < p; k++ {
					acc += float64(v[r*p+k]) * q[k*p+c]
				}
				out[r*p+c] = float32(s * acc)
			}
		}
		return out
	}
	base := MinibatchCKA(x, p, y, p, n, batch)
	cases := []struct {
		name string
		got  float64
		want float64
	}{
		{"CKA(X, X)", MinibatchCKA(x, p, x, p, n, batch), 1},
		{"CKA(X, 3.7·XQ)", MinibatchCKA(x, p, rot(x, 3.7), p, n, batch), 1},
		{"CKA(XQ, Y)", MinibatchCKA(rot(x, 1), p, y, p, n, batch), base},
		{"CKA(X, 0.01·YQ)", MinibatchCKA(x, p, rot(y, 0.01), p, n, batch), base},
		{"CKA(Y, X)", MinibatchCKA(y, p, x, p, n, batch), base},
	}
	for _, tc := range cases {
		if math.Abs(tc.got-tc.want) > 1e-5 {
			t.Errorf("%s = %.8f, want %.8f", tc.name, tc.got, tc.want)
		}
	}
	if !(base > 0.1 && base < 0.99) {
		t.Errorf("CKA of related features %.4f, want well inside (0, 1)", base)
	}
	// Independent features: close to 0 (the estimator is unbiased).
	z := randFeatures(rng, n, p, 0)
	if c := MinibatchCKA(x, p, z, p, n, batch); math.Abs(c) > 0.02 {
		t.Errorf("CKA of independent features %.4f, want ≈ 0", c)
	}
}
