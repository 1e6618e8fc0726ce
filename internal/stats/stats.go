// Package stats holds the one mean and mean-and-standard-deviation that metrics,
// comparisons, landscapes and reconstruction cuts share, so that a
// figure's "mean ± sd" is computed the same way everywhere.
package stats

import "math"

// Mean returns the mean of v, NaN for none, summed in the order given.
func Mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// MeanSD returns the mean of v and its standard deviation with ddof
// degrees of freedom removed: 1 for the sample SD, 0 for the population
// SD. The SD is 0 for fewer than two values; both are NaN for none. It
// sums in the order given: sort v first for a result independent of it.
func MeanSD(v []float64, ddof int) (mean, sd float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	mean = Mean(v)
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		d := x - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(v)-ddof))
}
