package landscape

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/enum"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// Operator is a symmetric linear map on parameter space, such as a
// Hessian: Apply writes H·v into dst (shaped like v).
type Operator interface {
	Apply(ctx context.Context, dst, v Vec) error
}

// EigenOptions configures TopEigen. The zero value is PyHessian's (and the
// authors' copy): power iteration, at most 100 iterations per vector,
// relative tolerance 1e-3 on the eigenvalue, random start vectors from
// seed 0.
type EigenOptions struct {
	MaxIter int     // 0 means 100 (Lanczos: the Krylov dimension)
	Tol     float64 // 0 means 1e-3
	Seed    uint64
	// Lanczos selects the Lanczos method (see TopEigen) instead of
	// power iteration.
	Lanczos bool
	// Progress, when not nil, is called after every iteration with the
	// vector's index, the iteration and the current eigenvalue estimate.
	Progress func(k, iter int, lambda float64)
}

// TopEigen returns the n eigenvalues of op of largest magnitude and their
// unit eigenvectors. With opt.Lanczos, by the Lanczos method with full
// reorthogonalisation: one Krylov space (each step one Apply) for all n
// vectors, stopped when each of the n Ritz pairs of largest magnitude has
// a residual ‖Hv − θv‖ ≤ Tol·|θ|; it converges where power iteration
// stalls, on close magnitudes or the ±λ pairs of an indefinite Hessian.
// By default by power iteration with deflation, as PyHessian's
// eigenvalues(): for each vector a Gaussian start (from Seed and k),
// then per iteration Gram–Schmidt against the vectors already found, v ←
// H·v/‖H·v‖, and the Rayleigh quotient; it stops when the quotient changes
// by less than Tol relative to its magnitude. The vectors returned are
// projected once more against the earlier ones, so they are orthonormal.
// like gives the shape. Each iteration costs one Apply. Errors come from
// Apply or ctx.
func TopEigen(ctx context.Context, op Operator, like Vec, n int, opt EigenOptions) ([]float64, []Vec, error) {
	if opt.Lanczos {
		return topEigenLanczos(ctx, op, like, n, opt)
	}
	maxIter := cmp.Or(opt.MaxIter, 100)
	tol := cmp.Or(opt.Tol, 1e-3)
	var vals []float64
	var vecs []Vec
	hv := like.Zero()
	for k := 0; k < n; k++ {
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(k)))
		v := like.Zero()
		for i := range v {
			for j := range v[i] {
				v[i][j] = rng.NormFloat64()
			}
		}
		v.Scale(1 / v.Norm())
		lambda, have := 0.0, false
		for it := 0; it < maxIter; it++ {
			for _, u := range vecs {
				v.AddScaled(-v.Dot(u), u)
			}
			v.Scale(1 / v.Norm())
			if err := op.Apply(ctx, hv, v); err != nil {
				return nil, nil, err
			}
			l := hv.Dot(v)
			nrm := hv.Norm()
			if nrm == 0 || math.IsNaN(nrm) {
				return nil, nil, fmt.Errorf("landscape: Hessian-vector product is %g", nrm)
			}
			copy2(v, hv)
			v.Scale(1 / nrm)
			if opt.Progress != nil {
				opt.Progress(k, it, l)
			}
			if have && math.Abs(lambda-l)/(math.Abs(lambda)+1e-6) < tol {
				lambda = l
				break
			}
			lambda, have = l, true
		}
		// PyHessian returns H·v/‖H·v‖ as is; one more projection keeps
		// the vectors orthonormal to rounding when the earlier ones are
		// only converged to Tol.
		for _, u := range vecs {
			v.AddScaled(-v.Dot(u), u)
		}
		v.Scale(1 / v.Norm())
		vals = append(vals, lambda)
		vecs = append(vecs, v)
	}
	return vals, vecs, nil
}

func copy2(dst, src Vec) {
	for i := range dst {
		copy(dst[i], src[i])
	}
}

// HVPMethod selects how Hessian-vector products are computed.
type HVPMethod int

const (
	// HVPExact runs the R-operator (nn.Tape.HVP): the Hessian of the
	// network's local linear piece, exact up to rounding, as autograd's
	// double backward (PyHessian, the authors' copy) computes it.
	HVPExact HVPMethod = iota
	// HVPDiff takes central differences of gradients,
	// (∇L(θ+hv) − ∇L(θ−hv))/2h. On a network with LeakyReLU and max
	// aggregation it measures the curvature smoothed over the step,
	// kinks included, which can differ a lot from HVPExact on trained
	// models; both agree where the loss is smooth on the scale of h.
	HVPDiff
)

var hvpNames = []string{HVPExact: "exact", HVPDiff: "diff"}

