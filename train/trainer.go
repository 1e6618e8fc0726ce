package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"time"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// Stream tags: the model initialisation and the batch of step s draw from
// rand.NewPCG(Seed, tagInit) and rand.NewPCG(Seed^tagBatch, s), so a
// resumed run draws exactly the batches an uninterrupted one does.
const (
	tagInit  = 0x696e6974   // "init"
	tagBatch = 0x6261746368 // "batch"
)

// StepResult describes one optimiser step.
type StepResult struct {
	// Step is the number of steps done, this one included (1-based).
	Step int `json:"step"`
	// Loss is the mean frame loss of the batch (split BCE for PTT, split
	// Hamming for PAT).
	Loss float64 `json:"loss"`
	// LR is the learning rate the step used.
	LR float64 `json:"lr"`
	// Flips counts, for PAT, the segments whose perturbed assignment
	// differed from the assignment (those that got a gradient), summed
	// over the batch.
	Flips int `json:"flips,omitempty"`
	// Seconds is the wall time of the step.
	Seconds float64 `json:"seconds"`
}

// Validation holds the validation metrics of the model after Step steps:
// the model tracks every validation frame (learned.Tracker with the
// config's Assign, Filter and ValBatchNorm) and the per-frame metrics (package metrics)
// are averaged over frames.
type Validation struct {
	Step       int     `json:"step"`
	Purity     float64 `json:"purity"`
	Efficiency float64 `json:"efficiency"`
	TPR        float64 `json:"tpr"`
	FPR        float64 `json:"fpr"`
	// BCE is the split BCE of the predicted probabilities and Hamming the
	// split Hamming error of the assignment (the PTT and PAT losses in
	// evaluation mode), both averaged over frames.
	BCE     float64 `json:"bce"`
	Hamming float64 `json:"hamming"`
	Frames  int     `json:"frames"`
	Seconds float64 `json:"seconds"`
}

// Trainer trains one model on Prepared frames: Step does one optimiser step,
// Validate evaluates; its whole state (model, optimiser, step count, best
// validation) is saved by Save and restored by Resume. Not safe for
// concurrent use.
type Trainer struct {
	cfg  Config
	data *Prepared
	net  model.Net
	opt  nn.Optimizer[float32]
	step int
	tape *nn.Tape[float32]
	bce  model.SplitBCE[float32]
	pat  e2e.Loss[float32]

	prep    *preparer
	scratch graph.HitGraph
	batch   []int
	pcg     rand.PCG
	rng     *rand.Rand // draws from pcg
	bufSave [][]float32

	tracker *learned.Tracker
	eval    metrics.Evaluator
	res     track.Result

	best      float64 // best validation purity so far (-1: none)
	bestStep  int
	validated int // step of the last validation (-1: none)
}

// NewTrainer returns a trainer for cfg (resolved here) on data, which must
// have been loaded with the same Model, Graph and Data sections. The model
// is initialised from cfg.Seed.
func NewTrainer(cfg Config, data *Prepared) (*Trainer, error) {
	cfg, err := cfg.Resolved()
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, errors.New("train: no data (see LoadData)")
	}
	if !reflect.DeepEqual(dataKey(cfg), data.key) {
		return nil, errors.New("train: the data were loaded for another model, graph or data configuration")
	}
	net, err := model.New(cfg.Model, rand.New(rand.NewPCG(cfg.Seed, tagInit)))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	t := &Trainer{cfg: cfg, data: data, best: -1, validated: -1}
	t.rng = rand.New(&t.pcg)
	if err := t.setNet(net, nil); err != nil {
		return nil, err
	}
	t.tape = nn.NewTape[float32]()
	t.prep = newPreparer(cfg)
	t.pat.Options, t.pat.Assign = cfg.PAT, cfg.Assign
	return t, nil
}

