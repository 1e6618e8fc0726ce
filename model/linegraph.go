package model

import (
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
)

// LineGraph is the paper's line-graph interaction network: one
// message-passing step over the line graph with max aggregation (PyG
// source_to_target: the message of edge j→i is R1([x_i, x_j, e_ij]) and is
// aggregated at i), x̃_i = O([x_i, agg_i]), logit_i = R2(x̃_i). With hidden
// size 16 it has 3,216 + 1,088 + 657 = 4,961 parameters.
type LineGraph[T nn.Float] struct {
	network[T]
	msg  lgMsg[T] // Forward's fused pass (keeps state for Backward)
	pmsg lgMsg[T] // Predict's, so validation can run between Forward and Backward
	r1p  []*nn.Var[T]
	xbuf []T
}

func newLineGraph[T nn.Float](cfg Config, rng *rand.Rand) *LineGraph[T] {
	h, f, dim := cfg.Hidden, lgNodeFeatures, cfg.EncodingDim
	m := &LineGraph[T]{}
	m.init(cfg, 2*f+dim, f+h, h, rng)
	m.msg.init(h, f, dim, m.r1, cfg.LeakySlope)
	m.pmsg.init(h, f, dim, m.r1, cfg.LeakySlope)
	m.r1p = m.r1.params()
	return m
}

// Clone implements Model.
func (m *LineGraph[T]) Clone() Model[T] {
	c := newLineGraph[T](m.cfg, rand.New(rand.NewPCG(0, 0)))
	c.copyFrom(&m.network)
	return c
}

// Forward implements Model. The message MLP and aggregation run as one
// fused operation over the line-graph edges whose state lives in the model,
// so each Forward must be followed by its Backward before the next Forward
// of this model (Backward panics otherwise); to accumulate a batch, loop
// over frames with Forward and Backward, since gradients add up. Predict
// has its own state and may run in between. O and R2 are tape operations on
// the nodes.
func (m *LineGraph[T]) Forward(t *nn.Tape[T], in *Input) *nn.Var[T] {
	return m.forward(t, in, &m.msg)
}

func (m *LineGraph[T]) forward(t *nn.Tape[T], in *Input, msg *lgMsg[T]) *nn.Var[T] {
	if in.lg == nil || in.key != m.key {
		panic("model: input prepared for another model configuration")
	}
	d := in.lg
	m.xbuf = toT(m.xbuf, d.x)
	x := t.Const(m.xbuf, d.n, lgNodeFeatures)
	msg.d, msg.x, msg.train, msg.freeze = d, m.xbuf, !t.Eval, t.FreezeStats
	agg := t.Custom(msg, d.n, m.cfg.Hidden, m.r1p...)
	h := m.o.forward(t, t.Concat(x, agg))
	return m.r2.forward(t, h)
}

// Predict implements Model.
func (m *LineGraph[T]) Predict(dst []T, in *Input) []T { return m.PredictBN(dst, in, BNRunning) }

// PredictBN implements Model.
func (m *LineGraph[T]) PredictBN(dst []T, in *Input, bn BNMode) []T {
	setBN(m.ptape, bn)
	m.ptape.Reset()
	logits := m.forward(m.ptape, in, &m.pmsg)
	dst = scratch.Grow(dst, in.NumSegments)
	return nn.Sigmoid(dst, logits.Value.Data)
}
