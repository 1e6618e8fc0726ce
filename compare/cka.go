package compare

import (
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/model"
)

// ckaWork is a worker's CKA workspace.
type ckaWork struct {
	feats [][]features // per member, per layer of the current module
	u     features     // centred shared R1 input of the minibatch
	g     []float64    // uᵀu
	uy    [][][]float64
	c     []float64
	c32   []float32
}

// sampleRows draws k of n rows without replacement in random order.
func sampleRows(rng *rand.Rand, n, k int) []int32 {
	perm := rng.Perm(n)
	if k < n {
		perm = perm[:k]
	}
	out := make([]int32, len(perm))
	for i, v := range perm {
		out[i] = int32(v)
	}
	return out
}

// frame adds the HSIC sums of frame in to fr: per member the self terms,
// per pair the cross terms of matching layers (or all layer pairs).
func (c *ckaWork) frame(fr *frameResult, nets []model.Net, in *model.Input, pairs []Pair, opt Options, rng *rand.Rand) error {
	n := model.ActivationRows(in)
	var rows [3][]int32
	for m := range rows {
		rows[m] = sampleRows(rng, n[m], opt.CKARows)
	}
	acts := make([]*model.Activations, len(nets))
	var first *model.Activations
	for a, net := range nets {
		if net == nil {
			continue
		}
		act, err := model.LayerActivations(net, in, rows)
		if err != nil {
			return err
		}
		acts[a] = act
		if first == nil {
			first = act
		}
	}
	// Layers of each module, as indices into Activations.Layers.
	var mods [3][]int
	for li, l := range first.Layers {
		for m, name := range model.Modules {
			if l.Module == name {
				mods[m] = append(mods[m], li)
				fr.layers[m] = append(fr.layers[m], l.Layer)
			}
		}
	}
	fr.self = make([][3][]float64, len(nets))
	fr.kl = make([][3][]float64, len(pairs))
	c.feats = make([][]features, len(nets))
	c.uy = make([][][]float64, len(nets))
	for m, layers := range mods {
		nl := len(layers)
		for a := range nets {
			if acts[a] != nil {
				fr.self[a][m] = make([]float64, nl)
			}
		}
		for k := range pairs {
			if opt.CKAFull {
				fr.kl[k][m] = make([]float64, nl*nl)
			} else {
				fr.kl[k][m] = make([]float64, nl)
			}
		}
		nr := len(rows[m])
		batch := min(opt.CKABatch, nr)
		if batch < 4 {
			continue // too few rows for the estimator
		}
		for r0 := 0; r0+batch <= nr; r0 += batch {
			c.batch(fr, acts, first, layers, m, r0, batch, pairs, opt.CKAFull)
		}
	}
	return nil
}

// batch adds one minibatch of module m.
func (c *ckaWork) batch(fr *frameResult, acts []*model.Activations, first *model.Activations, layers []int, m, r0, n int, pairs []Pair, full bool) {
	affineLayer := -1
	for l, li := range layers {
		if first.Layers[li].Scale != nil {
			affineLayer = l
			centre(&c.u, first.R1Input, first.R1InputCols, r0, n)
			c.g = gramT(&c.u, c.g)
		}
	}
	for a, act := range acts {
		if act == nil {
			continue
		}
		if cap(c.feats[a]) < len(layers) {
			c.feats[a] = make([]features, len(layers))
		}
		c.feats[a] = c.feats[a][:len(layers)]
		c.uy[a] = c.uy[a][:0]
		for l, li := range layers {
			la := &act.Layers[li]
			f := &c.feats[a][l]
			if l == affineLayer {
				affine(f, &c.u, la.Scale)
			} else {
				centre(f, la.Data, la.Cols, r0, n)
			}
		}
		for l := range layers {
			fr.self[a][m][l] += c.hsic(&c.feats[a][l], &c.feats[a][l], a, a, l, l, affineLayer)
		}
		if full && affineLayer >= 0 {
			// uᵀy of every dense layer, for the cross terms with the affine one
			for l := range layers {
				var p []float64
				if l != affineLayer {
					p = uTy(&c.u, &c.feats[a][l], nil)
				}
				c.uy[a] = append(c.uy[a], p)
			}
		}
	}
	nl := len(layers)
	for k, p := range pairs {
		fa, fb := c.feats[p.A], c.feats[p.B]
		if !full {
			for l := 0; l < nl; l++ {
				fr.kl[k][m][l] += c.hsic(&fa[l], &fb[l], p.A, p.B, l, l, affineLayer)
			}
			continue
		}
		for l := 0; l < nl; l++ {
			for l2 := 0; l2 < nl; l2++ {
				fr.kl[k][m][l*nl+l2] += c.hsic(&fa[l], &fb[l2], p.A, p.B, l, l2, affineLayer)
			}
		}
	}
}

// hsic returns HSIC₁ of layer l of member a and layer l2 of member b.
func (c *ckaWork) hsic(x, y *features, a, b, l, l2, affineLayer int) float64 {
	var cross float64
	switch {
	case l == affineLayer && l2 == affineLayer:
		cross = affineCross(x, y, &c.u, c.g)
	case l == affineLayer:
		cross = weightedNorm(c.uy[b][l2], x.scale2)
	case l2 == affineLayer:
		cross = weightedNorm(c.uy[a][l], y.scale2)
	default:
		if cap(c.c32) < x.p*y.p {
			c.c32 = make([]float32, x.p*y.p)
		}
		cross = crossNorm32(x.x32, x.p, y.x32, y.p, x.n, c.c32)
	}
	return hsic1(cross, dotF(x.sq, y.sq), x.sumSq, y.sumSq, x.n)
}

// uTy returns uᵀy (p_u × p_y) into dst.
func uTy(u, y *features, dst []float64) []float64 {
	p, q := u.p, y.p
	dst = scratch.Grow(dst, p*q)
	clear(dst)
	for r := 0; r < u.n; r++ {
		ur, yr := u.x[r*p:(r+1)*p], y.x[r*q:(r+1)*q]
		for k, v := range ur {
			dk := dst[k*q : (k+1)*q]
			for l, w := range yr {
				dk[l] += v * w
			}
		}
	}
	return dst
}

// weightedNorm returns Σ_kl w_k·P_kl² for the p×q matrix P.
func weightedNorm(pm []float64, w []float64) float64 {
	q := len(pm) / len(w)
	var s float64
	for k, wk := range w {
		var r float64
		for _, v := range pm[k*q : (k+1)*q] {
			r += v * v
		}
		s += wk * r
	}
	return s
}
