package nn

// blockRows is the number of rows per parallel block. It is a constant so
// that reductions (summed per block, then in block order) do not depend on
// the number of cores.
const blockRows = 1024

func numBlocks(rows int) int { return (rows + blockRows - 1) / blockRows }

func blockRange(b, rows int) (lo, hi int) {
	lo = b * blockRows
	return lo, min(lo+blockRows, rows)
}

type opKind uint8

const (
	opConst opKind = iota
	opLinear
	opLeakyReLU
	opSigmoid
	opBatchNorm
	opGather
	opSegmentMax
	opSegmentSum
	opConcat
	opAdd
	opScale
	opSum
	opBCE
	opEncoding
	opCustom
)

// node is one recorded operation. It is a plain struct (not a closure) so
// that recording allocates nothing once the tape's node slice has grown.
type node[T Float] struct {
	op     opKind
	out    *Var[T]
	a, b   *Var[T]
	ins    []*Var[T]
	idx    []int32 // argmax of segment max
	ix     *Index
	seg    *Segments
	save   []T       // op-specific saved values (BN mean/invstd, transposed W)
	f64    []float64 // saved float64 values (BN mean, invstd)
	y, w   []T       // BCE targets and weights
	k      T         // slope, scale
	dim    int
	train  bool
	lin    *Linear[T]
	bn     *BatchNorm[T]
	custom CustomOp[T]
}

// arena hands out slices that are recycled on reset: the i-th request
// after a reset gets the i-th buffer, grown when too small, so a tape that
// replays the same sequence of operations stops allocating.
type arena[E any] struct {
	bufs [][]E
	n    int
}

func (a *arena[E]) get(n int) []E {
	if a.n == len(a.bufs) {
		a.bufs = append(a.bufs, make([]E, n, n+n/8))
	} else if cap(a.bufs[a.n]) < n {
		a.bufs[a.n] = make([]E, n, n+n/8)
	}
	b := a.bufs[a.n][:n]
	a.n++
	return b
}

func (a *arena[E]) zero(n int) []E {
	b := a.get(n)
	clear(b)
	return b
}

func (a *arena[E]) reset() { a.n = 0 }

// Tape records a forward pass for Backward. The zero value is not usable;
// create one with NewTape. A Tape is not safe for concurrent use; use one
// per goroutine.
type Tape[T Float] struct {
	// Eval selects evaluation mode: batch normalisation uses (and does not
	// update) its running statistics. The default (false) is training
	// mode: batch statistics, running statistics updated.
	Eval bool
	// FreezeStats keeps the running statistics as they are in training
	// mode: batch normalisation still uses each batch's own statistics.
	// This is PyTorch's train mode without its side effect, the paper's
	// mode for validation and loss-landscape evaluations.
	FreezeStats bool
	// NoGrad disables recording: operations compute values only and
	// Backward must not be called. Use it with Eval for inference.
	NoGrad bool

	nodes []node[T]
	vars  []*Var[T]
	nv    int
	mem   arena[T]
	imem  arena[int32]
	fmem  arena[float64]
	vsl   arena[*Var[T]]
	job   tapeJob[T]
	cur   node[T] // the operation being computed (heap-resident, so jobs can point at it)
}

// NewTape returns an empty tape in training mode.
func NewTape[T Float]() *Tape[T] {
	t := &Tape[T]{}
	t.job.t = t
	return t
}

// Reset forgets all recorded operations and recycles their memory: every
// Var returned by the tape since the last Reset becomes invalid. Eval and
// NoGrad (and FreezeStats) keep their values.
func (t *Tape[T]) Reset() {
	for i := range t.nodes {
		t.nodes[i] = node[T]{}
	}
	t.nodes = t.nodes[:0]
	t.nv = 0
	t.mem.reset()
	t.imem.reset()
	t.fmem.reset()
	t.vsl.reset()
}

// Alloc returns an uninitialised tape-owned slice of n elements, valid
// until Reset (scratch space for Custom operations).
func (t *Tape[T]) Alloc(n int) []T { return t.mem.get(n) }

// newVar returns a tape-owned Var with an uninitialised value and, when
// grad holds, a zeroed gradient.
func (t *Tape[T]) newVar(rows, cols int, grad bool) *Var[T] {
	if t.nv == len(t.vars) {
		t.vars = append(t.vars, new(Var[T]))
	}
	v := t.vars[t.nv]
	t.nv++
	v.Name = ""
	v.Value = Tensor[T]{Rows: rows, Cols: cols, Data: t.mem.get(rows * cols)}
	v.Grad = nil
	if grad && !t.NoGrad {
		v.Grad = t.mem.zero(rows * cols)
	}
	return v
}

// Const wraps data as a rows×cols constant (no gradient) without copying.
// It panics if len(data) != rows·cols.
func (t *Tape[T]) Const(data []T, rows, cols int) *Var[T] {
	if len(data) != rows*cols {
		panic("nn: Const data length does not match its shape")
	}
	if t.nv == len(t.vars) {
		t.vars = append(t.vars, new(Var[T]))
	}
	v := t.vars[t.nv]
	t.nv++
	v.Name = ""
	v.Value = Tensor[T]{Rows: rows, Cols: cols, Data: data}
	v.Grad = nil
	return v
}

