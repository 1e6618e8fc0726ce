package landscape

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/internal/enum"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/zoo"
)

// BNMode selects the batch-norm statistics of an evaluation. The zero
// value is BNBatch.
type BNMode int

const (
	// BNBatch normalises with each frame's own batch statistics, as the
	// authors' train-mode evaluations of paths, curves and grids do.
	BNBatch BNMode = iota
	// BNRunning uses running statistics: interpolated with the weights
	// along a path, the origin model's on a plane.
	BNRunning
	// BNRecompute recomputes the running statistics at each point as the
	// plain average of the per-frame batch statistics over the evaluation
	// frames (Garipov et al.'s update_bn, one frame per batch), then
	// evaluates with them.
	BNRecompute
)

var bnNames = [...]string{BNBatch: "batch", BNRunning: "running", BNRecompute: "recompute"}

// String returns the name ParseBNMode accepts.
func (b BNMode) String() string { return enum.Name(bnNames[:], int(b), "BNMode") }

// ParseBNMode parses "batch" (or ""), "running" or "recompute".
func ParseBNMode(s string) (BNMode, error) {
	if b, ok := enum.Index(bnNames[:], s); ok {
		return BNMode(b), nil
	}
	return 0, fmt.Errorf("landscape: unknown batch-norm mode %q (want batch, running or recompute)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (b BNMode) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *BNMode) UnmarshalText(t []byte) error {
	v, err := ParseBNMode(string(t))
	*b = v
	return err
}

// Metrics are the paper's quantities at one point, averaged over frames
// (as `pcttrack eval` reports them) and, for TPR and FPR, also pooled over
// frames (as the authors' curve evaluation counts them).
type Metrics struct {
	T          float64 `json:"t"`
	Hamming    float64 `json:"hamming"` // split Hamming of the LSAP selection
	BCE        float64 `json:"bce"`     // split BCE of the probabilities
	TPR        float64 `json:"tpr"`
	FPR        float64 `json:"fpr"`
	Purity     float64 `json:"purity"`
	Efficiency float64 `json:"efficiency"`
	PooledTPR  float64 `json:"pooled_tpr"`
	PooledFPR  float64 `json:"pooled_fpr"`
	Frames     int     `json:"frames"`
}

// sums accumulates Metrics over frames.
type sums struct {
	Hamming, BCE, TPR, FPR, Purity, Efficiency float64
	Counts                                     metrics.Counts
	Frames                                     int
}

func (s *sums) add(o sums) {
	s.Hamming += o.Hamming
	s.BCE += o.BCE
	s.TPR += o.TPR
	s.FPR += o.FPR
	s.Purity += o.Purity
	s.Efficiency += o.Efficiency
	s.Counts.Add(o.Counts)
	s.Frames += o.Frames
}

func (s *sums) metrics(t float64) Metrics {
	n := float64(max(s.Frames, 1))
	r := s.Counts.Ratios()
	return Metrics{T: t, Hamming: s.Hamming / n, BCE: s.BCE / n, TPR: s.TPR / n, FPR: s.FPR / n,
		Purity: s.Purity / n, Efficiency: s.Efficiency / n, PooledTPR: r.TPR, PooledFPR: r.FPR, Frames: s.Frames}
}

// Point is a model in parameter space: its parameters and (for
// BNRunning) its running statistics, as Vecs of Params and Buffers.
type Point struct {
	Params, Buffers Vec
}

// EvalOptions configures EvalPath and the grid evaluation of Plane. The
// zero value evaluates with batch statistics and the paper's solver on
// all cores.
type EvalOptions struct {
	// BN selects the batch-norm statistics.
	BN BNMode `json:"batchnorm"`
	// Assign is the per-layer-pair assignment; nil means the paper's
	// maximum-cardinality solver, as the authors' evaluation.
	Assign *track.Options `json:"assign,omitempty"`
	// Filter is the track filter (zero: the paper's).
	Filter track.Filter `json:"filter"`
	// Workers is the number of goroutines; 0 means GOMAXPROCS. Results
	// do not depend on it.
	Workers int `json:"-"`
	// Progress receives a progress bar or lines (nil: none).
	Progress io.Writer `json:"-"`
	// Resumable keeps the finished points (the state file is removed
	// when the evaluation ends).
	zoo.Resumable
	// Desc labels the progress bar.
	Desc string `json:"-"`

	onFold func(done int) // test hook
}

func (o *EvalOptions) assign() track.Options {
	if o.Assign == nil {
		return track.Options{Paper: true}
	}
	return *o.Assign
}

// pathState is the saved progress of EvalPath.
type pathState struct {
	Key  string `json:"key"` // what was evaluated (points, frames, options)
	Done int    `json:"frames_done"`
	Sums []sums `json:"sums"`
}

// EvalPath evaluates the models at points (e.g. a path at 51 values of t,
// whose coordinates ts label the results) on every frame of d and returns
// one Metrics per point. net gives the architecture (its values are not
// used). With BNRecompute the statistics of each point are first
// recomputed over d. Cancellation saves the state (if any) and returns
// ctx.Err(). Errors: a NaN output, a failing solve or a state of another
// evaluation.
func EvalPath(ctx context.Context, net model.Net, points []Point, ts []float64, d *zoo.Data, opt EvalOptions) ([]Metrics, error) {
	if len(points) != len(ts) || len(points) == 0 {
		return nil, errors.New("landscape: EvalPath needs one coordinate per point")
	}
	if err := check(opt); err != nil {
		return nil, err
	}
	nets := make([]model.Net, len(points))
	for i, p := range points {
		nets[i] = net.Clone()
		Set(nets[i].Params(), p.Params)
		if p.Buffers != nil {
			Set(nets[i].Buffers(), p.Buffers)
		}
	}
	frames := make([]int, d.Len())
	for i := range frames {
		frames[i] = i
	}
	if opt.BN == BNRecompute {
		if err := recompute(ctx, nets, d, frames, opt.Workers); err != nil {
			return nil, err
		}
	}
	key, err := stateKey(points, ts, d, opt)
	if err != nil {
		return nil, err
	}
	st := &pathState{Key: key, Sums: make([]sums, len(points))}
	if opt.Resume && opt.State != "" {
		if b, err := os.ReadFile(opt.State); err == nil {
			var saved pathState
			if err := json.Unmarshal(b, &saved); err != nil {
				return nil, fmt.Errorf("landscape: resume: %s: %w", opt.State, err)
			}
			if saved.Key != key || len(saved.Sums) != len(points) {
				return nil, fmt.Errorf("landscape: resume: %s holds the state of another evaluation", opt.State)
			}
			st = &saved
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("landscape: %w", err)
		}
	}
	var bar *progress.Bar
	if opt.Progress != nil {
		bar = progress.New(opt.Progress, int64(d.Len()), cmp.Or(opt.Desc, fmt.Sprintf("evaluate %d points", len(points))))
		bar.Add(st.Done)
		defer bar.Finish()
	}
	ck := zoo.NewCheckpoints(bar, opt.onFold, opt.Every(), func() error {
		if opt.State == "" {
			return nil
		}
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("landscape: %w", err)
		}
		return atomicfile.WriteFile(opt.State, b)
	})
	err = zoo.Each(ctx, d, frames[st.Done:], opt.Workers,
		func() (*pathWorker, error) { return newPathWorker(nets, opt), nil },
		func(w *pathWorker, _ int, g *graph.HitGraph, in *model.Input) ([]sums, error) { return w.frame(g, in) },
		func(i int, fs []sums) error {
			for k := range fs {
				st.Sums[k].add(fs[k])
			}
			st.Done = i + 1
			return ck.Folded(st.Done)
		})
	if err := ck.Stop(ctx, err); err != nil {
		return nil, err
	}
	opt.Finished()
	out := make([]Metrics, len(points))
	for k := range out {
		out[k] = st.Sums[k].metrics(ts[k])
	}
	return out, nil
}

