package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/track"
)

// Source gives random access to frames; *dataset.Reader and Frames
// implement it. ReadFrameInto must be safe for concurrent use with
// different destinations, since the workers read in parallel.
type Source interface {
	NumFrames() int
	ReadFrameInto(dst *dataset.Frame, i int) error
}

var _ Source = (*dataset.Reader)(nil)

// Frames is a Source of frames held in memory (e.g. simulated by sim.Run).
type Frames []dataset.Frame

// NumFrames returns len(f).
func (f Frames) NumFrames() int { return len(f) }

// ReadFrameInto copies frame i into dst, reusing the capacity of dst.Hits
// and dst.Primaries; dst does not alias f. Safe for concurrent use.
func (f Frames) ReadFrameInto(dst *dataset.Frame, i int) error {
	if i < 0 || i >= len(f) {
		return fmt.Errorf("pipeline: frame position %d out of range [0, %d)", i, len(f))
	}
	dst.Meta = f[i].Meta
	dst.Hits = append(dst.Hits[:0], f[i].Hits...)
	dst.Primaries = append(dst.Primaries[:0], f[i].Primaries...)
	return nil
}

// Concat is a Source made of several sources one after the other: its
// position i is position i − Offset(k) of source k. Safe for concurrent
// use if the sources are.
type Concat []Source

// NumFrames returns the total number of frames.
func (c Concat) NumFrames() int {
	n := 0
	for _, s := range c {
		n += s.NumFrames()
	}
	return n
}

// ReadFrameInto reads position i of the concatenation.
func (c Concat) ReadFrameInto(dst *dataset.Frame, i int) error {
	j := i
	for _, s := range c {
		n := s.NumFrames()
		if j < n {
			return s.ReadFrameInto(dst, j)
		}
		j -= n
	}
	return fmt.Errorf("pipeline: frame position %d out of range [0, %d)", i, c.NumFrames())
}

// Options configures Run. The zero value (and a nil *Options) builds the
// default graphs (graph.Options) of every frame on GOMAXPROCS workers, with
// no tracker.
type Options struct {
	// Graph configures graph building; nil means graph's defaults.
	Graph *graph.Options
	// Methods are the trackers run on every frame, in this order; each
	// frame's graph is built once and shared by all of them.
	Methods []Method
	// Metrics configures the per-frame metrics.
	Metrics metrics.Options
	// NoMetrics skips the metrics stage (Output.Metrics stays zero), for
	// runs that only write tracks.
	NoMetrics bool
	// Workers is the number of frames processed at once; 0 means
	// GOMAXPROCS. The results do not depend on it.
	Workers int
	// Frames lists the source positions to process, in this order; nil
	// means all frames in file order.
	Frames []int
	// Limit processes only the first Limit frames of the selection; 0
	// means no limit.
	Limit int
	// Progress, if not nil, is called after each frame (tracked or
	// skipped), from Run's goroutine.
	Progress func()
	// OnSkip, if not nil, is called for each skipped frame in order, from
	// Run's goroutine; an error stops Run.
	OnSkip func(Skip) error
	// EditTracks, if not nil, is called by WriteTracks with the tracks of
	// each tracked frame before they are written, from Run's goroutine
	// (e.g. to add their WEPL, package wepl); an error stops WriteTracks.
	EditTracks func(*dataset.FrameTracks, *Output) error
}

// Output is what Run hands to its visitor for one frame. Everything in it
// belongs to Run and is valid only during the call.
type Output struct {
	Position int             // position of the frame in the Source
	Frame    *dataset.Frame  // the frame as read
	Graph    *graph.HitGraph // its hit graph
	Results  []track.Result  // one per Options.Methods entry
	Metrics  []metrics.Frame // one per method; zero with NoMetrics
}

// Skip is a frame that was not tracked because its graph could not be
// built from its data (a *graph.FrameError).
type Skip struct {
	Position int    `json:"position"`
	Frame    int64  `json:"frame"`
	Reason   string `json:"reason"` // short cause, e.g. "empty frame"; frames group by it
	Err      error  `json:"-"`      // the full error
}

// Stage is the time spent in one stage of the frame loop, summed over the
// workers: Frames/Time is the throughput of one core on that stage.
type Stage struct {
	Name   string        `json:"name"`
	Frames int           `json:"frames"`
	Time   time.Duration `json:"time_ns"`
	// Rate is Frames per second of stage time (0 if none was spent).
	Rate float64 `json:"frames_per_s"`
}

// Report tells what Run did.
type Report struct {
	Frames  int           `json:"frames"` // frames tracked (visited)
	Skipped []Skip        `json:"skipped"`
	Workers int           `json:"workers"`
	Wall    time.Duration `json:"wall_ns"`
	// Stages are "read", "graph", one per method (Method.Label) and
	// "metrics", in that order.
	Stages []Stage `json:"stages"`
}

// Rate returns the frames (tracked and skipped) per second of wall time.
func (r *Report) Rate() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Frames+len(r.Skipped)) / r.Wall.Seconds()
}

