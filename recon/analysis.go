package recon

import (
	"fmt"
	"math"
	"math/cmplx"
)

// ROI is a circular region of interest in the object's (X, Z) plane, mm,
// with the RSP it should have (Truth; NaN if unknown).
type ROI struct {
	Name  string
	X, Z  float64
	R     float64
	Truth float64
}

// ROIStats are the statistics of the pixels whose centres lie in an ROI.
type ROIStats struct {
	ROI
	N         int     // pixels
	Mean, Std float64 // RSP
	Diff      float64 // Mean − Truth
	RelErr    float64 // (Mean − Truth)/Truth, NaN for Truth 0 or unknown
	Covered   bool    // the whole ROI lies on the grid
}

// Measure returns the statistics of each ROI in im. An ROI with no pixel
// centre inside it has N = 0 and NaN statistics.
func Measure(im *Image, rois []ROI) []ROIStats {
	g := &im.Grid
	out := make([]ROIStats, len(rois))
	hx, hz := g.HalfWidths()
	for q, roi := range rois {
		st := ROIStats{ROI: roi}
		st.Covered = roi.X-roi.R >= -hx && roi.X+roi.R <= hx && roi.Z-roi.R >= -hz && roi.Z+roi.R <= hz
		var s, s2 float64
		for k := range g.NZ {
			for i := range g.NX {
				X, Z := g.Center(i, k)
				if math.Hypot(X-roi.X, Z-roi.Z) > roi.R {
					continue
				}
				v := float64(im.RSP[k*g.NX+i])
				s += v
				s2 += v * v
				st.N++
			}
		}
		st.Mean, st.Std = math.NaN(), math.NaN()
		if st.N > 0 {
			st.Mean = s / float64(st.N)
			st.Std = math.Sqrt(max(0, s2/float64(st.N)-st.Mean*st.Mean))
		}
		st.Diff = st.Mean - roi.Truth
		st.RelErr = math.NaN()
		if roi.Truth != 0 && !math.IsNaN(roi.Truth) {
			st.RelErr = st.Diff / roi.Truth
		}
		out[q] = st
	}
	return out
}

// Profile samples im by bilinear interpolation at n points evenly spaced
// from (x0, z0) to (x1, z1). It returns the distance along the line (mm)
// and the values; it panics if n < 2.
func Profile(im *Image, x0, z0, x1, z1 float64, n int) (dist, val []float64) {
	if n < 2 {
		panic("recon: Profile needs at least two points")
	}
	l := math.Hypot(x1-x0, z1-z0)
	dist = make([]float64, n)
	val = make([]float64, n)
	for k := range n {
		f := float64(k) / float64(n-1)
		dist[k] = f * l
		val[k] = im.Bilinear(x0+f*(x1-x0), z0+f*(z1-z0))
	}
	return dist, val
}

// MTF is the modulation transfer function measured on a circular edge.
type MTF struct {
	Freq  []float64 // spatial frequency, line pairs per cm
	Value []float64 // MTF, 1 at frequency 0
	// MTF10 is the frequency at which the MTF first falls to 10 %, lp/cm
	// (linear interpolation), NaN if it never does within Freq.
	MTF10 float64
	// ESF is the oversampled edge-spread function: Radius[k] (mm from the
	// edge's centre) and its mean value.
	Radius, ESF []float64
}

// EdgeMTF measures the MTF from the circular edge of radius r centred at
// (X, Z) (an insert or the phantom's outer boundary): the pixels within
// ±width of the edge are binned by their distance from the centre in
// bins of a tenth of a pixel, or wider for a small circle so that a bin
// holds about eight pixels (the oversampled edge-spread function), the
// derivative gives the line-spread function, which is Hann-windowed, and
// the modulus of its Fourier transform, normalised at 0, is the MTF. It is
// an error if a bin is empty (the edge is not on the grid, or too short).
func EdgeMTF(im *Image, X, Z, r, width float64) (*MTF, error) {
	g := &im.Grid
	if !(r > 0) || !(width > 0) || width >= r {
		return nil, fmt.Errorf("recon: edge radius %g mm and half-width %g mm (want 0 < width < radius)", r, width)
	}
	bin := max(g.Pixel/10, 8*g.Pixel*g.Pixel/(2*math.Pi*r))
	nb := int(math.Ceil(2 * width / bin))
	sum := make([]float64, nb)
	cnt := make([]float64, nb)
	for k := range g.NZ {
		for i := range g.NX {
			x, z := g.Center(i, k)
			d := math.Hypot(x-X, z-Z) - (r - width)
			if d < 0 || d >= 2*width {
				continue
			}
			b := int(d / bin)
			sum[b] += float64(im.RSP[k*g.NX+i])
			cnt[b]++
		}
	}
	m := &MTF{Radius: make([]float64, nb), ESF: make([]float64, nb)}
	for b := range nb {
		if cnt[b] == 0 {
			return nil, fmt.Errorf("recon: edge at (%g, %g) mm radius %g mm: no pixel %.2f mm from the centre (edge off the grid or too short)",
				X, Z, r, r-width+(float64(b)+0.5)*bin)
		}
		m.Radius[b] = r - width + (float64(b)+0.5)*bin
		m.ESF[b] = sum[b] / cnt[b]
	}
	// LSF by central differences, Hann window
	lsf := make([]float64, nb)
	for b := 1; b < nb-1; b++ {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(b)/float64(nb-1))
		lsf[b] = w * (m.ESF[b+1] - m.ESF[b-1]) / (2 * bin)
	}
	// DFT up to the pixel grid's Nyquist frequency, 1/(2 pixel)
	nf := 200
	fmax := 1 / (2 * g.Pixel) // cycles per mm
	var dc complex128
	for b := range lsf {
		dc += complex(lsf[b], 0)
	}
	if cmplx.Abs(dc) == 0 {
		return nil, fmt.Errorf("recon: edge at (%g, %g) mm radius %g mm has no contrast", X, Z, r)
	}
	m.Freq = make([]float64, nf+1)
	m.Value = make([]float64, nf+1)
	m.MTF10 = math.NaN()
	for q := 0; q <= nf; q++ {
		f := fmax * float64(q) / float64(nf)
		var s complex128
		for b := range lsf {
			s += complex(lsf[b], 0) * cmplx.Exp(complex(0, -2*math.Pi*f*float64(b)*bin))
		}
		m.Freq[q] = 10 * f
		m.Value[q] = cmplx.Abs(s) / cmplx.Abs(dc)
		if q > 0 && math.IsNaN(m.MTF10) && m.Value[q] <= 0.1 {
			a, c := m.Value[q-1], m.Value[q]
			m.MTF10 = m.Freq[q-1] + (a-0.1)/(a-c)*(m.Freq[q]-m.Freq[q-1])
		}
	}
	return m, nil
}

// Crossing returns the frequency at which the MTF first falls to level
// (linear interpolation, lp/cm; level 0.1 gives MTF10), NaN if it never
// does within Freq.
func (m *MTF) Crossing(level float64) float64 {
	for q := 1; q < len(m.Value); q++ {
		if a, c := m.Value[q-1], m.Value[q]; c <= level && a > level {
			return m.Freq[q-1] + (a-level)/(a-c)*(m.Freq[q]-m.Freq[q-1])
		}
	}
	return math.NaN()
}
