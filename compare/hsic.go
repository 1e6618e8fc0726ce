package compare

import (
	"math"

	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// The unbiased HSIC estimator of Song et al. (2012) for linear kernels
// K = XXᵀ and L = YYᵀ with zeroed diagonals K̃, L̃ over n ≥ 4 rows:
//
//	HSIC₁ = [tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((n−1)(n−2)) − 2·1ᵀK̃L̃1/(n−2)] / (n(n−3)).
//
// It is exactly invariant to shifting the features (it is a U-statistic of
// centred kernel terms), so the rows are centred first, after which
// 1ᵀK̃1 = −Σ‖x_r‖², K̃1 = −(‖x_r‖²)_r and tr(K̃L̃) = ‖XᵀY‖²_F − Σ‖x_r‖²‖y_r‖²:
// every term comes from the p×q cross product and the row norms, O(n·p·q)
// instead of the O(n²) Gram matrices.

// features is one layer's minibatch: centred rows and their squared norms.
type features struct {
	n, p int
	x    []float64 // n×p, centred; nil for an affine layer (see scale2)
	x32  []float32 // the same in float32, for the fast cross products
	sq   []float64 // ‖x_r‖²
	// scale2 is set for a layer that is diag(scale)·(shared input): x = u·diag(scale)
	// after centring, and only scale² enters the cross products.
	scale2 []float64
	sumSq  float64
}

// centre builds the centred features of rows [r0, r0+n) of an n_all×p
// float32 matrix.
func centre(dst *features, data []float32, p, r0, n int) {
	dst.n, dst.p, dst.scale2 = n, p, nil
	dst.x = scratch.Grow(dst.x, n*p)
	if cap(dst.x32) < n*p {
		dst.x32 = make([]float32, n*p)
	}
	dst.x32 = dst.x32[:n*p]
	dst.sq = scratch.Grow(dst.sq, n)
	mean := make([]float64, p)
	for r := 0; r < n; r++ {
		row := data[(r0+r)*p : (r0+r+1)*p]
		for k, v := range row {
			mean[k] += float64(v)
		}
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	dst.sumSq = 0
	for r := 0; r < n; r++ {
		row := data[(r0+r)*p : (r0+r+1)*p]
		out := dst.x[r*p : (r+1)*p]
		var s float64
		for k, v := range row {
			c := float64(v) - mean[k]
			out[k] = c
			dst.x32[r*p+k] = float32(c)
			s += c * c
		}
		dst.sq[r] = s
		dst.sumSq += s
	}
}

// affine builds the features u·diag(scale) of a centred shared input u.
func affine(dst *features, u *features, scale []float64) {
	dst.n, dst.p, dst.x = u.n, u.p, nil
	dst.scale2 = scratch.Grow(dst.scale2, u.p)
	for k, s := range scale {
		dst.scale2[k] = s * s
	}
	dst.sq = scratch.Grow(dst.sq, u.n)
	dst.sumSq = 0
	for r := 0; r < u.n; r++ {
		var s float64
		for k, v := range u.x[r*u.p : (r+1)*u.p] {
			s += dst.scale2[k] * v * v
		}
		dst.sq[r] = s
		dst.sumSq += s
	}
}

// crossNorm returns ‖XᵀY‖²_F for two dense feature sets over the same
// rows, accumulating the p×q product in c (at least p·q long).
func crossNorm(x []float64, p int, y []float64, q int, n int, c []float64) float64 {
	c = c[:p*q]
	clear(c)
	for r := 0; r < n; r++ {
		xr, yr := x[r*p:(r+1)*p], y[r*q:(r+1)*q]
		for k, xv := range xr {
			ck := c[k*q : (k+1)*q]
			for l, yv := range yr {
				ck[l] += xv * yv
			}
		}
	}
	var s float64
	for _, v := range c {
		s += v * v
	}
	return s
}

// crossNorm32 is crossNorm on the float32 copies with the nn/kern matrix
// kernels (AVX2 for widths of 8 and 16), accumulated in float32 over a
// minibatch: the features are centred, so the product has no large
// cancellations, and its relative error (~1e-6) is far below the
// estimator's sampling error. c must hold p·q values.
func crossNorm32(x []float32, p int, y []float32, q int, n int, c []float32) float64 {
	c = c[:p*q]
	clear(c)
	kern.MatMulTA(c, q, x, p, y, q, n, p, q)
	var s float64
	for _, v := range c {
		s += float64(v) * float64(v)
	}
	return s
}

// hsic1 assembles the estimator from ‖XᵀY‖², Σ‖x_r‖²‖y_r‖² and the two
// norm sums.
func hsic1(cross, sqDot, sumX, sumY float64, n int) float64 {
	fn := float64(n)
	tr := cross - sqDot
	return (tr + sumX*sumY/((fn-1)*(fn-2)) - 2*sqDot/(fn-2)) / (fn * (fn - 3))
}

func dotF(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// MinibatchCKA returns the minibatch linear CKA of Nguyen, Raghu &
// Kornblith (2021) between the n×p features x and the n×q features y
// (row-major; row r of both describes the same input): the rows are cut
// into consecutive minibatches of batch rows (the remainder dropped),
// and CKA = Σ HSIC₁(K, L) / √(Σ HSIC₁(K, K) · Σ HSIC₁(L, L)) over them.
// It is 1 for y = x, invariant to orthogonal transforms and isotropic
// scaling of either side, and 0 when either side is constant. It panics
// if batch < 4 or n < batch or the lengths do not match. Cost O(n·p·q).
func MinibatchCKA(x []float32, p int, y []float32, q int, n, batch int) float64 {
	if batch < 4 || n < batch || len(x) != n*p || len(y) != n*q {
		panic("compare: MinibatchCKA: need batch >= 4, n >= batch and n×p, n×q features")
	}
	var fx, fy features
	var c []float64
	var kl, kk, ll float64
	for r0 := 0; r0+batch <= n; r0 += batch {
		centre(&fx, x, p, r0, batch)
		centre(&fy, y, q, r0, batch)
		c = scratch.Grow(c, max(p, q)*max(p, q))
		kl += hsic1(crossNorm(fx.x, p, fy.x, q, batch, c), dotF(fx.sq, fy.sq), fx.sumSq, fy.sumSq, batch)
		kk += hsic1(crossNorm(fx.x, p, fx.x, p, batch, c), dotF(fx.sq, fx.sq), fx.sumSq, fx.sumSq, batch)
		ll += hsic1(crossNorm(fy.x, q, fy.x, q, batch, c), dotF(fy.sq, fy.sq), fy.sumSq, fy.sumSq, batch)
	}
	return ckaOf(kl, kk, ll)
}

func ckaOf(kl, kk, ll float64) float64 {
	if kk <= 0 || ll <= 0 {
		return 0
	}
	return kl / math.Sqrt(kk*ll)
}

// affineCross returns ‖XᵀY‖²_F for two affine layers of the same centred
// shared input u (X = u·diag(sa), Y = u·diag(sb)): Σ_kl sa_k² G_kl² sb_l²
// with G = uᵀu, passed in g (computed from u when nil).
func affineCross(a, b, u *features, g []float64) float64 {
	p := u.p
	if g == nil {
		g = gramT(u, nil)
	}
	var s float64
	for k := 0; k < p; k++ {
		row := g[k*p : (k+1)*p]
		var r float64
		for l, v := range row {
			r += v * v * b.scale2[l]
		}
		s += a.scale2[k] * r
	}
	return s
}

// gramT returns uᵀu (p×p) into dst (grown).
func gramT(u *features, dst []float64) []float64 {
	p := u.p
	dst = scratch.Grow(dst, p*p)
	clear(dst)
	for r := 0; r < u.n; r++ {
		ur := u.x[r*p : (r+1)*p]
		for k, v := range ur {
			if v == 0 {
				continue
			}
			dk := dst[k*p : (k+1)*p]
			for l, w := range ur {
				dk[l] += v * w
			}
		}
	}
	return dst
}
