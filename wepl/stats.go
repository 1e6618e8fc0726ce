package wepl

import (
	"math"
	"slices"
)

// Core is the Gaussian core of a sample with tails: mean and standard
// deviation over the values within 3σ of the mean, iterated from the whole
// sample until the set no longer changes. The standard deviation is divided
// by 0.98658, the ratio for a normal distribution truncated at ±3σ, so that
// it estimates σ of the core. Tail is the share of the values beyond 3σ of
// the mean.
type Core struct {
	N    int     // values
	Mean float64 // core mean
	SD   float64 // core standard deviation (corrected for the truncation)
	Tail float64 // share of the values with |x − Mean| > 3·SD
}

// truncSD is the standard deviation of a unit normal truncated at ±3:
// √(1 − 6φ(3)/(2Φ(3) − 1)).
const truncSD = 0.9865811

// CoreOf returns the Core of x (NaN values are ignored). An empty sample
// gives NaN fields; one value gives SD 0. O(n·iterations), at most 50
// iterations.
func CoreOf(x []float64) Core {
	var c Core
	mean, sd := moments(x, math.Inf(-1), math.Inf(1))
	var prev int = -1
	for range 50 {
		lo, hi := mean-3*sd, mean+3*sd
		m, s := moments(x, lo, hi)
		n := count(x, lo, hi)
		if n == prev || n == 0 || s == 0 {
			break // s == 0: a lattice of values (a layer) would collapse the window
		}
		prev = n
		mean, sd = m, s/truncSD
	}
	c.Mean, c.SD = mean, sd
	var all, out int
	for _, v := range x {
		if math.IsNaN(v) {
			continue
		}
		all++
		if math.Abs(v-mean) > 3*sd {
			out++
		}
	}
	c.N = all
	if all == 0 {
		return Core{Mean: math.NaN(), SD: math.NaN(), Tail: math.NaN()}
	}
	c.Tail = float64(out) / float64(all)
	return c
}

// moments returns the mean and standard deviation (n − 1) of the values in
// [lo, hi]; NaN when there are none, SD 0 for one.
func moments(x []float64, lo, hi float64) (mean, sd float64) {
	var n int
	var s float64
	for _, v := range x {
		if v >= lo && v <= hi {
			n++
			s += v
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean = s / float64(n)
	if n == 1 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		if v >= lo && v <= hi {
			ss += (v - mean) * (v - mean)
		}
	}
	return mean, math.Sqrt(ss / float64(n-1))
}

func count(x []float64, lo, hi float64) int {
	n := 0
	for _, v := range x {
		if v >= lo && v <= hi {
			n++
		}
	}
	return n
}

// median returns the median of the non-NaN values of x (NaN if none); x
// is not modified.
func median(x []float64) float64 {
	v := make([]float64, 0, len(x))
	for _, a := range x {
		if !math.IsNaN(a) {
			v = append(v, a)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return 0.5 * (v[n/2-1] + v[n/2])
}
