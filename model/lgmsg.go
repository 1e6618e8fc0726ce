package model

import (
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// lgMsg is the line-graph model's message function and aggregation,
//
//	agg_i = max_{j→i} R1([x_i, x_j, enc(√θ_ij)]),  R1 = BN-Lin-LReLU-BN-Lin-LReLU-BN-Lin,
//
// computed as one nn.Custom operation over the edges (sorted by
// destination) with a hand-written backward pass. What makes it fast:
//
//   - The first batch norm sees data only, so its statistics are constants
//     of the frame (Input holds them) and BN+Linear is linear in the data:
//     z1_e = P[i] + Q[j] + T[bin_e] + c, with per-node tables P, Q
//     (W'·(x−μ)), a per-angle-bin table T (W'·enc) and W' = W·diag(γ/σ).
//     The 128-wide encoding is never materialised per edge.
//   - The other batch norms fold into the following linear layer once their
//     statistics are known, so each pass over the edges is a few 16×16
//     products on L1-resident blocks of 128 edges.
//   - Nothing is stored per edge: every pass rebuilds z1 from the tables
//     (12 bytes of indices per edge) and z2 with one 16×16 product, which
//     is cheaper than the memory traffic of storing and reloading them.
//   - Max aggregation keeps the argmax per node and channel, so the
//     gradient of the last layer is sparse (≤ 16 edges per node).
//   - The backward pass works with the batch norms in folded form: through
//     a training-mode BN the gradient is affine in the activation,
//     dL/da_e = D_e + k0 + k1·a_e, which the kernels apply element-wise.
//
// Edges are processed in chunks of whole destination nodes (fixed by the
// Input); chunk-private partial sums are reduced in chunk order and
// scatter-adds by source node and angle bin go to chunk-private arrays, so
// results do not depend on the number of cores.
type lgMsg[T nn.Float] struct {
	h, f, dim int
	slope     T
	bn0       *nn.BatchNorm[T]
	l1        *nn.Linear[T]
	bn1       *nn.BatchNorm[T]
	l2        *nn.Linear[T]
	bn2       *nn.BatchNorm[T]
	l3        *nn.Linear[T]

	d     *lgData
	x     []T // n×f node features
	train bool
	// freeze keeps the running statistics in training mode (the tape's
	// FreezeStats).
	freeze bool
	last   *nn.Var[T] // output of the last Forward: the only one Backward can serve
	lastP  *T

	// Folded batch norms: statistics in use and σ = √(var+eps).
	mu0, sd0, mu1, sd1, mu2, sd2 []float64
	xci, xcj                     []T // x − μ of the destination and source parts
	wi, wj, we                   []T // (W1·diag(γ0/σ0))ᵀ split by input part
	c                            []T
	w2t, b2, w3t, b3             []T // folded layers 2 and 3, transposed
	P, Q, Tt                     []T
	argmax                       []int32
	agg, dagg                    []T

	// Backward state.
	k0, k1, sD, w2b []T
	w3s             []T // W3·diag(γ2/σ2)
	gp, gq, gt      []T
	gqPart, gtPart  []T // per chunk
	part            []float64
	np              int
	scratch         []lgScratch[T]
	binScratch      [][]T
	binPart         []T
	red             []float64 // reduced partial sums
	sS, sG          []float64 // first-layer sums
	blk             []T
	pass            lgPass

	tan *lgTan[T] // tangent state between ForwardTangent and BackwardTangent

	// Evaluation mode: the per-bin table T of every angle bin seen, for
	// the first-layer weights cacheWe; tgen[b] == gen marks bin b valid.
	cacheWe []T
	cacheT  []T
	tgen    []uint32
	gen     uint32
	miss    []int32 // global bins to compute
	missT   []T
}

type lgScratch[T nn.Float] struct {
	t1, t2, t3, t4 []T // edgeBlock × h
	dy             []T // edgeBlock × h: sparse part of dL/da2 in a block
	m2             []T // h×h
	// The argmax edges of the chunk's nodes (distinct, increasing), with
	// dL/dm (dm) and their layer-3 inputs LReLU(z2) (a2, later the sparse
	// part of dL/da2: dm·W3·diag(γ2/σ2)).
	rows             []int32
	dm, a2, z        []T
	rdst, rsrc, rbin []int32
	mark             []int32 // per edge of one node: its row + 1, or 0
}

type lgPass uint8

const (
	passA lgPass = iota
	passB
	passC
	passSparse
	passB2
	passB1
	passReduce
	passTable
	passBinGrad
	passTableMiss
)

// edgeBlock is the number of edges processed together (their activations
// stay in L1).
const edgeBlock = 128

// binBlock is the number of angle bins per parallel block of the table
// computations, binSub the bins per encoding copy.
const (
	binBlock = 512
	binSub   = 64
)

func (m *lgMsg[T]) init(h, f, dim int, r1 *mlp[T], slope float64) {
	m.h, m.f, m.dim, m.slope = h, f, dim, T(slope)
	s := r1.stages
	m.bn0, m.l1, m.bn1, m.l2, m.bn2, m.l3 = s[0].bn, s[1].lin, s[3].bn, s[4].lin, s[6].bn, s[7].lin
}

func (m *lgMsg[T]) chunks() int { return len(m.d.chunks) - 1 }

func (m *lgMsg[T]) chunkEdges(k int) (int, int) {
	return int(m.d.start[m.d.chunks[k]]), int(m.d.start[m.d.chunks[k+1]])
}

func (m *lgMsg[T]) run(p lgPass, parts, np int) {
	m.pass = p
	m.np = np
	if np > 0 {
		m.part = scratch.Grow(m.part, parts*np)
		clear(m.part)
	}
	nn.Parallel(parts, m)
}

// Run implements nn.Job for the parallel passes.
func (m *lgMsg[T]) Run(k int) {
	switch m.pass {
	case passA:
		m.passStats(k, 1)
	case passB:
		m.passStats(k, 2)
	case passC:
		m.passC(k)
	case passSparse:
		m.passSparse(k)
	case passB2:
		m.passB2(k)
	case passB1:
		m.passB1(k)
	case passReduce:
		m.passReduce(k)
	case passTable:
		m.passTable(k)
	case passBinGrad:
		m.passBinGrad(k)
	case passTableMiss:
		m.passTableMiss(k)
	}
}

// prepare sizes the workspace for the current input.
func (m *lgMsg[T]) prepare() {
	d, h, f := m.d, m.h, m.f
	nc, u := m.chunks(), len(d.bins)
	w := 2*f + m.dim
	m.mu0, m.sd0 = scratch.Grow(m.mu0, w), scratch.Grow(m.sd0, w)
	m.mu1, m.sd1, m.mu2, m.sd2 = scratch.Grow(m.mu1, h), scratch.Grow(m.sd1, h), scratch.Grow(m.mu2, h), scratch.Grow(m.sd2, h)
	m.xci, m.xcj = scratch.Grow(m.xci, d.n*f), scratch.Grow(m.xcj, d.n*f)
	m.wi, m.wj, m.we = scratch.Grow(m.wi, f*h), scratch.Grow(m.wj, f*h), scratch.Grow(m.we, m.dim*h)
	m.c, m.b2, m.b3 = scratch.Grow(m.c, h), scratch.Grow(m.b2, h), scratch.Grow(m.b3, h)
	m.w2t, m.w3t = scratch.Grow(m.w2t, h*h), scratch.Grow(m.w3t, h*h)
	m.P, m.Q, m.Tt = scratch.Grow(m.P, d.n*h), scratch.Grow(m.Q, d.n*h), scratch.Grow(m.Tt, u*h)
	m.argmax = scratch.Grow(m.argmax, d.n*h)
	if len(m.scratch) < nc {
		m.scratch = append(m.scratch, make([]lgScratch[T], nc-len(m.scratch))...)
	}
	for k := 0; k < nc; k++ {
		s := &m.scratch[k]
		s.t1, s.t2 = scratch.Grow(s.t1, edgeBlock*h), scratch.Grow(s.t2, edgeBlock*h)
		s.t3, s.t4 = scratch.Grow(s.t3, edgeBlock*h), scratch.Grow(s.t4, edgeBlock*h)
		s.m2, s.dy = scratch.Grow(s.m2, h*h), scratch.Grow(s.dy, edgeBlock*h)
	}
	nbb := (u + binBlock - 1) / binBlock
	if len(m.binScratch) < nbb {
		m.binScratch = append(m.binScratch, make([][]T, nbb-len(m.binScratch))...)
	}
	for k := 0; k < nbb; k++ {
		m.binScratch[k] = scratch.Grow(m.binScratch[k], binSub*m.dim)
	}
}

// reserve returns s with capacity ≥ n, keeping its contents.
func reserve[E any](s []E, n int) []E {
	if cap(s) >= n {
		return s
	}
	t := make([]E, len(s), n)
	copy(t, s)
	return t
}

// Forward implements nn.CustomOp: out (n×h) receives the aggregated
// messages.
func (m *lgMsg[T]) Forward(out *nn.Var[T], _ []*nn.Var[T]) {
	m.prepare()
	m.agg = out.Value.Data
	m.last, m.lastP = out, &out.Value.Data[0]
	d := m.d
	fe := float64(d.e)

	// Batch norm 0 statistics: constants of the data, or running values.
	bn0 := m.bn0
	if m.train {
		mean0, var0 := d.batchStats()
		copy(m.mu0, mean0)
		for k, v := range var0 {
			m.sd0[k] = math.Sqrt(v + bn0.Eps)
		}
		if !m.freeze {
			bn0.UpdateRunning(mean0, var0, d.e)
		}
	} else {
		runningStats(bn0, m.mu0, m.sd0)
	}
	m.foldFirst()
	if m.train {
		m.run(passTable, (len(d.bins)+binBlock-1)/binBlock, 0)
	} else {
		m.cachedTable()
	}

	m.foldLayer(passA, m.bn1, m.mu1, m.sd1, m.w2t, m.b2, m.l2, fe)
	m.foldLayer(passB, m.bn2, m.mu2, m.sd2, m.w3t, m.b3, m.l3, fe)
	m.run(passC, m.chunks(), 0)
}

// foldLayer sets the statistics (mu, sd) of batch norm bn, from the edges
// by pass (of fe edges) in training and the running ones otherwise, and
// folds bn into the linear layer lin that follows it as (wt, bias).
func (m *lgMsg[T]) foldLayer(pass lgPass, bn *nn.BatchNorm[T], mu, sd []float64, wt, bias []T, lin *nn.Linear[T], fe float64) {
	if m.train {
		m.run(pass, m.chunks(), 2*m.h)
		m.batchStats(bn, mu, sd, fe)
	} else {
		runningStats(bn, mu, sd)
	}
	foldBN(wt, bias, lin, bn, mu, sd)
}

func runningStats[T nn.Float](bn *nn.BatchNorm[T], mu, sd []float64) {
	for k, v := range bn.RunningMean.Value.Data {
		mu[k] = float64(v)
		sd[k] = math.Sqrt(float64(bn.RunningVar.Value.Data[k]) + bn.Eps)
	}
}

// batchStats turns the per-chunk sums of the last pass into the batch mean
// and σ, and updates the running statistics (unless frozen).
func (m *lgMsg[T]) batchStats(bn *nn.BatchNorm[T], mu, sd []float64, n float64) {
	h := m.h
	sum := m.sumParts(m.chunks(), 2*h)
	variance := sum[h:]
	for j := 0; j < h; j++ {
		mu[j] = sum[j] / n
		variance[j] = max(sum[h+j]/n-mu[j]*mu[j], 0)
		sd[j] = math.Sqrt(variance[j] + bn.Eps)
	}
	if !m.freeze {
		bn.UpdateRunning(mu, variance, int(n))
	}
}

// sumParts reduces the per-part partial sums of the last pass in part
// order, into m.red.
func (m *lgMsg[T]) sumParts(parts, np int) []float64 {
	out := scratch.Grow(m.red, np)
	m.red = out
	clear(out)
	for k := 0; k < parts; k++ {
		for j, v := range m.part[k*np : (k+1)*np] {
			out[j] += v
		}
	}
	return out
}

// foldBN writes the transposed weights and bias of lin∘bn for known
// statistics: z = W·(γ(a−μ)/σ + β) + b = (W·diag(γ/σ))·a + b + W·β − W·diag(γ/σ)·μ.
func foldBN[T nn.Float](wt, bias []T, lin *nn.Linear[T], bn *nn.BatchNorm[T], mu, sd []float64) {
	in, out := lin.In(), lin.Out()
	w, g, be, b := lin.W.Value.Data, bn.Gamma.Value.Data, bn.Beta.Value.Data, lin.B.Value.Data
	for o := 0; o < out; o++ {
		acc := float64(b[o])
		for k := 0; k < in; k++ {
			s := float64(g[k]) / sd[k]
			wv := float64(w[o*in+k])
			wt[k*out+o] = T(wv * s)
			acc += wv * (float64(be[k]) - s*mu[k])
		}
		bias[o] = T(acc)
	}
}

// foldFirst folds batch norm 0 into layer 1: the per-part weight tables,
// the centred node features, P, Q and the constant c.
func (m *lgMsg[T]) foldFirst() {
	d, h, f, dim := m.d, m.h, m.f, m.dim
	in := 2*f + dim
	w, g, be, b := m.l1.W.Value.Data, m.bn0.Gamma.Value.Data, m.bn0.Beta.Value.Data, m.l1.B.Value.Data
	for o := 0; o < h; o++ {
		acc := float64(b[o])
		for k := 0; k < in; k++ {
			s := float64(g[k]) / m.sd0[k]
			wv := float64(w[o*in+k])
			acc += wv * float64(be[k])
			switch {
			case k < f:
				m.wi[k*h+o] = T(wv * s)
			case k < 2*f:
				m.wj[(k-f)*h+o] = T(wv * s)
			default:
				m.we[(k-2*f)*h+o] = T(wv * s)
				acc -= wv * s * m.mu0[k] // the encoding is not centred per bin
			}
		}
		m.c[o] = T(acc)
	}
	for i := 0; i < d.n; i++ {
		for k := 0; k < f; k++ {
			v := float64(d.x[i*f+k])
			m.xci[i*f+k] = T(v - m.mu0[k])
			m.xcj[i*f+k] = T(v - m.mu0[f+k])
		}
	}
	kern.MatMul(m.P, h, m.xci, f, m.wi, h, nil, d.n, f, h, false)
	kern.MatMul(m.Q, h, m.xcj, f, m.wj, h, nil, d.n, f, h, false)
}

// binRows copies the encodings of compact bins [u0, u0+n) into buf (n×dim).
func (m *lgMsg[T]) binRows(buf []T, u0, n int) []T {
	dim := m.dim
	buf = buf[:n*dim]
	for r := 0; r < n; r++ {
		row := m.d.table.row(m.d.bins[u0+r])
		dst := buf[r*dim : (r+1)*dim]
		for k, v := range row {
			dst[k] = T(v)
		}
	}
	return buf
}

// cachedTable fills T in evaluation mode from the model's cache of every
// bin seen so far, computing only the bins it lacks: with running
// statistics W'_e is the same from frame to frame, and rows of a matrix
// product do not depend on the other rows, so the table is the one
// passTable computes. The cache (angle bins × h values) is invalidated
// whenever W'_e changes (a training step, other statistics).
func (m *lgMsg[T]) cachedTable() {
	d, h := m.d, m.h
	if !slices.Equal(m.cacheWe, m.we) || m.gen == 0 {
		m.cacheWe = append(m.cacheWe[:0], m.we...)
		m.gen++
		if m.gen == 0 { // wrapped: forget every bin
			clear(m.tgen)
			m.gen = 1
		}
	}
	nb := d.table.bins()
	if len(m.tgen) < nb {
		m.tgen = append(m.tgen, make([]uint32, nb-len(m.tgen))...)
		m.cacheT = scratch.Grow(m.cacheT, nb*h)
	}
	m.miss = m.miss[:0]
	for _, b := range d.bins {
		if m.tgen[b] != m.gen {
			m.miss = append(m.miss, b)
		}
	}
	if len(m.miss) > 0 {
		m.missT = scratch.Grow(m.missT, len(m.miss)*h)
		m.run(passTableMiss, (len(m.miss)+binBlock-1)/binBlock, 0)
		for i, b := range m.miss {
			copy(m.cacheT[int(b)*h:int(b+1)*h], m.missT[i*h:(i+1)*h])
			m.tgen[b] = m.gen
		}
	}
	for u, b := range d.bins {
		copy(m.Tt[u*h:(u+1)*h], m.cacheT[int(b)*h:int(b+1)*h])
	}
}

// passTableMiss computes the table rows of the bins m.miss of block k
// into m.missT.
func (m *lgMsg[T]) passTableMiss(k int) {
	dim := m.dim
	lo, hi := k*binBlock, min((k+1)*binBlock, len(m.miss))
	for s := lo; s < hi; s += binSub {
		n := min(binSub, hi-s)
		buf := m.binScratch[k][:n*dim]
		for r := range n {
			dst := buf[r*dim : (r+1)*dim]
			for c, v := range m.d.table.row(m.miss[s+r]) {
				dst[c] = T(v)
			}
		}
		kern.MatMul(m.missT[s*m.h:], m.h, buf, dim, m.we, m.h, nil, n, dim, m.h, false)
	}
}

// passTable computes T[u] = W'_e·enc(bin u) for bin block k.
func (m *lgMsg[T]) passTable(k int) {
	u := len(m.d.bins)
	lo, hi := k*binBlock, min((k+1)*binBlock, u)
	for s := lo; s < hi; s += binSub {
		n := min(binSub, hi-s)
		enc := m.binRows(m.binScratch[k], s, n)
		kern.MatMul(m.Tt[s*m.h:], m.h, enc, m.dim, m.we, m.h, nil, n, m.dim, m.h, false)
	}
}

// layers computes, for edges [b, b+n), z1 into t1 and, when depth ≥ 2,
// a1 = LReLU(z1) into t2 and z2 into t3, and when depth ≥ 3 a2 =
// LReLU(z2) into t4.
func (m *lgMsg[T]) layers(sc *lgScratch[T], b, n, depth int) {
	d, h := m.d, m.h
	kern.GatherAdd3(sc.t1, m.P, m.Q, m.Tt, m.c, d.dst.Slice(b, b+n), d.src.Slice(b, b+n), d.ubin.Slice(b, b+n), n, h)
	if depth < 2 {
		return
	}
	kern.LeakyReLU(sc.t2[:n*h], sc.t1[:n*h], m.slope)
	kern.MatMul(sc.t3, h, sc.t2, h, m.w2t, h, m.b2, n, h, h, false)
	if depth < 3 {
		return
	}
	kern.LeakyReLU(sc.t4[:n*h], sc.t3[:n*h], m.slope)
}

// passStats: batch statistics of a1 = LReLU(z1) (layer 1, pass A) or of
// a2 = LReLU(z2) (layer 2, pass B).
func (m *lgMsg[T]) passStats(k, layer int) {
	h := m.h
	sc := &m.scratch[k]
	part := m.part[k*2*h : (k+1)*2*h]
	a, z := sc.t2, sc.t1
	if layer == 2 {
		a, z = sc.t4, sc.t3
	}
	e0, e1 := m.chunkEdges(k)
	for b := e0; b < e1; b += edgeBlock {
		n := min(edgeBlock, e1-b)
		m.layers(sc, b, n, layer)
		kern.LeakyReLUSums(a, z, m.slope, part[:h], part[h:], n, h)
	}
}

// passC: messages and their maximum per destination node, with argmax.
func (m *lgMsg[T]) passC(k int) {
	d, h := m.d, m.h
	sc := &m.scratch[k]
	n0, n1 := int(d.chunks[k]), int(d.chunks[k+1])
	inf := T(math.Inf(-1))
	for i := n0 * h; i < n1*h; i++ {
		m.agg[i] = inf
	}
	e0, e1 := m.chunkEdges(k)
	for b := e0; b < e1; b += edgeBlock {
		n := min(edgeBlock, e1-b)
		m.layers(sc, b, n, 3)
		kern.MatMul(sc.t1, h, sc.t4, h, m.w3t, h, m.b3, n, h, h, false)
		kern.SegMax(m.agg, m.argmax, sc.t1, d.dst.Slice(b, b+n), int32(b), n, h)
	}
	for i := n0; i < n1; i++ {
		if d.start[i] == d.start[i+1] {
			clear(m.agg[i*h : (i+1)*h])
			for j := i * h; j < (i+1)*h; j++ {
				m.argmax[j] = -1
			}
		}
	}
}
