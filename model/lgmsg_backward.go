package model

import (
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// Backward implements nn.CustomOp: given dL/dagg in out.Grad it adds the
// gradients of all twelve R1 parameters. See lgmsg.go for the method;
// the derivation in short, with ŷ = (a−μ)/σ and y = γŷ + β per batch norm:
//
//   - layer 3 (sparse): dm_e is non-zero only at argmax edges, so dW3, db3,
//     and BN2's dγ2 = Σ dy2⊙ŷ2, dβ2 = W3ᵀ·db3 are sums over ≤ 16 edges per
//     node; through BN2 (training) dL/da2_e = (γ2/σ2)⊙dy2_e + k0 + k1⊙a2_e
//     with k1 = −γ2⊙dγ2/(σ2²E), k0 = −γ2⊙dβ2/(σ2E) − k1⊙μ2;
//   - layer 2 (pass B2): dz2 = dL/da2 ⊙ LReLU'(z2); M2 = Σ dz2⊗a1 and
//     g2 = Σ dz2 give dW2 = (M2 − g2⊗μ1)·diag(γ1/σ1) + g2⊗β1, db2 = g2 and
//     BN1's dγ1, dβ1 and constants k0', k1' as above;
//   - layer 1 (pass B1): G_e = dL/dz1_e = (dz2_e·W2·diag(γ1/σ1) + k0' +
//     k1'⊙a1_e)⊙LReLU'(z1_e), scattered to G_P (by destination), G_Q (by
//     source) and G_T (by angle bin); then S = Σ G_e⊗(u_e−μ0) comes from
//     node and bin sums, dW1 = S·diag(γ0/σ0) + g⊗β0, db1 = g = Σ G_e,
//     dγ0 = Σ_r W1⊙S/σ0, dβ0 = W1ᵀg (μ0, σ0 are data constants).
func (m *lgMsg[T]) Backward(out *nn.Var[T], _ []*nn.Var[T]) {
	if out != m.last || &out.Value.Data[0] != m.lastP {
		panic("model: Backward of a line-graph Forward that a later Forward replaced; run Forward and Backward in turn")
	}
	m.last = nil
	d, h := m.d, m.h
	m.dagg = out.Grad
	nc := m.chunks()
	fe := float64(d.e)
	m.k0, m.k1, m.sD = scratch.Grow(m.k0, 2*h), scratch.Grow(m.k1, 2*h), scratch.Grow(m.sD, h)
	m.w2b, m.w3s = scratch.Grow(m.w2b, h*h), scratch.Grow(m.w3s, h*h)
	for k := 0; k < nc; k++ {
		// The argmax rows of a chunk are distinct edges, at most h per node:
		// reserve that bound so training steps never reallocate.
		s := &m.scratch[k]
		e0, e1 := m.chunkEdges(k)
		bound := min(e1-e0, int(d.chunks[k+1]-d.chunks[k])*h)
		s.rows, s.rdst, s.rsrc, s.rbin = reserve(s.rows, bound), reserve(s.rdst, bound), reserve(s.rsrc, bound), reserve(s.rbin, bound)
		s.dm, s.a2, s.z = reserve(s.dm, bound*h), reserve(s.a2, bound*h), reserve(s.z, bound*h)
	}

	// Layer 3 and BN2 from the argmax edges: with B = Σ dm_e⊗a2_e and
	// ŷ2 = (a2−μ2)/σ2, A = (B − db3⊗μ2)/σ2 gives dW3 = A·diag(γ2) + db3⊗β2
	// and dγ2 = Σ_c W3⊙A.
	np := h*h + h
	m.run(passSparse, nc, np)
	red := m.sumParts(nc, np)
	bsum, db3 := red[:h*h], red[h*h:]
	m.bnLinearGrads(m.l3, m.bn2, m.mu2, m.sd2, bsum, db3, 0, fe)
	w3, g2v, sd2 := m.l3.W.Value.Data, m.bn2.Gamma.Value.Data, m.sd2
	for k := 0; k < h; k++ {
		m.sD[k] = T(float64(g2v[k]) / sd2[k])
	}
	for c := 0; c < h; c++ {
		for k := 0; k < h; k++ {
			m.w3s[c*h+k] = w3[c*h+k] * m.sD[k]
		}
	}

	// Layer 2 and BN1.
	m.run(passB2, nc, h*h+h)
	red = m.sumParts(nc, h*h+h)
	m2, g2 := red[:h*h], red[h*h:]
	m.bnLinearGrads(m.l2, m.bn1, m.mu1, m.sd1, m2, g2, h, fe)
	w2, g1v, sd1 := m.l2.W.Value.Data, m.bn1.Gamma.Value.Data, m.sd1
	for r := 0; r < h; r++ {
		for k := 0; k < h; k++ {
			m.w2b[r*h+k] = T(float64(w2[r*h+k]) * float64(g1v[k]) / sd1[k])
		}
	}

	// Layer 1: scatter dL/dz1 to nodes and bins, then reduce the chunks.
	u := len(d.bins)
	m.gp, m.gq, m.gt = scratch.Grow(m.gp, d.n*h), scratch.Grow(m.gq, d.n*h), scratch.Grow(m.gt, u*h)
	m.gqPart, m.gtPart = scratch.Grow(m.gqPart, nc*d.n*h), scratch.Grow(m.gtPart, nc*u*h)
	m.run(passB1, nc, 0)
	m.run(passReduce, numRowBlocks(d.n)+numRowBlocks(u), 0)
	m.firstLayerGrads()
}

// bnLinearGrads adds the gradients of a linear layer l fed by the batch
// norm bn of a (batch mean mu, SD sd), given the sums over edges of
// dz⊗a (outer, h×h, row = output) and of dz (dz): with ŷ = (a−μ)/σ and
// A = (outer − dz⊗μ)/σ, dW = A·diag(γ) + dz⊗β, dγ = Σ_c W⊙A, dβ = Σ_c W·dz
// and db = dz. In training it also sets the batch-norm backward terms
// k0, k1 at off+k (dL/da = … + k0 + k1·a).
func (m *lgMsg[T]) bnLinearGrads(l *nn.Linear[T], bn *nn.BatchNorm[T], mu, sd, outer, dz []float64, off int, fe float64) {
	h := m.h
	w := l.W.Value.Data
	gv, bv := bn.Gamma.Value.Data, bn.Beta.Value.Data
	for k := 0; k < h; k++ {
		var dg, dbeta float64
		for c := 0; c < h; c++ {
			a := (outer[c*h+k] - dz[c]*mu[k]) / sd[k]
			addGrad(l.W, c*h+k, a*float64(gv[k])+dz[c]*float64(bv[k]))
			dg += float64(w[c*h+k]) * a
			dbeta += float64(w[c*h+k]) * dz[c]
		}
		addGrad(bn.Gamma, k, dg)
		addGrad(bn.Beta, k, dbeta)
		m.k0[off+k], m.k1[off+k] = 0, 0
		if m.train {
			k1 := -float64(gv[k]) / (sd[k] * sd[k]) * dg / fe
			m.k1[off+k] = T(k1)
			m.k0[off+k] = T(-float64(gv[k])/sd[k]*dbeta/fe - k1*mu[k])
		}
	}
	for c := 0; c < h; c++ {
		addGrad(l.B, c, dz[c])
	}
}

func addGrad[T nn.Float](v *nn.Var[T], i int, g float64) {
	if v.Grad != nil {
		v.Grad[i] += T(g)
	}
}

const rowBlock = 1024

func numRowBlocks(n int) int { return (n + rowBlock - 1) / rowBlock }

// passSparse collects the distinct argmax edges of chunk k (in
// increasing order) with their dL/dm rows and accumulates B = Σ dm⊗a2 and
// db3 = Σ dm, with a2 = LReLU(z2) rebuilt at those edges.
func (m *lgMsg[T]) passSparse(k int) {
	d, h := m.d, m.h
	np := h*h + h
	part := m.part[k*np : (k+1)*np]
	sc := &m.scratch[k]
	rows, dm := sc.rows[:0], sc.dm[:0]
	for i := int(d.chunks[k]); i < int(d.chunks[k+1]); i++ {
		s0, s1 := d.start[i], d.start[i+1]
		if s0 == s1 {
			continue
		}
		// Mark the node's argmax edges (offsets in its own edge range), then
		// sweep the range so rows come out in edge order.
		am, g := m.argmax[i*h:(i+1)*h], m.dagg[i*h:(i+1)*h]
		mark := scratch.Grow(sc.mark, int(s1-s0))
		sc.mark = mark
		for c, e := range am {
			if g[c] != 0 {
				mark[e-s0] = 1
			}
		}
		for off, v := range mark {
			if v != 0 {
				mark[off] = int32(len(rows)) + 1
				rows = append(rows, s0+int32(off))
			}
		}
		dm = growZero(dm, len(rows)*h)
		for c, e := range am {
			if g[c] != 0 {
				dm[int(mark[e-s0]-1)*h+c] = g[c]
			}
		}
		clear(mark)
	}
	sc.rows, sc.dm = rows, dm
	nr := len(rows)
	sc.rdst, sc.rsrc, sc.rbin = scratch.Grow(sc.rdst, nr), scratch.Grow(sc.rsrc, nr), scratch.Grow(sc.rbin, nr)
	for r, e := range rows {
		sc.rdst[r], sc.rsrc[r], sc.rbin[r] = d.dst.Ints()[e], d.src.Ints()[e], d.ubin.Ints()[e]
	}
	sc.a2, sc.z = scratch.Grow(sc.a2, nr*h), scratch.Grow(sc.z, nr*h)
	kern.GatherAdd3(sc.z, m.P, m.Q, m.Tt, m.c, kern.NewIndex(sc.rdst, d.n), kern.NewIndex(sc.rsrc, d.n), kern.NewIndex(sc.rbin, len(d.bins)), nr, h)
	kern.LeakyReLU(sc.z, sc.z, m.slope)
	kern.MatMul(sc.a2, h, sc.z, h, m.w2t, h, m.b2, nr, h, h, false)
	kern.LeakyReLU(sc.a2, sc.a2, m.slope)
	clear(sc.m2)
	kern.MatMulTA(sc.m2, h, dm, h, sc.a2, h, nr, h, h)
	for j, v := range sc.m2 {
		part[j] += float64(v)
	}
	kern.ColSums(part[h*h:], nil, dm, nr, h)
}

// growZero extends s to n elements, zeroing the new ones; it reallocates
// (doubling) only when the capacity is exceeded.
func growZero[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n > cap(s) {
		t := make([]T, len(s), max(n, 2*cap(s)))
		copy(t, s)
		s = t
	}
	old := len(s)
	s = s[:n]
	clear(s[old:])
	return s
}

// dz2 writes dL/dz2 for edges [b, b+n) into t4, given z2 in t3: the
// dense part (k0 + k1⊙a2)⊙LReLU'(z2) plus the sparse part at the chunk's
// argmax edges (sc.a2 holds it; rows are sorted by edge, next is the first
// row not yet reached).
func (m *lgMsg[T]) dz2(sc *lgScratch[T], b, n, next int) int {
	h := m.h
	if next >= len(sc.rows) || int(sc.rows[next]) >= b+n {
		kern.AffineLReLUBack(sc.t4, nil, sc.t3, m.k0[:h], m.k1[:h], m.slope, n, h)
		return next
	}
	dy := sc.dy[:n*h]
	clear(dy)
	for ; next < len(sc.rows) && int(sc.rows[next]) < b+n; next++ {
		r := int(sc.rows[next]) - b
		copy(dy[r*h:(r+1)*h], sc.a2[next*h:(next+1)*h])
	}
	kern.AffineLReLUBack(sc.t4, dy, sc.t3, m.k0[:h], m.k1[:h], m.slope, n, h)
	return next
}

// passB2 accumulates M2 = Σ dz2⊗a1 and g2 = Σ dz2.
func (m *lgMsg[T]) passB2(k int) {
	h := m.h
	sc := &m.scratch[k]
	np := h*h + h
	part := m.part[k*np : (k+1)*np]
	m2, g2 := part[:h*h], part[h*h:]
	// Turn a2 into the sparse part of dL/da2: dm·(W3·diag(γ2/σ2)).
	kern.MatMul(sc.a2, h, sc.dm, h, m.w3s, h, nil, len(sc.rows), h, h, false)
	m.dz2Blocks(k, sc, func(_, n int) {
		clear(sc.m2)
		kern.MatMulTA(sc.m2, h, sc.t4, h, sc.t2, h, n, h, h)
		for j, v := range sc.m2 {
			m2[j] += float64(v)
		}
		kern.ColSums(g2, nil, sc.t4, n, h)
	})
}

// dz2Blocks runs f on each block [b, b+n) of chunk k's edges after
// recomputing the block's layers up to z2 and its dz2 in sc (dz2 reads the
// sparse part of chunk k in order).
func (m *lgMsg[T]) dz2Blocks(k int, sc *lgScratch[T], f func(b, n int)) {
	next := 0
	e0, e1 := m.chunkEdges(k)
	for b := e0; b < e1; b += edgeBlock {
		n := min(edgeBlock, e1-b)
		m.layers(sc, b, n, 2)
		next = m.dz2(sc, b, n, next)
		f(b, n)
	}
}

// passB1 scatters G = dL/dz1 to destination nodes, source nodes (chunk
// partial, over the chunk's source range) and angle bins (chunk partial).
func (m *lgMsg[T]) passB1(k int) {
	d, h := m.d, m.h
	sc := &m.scratch[k]
	u := len(d.bins)
	clear(m.gp[int(d.chunks[k])*h : int(d.chunks[k+1])*h])
	gq := m.gqPart[k*d.n*h : (k+1)*d.n*h]
	gt := m.gtPart[k*u*h : (k+1)*u*h]
	if lo, hi := int(d.srcLo[k]), int(d.srcHi[k]); hi >= lo {
		clear(gq[lo*h : (hi+1)*h])
	}
	clear(gt)
	k0, k1 := m.k0[h:2*h], m.k1[h:2*h]
	m.dz2Blocks(k, sc, func(b, n int) {
		g := sc.t3[:n*h]
		kern.MatMul(g, h, sc.t4, h, m.w2b, h, nil, n, h, h, false)
		kern.AffineLReLUBack(g, g, sc.t1, k0, k1, m.slope, n, h)
		kern.ScatterAdd(m.gp, g, d.dst.Slice(b, b+n), n, h)
		kern.ScatterAdd(gq, g, d.src.Slice(b, b+n), n, h)
		kern.ScatterAdd(gt, g, d.ubin.Slice(b, b+n), n, h)
	})
}

// passReduce sums the chunk-private source and bin scatters in chunk order.
func (m *lgMsg[T]) passReduce(k int) {
	d, h := m.d, m.h
	nc := m.chunks()
	if nb := numRowBlocks(d.n); k < nb {
		// Source scatters: chunk c only touched rows [srcLo[c], srcHi[c]].
		lo, hi := k*rowBlock, min((k+1)*rowBlock, d.n)
		clear(m.gq[lo*h : hi*h])
		for c := 0; c < nc; c++ {
			a, z := max(lo, int(d.srcLo[c])), min(hi, int(d.srcHi[c])+1)
			if a >= z {
				continue
			}
			p := m.gqPart[c*d.n*h:]
			for j := a * h; j < z*h; j++ {
				m.gq[j] += p[j]
			}
		}
		return
	} else {
		k -= nb
	}
	rows := len(d.bins)
	lo, hi := k*rowBlock*h, min((k+1)*rowBlock, rows)*h
	copy(m.gt[lo:hi], m.gtPart[lo:hi])
	for c := 1; c < nc; c++ {
		p := m.gtPart[c*rows*h:]
		for j := lo; j < hi; j++ {
			m.gt[j] += p[j]
		}
	}
}

// passBinGrad accumulates Σ_u G_T[u]⊗enc(u) for bin block k.
func (m *lgMsg[T]) passBinGrad(k int) {
	h, dim := m.h, m.dim
	part := m.binPart[k*h*dim : (k+1)*h*dim]
	clear(part)
	lo, hi := k*binBlock, min((k+1)*binBlock, len(m.d.bins))
	for s := lo; s < hi; s += binSub {
		n := min(binSub, hi-s)
		enc := m.binRows(m.binScratch[k], s, n)
		kern.MatMulTA(part, dim, m.gt[s*h:], h, enc, dim, n, h, dim)
	}
}

// firstLayerGrads turns the node and bin sums of dL/dz1 into the
// gradients of layer 1 and batch norm 0.
func (m *lgMsg[T]) firstLayerGrads() {
	d, h, f, dim := m.d, m.h, m.f, m.dim
	in := 2*f + dim
	m.sS, m.sG, m.blk = scratch.Grow(m.sS, h*in), scratch.Grow(m.sG, h), scratch.Grow(m.blk, h*f)
	s, g, blk := m.sS, m.sG, m.blk // S = Σ_e G_e⊗(u_e − μ0), h×in; g = Σ_e G_e
	clear(s)
	clear(g)
	for _, part := range []struct {
		gr  []T
		xc  []T
		off int
	}{{m.gp, m.xci, 0}, {m.gq, m.xcj, f}} {
		for lo := 0; lo < d.n; lo += rowBlock {
			n := min(rowBlock, d.n-lo)
			clear(blk)
			kern.MatMulTA(blk, f, part.gr[lo*h:], h, part.xc[lo*f:], f, n, h, f)
			for r := 0; r < h; r++ {
				for j := 0; j < f; j++ {
					s[r*in+part.off+j] += float64(blk[r*f+j])
				}
			}
		}
	}
	for i := 0; i < d.n; i++ {
		for r, v := range m.gp[i*h : (i+1)*h] {
			g[r] += float64(v)
		}
	}
	nbb := (len(d.bins) + binBlock - 1) / binBlock
	m.binPart = scratch.Grow(m.binPart, nbb*h*dim)
	m.run(passBinGrad, nbb, 0)
	for b := 0; b < nbb; b++ {
		p := m.binPart[b*h*dim : (b+1)*h*dim]
		for r := 0; r < h; r++ {
			for j := 0; j < dim; j++ {
				s[r*in+2*f+j] += float64(p[r*dim+j])
			}
		}
	}
	for r := 0; r < h; r++ {
		for j := 0; j < dim; j++ {
			s[r*in+2*f+j] -= g[r] * m.mu0[2*f+j]
		}
	}
	w := m.l1.W.Value.Data
	g0, b0 := m.bn0.Gamma.Value.Data, m.bn0.Beta.Value.Data
	for k := 0; k < in; k++ {
		var dg, db float64
		for r := 0; r < h; r++ {
			sv := s[r*in+k] / m.sd0[k]
			addGrad(m.l1.W, r*in+k, sv*float64(g0[k])+g[r]*float64(b0[k]))
			dg += float64(w[r*in+k]) * sv
			db += float64(w[r*in+k]) * g[r]
		}
		addGrad(m.bn0.Gamma, k, dg)
		addGrad(m.bn0.Beta, k, db)
	}
	for r := 0; r < h; r++ {
		addGrad(m.l1.B, r, g[r])
	}
}
