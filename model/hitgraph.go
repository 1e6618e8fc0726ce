package model

import (
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
)

// HitGraph is the paper's hit-graph ablation: one message-passing step on
// the hit graph, messages flowing along each segment from the deeper hit
// j = Src to the shallower hit i = Dst (the original code's edge
// direction): m_ij = R1([x_i, x_j, e_ij]), agg_i = max over incoming
// segments (0 without any), x̃ = O([x, agg]), and the segment's logit
// R2([x̃_i, x̃_j, m_ij]). Unlike the original there is no sigmoid inside
// the model (the original applied it twice); Predict applies one. With
// hidden size 64 it has 9,366 + 13,256 + 17,217 = 39,839 parameters.
type HitGraph[T nn.Float] struct {
	network[T]
	xbuf, ebuf []T
}

func newHitGraph[T nn.Float](cfg Config, rng *rand.Rand) *HitGraph[T] {
	h, f, fe := cfg.Hidden, hgNodeFeatures, hgEdgeFeatures
	m := &HitGraph[T]{}
	m.init(cfg, 2*f+fe, f+h, 3*h, rng)
	return m
}

// Clone implements Model.
func (m *HitGraph[T]) Clone() Model[T] {
	c := newHitGraph[T](m.cfg, rand.New(rand.NewPCG(0, 0)))
	c.copyFrom(&m.network)
	return c
}

// Forward implements Model.
func (m *HitGraph[T]) Forward(t *nn.Tape[T], in *Input) *nn.Var[T] {
	if in.hg == nil || in.key != m.key {
		panic("model: input prepared for another model configuration")
	}
	d := in.hg
	m.xbuf = toT(m.xbuf, d.x)
	m.ebuf = toT(m.ebuf, d.ef)
	x := t.Const(m.xbuf, d.n, hgNodeFeatures)
	ef := t.Const(m.ebuf, d.e, hgEdgeFeatures)
	msg := m.r1.forward(t, t.Concat(t.Gather(x, d.dstIx), t.Gather(x, d.srcIx), ef))
	agg := t.SegmentMax(msg, d.byDst)
	xt := m.o.forward(t, t.Concat(x, agg))
	return m.r2.forward(t, t.Concat(t.Gather(xt, d.dstIx), t.Gather(xt, d.srcIx), msg))
}

// Predict implements Model.
func (m *HitGraph[T]) Predict(dst []T, in *Input) []T { return m.PredictBN(dst, in, BNRunning) }

// PredictBN implements Model.
func (m *HitGraph[T]) PredictBN(dst []T, in *Input, bn BNMode) []T {
	setBN(m.ptape, bn)
	m.ptape.Reset()
	logits := m.Forward(m.ptape, in)
	dst = scratch.Grow(dst, in.NumSegments)
	return nn.Sigmoid(dst, logits.Value.Data)
}