func check(opt EvalOptions) error {
	if opt.BN < 0 || int(opt.BN) >= len(bnNames) {
		return fmt.Errorf("landscape: invalid batch-norm mode %d", int(opt.BN))
	}
	a := opt.assign()
	if err := a.Check(); err != nil {
		return fmt.Errorf("landscape: %w", err)
	}
	return nil
}

// stateKey identifies an evaluation for resuming: a hash-like summary of
// the points, coordinates, frames and options.
func stateKey(points []Point, ts []float64, d *zoo.Data, opt EvalOptions) (string, error) {
	o, err := json.Marshal(opt)
	if err != nil {
		return "", fmt.Errorf("landscape: %w", err)
	}
	return fmt.Sprintf("%d points %v, %d frames of %s, %s, %016x", len(points), ts, d.Len(), d.Source, o, fingerprint(points...)), nil
}

// fingerprint hashes the parameters and buffers of points.
func fingerprint(points ...Point) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, p := range points {
		for _, v := range append(append(Vec{}, p.Params...), p.Buffers...) {
			for _, x := range v {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
				h.Write(b[:])
			}
		}
	}
	return h.Sum64()
}

// pathWorker evaluates every point on one frame.
type pathWorker struct {
	trackers []*learned.Tracker
	res      track.Result
	eval     metrics.Evaluator
}

