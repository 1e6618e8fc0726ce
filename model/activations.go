package model

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/nn"
)

// Modules names the three blocks of both interaction networks, in the
// order Activations and ActivationRows use.
var Modules = [3]string{"R1", "O", "R2"}

// Layer kinds of Activation.Kind.
const (
	LayerBatchNorm = "BatchNorm"
	LayerLinear    = "Linear"
	LayerLeakyReLU = "LeakyReLU"
)

// Activation is the output of one leaf layer (batch norm, linear layer or
// LeakyReLU, the leaves PyTorch hooks see) at sampled rows.
type Activation struct {
	Module string // "R1", "O" or "R2"
	Layer  string // the PyTorch module name, e.g. "R1.layers.0"
	Kind   string // LayerBatchNorm, LayerLinear or LayerLeakyReLU
	Rows   int
	Cols   int
	Data   []float32 // Rows × Cols, row-major
	// Scale and Shift are set for R1's first layer, the batch norm of the
	// data-only message input: Data = Input·diag(Scale) + Shift row by
	// row, with Input = Activations.R1Input, which is the same for every
	// model on the same Input (similarity measures use it to avoid
	// products of the wide raw input).
	Scale, Shift []float64
}

// Activations are the leaf-layer outputs of a model on one frame.
type Activations struct {
	// Layers lists R1's leaves, then O's, then R2's, in module order.
	Layers []Activation
	// R1Input is R1's input at the sampled message rows (len(rows[0]) ×
	// R1InputCols): [x_dst, x_src, encoding] for the line-graph model,
	// [x_dst, x_src, edge features] for the hit-graph model.
	R1Input     []float32
	R1InputCols int
}

// ActivationRows returns the number of rows of each module's activations
// on in, in Modules order: R1 runs per message (line-graph edge, or
// hit-graph segment for the hit-graph model), O per node (segment, or hit)
// and R2 per output segment.
func ActivationRows(in *Input) [3]int {
	switch {
	case in.lg != nil:
		return [3]int{in.lg.e, in.lg.n, in.lg.n}
	case in.hg != nil:
		return [3]int{in.hg.e, in.hg.n, in.hg.e}
	}
	return [3]int{}
}