// slot holds one frame in flight with all its buffers; slots circulate
// between the dispatcher, the workers and the collector and are reused.
type slot struct {
	seq, pos int
	frame    dataset.Frame
	g        graph.HitGraph
	results  []track.Result
	metrics  []metrics.Frame
	skip     *Skip
	skipBuf  Skip
	err      error
}

// worker holds what one goroutine owns: builder, trackers, evaluator and
// its stage clocks.
type worker struct {
	b        *graph.Builder
	trackers []track.Tracker
	ev       metrics.Evaluator
	time     []time.Duration // read, graph, methods..., metrics
	frames   []int
}

// Run reads the selected frames of src, builds each frame's hit graph,
// runs every method on it, computes the metrics and calls visit once per
// tracked frame, in selection order, from the calling goroutine, whatever
// the number of workers. Frames whose graph cannot be built from their data
// (any *graph.FrameError: no hits, one layer, NaN, ...) are skipped,
// reported in Report.Skipped and to Options.OnSkip, never visited.
//
// Run calls each Method.New once per worker, sequentially, before the
// first frame. It stops at the first error, in selection order: bad
// options, a frame that cannot be read, a tracker error (naming the frame
// and method), an error from visit or OnSkip, or the cancellation of ctx
// (wrapped: errors.Is(err, context.Canceled)). A panic in a worker's stage
// (a bug) is returned as an error naming the frame position.
// The Report is nil only when the options are bad. A nil visit visits
// nothing (to time the stages). The workspaces (frames, graphs, results)
// are reused, so Run allocates little once they have grown.
func Run(ctx context.Context, src Source, opt *Options, visit func(*Output) error) (*Report, error) {
	var o Options
	if opt != nil {
		o = *opt
	}
	pos, err := selection(src.NumFrames(), &o)
	if err != nil {
		return nil, err
	}
	nw := o.Workers
	if nw < 0 {
		return nil, fmt.Errorf("pipeline: negative number of workers %d", nw)
	}
	nw = cmp.Or(nw, runtime.GOMAXPROCS(0))
	nw = max(1, min(nw, len(pos)))
	workers, err := newWorkers(nw, &o)
	if err != nil {
		return nil, err
	}
	rep := &Report{Workers: nw, Skipped: []Skip{}}
	if visit == nil {
		visit = func(*Output) error { return nil }
	}
	start := time.Now()
	if len(pos) > 0 {
		err = run(ctx, src, &o, pos, workers, rep, visit)
	}
	rep.Wall = time.Since(start)
	rep.Stages = stages(&o, workers)
	return rep, err
}

// selection returns the source positions to process.
func selection(n int, o *Options) ([]int, error) {
	if o.Limit < 0 {
		return nil, fmt.Errorf("pipeline: negative frame limit %d", o.Limit)
	}
	var pos []int
	if o.Frames == nil {
		pos = make([]int, n)
		for i := range pos {
			pos[i] = i
		}
	} else {
		for _, p := range o.Frames {
			if p < 0 || p >= n {
				return nil, fmt.Errorf("pipeline: frame position %d out of range [0, %d)", p, n)
			}
		}
		pos = o.Frames
	}
	if o.Limit > 0 && o.Limit < len(pos) {
		pos = pos[:o.Limit]
	}
	return pos, nil
}

func newWorkers(n int, o *Options) ([]*worker, error) {
	ws := make([]*worker, n)
	nst := len(o.Methods) + 3
	for i := range ws {
		b, err := graph.NewBuilder(o.Graph)
		if err != nil {
			return nil, fmt.Errorf("pipeline: %w", err)
		}
		w := &worker{b: b, ev: metrics.Evaluator{Options: o.Metrics},
			time: make([]time.Duration, nst), frames: make([]int, nst)}
		for _, m := range o.Methods {
			if m.New == nil {
				return nil, fmt.Errorf("pipeline: method %q has no constructor", m.Label())
			}
			t, err := m.New()
			if err != nil {
				return nil, fmt.Errorf("pipeline: method %q: %w", m.Label(), err)
			}
			w.trackers = append(w.trackers, t)
		}
		ws[i] = w
	}
	return ws, nil
}

func stages(o *Options, ws []*worker) []Stage {
	names := []string{"read", "graph"}
	for _, m := range o.Methods {
		names = append(names, m.Label())
	}
	names = append(names, "metrics")
	st := make([]Stage, len(names))
	for i, n := range names {
		st[i].Name = n
		for _, w := range ws {
			st[i].Frames += w.frames[i]
			st[i].Time += w.time[i]
		}
		if st[i].Time > 0 {
			st[i].Rate = float64(st[i].Frames) / st[i].Time.Seconds()
		}
	}
	return st
}

