package landscape

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/zoo"
)

// Curve losses of Fit.
const (
	LossHamming = "hamming" // split Hamming through the blackbox solver
	LossBCE     = "bce"     // split BCE of the probabilities
)

// Defaults of Fit (the authors' fit(1000, lr=1e-3, batch_size=8) with λ = 10).
const (
	DefaultFitSteps  = 1000
	DefaultFitBatch  = 8
	DefaultFitLR     = 1e-3
	DefaultFitLambda = 10
)

// FitOptions configures Fit. The zero value is the authors' Hamming curve.
type FitOptions struct {
	// Loss is LossHamming (default) or LossBCE.
	Loss string
	// Lambda is the blackbox λ of the Hamming loss (the paper's unit: for
	// the mean loss of a step); 0 means 10, the authors' value for every
	// model.
	Lambda float64
	// Steps, Batch and LR: optimiser steps, frames per step (one random
	// training frame and one t ~ U(0,1) each) and RMSprop's learning rate;
	// 0 means 1000, 8 and 1e-3.
	Steps int
	Batch int
	LR    float64
	// Seed seeds the frames and t of every step: step s draws from
	// rand.NewPCG(Seed, s), so a resumed fit draws what an uninterrupted
	// one does.
	Seed uint64
	// Assign is the per-layer-pair assignment of the solver; nil means the
	// paper's maximum-cardinality solver.
	Assign *track.Options
	// Progress receives a progress bar or lines (nil: none).
	Progress io.Writer
	// Resumable keeps the fit: its state file is a checkpoint (model.Save
	// format: the middle point with its optimiser), written also at the
	// end.
	zoo.Resumable

	onStep func(step int) // test hook
}

// FitResult is a fitted curve.
type FitResult struct {
	// Mid is the trained middle control point (parameters; its buffers
	// are the endpoints' mean, unused in batch-statistics mode).
	Mid Point
	// Net is the middle point as a model (for saving).
	Net model.Net
	// Losses holds the mean training loss of every step.
	Losses []float64
}

