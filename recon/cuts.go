package recon

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/stats"
)

// CutOptions configure Cut. The zero value is the Schulte et al. (2008)
// cut as RTK-PCT's pctpaircuts makes it: 3σ on exit angle and WEPL in bins
// of 1 mm.
type CutOptions struct {
	// Sigmas is k of the k·σ cut; 0 means 3, negative means no cut.
	Sigmas float64
	// Bin is the lateral bin width in mm: protons are binned by
	// projection angle and by the x at which their exit line crosses the
	// rotation axis's depth (z = 0). 0 means 1.
	Bin float64
	// BinY, if positive, also bins by y at z = 0 with this width, mm; 0
	// means one bin along y.
	BinY float64
	// MinPerBin drops the protons of bins with fewer protons than this,
	// whose statistics are not worth a cut; 0 means 5, negative means keep
	// them uncut.
	MinPerBin int
	// Robust uses the median and 1.4826 times the median absolute
	// deviation instead of the mean and standard deviation, so that the
	// tails a cut removes do not widen it.
	Robust bool
}

// CutStats count what Cut did.
type CutStats struct {
	In, Kept int
	Angle    int // dropped for the exit angle (x or y)
	WEPL     int // dropped for the WEPL (and not the angle)
	Sparse   int // dropped with bins of fewer than MinPerBin protons
}

// Cut appends to dst the protons of src that pass the cuts, in their
// order, and returns it. The exit angle is the projected angle of Out
// relative to In in x and in y. A proton with a non-finite field is an
// error naming it.
func Cut(dst, src []dataset.Proton, opt *CutOptions) ([]dataset.Proton, CutStats, error) {
	var o CutOptions
	if opt != nil {
		o = *opt
	}
	if o.Sigmas == 0 {
		o.Sigmas = 3
	}
	if o.Bin == 0 {
		o.Bin = 1
	}
	if o.MinPerBin == 0 {
		o.MinPerBin = 5
	}
	if math.IsNaN(o.Sigmas) || math.IsInf(o.Sigmas, 0) || !(o.Bin > 0) || math.IsInf(o.Bin, 0) || o.BinY < 0 || math.IsNaN(o.BinY) || math.IsInf(o.BinY, 0) {
		return dst, CutStats{}, fmt.Errorf("recon: cut %gσ in bins of %g × %g mm", o.Sigmas, o.Bin, o.BinY)
	}
	st := CutStats{In: len(src)}
	for i := range src {
		if err := src[i].Check(); err != nil {
			return dst, st, fmt.Errorf("recon: proton %d: %w", i, err)
		}
	}
	if o.Sigmas < 0 {
		st.Kept = len(src)
		return append(dst, src...), st, nil
	}
	type key struct {
		angle  float64
		bx, by int64
	}
	keys := make([]key, len(src))
	for i := range src {
		p := &src[i]
		k := key{angle: p.Angle, bx: int64(math.Floor(p.Out.At(0).X / o.Bin))}
		if o.BinY > 0 {
			k.by = int64(math.Floor(p.Out.At(0).Y / o.BinY))
		}
		keys[i] = k
	}
	order := make([]int32, len(src))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		ka, kb := &keys[a], &keys[b]
		return cmp.Or(cmp.Compare(ka.angle, kb.angle), cmp.Compare(ka.bx, kb.bx), cmp.Compare(ka.by, kb.by))
	})
	keep := make([]bool, len(src))
	var ax, ay, w []float64
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && keys[order[hi]] == keys[order[lo]] {
			hi++
		}
		grp := order[lo:hi]
		lo = hi
		if len(grp) < o.MinPerBin {
			st.Sparse += len(grp)
			continue
		}
		ax, ay, w = ax[:0], ay[:0], w[:0]
		for _, i := range grp {
			p := &src[i]
			ax = append(ax, math.Atan(p.Out.TX)-math.Atan(p.In.TX))
			ay = append(ay, math.Atan(p.Out.TY)-math.Atan(p.In.TY))
			w = append(w, p.WEPL)
		}
		mx, sx := centre(ax, o.Robust)
		my, sy := centre(ay, o.Robust)
		mw, sw := centre(w, o.Robust)
		k := o.Sigmas
		for q, i := range grp {
			switch {
			case math.Abs(ax[q]-mx) > k*sx || math.Abs(ay[q]-my) > k*sy:
				st.Angle++
			case math.Abs(w[q]-mw) > k*sw:
				st.WEPL++
			default:
				keep[i] = true
			}
		}
	}
	for i := range src {
		if keep[i] {
			dst = append(dst, src[i])
			st.Kept++
		}
	}
	return dst, st, nil
}

// centre returns the mean and standard deviation of v, or its median and
// 1.4826·MAD if robust.
func centre(v []float64, robust bool) (m, s float64) {
	if robust {
		v = slices.Clone(v)
		slices.Sort(v)
		m = median(v)
		d := make([]float64, len(v))
		for i, x := range v {
			d[i] = math.Abs(x - m)
		}
		slices.Sort(d)
		return m, 1.4826 * median(d)
	}
	return stats.MeanSD(v, 0)
}

func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return 0.5 * (v[n/2-1] + v[n/2])
}
