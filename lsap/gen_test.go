package lsap_test

import (
	"math"

	"github.com/pcttrack/pcttrack/lsap"
)

// Test and benchmark problems. They are generated with splitmix64 and only
// +, −, ×, / so that testdata/scipy_bench.py reproduces them bit for bit.

// splitmix is the splitmix64 generator (Steele, Lea, Flood 2014).
type splitmix struct{ state uint64 }

func (r *splitmix) uint64() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// float returns a uniform number in [0, 1).
func (r *splitmix) float() float64 { return float64(r.uint64()>>11) * 0x1p-53 }

// uniformMatrix returns a rows×cols matrix of uniform [0, 1) costs.
func uniformMatrix(seed uint64, rows, cols int) []float64 {
	r := splitmix{seed}
	c := make([]float64, rows*cols)
	for k := range c {
		c[k] = r.float()
	}
	return c
}

// pCT-like geometry: two sensor layers, hits in a square field, a cone
// radius that leaves about 5 % of the pairs allowed, Gaussian-like
// displacements of the true partners and cost 1 − p with a Lorentzian p.
// The float64() conversions forbid fused multiply-adds, and the squares
// are written out, so that Python computes the same bits.
const (
	pctField   = 18.4 // mm, side of the square hit field
	pctCone2   = 5.29 // mm², squared allowed radius 2.3 mm (0.4 rad over 5.5 mm)
	pctSigma   = 0.6  // mm, displacement of a proton between the layers
	pctScale2  = 0.64 // mm², squared width 0.8 mm of p = 1/(1 + d²/width²)
	pctSqrt3   = 1.7320508075688772
	pctTrueNum = 17 // of every 20 hits of the smaller layer continue a track
)

// pctProblem returns the dense cost matrix (+Inf outside the cone) between
// a deeper layer of rows hits and a shallower layer of cols hits; 85 % of
// min(rows, cols) hits are true continuations, the rest are noise.
func pctProblem(seed uint64, rows, cols int) []float64 {
	r := splitmix{seed}
	xr, yr := make([]float64, rows), make([]float64, rows)
	for i := range xr {
		xr[i] = pctField * r.float()
		yr[i] = pctField * r.float()
	}
	gauss := func() float64 { // Irwin–Hall(4), unit variance
		return (r.float() + r.float() + r.float() + r.float() - 2) * pctSqrt3
	}
	nTrue := min(rows, cols) * pctTrueNum / 20
	xc, yc := make([]float64, cols), make([]float64, cols)
	for j := range xc {
		if j < nTrue {
			xc[j] = xr[j] + float64(pctSigma*gauss())
			yc[j] = yr[j] + float64(pctSigma*gauss())
		} else {
			xc[j] = pctField * r.float()
			yc[j] = pctField * r.float()
		}
	}
	for j := cols - 1; j > 0; j-- {
		k := int(r.float() * float64(j+1))
		xc[j], xc[k] = xc[k], xc[j]
		yc[j], yc[k] = yc[k], yc[j]
	}
	c := make([]float64, rows*cols)
	for i := range rows {
		for j := range cols {
			dx, dy := xr[i]-xc[j], yr[i]-yc[j]
			d2 := float64(dx*dx) + float64(dy*dy)
			if d2 < pctCone2 {
				t := d2 / pctScale2
				c[i*cols+j] = t / (1 + t)
			} else {
				c[i*cols+j] = math.Inf(1)
			}
		}
	}
	return c
}

// pctFrameLayers is the number of adjacent layer pairs of a frame.
const pctFrameLayers = 27

// pctFrameSize returns the problem size of layer pair k of a frame: the
// layers hold 150 − 4.4·k hits, deeper layer first (rows).
func pctFrameSize(k int) (rows, cols int) {
	h := func(l int) int { return 150 - 44*l/10 }
	return h(k + 1), h(k)
}

// pctFrame returns the 27 per-layer problems of one frame as dense
// matrices and CSR.
func pctFrame(seed uint64) (dense [][]float64, sparse []*lsap.Sparse) {
	for k := range pctFrameLayers {
		rows, cols := pctFrameSize(k)
		c := pctProblem(seed+uint64(k), rows, cols)
		dense = append(dense, c)
		sparse = append(sparse, new(lsap.Sparse).FromDense(c, rows, cols))
	}
	return dense, sparse
}