// Fit trains the middle point θ1 of the quadratic Bézier curve
// (1−t)²θa + 2t(1−t)θ1 + t²θb between a and b, as the authors' curve
// fitting does: θ1 starts at the midpoint; each step draws Batch training
// frames of d and for each its own t ~ U(0, 1), runs the model at θ(t)
// with per-frame batch statistics (train mode without changing running
// statistics), accumulates ∂L/∂θ1 = 2t(1−t)·∇L(θ(t)), and RMSprop takes
// the mean; no weight decay. net gives the architecture. Cancellation
// saves the state and returns ctx.Err(); errors: bad options, a
// diverging loss, a failing solve, or a state of another fit.
func Fit(ctx context.Context, net model.Net, a, b Point, d *zoo.Data, opt FitOptions) (*FitResult, error) {
	loss := cmp.Or(strings.ToLower(opt.Loss), LossHamming)
	if loss != LossHamming && loss != LossBCE {
		return nil, fmt.Errorf("landscape: curve loss %q: want hamming or bce", opt.Loss)
	}
	steps, batch := cmp.Or(opt.Steps, DefaultFitSteps), cmp.Or(opt.Batch, DefaultFitBatch)
	if steps < 0 || batch < 0 || opt.LR < 0 || opt.Lambda < 0 {
		return nil, errors.New("landscape: negative fit option")
	}
	asg := track.Options{Paper: true}
	if opt.Assign != nil {
		asg = *opt.Assign
	}
	pat := e2e.Loss[float32]{Options: e2e.Options{Lambda: cmp.Or(opt.Lambda, DefaultFitLambda), Batch: batch}, Assign: asg}
	if err := pat.Options.Check(); err != nil {
		return nil, err
	}
	mid := net.Clone()
	Set(mid.Params(), Combine(nil, []float64{0.5, 0.5}, a.Params, b.Params))
	if a.Buffers != nil {
		Set(mid.Buffers(), Combine(nil, []float64{0.5, 0.5}, a.Buffers, b.Buffers))
	}
	settings := nn.OptimizerSettings{Kind: "rmsprop", LR: cmp.Or(opt.LR, DefaultFitLR)}
	optim, err := nn.NewOptimizer(mid.Params(), settings)
	if err != nil {
		return nil, err
	}
	tag := fitTag(loss, pat.Options.Lambda, steps, batch, settings.LR, opt.Seed, a, b)
	res := &FitResult{}
	start := 0
	if opt.Resume && opt.State != "" {
		if _, err := os.Stat(opt.State); err == nil {
			n, ck, err := model.Load(opt.State)
			if err != nil {
				return nil, fmt.Errorf("landscape: resume: %w", err)
			}
			if ck.Meta["fit"] != tag {
				return nil, fmt.Errorf("landscape: resume: %s is the state of another fit", opt.State)
			}
			if optim, err = ck.RestoreOptimizer(n); err != nil {
				return nil, fmt.Errorf("landscape: resume: %w", err)
			}
			mid = n
			if start, err = strconv.Atoi(ck.Meta["step"]); err != nil {
				return nil, fmt.Errorf("landscape: resume: %s: bad step %q", opt.State, ck.Meta["step"])
			}
			if res.Losses, err = parseFloats(ck.Meta["losses"]); err != nil || len(res.Losses) != start {
				return nil, fmt.Errorf("landscape: resume: %s: bad loss history", opt.State)
			}
		}
	}
	save := func(step int) error {
		if opt.State == "" {
			return nil
		}
		return model.Save(opt.State, mid, optim, map[string]string{"fit": tag, "step": strconv.Itoa(step), "losses": formatFloats(res.Losses)})
	}
	var bar *progress.Bar
	if opt.Progress != nil {
		bar = progress.New(opt.Progress, int64(steps), "fit Bézier curve ("+loss+")")
		bar.Add(start)
		defer bar.Finish()
	}
	work := net.Clone()
	tape := nn.NewTape[float32]()
	tape.FreezeStats = true // batch statistics, running statistics untouched
	var bce model.SplitBCE[float32]
	theta := a.Params.Zero()
	last := time.Now()
	every := opt.Every()
	for s := start; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			if serr := save(s); serr != nil {
				return nil, serr
			}
			return nil, err
		}
		rng := rand.New(rand.NewPCG(opt.Seed, uint64(s)))
		mid.ZeroGrad()
		midV := Of(mid.Params())
		var sum float64
		for range batch {
			fi, t := rng.IntN(d.Len()), rng.Float64()
			g, in, err := d.Frame(fi)
			if err != nil {
				return nil, err
			}
			Combine(theta, bernstein(t), a.Params, midV, b.Params)
			Set(work.Params(), theta)
			work.ZeroGrad()
			tape.Reset()
			logits := work.Forward(tape, in)
			var l *nn.Var[float32]
			if loss == LossBCE {
				l = bce.Loss(tape, logits, in)
			} else if l, err = pat.Loss(tape, logits, g, in); err != nil {
				return nil, fmt.Errorf("landscape: fit step %d: %w", s+1, err)
			}
			tape.Backward(l)
			if loss == LossHamming {
				if err := pat.Err(); err != nil {
					return nil, fmt.Errorf("landscape: fit step %d: %w", s+1, err)
				}
			}
			v := float64(l.Value.Data[0])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("landscape: fit step %d: loss is %v", s+1, v)
			}
			sum += v
			w := float32(2 * t * (1 - t))
			for i, p := range mid.Params() {
				for k, gv := range work.Params()[i].Grad {
					p.Grad[k] += w * gv
				}
			}
		}
		optim.Step(batch)
		res.Losses = append(res.Losses, sum/float64(batch))
		bar.Add(1)
		if s%10 == 9 {
			bar.Status(fmt.Sprintf("loss %.4g", res.Losses[len(res.Losses)-1]))
		}
		if opt.onStep != nil {
			opt.onStep(s + 1)
		}
		if time.Since(last) >= every {
			last = time.Now()
			if err := save(s + 1); err != nil {
				return nil, err
			}
		}
	}
	if err := save(steps); err != nil {
		return nil, err
	}
	mid.ZeroGrad()
	res.Net = mid
	res.Mid = Point{Params: Of(mid.Params()), Buffers: Of(mid.Buffers())}
	return res, nil
}

// fitTag identifies a fit for resuming.
func fitTag(loss string, lambda float64, steps, batch int, lr float64, seed uint64, a, b Point) string {
	return fmt.Sprintf("%s λ=%g steps=%d batch=%d lr=%g seed=%d %016x", loss, lambda, steps, batch, lr, seed, fingerprint(a, b))
}

func formatFloats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func parseFloats(s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
