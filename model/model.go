package model

import (
	"fmt"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/internal/enum"
	"github.com/pcttrack/pcttrack/nn"
)

// Model is an interaction network over element type T (float32 for use,
// float64 for gradient checks).
type Model[T nn.Float] interface {
	// Config returns the resolved configuration.
	Config() Config
	// Forward records the model on t and returns the n×1 logits, one per
	// hit-graph segment in segment order. In training mode (t.Eval false)
	// batch norms use batch statistics and update their running statistics.
	// It panics if in was prepared for another configuration.
	Forward(t *nn.Tape[T], in *Input) *nn.Var[T]
	// Predict writes the probability σ(logit) of every segment to dst
	// (grown if too short) and returns it, in evaluation mode without a
	// tape. It allocates nothing once it has seen a frame of this size.
	Predict(dst []T, in *Input) []T
	// PredictBN is Predict with the batch-norm statistics bn selects; it
	// never changes the running statistics.
	PredictBN(dst []T, in *Input, bn BNMode) []T
	// Params returns the trainable parameters in a fixed order.
	Params() []*nn.Var[T]
	// Buffers returns the batch-norm running statistics (saved, not
	// trained).
	Buffers() []*nn.Var[T]
	// ZeroGrad clears the gradients of all parameters.
	ZeroGrad()
	// Clone returns an independent copy (parameters, buffers, workspace),
	// for concurrent inference.
	Clone() Model[T]
}

// BNMode selects the statistics batch normalisation uses at inference.
// The zero value is BNRunning.
type BNMode int

const (
	// BNRunning uses the running statistics (PyTorch's eval mode), as
	// tracking does.
	BNRunning BNMode = iota
	// BNBatch uses each frame's own batch statistics (PyTorch's train
	// mode) and leaves the running statistics untouched: the paper's mode
	// for its validation (checkpoint selection) and its loss-landscape
	// and curve evaluations. The authors' train-mode validation also moved
	// the running statistics; this one does not.
	BNBatch
)

var bnModeNames = [...]string{BNRunning: "running", BNBatch: "batch"}

// String returns the name ParseBNMode accepts.
func (b BNMode) String() string { return enum.Name(bnModeNames[:], int(b), "BNMode") }

// ParseBNMode parses "running" (or "") and "batch", in any case.
func ParseBNMode(s string) (BNMode, error) {
	if b, ok := enum.Index(bnModeNames[:], s); ok {
		return BNMode(b), nil
	}
	return 0, fmt.Errorf("model: unknown batch-norm mode %q (want running or batch)", s)
}

