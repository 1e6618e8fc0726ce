package model

import (
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// Hessian-vector products through the fused message operation
// (nn.TangentOp), in evaluation mode only, where the batch norms are fixed
// affine maps and each aggregated message agg_i[c] is R1's output at one
// argmax edge: only those edges (at most Hidden per node) enter the
// tangents. They are gathered into rows and pushed through R1 as small
// matrix products on the nn/kern kernels; layer 1 uses per-node and
// per-angle-bin tables as the forward pass does (z1 = P[i] + Q[j] +
// T[bin] + c), so the wide input is never formed per edge. Cost
// O(argmax edges·h² + (nodes + bins)·h·width), a fraction of a forward
// pass over all edges. The state of ForwardTangent (activations and
// tangents of the argmax rows) is kept for the BackwardTangent of the same
// HVP.

var _ nn.TangentOp[float64] = (*lgMsg[float64])(nil)

// R1's parameters in Params order.
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

// lgTan is the state of one tangent computation.
type lgTan[T nn.Float] struct {
	h, f, dim, w int
	slopeV       T       // LeakyReLU's negative slope
	val, dot     [12][]T // parameter values and tangents (zero for a nil tangent)
	// argmax rows: edge of each row, and per node and channel its row
	rows             []int32
	rowOf            []int32 // n×h, −1 for an empty node
	xi, xj, enc      []T     // centred, scaled inputs ŷ0 by part: n×f, n×f, u×dim
	sd1, sd2         []T
	s1, n1, dn1      []T // per row × h: LeakyReLU slope at z1, ŷ1, its tangent
	y1, dy1          []T
	s2, n2, dn2      []T
	y2, dy2          []T
	dz3              []T
	rdst, rsrc, rbin kern.Index
	wgT, aT          []T // (W1·diag(γ0))ᵀ and (Ẇ1·diag(γ0) + W1·diag(γ̇0))ᵀ, w×h
}

func (m *lgMsg[T]) tangentState(in []*nn.Var[T], din [][]T) *lgTan[T] {
	if m.train {
		panic("model: Hessian-vector products of the line-graph model need evaluation mode (Tape.Eval)")
	}
	d, h, f, dim := m.d, m.h, m.f, m.dim
	w := 2*f + dim
	s := &lgTan[T]{h: h, f: f, dim: dim, w: w, slopeV: m.slope}
	for k, v := range in {
		s.val[k] = v.Value.Data
		if din[k] != nil {
			s.dot[k] = din[k]
		} else {
			s.dot[k] = make([]T, len(v.Value.Data))
		}
	}
	// The distinct argmax edges, in node order.
	s.rowOf = make([]int32, d.n*h)
	for i := 0; i < d.n; i++ {
		am := m.argmax[i*h : (i+1)*h]
		for c, e := range am {
			s.rowOf[i*h+c] = -1
			if e < 0 {
				continue
			}
			r := int32(-1)
			for c2 := 0; c2 < c; c2++ {
				if am[c2] == e {
					r = s.rowOf[i*h+c2]
					break
				}
			}
			if r < 0 {
				r = int32(len(s.rows))
				s.rows = append(s.rows, e)
			}
			s.rowOf[i*h+c] = r
		}
	}
	nr := len(s.rows)
	dst, src, bin := make([]int32, nr), make([]int32, nr), make([]int32, nr)
	for r, e := range s.rows {
		dst[r], src[r], bin[r] = d.dst.Ints()[e], d.src.Ints()[e], d.ubin.Ints()[e]
	}
	s.rdst, s.rsrc, s.rbin = kern.NewIndex(dst, d.n), kern.NewIndex(src, d.n), kern.NewIndex(bin, len(d.bins))
	// ŷ0 by part.
	s.xi, s.xj = make([]T, d.n*f), make([]T, d.n*f)
	for i := 0; i < d.n; i++ {
		for k := 0; k < f; k++ {
			x := float64(d.x[i*f+k])
			s.xi[i*f+k] = T((x - m.mu0[k]) / m.sd0[k])
			s.xj[i*f+k] = T((x - m.mu0[f+k]) / m.sd0[f+k])
		}
	}
	u := len(d.bins)
	s.enc = make([]T, u*dim)
	for b := 0; b < u; b++ {
		for k, v := range d.table.row(d.bins[b]) {
			s.enc[b*dim+k] = T((float64(v) - m.mu0[2*f+k]) / m.sd0[2*f+k])
		}
	}
	// z1 = Wg·ŷ0 + W1·β0 + b1 and ż1 = A·ŷ0 + Ẇ1·β0 + W1·β̇0 + ḃ1 with
	// Wg = W1·diag(γ0), A = Ẇ1·diag(γ0) + W1·diag(γ̇0).
	W, dW, g, dg := s.val[pW1], s.dot[pW1], s.val[pG0], s.dot[pG0]
	s.wgT, s.aT = make([]T, w*h), make([]T, w*h)
	cz, cd := make([]T, h), make([]T, h)
	for o := 0; o < h; o++ {
		az, ad := float64(s.val[pb1][o]), float64(s.dot[pb1][o])
		for k := 0; k < w; k++ {
			wv, dwv := float64(W[o*w+k]), float64(dW[o*w+k])
			s.wgT[k*h+o] = T(wv * float64(g[k]))
			s.aT[k*h+o] = T(dwv*float64(g[k]) + wv*float64(dg[k]))
			az += wv * float64(s.val[pB0][k])
			ad += dwv*float64(s.val[pB0][k]) + wv*float64(s.dot[pB0][k])
		}
		cz[o], cd[o] = T(az), T(ad)
	}
	tables := func(wt []T) (p, q, t []T) {
		p, q, t = make([]T, d.n*h), make([]T, d.n*h), make([]T, u*h)
		kern.MatMul(p, h, s.xi, f, wt, h, nil, d.n, f, h, false)
		kern.MatMul(q, h, s.xj, f, wt[f*h:], h, nil, d.n, f, h, false)
		kern.MatMul(t, h, s.enc, dim, wt[2*f*h:], h, nil, u, dim, h, false)
		return p, q, t
	}
	pz, qz, tz := tables(s.wgT)
	pd, qd, td := tables(s.aT)
	z1, dz1 := make([]T, nr*h), make([]T, nr*h)
	kern.GatherAdd3(z1, pz, qz, tz, cz, s.rdst, s.rsrc, s.rbin, nr, h)
	kern.GatherAdd3(dz1, pd, qd, td, cd, s.rdst, s.rsrc, s.rbin, nr, h)
	// layers 2 and 3 on the rows
	s.sd1, s.sd2 = f64to[T](m.sd1), f64to[T](m.sd2)
	mu1, mu2 := f64to[T](m.mu1), f64to[T](m.mu2)
	s.s1, s.n1, s.dn1, s.y1, s.dy1 = s.bnStage(z1, dz1, mu1, s.sd1, pG1, pB1)
	z2, dz2 := s.linear(s.y1, s.dy1, pW2, pb2)
	s.s2, s.n2, s.dn2, s.y2, s.dy2 = s.bnStage(z2, dz2, mu2, s.sd2, pG2, pB2)
	_, s.dz3 = s.linear(s.y2, s.dy2, pW3, pb3)
	return s
}

func f64to[T nn.Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// bnStage applies LeakyReLU and the evaluation-mode batch norm (pg, pb)
// to the rows z with tangents dz.
func (s *lgTan[T]) bnStage(z, dz, mu, sd []T, pg, pb int) (sl, n, dn, y, dy []T) {
	h := s.h
	sl, n, dn, y, dy = make([]T, len(z)), make([]T, len(z)), make([]T, len(z)), make([]T, len(z)), make([]T, len(z))
	g, dg, b, db := s.val[pg], s.dot[pg], s.val[pb], s.dot[pb]
	for i, zv := range z {
		k := i % h
		sv := s.slopeV
		if zv > 0 {
			sv = 1
		}
		sl[i] = sv
		n[i] = (sv*zv - mu[k]) / sd[k]
		dn[i] = sv * dz[i] / sd[k]
		y[i] = g[k]*n[i] + b[k]
		dy[i] = dg[k]*n[i] + g[k]*dn[i] + db[k]
	}
	return
}

// linear returns y·Wᵀ + b and its tangent ẏ·Wᵀ + y·Ẇᵀ + ḃ for layer (pw, pb).
func (s *lgTan[T]) linear(y, dy []T, pw, pb int) (z, dz []T) {
	h, nr := s.h, len(y)/s.h
	wt, dwt := transposeT(s.val[pw], h), transposeT(s.dot[pw], h)
	z, dz = make([]T, len(y)), make([]T, len(y))
	kern.MatMul(z, h, y, h, wt, h, s.val[pb], nr, h, h, false)
	kern.MatMul(dz, h, dy, h, wt, h, s.dot[pb], nr, h, h, false)
	kern.MatMul(dz, h, y, h, dwt, h, nil, nr, h, h, true)
	return z, dz
}

func transposeT[T nn.Float](a []T, h int) []T {
	t := make([]T, h*h)
	for i := 0; i < h; i++ {
		for j := 0; j < h; j++ {
			t[j*h+i] = a[i*h+j]
		}
	}
	return t
}

// ForwardTangent implements nn.TangentOp (evaluation mode only; it panics
// in training mode): dagg_i[c] is the tangent of R1's output c at node
// i's argmax edge (0 for a node without edges).
func (m *lgMsg[T]) ForwardTangent(dout []T, _ *nn.Var[T], in []*nn.Var[T], din [][]T) {
	s := m.tangentState(in, din)
	m.tan = s // the backward tangent pass of the same HVP reuses it
	h := m.h
	for ic, r := range s.rowOf {
		dout[ic] = 0
		if r >= 0 {
			dout[ic] = s.dz3[int(r)*h+ic%h]
		}
	}
}

// BackwardTangent implements nn.TangentOp (evaluation mode only): the
// tangents of the twelve R1 parameter gradients; the message op has no
// differentiable input other than the parameters.
func (m *lgMsg[T]) BackwardTangent(rout []T, out *nn.Var[T], in []*nn.Var[T], din [][]T, rin [][]T) {
	s := m.tan
	m.tan = nil
	if s == nil {
		s = m.tangentState(in, din)
	}
	d, h, f, dim, w := m.d, s.h, s.f, s.dim, s.w
	nr := len(s.rows)
	var acc [12][]float64
	for k := range acc {
		acc[k] = make([]float64, len(s.val[k]))
	}
	// dL/dz3 and its tangent on the rows: the channels each row wins.
	dz, rz := make([]T, nr*h), make([]T, nr*h)
	for ic, r := range s.rowOf {
		if r >= 0 {
			dz[int(r)*h+ic%h] = out.Grad[ic]
			if rout != nil {
				rz[int(r)*h+ic%h] = rout[ic]
			}
		}
	}
	tmp := make([]T, h*h)
	// lin: R{W̄} += R{dz}ᵀ·y + dzᵀ·ẏ, R{b̄} += Σ R{dz}; returns ȳ = dz·W
	// and R{ȳ} = dz·Ẇ + R{dz}·W.
	lin := func(dz, rz, y, dy []T, pw, pb int) (dyOut, ryOut []T) {
		clear(tmp)
		kern.MatMulTA(tmp, h, rz, h, y, h, nr, h, h)
		kern.MatMulTA(tmp, h, dz, h, dy, h, nr, h, h)
		for i, v := range tmp {
			acc[pw][i] += float64(v)
		}
		for r := 0; r < nr; r++ {
			for o := 0; o < h; o++ {
				acc[pb][o] += float64(rz[r*h+o])
			}
		}
		dyOut, ryOut = make([]T, nr*h), make([]T, nr*h)
		kern.MatMul(dyOut, h, dz, h, s.val[pw], h, nil, nr, h, h, false)
		kern.MatMul(ryOut, h, dz, h, s.dot[pw], h, nil, nr, h, h, false)
		kern.MatMul(ryOut, h, rz, h, s.val[pw], h, nil, nr, h, h, true)
		return dyOut, ryOut
	}
	// back through a batch norm and LeakyReLU: R{γ̄} += Σ R{ȳ}⊙ŷ + ȳ⊙ŷ̇,
	// R{β̄} += Σ R{ȳ}; dz = s⊙ȳ⊙γ/σ, R{dz} = s⊙(R{ȳ}⊙γ + ȳ⊙γ̇)/σ.
	back := func(dy, ry, sl, n, dn, sd []T, pg, pb int) (dz, rz []T) {
		g, dg := s.val[pg], s.dot[pg]
		dz, rz = make([]T, nr*h), make([]T, nr*h)
		for i := range dy {
			k := i % h
			acc[pg][k] += float64(ry[i]*n[i] + dy[i]*dn[i])
			acc[pb][k] += float64(ry[i])
			dz[i] = sl[i] * dy[i] * g[k] / sd[k]
			rz[i] = sl[i] * (ry[i]*g[k] + dy[i]*dg[k]) / sd[k]
		}
		return dz, rz
	}
	dy, ry := lin(dz, rz, s.y2, s.dy2, pW3, pb3)
	dz, rz = back(dy, ry, s.s2, s.n2, s.dn2, s.sd2, pG2, pB2)
	dy, ry = lin(dz, rz, s.y1, s.dy1, pW2, pb2)
	dz, rz = back(dy, ry, s.s1, s.n1, s.dn1, s.sd1, pG1, pB1)
	// Layer 1: with G = R{dz1}, H = dz1 per row, S_G = Σ G⊗ŷ0 and S_H =
	// Σ H⊗ŷ0 come from sums by destination node, source node and bin.
	u := len(d.bins)
	scatter := func(v []T) (p, q, t []T, tot []float64) {
		p, q, t = make([]T, d.n*h), make([]T, d.n*h), make([]T, u*h)
		kern.ScatterAdd(p, v, s.rdst, nr, h)
		kern.ScatterAdd(q, v, s.rsrc, nr, h)
		kern.ScatterAdd(t, v, s.rbin, nr, h)
		tot = make([]float64, h)
		for i, x := range v {
			tot[i%h] += float64(x)
		}
		return p, q, t, tot
	}
	// sT = S_ᵀ (w×h): ŷ0-part ᵀ · sums
	sumsT := func(p, q, t []T) []float64 {
		st := make([]T, w*h)
		kern.MatMulTA(st, h, s.xi, f, p, h, d.n, f, h)
		kern.MatMulTA(st[f*h:], h, s.xj, f, q, h, d.n, f, h)
		kern.MatMulTA(st[2*f*h:], h, s.enc, dim, t, h, u, dim, h)
		return f64s(st)
	}
	gp, gq, gt, gG := scatter(rz)
	hp, hq, ht, gH := scatter(dz)
	sG, sH := sumsT(gp, gq, gt), sumsT(hp, hq, ht)
	// R{W̄1} = S_G·diag(γ0) + g_G⊗β0 + S_H·diag(γ̇0) + g_H⊗β̇0, R{b̄1} = g_G,
	// R{γ̄0} = Σ_o Ẇ1⊙S_H + W1⊙S_G, R{β̄0} = Ẇ1ᵀg_H + W1ᵀg_G.
	W, dW := s.val[pW1], s.dot[pW1]
	g0, dg0, b0, db0 := s.val[pG0], s.dot[pG0], s.val[pB0], s.dot[pB0]
	for o := 0; o < h; o++ {
		acc[pb1][o] += gG[o]
		for k := 0; k < w; k++ {
			sg, sh := sG[k*h+o], sH[k*h+o]
			acc[pW1][o*w+k] += sg*float64(g0[k]) + gG[o]*float64(b0[k]) + sh*float64(dg0[k]) + gH[o]*float64(db0[k])
			acc[pG0][k] += float64(dW[o*w+k])*sh + float64(W[o*w+k])*sg
			acc[pB0][k] += float64(dW[o*w+k])*gH[o] + float64(W[o*w+k])*gG[o]
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

func f64s[T nn.Float](v []T) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