// begin starts an operation: t.cur holds it while its forward pass runs.
func (t *Tape[T]) begin(nd node[T]) *node[T] {
	t.cur = nd
	return &t.cur
}

// forward runs an operation whose forward pass is the job kind over nb
// blocks, and records it.
func (t *Tape[T]) forward(nd node[T], kind jobKind, nb int) {
	t.run(kind, t.begin(nd), nb, 0)
	t.record()
}

// record appends the current operation if the tape records gradients and
// its output needs one.
func (t *Tape[T]) record() {
	if !t.NoGrad && t.cur.out.Grad != nil {
		t.nodes = append(t.nodes, t.cur)
	}
	t.cur = node[T]{}
}

func anyGrad[T Float](vs ...*Var[T]) bool {
	for _, v := range vs {
		if v != nil && v.Grad != nil {
			return true
		}
	}
	return false
}

// Backward propagates dL/dloss = 1 back through every operation recorded
// since the last Reset, adding dL/dθ to the Grad of each parameter (so
// gradients of several forward passes accumulate until ZeroGrad). loss
// must be a 1×1 output of this tape. Call it at most once per forward
// pass. It panics if loss is not 1×1 or the tape has NoGrad set.
func (t *Tape[T]) Backward(loss *Var[T]) {
	if t.NoGrad {
		panic("nn: Backward on a NoGrad tape")
	}
	if loss.Value.Rows*loss.Value.Cols != 1 {
		panic("nn: Backward needs a 1×1 loss")
	}
	if loss.Grad == nil {
		return // the loss does not depend on anything trainable
	}
	loss.Grad[0] += 1
	for i := len(t.nodes) - 1; i >= 0; i-- {
		nd := &t.nodes[i]
		switch nd.op {
		case opLinear:
			t.linearBackward(nd)
		case opLeakyReLU:
			t.leakyReLUBackward(nd)
		case opSigmoid:
			t.sigmoidBackward(nd)
		case opBatchNorm:
			t.batchNormBackward(nd)
		case opGather:
			t.gatherBackward(nd)
		case opSegmentMax:
			t.segmentMaxBackward(nd)
		case opSegmentSum:
			t.segmentSumBackward(nd)
		case opConcat:
			t.concatBackward(nd)
		case opAdd:
			t.addBackward(nd)
		case opScale:
			t.scaleBackward(nd)
		case opSum:
			t.sumBackward(nd)
		case opBCE:
			t.bceBackward(nd)
		case opEncoding:
			t.encodingBackward(nd)
		case opCustom:
			nd.custom.Backward(nd.out, nd.ins)
		}
	}
}

// tapeJob runs one block of a parallel tape operation.
type tapeJob[T Float] struct {
	t    *Tape[T]
	kind jobKind
	nd   *node[T]
	part []float64 // per-block partial sums
	np   int       // partial sums per block
	aux  []T
}

type jobKind uint8

const (
	jLinearFwd jobKind = iota
	jLinearBwd
	jBNStats
	jBNApply
	jBNBwdSums
	jBNBwdApply
	jGatherFwd
	jGatherBwd
	jSegMaxFwd
	jSegSumFwd
	jSegSumBwd
)

// Run implements Job.
func (j *tapeJob[T]) Run(b int) {
	switch j.kind {
	case jLinearFwd:
		j.t.linearFwdBlock(j, b)
	case jLinearBwd:
		j.t.linearBwdBlock(j, b)
	case jBNStats, jBNApply, jBNBwdSums, jBNBwdApply:
		j.t.bnBlock(j, b)
	case jGatherFwd:
		j.t.gatherFwdBlock(j, b)
	case jGatherBwd:
		j.t.gatherBwdBlock(j, b)
	case jSegMaxFwd:
		j.t.segMaxFwdBlock(j, b)
	case jSegSumFwd:
		j.t.segSumFwdBlock(j, b)
	case jSegSumBwd:
		j.t.segSumBwdBlock(j, b)
	}
}

// run executes a parallel job of nb blocks with np float64 partial sums
// per block (zeroed first) and returns the partials.
func (t *Tape[T]) run(kind jobKind, nd *node[T], nb, np int) []float64 {
	j := &t.job
	j.kind, j.nd, j.np = kind, nd, np
	j.part = nil
	if np > 0 {
		j.part = t.fmem.zero(nb * np)
	}
	Parallel(nb, j)
	j.nd = nil
	return j.part
}

// reduce sums the per-block partials of the last run in block order into
// dst (np entries).
func reduce(dst, part []float64, np int) {
	clear(dst)
	for b := 0; b < len(part)/np; b++ {
		p := part[b*np : (b+1)*np]
		for i, v := range p {
			dst[i] += v
		}
	}
}