// run is the frame loop: a dispatcher hands free slots with the next
// position to the workers; the collector puts finished slots back in
// selection order (a ring of len(slots), since at most that many are in
// flight), visits them and frees them.
func run(ctx context.Context, src Source, o *Options, pos []int, ws []*worker, rep *Report, visit func(*Output) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ns := 2*len(ws) + 2
	free := make(chan *slot, ns)
	jobs := make(chan *slot, ns)
	done := make(chan *slot, ns)
	for range ns {
		free <- &slot{results: make([]track.Result, len(o.Methods)), metrics: make([]metrics.Frame, len(o.Methods))}
	}
	go func() {
		defer close(jobs)
		for seq, p := range pos {
			select {
			case s := <-free:
				s.seq, s.pos = seq, p
				jobs <- s
			case <-ctx.Done():
				return
			}
		}
	}()
	finished := make(chan struct{})
	for _, w := range ws {
		go func() {
			defer func() { finished <- struct{}{} }()
			for s := range jobs {
				w.process(ctx, src, o, s)
				done <- s
			}
		}()
	}
	go func() {
		for range ws {
			<-finished
		}
		close(done)
	}()

	ring := make([]*slot, ns)
	next := 0
	var err error
	for s := range done {
		ring[s.seq%ns] = s
		for err == nil {
			s := ring[next%ns]
			if s == nil || s.seq != next {
				break
			}
			ring[next%ns] = nil
			next++
			err = deliver(ctx, o, s, rep, visit)
			free <- s
		}
		if err != nil {
			cancel() // the dispatcher stops; the workers drain the queue
		}
	}
	if err == nil && next < len(pos) {
		err = ctx.Err()
	}
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("pipeline: interrupted after %d frames: %w", rep.Frames+len(rep.Skipped), err)
	}
	return err
}

// deliver hands one finished slot to the visitor (or OnSkip).
func deliver(ctx context.Context, o *Options, s *slot, rep *Report, visit func(*Output) error) error {
	if s.err != nil {
		return s.err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.skip != nil {
		rep.Skipped = append(rep.Skipped, *s.skip)
		if o.OnSkip != nil {
			if err := o.OnSkip(*s.skip); err != nil {
				return err
			}
		}
	} else {
		rep.Frames++
		out := Output{Position: s.pos, Frame: &s.frame, Graph: &s.g, Results: s.results, Metrics: s.metrics}
		if err := visit(&out); err != nil {
			return err
		}
	}
	if o.Progress != nil {
		o.Progress()
	}
	return nil
}

// process reads, builds, tracks and evaluates the frame of slot s. A
// panic (a bug in a stage) becomes the slot's error naming the frame, so
// that it reaches the caller instead of killing the process from a worker
// goroutine.
func (w *worker) process(ctx context.Context, src Source, o *Options, s *slot) {
	s.err, s.skip = nil, nil
	defer func() {
		if p := recover(); p != nil {
			s.err = fmt.Errorf("pipeline: frame position %d: internal error: %v", s.pos, p)
		}
	}()
	if ctx.Err() != nil {
		s.err = ctx.Err()
		return
	}
	t0 := time.Now()
	if err := src.ReadFrameInto(&s.frame, s.pos); err != nil {
		s.err = err
		return
	}
	t1 := w.clock(0, t0)
	if err := w.b.Build(&s.g, &s.frame); err != nil {
		var fe *graph.FrameError
		if !errors.As(err, &fe) {
			s.err = fmt.Errorf("pipeline: frame %d: %w", s.frame.Meta.Frame, err)
			return
		}
		s.skipBuf = Skip{Position: s.pos, Frame: s.frame.Meta.Frame, Reason: skipReason(fe), Err: err}
		s.skip = &s.skipBuf
		w.clock(1, t1)
		return
	}
	t1 = w.clock(1, t1)
	for i, t := range w.trackers {
		if err := t.Track(&s.results[i], &s.g); err != nil {
			s.err = fmt.Errorf("pipeline: frame %d: method %q: %w", s.frame.Meta.Frame, o.Methods[i].Label(), err)
			return
		}
		t1 = w.clock(2+i, t1)
	}
	if o.NoMetrics {
		clear(s.metrics)
		return
	}
	for i := range s.results {
		r := &s.results[i]
		s.metrics[i] = w.ev.Evaluate(&s.g, r.Selected, &r.Tracks)
	}
	w.clock(len(w.time)-1, t1)
}

// clock adds the time since t to stage k and returns the current time.
func (w *worker) clock(k int, t time.Time) time.Time {
	now := time.Now()
	w.time[k] += now.Sub(t)
	w.frames[k]++
	return now
}

// skipSentinels are the graph errors a skip is grouped by.
var skipSentinels = []error{graph.ErrEmptyFrame, graph.ErrTooFewLayers, graph.ErrNonFinite,
	graph.ErrBadLayer, graph.ErrOutsideAperture, graph.ErrLayerOrder, graph.ErrTooLarge}

func skipReason(fe *graph.FrameError) string {
	for _, e := range skipSentinels {
		if errors.Is(fe, e) {
			return e.Error()
		}
	}
	return fe.Err.Error()
}