// setNet installs net and its optimiser (opt nil: a fresh one).
func (t *Trainer) setNet(net model.Net, opt nn.Optimizer[float32]) error {
	if opt == nil {
		var err error
		if opt, err = nn.NewOptimizer(net.Params(), t.cfg.Optimizer); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	t.net, t.opt = net, opt
	t.tracker = learned.New(net, &learned.Options{Assign: t.cfg.Assign, Filter: t.cfg.Filter, BatchNorm: *t.cfg.ValBatchNorm, Graph: &t.cfg.Graph})
	t.bufSave = t.bufSave[:0]
	for _, b := range net.Buffers() {
		t.bufSave = append(t.bufSave, make([]float32, len(b.Value.Data)))
	}
	return nil
}

// Config returns the resolved configuration.
func (t *Trainer) Config() Config { return t.cfg }

// Net returns the model being trained (shared, not a copy).
func (t *Trainer) Net() model.Net { return t.net }

// Steps returns the number of optimiser steps done.
func (t *Trainer) Steps() int { return t.step }

// Best returns the best validation purity so far and its step (-1, 0
// before the first validation).
func (t *Trainer) Best() (purity float64, step int) { return t.best, t.bestStep }

// Batch returns the training-frame indices of step s (0-based), drawn with
// replacement from the stream (Seed, s).
func (t *Trainer) Batch(dst []int, s int) []int {
	t.pcg.Seed(t.cfg.Seed^tagBatch, uint64(s))
	dst = dst[:0]
	for range t.cfg.Batch {
		dst = append(dst, t.rng.IntN(t.data.train.Len()))
	}
	return dst
}

// Step does one optimiser step on the next batch: per frame a forward
// pass on the tape, the loss, and a backward pass accumulating gradients,
// then the optimiser update with the mean gradient at the scheduled rate.
// If ctx is cancelled during the batch, the model and optimiser are left
// as they were before the step (batch-norm statistics restored) and
// ctx.Err() is returned. A non-finite loss or a solver error is an error
// naming the step and frame.
func (t *Trainer) Step(ctx context.Context) (StepResult, error) {
	start := time.Now()
	for i, b := range t.net.Buffers() {
		copy(t.bufSave[i], b.Value.Data)
	}
	restore := func() {
		for i, b := range t.net.Buffers() {
			copy(b.Value.Data, t.bufSave[i])
		}
		t.net.ZeroGrad()
	}
	t.batch = t.Batch(t.batch, t.step)
	t.net.ZeroGrad()
	r := StepResult{Step: t.step + 1, LR: t.cfg.Schedule.LR(t.step)}
	var sum float64
	for _, fi := range t.batch {
		if err := ctx.Err(); err != nil {
			restore()
			return StepResult{}, err
		}
		loss, flips, err := t.frame(fi)
		if err != nil {
			restore()
			return StepResult{}, fmt.Errorf("train: step %d, training frame %d: %w", t.step+1, fi, err)
		}
		sum += loss
		r.Flips += flips
	}
	t.opt.SetLR(r.LR)
	t.opt.Step(len(t.batch))
	t.step++
	r.Loss = sum / float64(len(t.batch))
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// frame runs forward and backward on training frame i and returns its
// loss.
func (t *Trainer) frame(i int) (loss float64, flips int, err error) {
	g, in, err := t.data.train.get(i, t.prep, &t.scratch)
	if err != nil {
		return 0, 0, err
	}
	tp := t.tape
	tp.Reset()
	logits := t.net.Forward(tp, in)
	var l *nn.Var[float32]
	switch t.cfg.Method {
	case MethodPAT:
		if l, err = t.pat.Loss(tp, logits, g, in); err != nil {
			return 0, 0, err
		}
	default:
		l = t.bce.Loss(tp, logits, in)
	}
	loss = float64(l.Value.Data[0])
	tp.Backward(l)
	if t.cfg.Method == MethodPAT {
		if err := t.pat.Err(); err != nil {
			return 0, 0, err
		}
		flips = t.pat.Flips()
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("loss is %v: training diverged (lower optimizer.lr?)", loss)
	}
	return loss, flips, nil
}

// Validate tracks every validation frame with the current model and
// returns the mean metrics. It updates the best purity (see Best) when
// this one is higher. It returns ctx.Err() if cancelled, and an error
// for a frame the tracker fails on.
func (t *Trainer) Validate(ctx context.Context) (Validation, error) {
	start := time.Now()
	v := Validation{Step: t.step}
	vs := &t.data.val
	for i := range vs.Len() {
		if err := ctx.Err(); err != nil {
			return Validation{}, err
		}
		g, in, err := vs.get(i, t.prep, &t.scratch)
		if err != nil {
			return Validation{}, err
		}
		if err := t.tracker.TrackInput(&t.res, g, in); err != nil {
			return Validation{}, fmt.Errorf("train: validation frame %d: %w", i, err)
		}
		m := t.eval.Evaluate(g, t.res.Selected, &t.res.Tracks)
		v.Purity += m.Purity
		v.Efficiency += m.Efficiency
		v.TPR += m.TPR
		v.FPR += m.FPR
		bce, ham := model.SplitLosses(t.tracker.Probabilities(), t.res.Selected, in)
		v.BCE += bce
		v.Hamming += ham
	}
	n := float64(vs.Len())
	v.Frames = vs.Len()
	v.Purity /= n
	v.Efficiency /= n
	v.TPR /= n
	v.FPR /= n
	v.BCE /= n
	v.Hamming /= n
	v.Seconds = time.Since(start).Seconds()
	t.validated = t.step
	if v.Purity > t.best {
		t.best, t.bestStep = v.Purity, t.step
	}
	return v, nil
}

// Checkpoint metadata keys.
const (
	metaStep      = "step"
	metaSeed      = "seed"
	metaMethod    = "method"
	metaBest      = "best_val_purity"
	metaBestStep  = "best_step"
	metaValidated = "validated_step"
)

// Save writes the trainer's state (model, optimiser, step, best
// validation) to path atomically (model.Save), with extra metadata.
func (t *Trainer) Save(path string, extra map[string]string) error {
	return t.save(path, t.opt, extra)
}

// SaveModel writes the model alone (no optimiser state: a smaller file
// for tracking, not for Resume) with the same metadata as Save.
func (t *Trainer) SaveModel(path string, extra map[string]string) error {
	return t.save(path, nil, extra)
}

func (t *Trainer) save(path string, opt nn.Optimizer[float32], extra map[string]string) error {
	meta := map[string]string{
		metaStep:      strconv.Itoa(t.step),
		metaSeed:      strconv.FormatUint(t.cfg.Seed, 10),
		metaMethod:    t.cfg.Method,
		metaBest:      strconv.FormatFloat(t.best, 'g', -1, 64),
		metaBestStep:  strconv.Itoa(t.bestStep),
		metaValidated: strconv.Itoa(t.validated),
	}
	for k, v := range extra {
		meta[k] = v
	}
	c := model.NewCheckpoint(t.net, opt, meta)
	g := t.cfg.Graph
	c.Graph = &g
	if err := c.Save(path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// Resume restores the state saved by Save at path: the model, the
// optimiser state, the step count and the best validation. The checkpoint
// must hold this config's model and optimiser.
func (t *Trainer) Resume(path string) error {
	net, ck, err := model.Load(path)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if !reflect.DeepEqual(ck.Config, t.cfg.Model) {
		return fmt.Errorf("train: resume: %s holds a %s model of another configuration than the config's", path, ck.Config.Kind)
	}
	if ck.Optimizer == nil {
		return fmt.Errorf("train: resume: %s holds no optimiser state (not a last.ckpt?)", path)
	}
	if g, want := ck.GraphOptions(), t.cfg.Graph; !sameGraph(g, want) {
		return fmt.Errorf("train: resume: %s was trained on %s, the config says %s", path, g.Summary(), want.Summary())
	}
	if ck.Optimizer.Kind != t.cfg.Optimizer.Kind {
		return fmt.Errorf("train: resume: %s was trained with %s, the config says %s", path, ck.Optimizer.Kind, t.cfg.Optimizer.Kind)
	}
	opt, err := ck.RestoreOptimizer(net)
	if err != nil {
		return fmt.Errorf("train: resume: %s: %w", path, err)
	}
	var vals [3]int
	var best float64
	for i, k := range []string{metaStep, metaBestStep, metaValidated} {
		if vals[i], err = strconv.Atoi(ck.Meta[k]); err != nil {
			return fmt.Errorf("train: resume: %s: metadata %s = %q: %w", path, k, ck.Meta[k], err)
		}
	}
	if best, err = strconv.ParseFloat(ck.Meta[metaBest], 64); err != nil {
		return fmt.Errorf("train: resume: %s: metadata %s = %q: %w", path, metaBest, ck.Meta[metaBest], err)
	}
	if s := ck.Meta[metaSeed]; s != strconv.FormatUint(t.cfg.Seed, 10) {
		return fmt.Errorf("train: resume: %s was trained with seed %s, the config says %d", path, s, t.cfg.Seed)
	}
	if m := ck.Meta[metaMethod]; m != t.cfg.Method {
		return fmt.Errorf("train: resume: %s was trained with method %s, the config says %s", path, m, t.cfg.Method)
	}
	if err := t.setNet(net, opt); err != nil {
		return err
	}
	t.step, t.bestStep, t.validated, t.best = vals[0], vals[1], vals[2], best
	return nil
}

// sameGraph reports whether graph options a and b build the same graphs.
func sameGraph(a, b graph.Options) bool {
	a, errA := a.Resolved()
	b, errB := b.Resolved()
	return errA == nil && errB == nil && graph.SameHitGraph(a, b) && a.TrackerCut == b.TrackerCut && a.PhysicsCut == b.PhysicsCut
}