// String returns "exact" or "diff".
func (m HVPMethod) String() string { return enum.Name(hvpNames, int(m), "HVPMethod") }

// ParseHVPMethod parses "exact" (or "") and "diff".
func ParseHVPMethod(s string) (HVPMethod, error) {
	if m, ok := enum.Index(hvpNames, s); ok {
		return HVPMethod(m), nil
	}
	return 0, fmt.Errorf("landscape: unknown Hessian-vector product method %q (want exact or diff)", s)
}

// DefaultDiffStep is the step of HVPDiff relative to the parameter norm:
// h·‖v‖ = DefaultDiffStep·‖θ‖.
const DefaultDiffStep = 1e-3

// HessianFrame is one frame of a Hessian: its graph and input and, for a
// PAT model, the solver's gradient g = ∂L/∂p of the split Hamming loss at
// θ (SolverGradient), which the surrogate gᵀσ(z) holds fixed; nil g means
// the split BCE (PTT).
type HessianFrame struct {
	Graph *graph.HitGraph
	Input *model.Input
	G     []float64
}

// SolverGradient returns g = ∂L/∂p at net's parameters for the split
// Hamming loss through the blackbox solver with options opt (the model's
// λ for one frame: Batch 1) and the per-layer-pair assignment asg: the
// constant the authors' autograd holds fixed when it differentiates the
// gradient again. The network runs in evaluation mode, as their Hessian
// does. Errors: invalid options, a NaN logit, a failing solve.
func SolverGradient(net model.Net, g *graph.HitGraph, in *model.Input, opt e2e.Options, asg track.Options) ([]float64, error) {
	if err := opt.Check(); err != nil {
		return nil, err
	}
	t := nn.NewTape[float32]()
	t.Eval = true
	logits := net.Forward(t, in)
	for _, z := range logits.Value.Data {
		if z != z {
			return nil, errors.New("landscape: NaN logit")
		}
	}
	p := t.Sigmoid(logits)
	layer := &e2e.Layer[float32]{Options: opt, Assign: asg}
	layer.Prepare(g, nil, nil)
	y := t.Custom(layer, len(g.Src), 1, p)
	if err := layer.Err(); err != nil {
		return nil, err
	}
	var ham e2e.Hamming[float32]
	loss := ham.Loss(t, y, in)
	t.Backward(loss)
	if err := layer.Err(); err != nil {
		return nil, err
	}
	out := make([]float64, len(p.Grad))
	for i, v := range p.Grad {
		out[i] = float64(v)
	}
	net.ZeroGrad()
	return out, nil
}

// Hessian is the Hessian of a model's loss, averaged over frames with
// equal weights (the authors' per-frame weighting), in evaluation mode.
// It implements Operator.
type Hessian struct {
	Method HVPMethod
	// Step is HVPDiff's relative step (0 means DefaultDiffStep).
	Step   float64
	Frames []HessianFrame
	// Float64 runs the model in float64 (for checks; several times
	// slower) instead of on the float32 kernels.
	Float64 bool

	theta Vec
	net   model.Net
	net64 model.Model[float64]
}

