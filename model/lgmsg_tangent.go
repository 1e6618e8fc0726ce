package model

import (
	"github.com/pcttrack/pcttrack/nn"
)

// Hessian-vector products through the fused message operation (nn.TangentOp),
// in evaluation mode only, where the batch norms are fixed affine maps and
// each aggregated message agg_i[c] is the output of R1 at one argmax edge:
// only those edges (at most Hidden per node) enter the tangents. Layer 1 is
// handled through the same per-node and per-angle-bin tables as the
// forward pass (z1 = P[i] + Q[j] + T[bin] + c), so the 144-wide input is
// never formed per edge; layers 2 and 3 run per edge in float64. The
// cost is O(argmax edges · h² + (nodes + bins) · h · width), far below a
// forward pass over all edges.

var _ nn.TangentOp[float64] = (*lgMsg[float64])(nil)

// lgTan is the float64 state of one tangent computation.
type lgTan struct {
	h, f, dim int
	slope     float64
	// parameter values and tangents (zero for a nil tangent), in R1's order
	val, dot [12][]float64
	mu0, sd0 []float64
	mu1, sd1 []float64
	mu2, sd2 []float64
	xi, xj   []float64 // centred, scaled node features: (x − μ0)/σ0 of both parts, n×f
	enc      map[int32][]float64
	pz, qz   []float64 // node tables of z1 (n×h)
	pd, qd   []float64 // and of its tangent
	tz, td   map[int32][]float64
	cz, cd   []float64
}

const (
	pG0 = iota
	pB0
	pW1
	pb1
	pG1
	pB1
	pW2
	pb2
	pG2
	pB2
	pW3
	pb3
)

func (m *lgMsg[T]) tangentState(in []*nn.Var[T], din [][]T) *lgTan {
	if m.train {
		panic("model: Hessian-vector products of the line-graph model need evaluation mode (Tape.Eval)")
	}
	d, h, f := m.d, m.h, m.f
	s := &lgTan{h: h, f: f, dim: m.dim, slope: float64(m.slope), enc: map[int32][]float64{},
		tz: map[int32][]float64{}, td: map[int32][]float64{}}
	for k, v := range in {
		s.val[k] = f64s(v.Value.Data)
		if din[k] != nil {
			s.dot[k] = f64s(din[k])
		} else {
			s.dot[k] = make([]float64, len(v.Value.Data))
		}
	}
	s.mu0, s.sd0 = m.mu0, m.sd0
	s.mu1, s.sd1, s.mu2, s.sd2 = m.mu1, m.sd1, m.mu2, m.sd2
	w := 2*f + m.dim
	s.xi, s.xj = make([]float64, d.n*f), make([]float64, d.n*f)
	for i := 0; i < d.n; i++ {
		for k := 0; k < f; k++ {
			x := float64(d.x[i*f+k])
			s.xi[i*f+k] = (x - s.mu0[k]) / s.sd0[k]
			s.xj[i*f+k] = (x - s.mu0[f+k]) / s.sd0[f+k]
		}
	}
	// z1 = W1·(γ0⊙ŷ0 + β0) + b1; ż1 = (Ẇ1·diag(γ0) + W1·diag(γ̇0))·ŷ0 + Ẇ1·β0 + W1·β̇0 + ḃ1.
	W, dW, g, dg := s.val[pW1], s.dot[pW1], s.val[pG0], s.dot[pG0]
	s.cz, s.cd = make([]float64, h), make([]float64, h)
	for o := 0; o < h; o++ {
		s.cz[o], s.cd[o] = s.val[pb1][o], s.dot[pb1][o]
		for k := 0; k < w; k++ {
			s.cz[o] += W[o*w+k] * s.val[pB0][k]
			s.cd[o] += dW[o*w+k]*s.val[pB0][k] + W[o*w+k]*s.dot[pB0][k]
		}
	}
	s.pz, s.qz = make([]float64, d.n*h), make([]float64, d.n*h)
	s.pd, s.qd = make([]float64, d.n*h), make([]float64, d.n*h)
	for i := 0; i < d.n; i++ {
		for o := 0; o < h; o++ {
			var pz, pd, qz, qd float64
			for k := 0; k < f; k++ {
				a, b := s.xi[i*f+k], s.xj[i*f+k]
				wi, wj := W[o*w+k], W[o*w+f+k]
				pz += wi * g[k] * a
				pd += (dW[o*w+k]*g[k] + wi*dg[k]) * a
				qz += wj * g[f+k] * b
				qd += (dW[o*w+f+k]*g[f+k] + wj*dg[f+k]) * b
			}
			s.pz[i*h+o], s.pd[i*h+o], s.qz[i*h+o], s.qd[i*h+o] = pz, pd, qz, qd
		}
	}
	return s
}