// MarshalText implements encoding.TextMarshaler (YAML and JSON configs).
func (b BNMode) MarshalText() ([]byte, error) {
	return enum.Text(bnModeNames[:], int(b), "model: invalid batch-norm mode")
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseBNMode.
func (b *BNMode) UnmarshalText(text []byte) error { return enum.Unmarshal(b, text, ParseBNMode) }

// setBN puts an inference tape into mode b.
func setBN[T nn.Float](t *nn.Tape[T], b BNMode) {
	t.Eval, t.FreezeStats, t.NoGrad = b != BNBatch, b == BNBatch, true
}

// Net is the float32 model used for training and inference.
type Net = Model[float32]

// New returns the float32 model for cfg with parameters initialised from
// rng (PyTorch's default initialisation), or an error for an invalid
// configuration.
func New(cfg Config, rng *rand.Rand) (Net, error) { return NewModel[float32](cfg, rng) }

// NewModel is New for any element type.
func NewModel[T nn.Float](cfg Config, rng *rand.Rand) (Model[T], error) {
	cfg, err := cfg.Resolved()
	if err != nil {
		return nil, err
	}
	if cfg.Kind == KindHitGraph {
		return newHitGraph[T](cfg, rng), nil
	}
	return newLineGraph[T](cfg, rng), nil
}

var (
	_ Model[float32] = (*LineGraph[float32])(nil)
	_ Model[float64] = (*HitGraph[float64])(nil)
)

// mlp is a sequence of batch norms, linear layers and LeakyReLUs, named
// like the original PyTorch modules ("R1.layers.0.weight", ...).
type mlp[T nn.Float] struct {
	stages []stage[T]
	slope  float64
}

type stage[T nn.Float] struct {
	bn   *nn.BatchNorm[T]
	lin  *nn.Linear[T]
	relu bool
}

// newMLP builds the layers spelled by spec: 'B' batch norm, 'L' linear,
// 'R' LeakyReLU; widths lists the width before each linear layer and the
// final width (len = number of 'L' + 1).
func newMLP[T nn.Float](name, spec string, widths []int, cfg Config, rng *rand.Rand) *mlp[T] {
	m := &mlp[T]{slope: cfg.LeakySlope}
	w := 0
	for i, c := range spec {
		prefix := name + ".layers." + itoa(i)
		switch c {
		case 'B':
			bn := nn.NewBatchNorm[T](prefix, widths[w])
			bn.Momentum, bn.Eps = cfg.BNMomentum, cfg.BNEps
			m.stages = append(m.stages, stage[T]{bn: bn})
		case 'L':
			m.stages = append(m.stages, stage[T]{lin: nn.NewLinear[T](prefix, widths[w], widths[w+1], rng)})
			w++
		case 'R':
			m.stages = append(m.stages, stage[T]{relu: true})
		}
	}
	return m
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// relational is R = BN-Lin-LReLU-BN-Lin-LReLU-BN-Lin.
func relational[T nn.Float](name string, in, hidden, out int, cfg Config, rng *rand.Rand) *mlp[T] {
	return newMLP[T](name, "BLRBLRBL", []int{in, hidden, hidden, out}, cfg, rng)
}

// object is O = BN-Lin-LReLU-BN-Lin-LReLU-BN-Lin-LReLU-BN.
func object[T nn.Float](name string, in, hidden int, cfg Config, rng *rand.Rand) *mlp[T] {
	return newMLP[T](name, "BLRBLRBLRB", []int{in, hidden, hidden, hidden}, cfg, rng)
}

func (m *mlp[T]) forward(t *nn.Tape[T], x *nn.Var[T]) *nn.Var[T] { return m.forwardLeaves(t, x, nil) }

// forwardLeaves is forward that also appends every stage's output to out
// (when not nil).
func (m *mlp[T]) forwardLeaves(t *nn.Tape[T], x *nn.Var[T], out *[]*nn.Var[T]) *nn.Var[T] {
	for _, s := range m.stages {
		switch {
		case s.bn != nil:
			x = t.BatchNorm(x, s.bn)
		case s.lin != nil:
			x = t.Linear(x, s.lin)
		default:
			x = t.LeakyReLU(x, m.slope)
		}
		if out != nil {
			*out = append(*out, x)
		}
	}
	return x
}

func (m *mlp[T]) params() []*nn.Var[T] { return m.vars(true) }

func (m *mlp[T]) buffers() []*nn.Var[T] { return m.vars(false) }

// vars returns, in stage order, the stages' parameters (batch-norm γ and
// β, linear weights and biases) or their buffers (batch-norm running
// statistics). A stage is a batch norm, a linear layer or an activation.
func (m *mlp[T]) vars(params bool) []*nn.Var[T] {
	var vs []*nn.Var[T]
	for _, s := range m.stages {
		switch {
		case s.bn != nil && params:
			vs = append(vs, s.bn.Params()...)
		case s.bn != nil:
			vs = append(vs, s.bn.Buffers()...)
		case s.lin != nil && params:
			vs = append(vs, s.lin.Params()...)
		}
	}
	return vs
}

// copyValues copies the values of src's tensors into dst's (same
// architecture).
func copyValues[T nn.Float](dst, src []*nn.Var[T]) {
	for i := range dst {
		copy(dst[i].Value.Data, src[i].Value.Data)
	}
}

// network is what both models are made of: the relational MLP R1 (input
// r1In), the object MLP O (input oIn) and the relational MLP R2 (input
// r2In, one output), their tensors and a tape for Predict.
type network[T nn.Float] struct {
	cfg       Config
	key       inputKey
	r1, o, r2 *mlp[T]
	params    []*nn.Var[T]
	buffers   []*nn.Var[T]
	ptape     *nn.Tape[T]
}

// init draws R1, O and R2 from rng, in that order.
func (m *network[T]) init(cfg Config, r1In, oIn, r2In int, rng *rand.Rand) {
	h := cfg.Hidden
	m.cfg, m.key = cfg, keyOf(cfg)
	m.r1 = relational[T]("R1", r1In, h, h, cfg, rng)
	m.o = object[T]("O", oIn, h, cfg, rng)
	m.r2 = relational[T]("R2", r2In, h, 1, cfg, rng)
	m.params = append(append(m.r1.params(), m.o.params()...), m.r2.params()...)
	m.buffers = append(append(m.r1.buffers(), m.o.buffers()...), m.r2.buffers()...)
	m.ptape = nn.NewTape[T]()
	m.ptape.Eval, m.ptape.NoGrad = true, true
}

// Config implements Model.
func (m *network[T]) Config() Config { return m.cfg }

// Params implements Model.
func (m *network[T]) Params() []*nn.Var[T] { return m.params }

// Buffers implements Model.
func (m *network[T]) Buffers() []*nn.Var[T] { return m.buffers }

// ZeroGrad implements Model.
func (m *network[T]) ZeroGrad() { nn.ZeroGrads(m.params) }

// copyFrom copies the values of src's tensors into m's (same config).
func (m *network[T]) copyFrom(src *network[T]) {
	copyValues(m.params, src.params)
	copyValues(m.buffers, src.buffers)
}

// toT converts float32 data into a T buffer, reusing buf.
func toT[T nn.Float](buf []T, src []float32) []T {
	if cap(buf) < len(src) {
		buf = make([]T, len(src))
	}
	buf = buf[:len(src)]
	for i, v := range src {
		buf[i] = T(v)
	}
	return buf
}