func newPathWorker(nets []model.Net, opt EvalOptions) *pathWorker {
	bn := model.BNRunning
	if opt.BN == BNBatch {
		bn = model.BNBatch
	}
	w := &pathWorker{}
	for _, n := range nets {
		w.trackers = append(w.trackers, learned.New(n.Clone(), &learned.Options{Assign: opt.assign(), Filter: opt.Filter, BatchNorm: bn}))
	}
	return w
}

func (w *pathWorker) frame(g *graph.HitGraph, in *model.Input) ([]sums, error) {
	out := make([]sums, len(w.trackers))
	for k, tr := range w.trackers {
		if err := tr.TrackInput(&w.res, g, in); err != nil {
			return nil, fmt.Errorf("landscape: %w", err)
		}
		p := tr.Probabilities()
		for _, v := range p {
			if v != v {
				return nil, errors.New("landscape: the model outputs NaN (parameters too far out?)")
			}
		}
		m := w.eval.Evaluate(g, w.res.Selected, &w.res.Tracks)
		bce, ham := model.SplitLosses(p, w.res.Selected, in)
		out[k] = sums{Hamming: ham, BCE: bce, TPR: m.TPR, FPR: m.FPR, Purity: m.Purity, Efficiency: m.Efficiency, Counts: m.Counts, Frames: 1}
	}
	return out, nil
}

// recompute sets the running statistics of every net to the average of
// its per-frame batch statistics over the frames (in frame order).
func recompute(ctx context.Context, nets []model.Net, d *zoo.Data, frames []int, workers int) error {
	sum := make([]Vec, len(nets))
	for i, n := range nets {
		sum[i] = Of(n.Buffers()).Zero()
	}
	err := zoo.Each(ctx, d, frames, workers,
		func() ([]model.Net, error) {
			c := make([]model.Net, len(nets))
			for i, n := range nets {
				c[i] = n.Clone()
			}
			return c, nil
		},
		func(cs []model.Net, _ int, _ *graph.HitGraph, in *model.Input) ([]Vec, error) {
			out := make([]Vec, len(cs))
			for i, c := range cs {
				out[i] = batchStats(c, in)
			}
			return out, nil
		},
		func(_ int, bs []Vec) error {
			for i := range bs {
				sum[i].AddScaled(1, bs[i])
			}
			return nil
		})
	if err != nil {
		return err
	}
	for i, n := range nets {
		Set(n.Buffers(), sum[i].Scale(1/float64(len(frames))))
	}
	return nil
}

// batchStats returns the batch statistics of one frame in the layout of
// Buffers (mean and unbiased variance of each batch norm's input),
// recovered from one training-mode update of zeroed running statistics:
// running = m·batch with m the momentum. The net's buffers are restored.
func batchStats(n model.Net, in *model.Input) Vec {
	old := Of(n.Buffers())
	Set(n.Buffers(), old.Zero())
	m := n.Config().BNMomentum
	t := nn.NewTape[float32]()
	t.NoGrad = true
	n.Forward(t, in)
	cur := Of(n.Buffers()).Scale(1 / m)
	Set(n.Buffers(), old)
	return cur
}
