package metrics

import (
	"math/rand/v2"
	"slices"

	"github.com/pcttrack/pcttrack/internal/stats"
)

// Interval is a point estimate with a two-sided confidence interval.
type Interval struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// BootstrapMeanDiff estimates mean(a) − mean(b) of two independent samples
// (e.g. per-frame purities on simulated and on real frames) with a
// percentile bootstrap confidence interval at the given level (0.95 for
// 95 %): each of n resamples draws len(a) values of a and len(b) values of
// b with replacement. The result depends only on the inputs and seed. It
// returns the zero Interval if a or b is empty or n < 1.
func BootstrapMeanDiff(a, b []float64, n int, level float64, seed uint64) Interval {
	if len(a) == 0 || len(b) == 0 || n < 1 {
		return Interval{}
	}
	r := rand.New(rand.NewPCG(seed, 0x6f6f7473))
	resample := func(v []float64) float64 {
		var s float64
		for range v {
			s += v[r.IntN(len(v))]
		}
		return s / float64(len(v))
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = resample(a) - resample(b)
	}
	slices.Sort(d)
	q := func(p float64) float64 {
		x := p * float64(n-1)
		i := int(x)
		if i >= n-1 {
			return d[n-1]
		}
		return d[i] + (x-float64(i))*(d[i+1]-d[i])
	}
	alpha := (1 - level) / 2
	return Interval{Value: stats.Mean(a) - stats.Mean(b), Lo: q(alpha), Hi: q(1 - alpha)}
}