func f64s[T nn.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// bin returns the centred encoding of compact bin u and its z1 tables.
func (m *lgMsg[T]) bin(s *lgTan, u int32) (enc, tz, td []float64) {
	if e, ok := s.enc[u]; ok {
		return e, s.tz[u], s.td[u]
	}
	f, h, dim := s.f, s.h, s.dim
	w := 2*f + dim
	row := m.d.table.row(m.d.bins[u])
	enc = make([]float64, dim)
	for k, v := range row {
		enc[k] = (float64(v) - s.mu0[2*f+k]) / s.sd0[2*f+k]
	}
	W, dW, g, dg := s.val[pW1], s.dot[pW1], s.val[pG0], s.dot[pG0]
	tz, td = make([]float64, h), make([]float64, h)
	for o := 0; o < h; o++ {
		for k, e := range enc {
			c := 2*f + k
			tz[o] += W[o*w+c] * g[c] * e
			td[o] += (dW[o*w+c]*g[c] + W[o*w+c]*dg[c]) * e
		}
	}
	s.enc[u], s.tz[u], s.td[u] = enc, tz, td
	return enc, tz, td
}

// lgEdge holds one edge's eval-mode activations and their tangents.
type lgEdge struct {
	s1, s2           []float64 // LeakyReLU slopes at z1, z2
	n1, n2, dn1      []float64 // ŷ1, ŷ2 (normalised a1, a2) and tangent of ŷ1
	dn2              []float64
	y1, y2, dy1, dy2 []float64 // BN outputs and tangents
	z3, dz3          []float64
}

func newLGEdge(h int) *lgEdge {
	b := make([]float64, 13*h)
	e := &lgEdge{}
	for i, p := range []*[]float64{&e.s1, &e.s2, &e.n1, &e.n2, &e.dn1, &e.dn2, &e.y1, &e.y2, &e.dy1, &e.dy2, &e.z3, &e.dz3} {
		*p = b[i*h : (i+1)*h]
	}
	return e
}

// edge fills a with the activations of edge e and their tangents.
func (m *lgMsg[T]) edge(s *lgTan, e int, a *lgEdge) {
	d, h := m.d, s.h
	i, j, u := d.dst.Ints()[e], d.src.Ints()[e], d.ubin.Ints()[e]
	_, tz, td := m.bin(s, u)
	z := make([]float64, h)
	dz := make([]float64, h)
	for o := 0; o < h; o++ {
		z[o] = s.pz[int(i)*h+o] + s.qz[int(j)*h+o] + tz[o] + s.cz[o]
		dz[o] = s.pd[int(i)*h+o] + s.qd[int(j)*h+o] + td[o] + s.cd[o]
	}
	bnStage := func(z, dz, sl, n, dn, y, dy []float64, mu, sd []float64, pg, pb int) {
		g, dg, b, db := s.val[pg], s.dot[pg], s.val[pb], s.dot[pb]
		for k := 0; k < h; k++ {
			sl[k] = s.slope
			if z[k] > 0 {
				sl[k] = 1
			}
			n[k] = (sl[k]*z[k] - mu[k]) / sd[k]
			dn[k] = sl[k] * dz[k] / sd[k]
			y[k] = g[k]*n[k] + b[k]
			dy[k] = dg[k]*n[k] + g[k]*dn[k] + db[k]
		}
	}
	linear := func(out, dout, y, dy []float64, pw, pb int) {
		W, dW, b, db := s.val[pw], s.dot[pw], s.val[pb], s.dot[pb]
		for o := 0; o < h; o++ {
			v, dv := b[o], db[o]
			for k := 0; k < h; k++ {
				v += W[o*h+k] * y[k]
				dv += dW[o*h+k]*y[k] + W[o*h+k]*dy[k]
			}
			out[o], dout[o] = v, dv
		}
	}
	bnStage(z, dz, a.s1, a.n1, a.dn1, a.y1, a.dy1, s.mu1, s.sd1, pG1, pB1)
	linear(z, dz, a.y1, a.dy1, pW2, pb2)
	bnStage(z, dz, a.s2, a.n2, a.dn2, a.y2, a.dy2, s.mu2, s.sd2, pG2, pB2)
	linear(a.z3, a.dz3, a.y2, a.dy2, pW3, pb3)
}

// argmaxEdges calls fn for every distinct argmax edge of every node with
// the node and a mask of the channels it wins.
func (m *lgMsg[T]) argmaxEdges(fn func(i, e int, chans []bool)) {
	d, h := m.d, m.h
	chans := make([]bool, h)
	for i := 0; i < d.n; i++ {
		am := m.argmax[i*h : (i+1)*h]
		for c, e := range am {
			if e < 0 {
				continue
			}
			first := true
			for c2 := 0; c2 < c; c2++ {
				if am[c2] == e {
					first = false
					break
				}
			}
			if !first {
				continue
			}
			for c2 := range chans {
				chans[c2] = am[c2] == e
			}
			fn(i, int(e), chans)
		}
	}
}

// ForwardTangent implements nn.TangentOp (evaluation mode only; it panics
// in training mode): dagg_i[c] is the tangent of R1's output c at node
// i's argmax edge.
func (m *lgMsg[T]) ForwardTangent(dout []T, _ *nn.Var[T], in []*nn.Var[T], din [][]T) {
	s := m.tangentState(in, din)
	clear(dout)
	a := newLGEdge(m.h)
	m.argmaxEdges(func(i, e int, chans []bool) {
		m.edge(s, e, a)
		for c, won := range chans {
			if won {
				dout[i*m.h+c] = T(a.dz3[c])
			}
		}
	})
}

// BackwardTangent implements nn.TangentOp (evaluation mode only): the
// tangents of the twelve R1 parameter gradients; the message op has no
// differentiable input other than the parameters.
func (m *lgMsg[T]) BackwardTangent(rout []T, out *nn.Var[T], in []*nn.Var[T], din [][]T, rin [][]T) {
	s := m.tangentState(in, din)
	d, h, f, dim := m.d, s.h, s.f, s.dim
	w := 2*f + dim
	var acc [12][]float64
	for k := range acc {
		acc[k] = make([]float64, len(s.val[k]))
	}
	// Layer-1 sums of G = R{dz1} and H = dz1 by destination, source and bin.
	gp, hp := make([]float64, d.n*h), make([]float64, d.n*h)
	gq, hq := make([]float64, d.n*h), make([]float64, d.n*h)
	gt, ht := map[int32][]float64{}, map[int32][]float64{}
	gG, gH := make([]float64, h), make([]float64, h)
	a := newLGEdge(h)
	dz3, rz3 := make([]float64, h), make([]float64, h)
	dy, ry, dz, rz := make([]float64, h), make([]float64, h), make([]float64, h), make([]float64, h)
	gin := out.Grad
	// back goes through BN (n, dn, γ, β) and the LeakyReLU slopes of one
	// stage, from (dy, ry) = (ȳ, R{ȳ}) of its output to (dz, rz) of the
	// preceding linear layer's output, adding R{γ̄}, R{β̄}.
	back := func(dy, ry, sl, n, dn []float64, sd []float64, pg, pb int, dz, rz []float64) {
		g, dg := s.val[pg], s.dot[pg]
		for k := 0; k < h; k++ {
			acc[pg][k] += ry[k]*n[k] + dy[k]*dn[k]
			acc[pb][k] += ry[k]
			da := dy[k] * g[k] / sd[k]
			rda := ry[k]*g[k]/sd[k] + dy[k]*dg[k]/sd[k]
			dz[k], rz[k] = sl[k]*da, sl[k]*rda
		}
	}
	// lin accumulates R{W̄}, R{b̄} of layer (pw, pb) with input (y, ẏ) and
	// returns (ȳ_in, R{ȳ_in}) in (dy, ry).
	lin := func(dz, rz, y, dyv []float64, pw, pb int, dy, ry []float64) {
		W, dW := s.val[pw], s.dot[pw]
		for o := 0; o < h; o++ {
			acc[pb][o] += rz[o]
			for k := 0; k < h; k++ {
				acc[pw][o*h+k] += rz[o]*y[k] + dz[o]*dyv[k]
			}
		}
		for k := 0; k < h; k++ {
			var v, r float64
			for o := 0; o < h; o++ {
				v += W[o*h+k] * dz[o]
				r += dW[o*h+k]*dz[o] + W[o*h+k]*rz[o]
			}
			dy[k], ry[k] = v, r
		}
	}
	m.argmaxEdges(func(i, e int, chans []bool) {
		m.edge(s, e, a)
		for c, won := range chans {
			dz3[c], rz3[c] = 0, 0
			if won {
				dz3[c] = float64(gin[i*h+c])
				if rout != nil {
					rz3[c] = float64(rout[i*h+c])
				}
			}
		}
		lin(dz3, rz3, a.y2, a.dy2, pW3, pb3, dy, ry)
		back(dy, ry, a.s2, a.n2, a.dn2, s.sd2, pG2, pB2, dz, rz)
		lin(dz, rz, a.y1, a.dy1, pW2, pb2, dy, ry)
		back(dy, ry, a.s1, a.n1, a.dn1, s.sd1, pG1, pB1, dz, rz)
		j, u := d.src.Ints()[e], d.ubin.Ints()[e]
		if gt[u] == nil {
			gt[u], ht[u] = make([]float64, h), make([]float64, h)
		}
		for o := 0; o < h; o++ {
			gp[i*h+o] += rz[o]
			hp[i*h+o] += dz[o]
			gq[int(j)*h+o] += rz[o]
			hq[int(j)*h+o] += dz[o]
			gt[u][o] += rz[o]
			ht[u][o] += dz[o]
			gG[o] += rz[o]
			gH[o] += dz[o]
		}
	})
	// S_G = Σ_e G_e⊗ŷ0_e and S_H = Σ_e H_e⊗ŷ0_e (h × w) from the tables.
	sG, sH := make([]float64, h*w), make([]float64, h*w)
	for i := 0; i < d.n; i++ {
		for o := 0; o < h; o++ {
			for k := 0; k < f; k++ {
				sG[o*w+k] += gp[i*h+o] * s.xi[i*f+k]
				sH[o*w+k] += hp[i*h+o] * s.xi[i*f+k]
				sG[o*w+f+k] += gq[i*h+o] * s.xj[i*f+k]
				sH[o*w+f+k] += hq[i*h+o] * s.xj[i*f+k]
			}
		}
	}
	for u, g := range gt {
		enc, _, _ := m.bin(s, u)
		hh := ht[u]
		for o := 0; o < h; o++ {
			for k, v := range enc {
				sG[o*w+2*f+k] += g[o] * v
				sH[o*w+2*f+k] += hh[o] * v
			}
		}
	}
	// R{W̄1} = S_G·diag(γ0) + g_G⊗β0 + S_H·diag(γ̇0) + g_H⊗β̇0, R{b̄1} = g_G,
	// R{γ̄0} = Σ_o Ẇ1⊙S_H + W1⊙S_G, R{β̄0} = Ẇ1ᵀg_H + W1ᵀg_G.
	W, dW := s.val[pW1], s.dot[pW1]
	g0, dg0, b0, db0 := s.val[pG0], s.dot[pG0], s.val[pB0], s.dot[pB0]
	for o := 0; o < h; o++ {
		acc[pb1][o] += gG[o]
		for k := 0; k < w; k++ {
			acc[pW1][o*w+k] += sG[o*w+k]*g0[k] + gG[o]*b0[k] + sH[o*w+k]*dg0[k] + gH[o]*db0[k]
			acc[pG0][k] += dW[o*w+k]*sH[o*w+k] + W[o*w+k]*sG[o*w+k]
			acc[pB0][k] += dW[o*w+k]*gH[o] + W[o*w+k]*gG[o]
		}
	}
	for k, r := range rin {
		if r == nil {
			continue
		}
		for i, v := range acc[k] {
			r[i] += T(v)
		}
	}
}