// NewHessian returns the Hessian of net's loss at its current parameters
// on frames. It copies the model.
func NewHessian(net model.Net, frames []HessianFrame, method HVPMethod) (*Hessian, error) {
	if len(frames) == 0 {
		return nil, errors.New("landscape: Hessian without frames")
	}
	m, err := model.NewModel[float64](net.Config(), rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	theta := Of(net.Params())
	Set(m.Params(), theta)
	Set(m.Buffers(), Of(net.Buffers()))
	return &Hessian{Method: method, Frames: frames, theta: theta, net: net.Clone(), net64: m}, nil
}

// Apply implements Operator.
func (h *Hessian) Apply(ctx context.Context, dst, v Vec) error {
	for i := range dst {
		clear(dst[i])
	}
	switch {
	case h.Method == HVPExact && h.Float64:
		return exactHVP(ctx, h.net64, h.Frames, dst, v)
	case h.Method == HVPExact:
		return exactHVP(ctx, h.net, h.Frames, dst, v)
	}
	step := cmp.Or(h.Step, DefaultDiffStep)
	hs := step * math.Max(h.theta.Norm(), 1) / v.Norm()
	grad := func(th Vec) (Vec, error) {
		if h.Float64 {
			return gradient(ctx, h.net64, h.Frames, th)
		}
		return gradient(ctx, h.net, h.Frames, th)
	}
	gp, err := grad(h.theta.Clone().AddScaled(hs, v))
	if err != nil {
		return err
	}
	gm, err := grad(h.theta.Clone().AddScaled(-hs, v))
	if err != nil {
		return err
	}
	Combine(dst, []float64{1 / (2 * hs), -1 / (2 * hs)}, gp, gm)
	return nil
}

// exactHVP adds the frame-averaged H·v of m at its parameters to dst;
// frames run on up to GOMAXPROCS goroutines (each with a clone of m) and
// are summed in frame order.
func exactHVP[T nn.Float](ctx context.Context, m model.Model[T], frames []HessianFrame, dst, v Vec) error {
	vt := make([][]T, len(v))
	for i := range v {
		vt[i] = make([]T, len(v[i]))
		for k, x := range v[i] {
			vt[i][k] = T(x)
		}
	}
	per, err := perFrame(ctx, m, frames, func(c model.Model[T], f HessianFrame) [][]T {
		hv := make([][]T, len(v))
		for i := range hv {
			hv[i] = make([]T, len(v[i]))
		}
		t := nn.NewTape[T]()
		t.Eval = true
		loss := frameLoss(t, c, f)
		t.Backward(loss)
		t.HVP(loss, c.Params(), vt, hv)
		c.ZeroGrad()
		return hv
	})
	if err != nil {
		return err
	}
	for _, hv := range per {
		for i := range dst {
			for k, x := range hv[i] {
				dst[i][k] += float64(x) / float64(len(frames))
			}
		}
	}
	return nil
}

// perFrame runs fn on every frame with clones of m on up to GOMAXPROCS
// goroutines and returns the results in frame order.
func perFrame[T nn.Float, R any](ctx context.Context, m model.Model[T], frames []HessianFrame, fn func(model.Model[T], HessianFrame) R) ([]R, error) {
	out := make([]R, len(frames))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(frames)))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		c := m.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(frames) || ctx.Err() != nil {
					return
				}
				out[k] = fn(c, frames[k])
			}
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// gradient returns the frame-averaged gradient of m's loss at theta (m's
// own parameters are left unchanged).
func gradient[T nn.Float](ctx context.Context, m model.Model[T], frames []HessianFrame, theta Vec) (Vec, error) {
	old := Of(m.Params())
	Set(m.Params(), theta)
	defer Set(m.Params(), old)
	per, err := perFrame(ctx, m, frames, func(c model.Model[T], f HessianFrame) Vec {
		c.ZeroGrad()
		t := nn.NewTape[T]()
		t.Eval = true
		t.Backward(frameLoss(t, c, f))
		g := make(Vec, len(c.Params()))
		for i, p := range c.Params() {
			g[i] = make([]float64, len(p.Grad))
			for k, x := range p.Grad {
				g[i][k] = float64(x)
			}
		}
		return g
	})
	if err != nil {
		return nil, err
	}
	g := per[0].Zero()
	for _, pg := range per {
		g.AddScaled(1/float64(len(frames)), pg)
	}
	return g, nil
}

// frameLoss records the loss whose Hessian is taken on frame f: split BCE,
// or the surrogate Σ g_s·σ(z_s) for a PAT frame.
func frameLoss[T nn.Float](t *nn.Tape[T], m model.Model[T], f HessianFrame) *nn.Var[T] {
	logits := m.Forward(t, f.Input)
	if f.G == nil {
		var l model.SplitBCE[T]
		return l.Loss(t, logits, f.Input)
	}
	w := make([]T, len(f.G))
	for i, v := range f.G {
		w[i] = T(v)
	}
	return t.Custom(&weightedSum[T]{w: w}, 1, 1, t.Sigmoid(logits))
}

// weightedSum is Σ w_i·x_i with constant weights, linear (TangentOp).
type weightedSum[T nn.Float] struct{ w []T }

func (o *weightedSum[T]) Forward(out *nn.Var[T], in []*nn.Var[T]) {
	var s float64
	for i, x := range in[0].Value.Data {
		s += float64(o.w[i]) * float64(x)
	}
	out.Value.Data[0] = T(s)
}

func (o *weightedSum[T]) Backward(out *nn.Var[T], in []*nn.Var[T]) {
	if g := in[0].Grad; g != nil {
		for i, w := range o.w {
			g[i] += out.Grad[0] * w
		}
	}
}

func (o *weightedSum[T]) ForwardTangent(dout []T, _ *nn.Var[T], _ []*nn.Var[T], din [][]T) {
	var s float64
	for i, d := range din[0] {
		s += float64(o.w[i]) * float64(d)
	}
	dout[0] = T(s)
}

func (o *weightedSum[T]) BackwardTangent(rout []T, _ *nn.Var[T], _ []*nn.Var[T], _ [][]T, rin [][]T) {
	if rin[0] == nil || rout == nil {
		return
	}
	for i, w := range o.w {
		rin[0][i] += rout[0] * w
	}
}
