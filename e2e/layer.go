package e2e

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// Layer is the solver layer as an nn.CustomOp: its one input is the n×1
// column of segment probabilities p of a hit graph (n = len(g.Src)), its
// n×1 output the assignment y ∈ {0,1}ⁿ that track.Assigner chooses for the
// costs w = 1 − p (one LSAP per adjacent layer pair; hit pairs without a
// segment are the forbidden ones). Backward adds ∂L/∂p = −∂L/∂w to the
// input's gradient as Options.Variant says.
//
// Use: l.Prepare(g, labels, forbid), then y := tape.Custom(l, n, 1, p),
// then check l.Err(). The zero value is ready (default Options and
// track's default assignment); Options and Assign may change between
// frames. Forward and Backward each cost one solve of
// every layer pair (Backward none for Identity) plus O(n), and allocate
// nothing once the workspace has grown to the largest frame.
type Layer[T nn.Float] struct {
	Options Options
	// Assign is the per-layer-pair assignment, in the forward and the
	// perturbed solve alike (the tracker's, so training solves as
	// inference does).
	Assign track.Options

	g      *graph.HitGraph
	labels []float32
	forbid []bool

	w, wp []float64 // costs of the forward (margin included) and perturbed solve
	y, yp []bool    // their assignments
	stats track.Stats
	flips int
	err   error
	job   solveJob
}

var _ nn.CustomOp[float32] = (*Layer[float32])(nil)

// Prepare sets the hit graph of the next Forward. labels (t_s ≥ 0.5 marks a
// true segment; nil for none) enable Options.Margin: pass them in training
// only. forbid (nil for none) marks segments that must not be chosen:
// their cost is +Inf in every solve and their gradient 0. The slices are
// read until the next Prepare and never modified. It panics if labels or
// forbid are non-nil with a length other than len(g.Src).
func (l *Layer[T]) Prepare(g *graph.HitGraph, labels []float32, forbid []bool) {
	if g == nil {
		panic("e2e: Layer.Prepare: nil graph")
	}
	if (labels != nil && len(labels) != len(g.Src)) || (forbid != nil && len(forbid) != len(g.Src)) {
		panic("e2e: Layer.Prepare: labels or forbid length differs from the number of segments")
	}
	l.g, l.labels, l.forbid = g, labels, forbid
}

// Forward implements nn.CustomOp: it solves the assignment for w = 1 − p
// (plus the margin) and writes y. Invalid Options (see Options.Check) or a
// solver error (a NaN probability) are kept for Err and leave y = 0 (on
// the failed layer pairs); Backward then adds no gradient for them. It
// panics without Prepare or if p is not n×1.
func (l *Layer[T]) Forward(out *nn.Var[T], in []*nn.Var[T]) {
	g := l.g
	if g == nil {
		panic("e2e: Layer.Forward: Prepare was not called")
	}
	n := len(g.Src)
	if len(in) != 1 || in[0].Value.Rows != n || in[0].Value.Cols != 1 || out.Value.Rows*out.Value.Cols != n {
		panic("e2e: Layer.Forward: want one n×1 input and output, n = number of segments")
	}
	l.err, l.flips = nil, 0
	l.w = scratch.Grow(l.w, n)
	l.y = scratch.Grow(l.y, n)
	if l.err = l.check(); l.err != nil {
		clear(out.Value.Data)
		clear(l.y)
		return
	}
	p := in[0].Value.Data
	half := l.Options.Margin / 2
	for s := range n {
		if l.forbid != nil && l.forbid[s] {
			l.w[s] = math.Inf(1)
			continue
		}
		w := 1 - float64(p[s])
		if half != 0 && l.labels != nil && (l.Options.MarginAll || g.Hits[g.Src[s]].Primary && g.Hits[g.Dst[s]].Primary) {
			if l.labels[s] >= 0.5 {
				w += half
			} else {
				w -= half
			}
		}
		l.w[s] = w
	}
	l.y, l.stats, l.err = l.solve(l.y, l.w)
	y := out.Value.Data
	for s, b := range l.y {
		y[s] = 0
		if b {
			y[s] = 1
		}
	}
}