// LayerActivations runs m on in in evaluation mode (running batch-norm
// statistics, which it does not change) and returns the outputs of every
// leaf layer at the rows of each module given by rows (indices into
// ActivationRows(in), in Modules order; repeats allowed). An index out of
// range is an error. It allocates the result.
func LayerActivations[T nn.Float](m Model[T], in *Input, rows [3][]int32) (*Activations, error) {
	n := ActivationRows(in)
	for k, rs := range rows {
		for _, r := range rs {
			if r < 0 || int(r) >= n[k] {
				return nil, fmt.Errorf("model: activation row %d of %s outside [0, %d)", r, Modules[k], n[k])
			}
		}
	}
	t := nn.NewTape[T]()
	t.Eval, t.NoGrad = true, true
	var mods [3]*mlp[T]
	var leaves [3][]*nn.Var[T]
	var u *nn.Var[T]
	switch mm := m.(type) {
	case *LineGraph[T]:
		if in.lg == nil || in.key != mm.key {
			return nil, fmt.Errorf("model: input prepared for another model configuration")
		}
		d := in.lg
		mods = [3]*mlp[T]{mm.r1, mm.o, mm.r2}
		// R1 at the sampled edges only: in evaluation mode each edge's
		// message is independent of the others.
		dim, f := mm.cfg.EncodingDim, lgNodeFeatures
		w := 2*f + dim
		ub := make([]T, len(rows[0])*w)
		for r, e := range rows[0] {
			i, j := d.dst.Ints()[e], d.src.Ints()[e]
			row := ub[r*w : (r+1)*w]
			for k := 0; k < f; k++ {
				row[k], row[f+k] = T(d.x[int(i)*f+k]), T(d.x[int(j)*f+k])
			}
			for k, v := range d.table.row(d.bins[d.ubin.Ints()[e]]) {
				row[2*f+k] = T(v)
			}
		}
		u = t.Const(ub, len(rows[0]), w)
		mm.r1.forwardLeaves(t, u, &leaves[0])
		rows[0] = nil // already at the sampled rows
		x := t.Const(toT[T](nil, d.x), d.n, f)
		mm.pmsg.d, mm.pmsg.x, mm.pmsg.train, mm.pmsg.freeze = d, x.Value.Data, false, false
		agg := t.Custom(&mm.pmsg, d.n, mm.cfg.Hidden, mm.r1p...)
		h := mm.o.forwardLeaves(t, t.Concat(x, agg), &leaves[1])
		mm.r2.forwardLeaves(t, h, &leaves[2])
	case *HitGraph[T]:
		if in.hg == nil || in.key != mm.key {
			return nil, fmt.Errorf("model: input prepared for another model configuration")
		}
		d := in.hg
		mods = [3]*mlp[T]{mm.r1, mm.o, mm.r2}
		x := t.Const(toT[T](nil, d.x), d.n, hgNodeFeatures)
		ef := t.Const(toT[T](nil, d.ef), d.e, hgEdgeFeatures)
		full := t.Concat(t.Gather(x, d.dstIx), t.Gather(x, d.srcIx), ef)
		msg := mm.r1.forwardLeaves(t, full, &leaves[0])
		agg := t.SegmentMax(msg, d.byDst)
		xt := mm.o.forwardLeaves(t, t.Concat(x, agg), &leaves[1])
		mm.r2.forwardLeaves(t, t.Concat(t.Gather(xt, d.dstIx), t.Gather(xt, d.srcIx), msg), &leaves[2])
		// R1 ran on every segment: select the sampled rows of its input
		// and leaves below.
		u = selectRows(t, full, rows[0])
		for i, l := range leaves[0] {
			leaves[0][i] = selectRows(t, l, rows[0])
		}
		rows[0] = nil
	default:
		return nil, fmt.Errorf("model: activations of %T are not supported", m)
	}
	out := &Activations{R1InputCols: u.Value.Cols, R1Input: toF32(u.Value.Data)}
	for k, mod := range mods {
		li := 0
		for si, s := range mod.stages {
			v := leaves[k][li]
			li++
			if rows[k] != nil {
				v = selectRows(t, v, rows[k])
			}
			a := Activation{Module: Modules[k], Layer: Modules[k] + ".layers." + itoa(si), Rows: v.Value.Rows, Cols: v.Value.Cols, Data: toF32(v.Value.Data)}
			switch {
			case s.bn != nil:
				a.Kind = LayerBatchNorm
				if k == 0 && si == 0 {
					a.Scale, a.Shift = bnAffine(s.bn)
				}
			case s.lin != nil:
				a.Kind = LayerLinear
			default:
				a.Kind = LayerLeakyReLU
			}
			out.Layers = append(out.Layers, a)
		}
	}
	return out, nil
}

// bnAffine returns the per-column scale and shift of an evaluation-mode
// batch norm: y = x·γ/σ + β − μ·γ/σ.
func bnAffine[T nn.Float](bn *nn.BatchNorm[T]) (scale, shift []float64) {
	c := bn.C()
	scale, shift = make([]float64, c), make([]float64, c)
	for k := 0; k < c; k++ {
		sd := math.Sqrt(float64(bn.RunningVar.Value.Data[k]) + bn.Eps)
		scale[k] = float64(bn.Gamma.Value.Data[k]) / sd
		shift[k] = float64(bn.Beta.Value.Data[k]) - float64(bn.RunningMean.Value.Data[k])*scale[k]
	}
	return scale, shift
}

func selectRows[T nn.Float](t *nn.Tape[T], v *nn.Var[T], rows []int32) *nn.Var[T] {
	return t.Gather(v, nn.NewIndex(rows, v.Value.Rows))
}

func toF32[T nn.Float](v []T) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
