package recon

import (
	"fmt"
	"math"
	"slices"
)

// Subtract writes a − b pixel by pixel into dst (allocated if nil or of
// another length) and returns it: a bias map against a reference image, or
// the difference of two images of the same scan. Images on different grids
// are an error.
func Subtract(dst, a, b *Image) (*Image, error) {
	ga, gb := a.Grid, b.Grid
	if ga.NX != gb.NX || ga.NZ != gb.NZ || ga.Pixel != gb.Pixel || ga.Y != gb.Y || ga.Thickness != gb.Thickness {
		return nil, fmt.Errorf("recon: subtracting images on different grids (%d × %d of %g mm at y %g, and %d × %d of %g mm at y %g)",
			ga.NX, ga.NZ, ga.Pixel, ga.Y, gb.NX, gb.NZ, gb.Pixel, gb.Y)
	}
	if len(a.RSP) != ga.Len() || len(b.RSP) != gb.Len() {
		return nil, fmt.Errorf("recon: images of %d and %d values on a %d × %d grid", len(a.RSP), len(b.RSP), ga.NX, ga.NZ)
	}
	if dst == nil || len(dst.RSP) != len(a.RSP) {
		dst = &Image{RSP: make([]float32, len(a.RSP))}
	}
	dst.Grid = ga
	for j := range a.RSP {
		dst.RSP[j] = a.RSP[j] - b.RSP[j]
	}
	return dst, nil
}

// DiffStats summarise a difference image over a disc.
type DiffStats struct {
	N       int     // pixels
	Mean    float64 // mean Δ
	RMS     float64 // √⟨Δ²⟩
	MeanAbs float64 // ⟨|Δ|⟩
	MaxAbs  float64 // max |Δ|
	P99Abs  float64 // 99th percentile of |Δ| (nearest rank)
}

// SummarizeDiff returns the statistics of the pixels of d whose centres
// lie within r of (X, Z) (r ≤ 0: every pixel), e.g. inside the phantom.
// Without pixels the statistics are NaN; NaN pixels are skipped.
func SummarizeDiff(d *Image, X, Z, r float64) DiffStats {
	g := &d.Grid
	var st DiffStats
	var s, s2, sa float64
	var abs []float64
	for k := range g.NZ {
		for i := range g.NX {
			x, z := g.Center(i, k)
			if r > 0 && (x-X)*(x-X)+(z-Z)*(z-Z) > r*r {
				continue
			}
			v := float64(d.RSP[k*g.NX+i])
			if math.IsNaN(v) {
				continue
			}
			st.N++
			s += v
			s2 += v * v
			sa += math.Abs(v)
			abs = append(abs, math.Abs(v))
		}
	}
	if st.N == 0 {
		nan := math.NaN()
		return DiffStats{Mean: nan, RMS: nan, MeanAbs: nan, MaxAbs: nan, P99Abs: nan}
	}
	slices.Sort(abs)
	st.MaxAbs = abs[len(abs)-1]
	st.P99Abs = abs[int(math.Ceil(0.99*float64(len(abs))))-1]
	n := float64(st.N)
	st.Mean, st.RMS, st.MeanAbs = s/n, math.Sqrt(s2/n), sa/n
	return st
}