// Backward implements nn.CustomOp: it reads g = ∂L/∂y from out.Grad and
// adds ∂L/∂p to the input's gradient (if it has one): +g for Identity,
// (y − y′)/λ for Blackbox and B·(y − y′) for Unscaled, where λ is
// Options.FrameLambda, B Options.Batch and y′ solves w′ = max(w + λ·g, 0)
// (no max with NoClamp); see Options for the units. Forbidden segments get 0. A
// solver error (NaN in g) is kept for Err and contributes no gradient for
// the failed layer pairs.
func (l *Layer[T]) Backward(out *nn.Var[T], in []*nn.Var[T]) {
	dp, gy := in[0].Grad, out.Grad
	if dp == nil || l.check() != nil {
		return
	}
	n := len(l.w)
	if l.Options.Variant == Identity {
		l.yp, l.flips = l.yp[:0], 0
		for s := range n {
			if l.forbid == nil || !l.forbid[s] {
				dp[s] += gy[s]
			}
		}
		return
	}
	lambda := l.Options.FrameLambda()
	l.wp = scratch.Grow(l.wp, n)
	for s, w := range l.w {
		if math.IsInf(w, 1) {
			l.wp[s] = w // forbidden stays forbidden whatever g says
			continue
		}
		wp := w + lambda*float64(gy[s])
		if !l.Options.NoClamp && wp < 0 {
			wp = 0
		}
		l.wp[s] = wp
	}
	var err error
	l.yp, _, err = l.solve(l.yp, l.wp)
	if err != nil && l.err == nil {
		l.err = err
	}
	scale := float64(l.Options.batch())
	if l.Options.Variant == Blackbox {
		scale = 1 / lambda
	}
	l.flips = 0
	ps := l.g.PairStart
	for k := range len(ps) - 1 {
		failed := l.job.errs[k] != nil
		for s := ps[k]; s < ps[k+1]; s++ {
			if l.y[s] == l.yp[s] {
				continue
			}
			l.flips++
			switch {
			case failed:
			case l.y[s]:
				dp[s] += T(scale)
			default:
				dp[s] -= T(scale)
			}
		}
	}
}

func (l *Layer[T]) check() error {
	if err := l.Options.Check(); err != nil {
		return err
	}
	if err := l.Assign.Check(); err != nil {
		return fmt.Errorf("e2e: %w", err)
	}
	return nil
}

// Err returns the first error of the last Forward or Backward, nil if
// none. It wraps the track error, which names the segment and layer pair.
func (l *Layer[T]) Err() error { return l.err }

// Assignment returns the last forward solution y as one bool per segment;
// the slice is reused by the next Forward.
func (l *Layer[T]) Assignment() []bool { return l.y }

// Perturbed returns the last backward solution y′ (empty for Identity);
// the slice is reused by the next Backward.
func (l *Layer[T]) Perturbed() []bool { return l.yp }

// Costs returns the costs of the last forward solve (1 − p, margin
// included, +Inf for forbidden segments); reused by the next Forward.
func (l *Layer[T]) Costs() []float64 { return l.w }

// Stats returns the assignment counts of the last forward solve.
func (l *Layer[T]) Stats() track.Stats { return l.stats }

// Flips returns the number of segments on which the last backward solution
// y′ differs from y (0 for Identity): the segments that got a gradient.
func (l *Layer[T]) Flips() int { return l.flips }

// solve runs AssignPair for every layer pair of l.g into dst on up to
// Options.Workers goroutines and returns dst, the summed counts and the
// error of the first failing pair (in pair order).
func (l *Layer[T]) solve(dst []bool, cost []float64) ([]bool, track.Stats, error) {
	g := l.g
	if cap(dst) < len(g.Src) {
		dst = make([]bool, len(g.Src))
	}
	dst = dst[:len(g.Src)]
	j := &l.job
	np := len(g.Layers)
	workers := min(l.Options.workers(), max(np, 1))
	j.reset(g, cost, dst, &l.Assign, workers)
	if workers == 1 {
		j.Run(0)
	} else {
		nn.Parallel(workers, j)
	}
	var st track.Stats
	var err error
	for k := range np {
		st.Add(j.stats[k])
		if err == nil && j.errs[k] != nil {
			err = fmt.Errorf("e2e: frame %d: %w", g.Meta.Frame, j.errs[k])
		}
	}
	j.cost, j.dst = nil, nil
	return dst, st, err
}

// solveJob solves the layer pairs of one frame: worker i owns assigner i
// and takes pairs from a shared counter, largest (shallowest) first, so
// the load balances; every pair writes only its own segments, stats and
// error slot, which makes the result independent of the schedule.
type solveJob struct {
	g     *graph.HitGraph
	cost  []float64
	dst   []bool
	opt   *track.Options
	next  atomic.Int64
	as    []track.Assigner
	stats []track.Stats
	errs  []error
}

func (j *solveJob) reset(g *graph.HitGraph, cost []float64, dst []bool, opt *track.Options, workers int) {
	j.g, j.cost, j.dst, j.opt = g, cost, dst, opt
	j.next.Store(0)
	for len(j.as) < workers {
		j.as = append(j.as, track.Assigner{})
	}
	np := len(g.Layers)
	if cap(j.stats) < np {
		j.stats = make([]track.Stats, np)
		j.errs = make([]error, np)
	}
	j.stats, j.errs = j.stats[:np], j.errs[:np]
	clear(j.stats)
	clear(j.errs)
}

// Run implements nn.Job.
func (j *solveJob) Run(i int) {
	a := &j.as[i]
	np := int64(len(j.g.Layers))
	for {
		idx := j.next.Add(1) - 1
		if idx >= np {
			return
		}
		k := int(np - 1 - idx)
		j.stats[k], j.errs[k] = a.AssignPair(j.dst, j.g, k, j.cost, j.opt)
	}
}
