package landscape

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/pcttrack/pcttrack/internal/jsonfile"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/zoo"
)

// Defaults of the authors' slices.
const (
	DefaultGrid  = 50  // points per axis
	DefaultRange = 0.5 // the axes span [−Range, Range]
)

var nan = math.NaN()

// Axis returns n evenly spaced coordinates on [−r, r].
func Axis(n int, r float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		if n == 1 {
			break
		}
		out[i] = -r + 2*r*float64(i)/float64(n-1)
	}
	return out
}

// Ts returns n evenly spaced values of t on [0, 1] (np.linspace(0, 1, n)).
func Ts(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		if n > 1 {
			out[i] = float64(i) / float64(n-1)
		}
	}
	return out
}

// Linear returns the points (1−t)·a + t·b at ts, buffers interpolated like
// the parameters.
func Linear(a, b Point, ts []float64) []Point {
	out := make([]Point, len(ts))
	for i, t := range ts {
		out[i] = Point{Params: Combine(nil, []float64{1 - t, t}, a.Params, b.Params)}
		if a.Buffers != nil {
			out[i].Buffers = Combine(nil, []float64{1 - t, t}, a.Buffers, b.Buffers)
		}
	}
	return out
}

// Bezier returns the points of the quadratic Bézier curve (1−t)²·a +
// 2t(1−t)·mid + t²·b at ts; the buffers are interpolated linearly between
// a's and b's.
func Bezier(a, mid, b Point, ts []float64) []Point {
	out := make([]Point, len(ts))
	for i, t := range ts {
		out[i] = Point{Params: Combine(nil, bernstein(t), a.Params, mid.Params, b.Params)}
		if a.Buffers != nil {
			out[i].Buffers = Combine(nil, []float64{1 - t, t}, a.Buffers, b.Buffers)
		}
	}
	return out
}

func bernstein(t float64) []float64 { return []float64{(1 - t) * (1 - t), 2 * t * (1 - t), t * t} }

// GridPoint is the evaluation of one point θ0 + x·d0 + y·d1 of a plane;
// Index = iy·len(X) + ix.
type GridPoint struct {
	Index int `json:"index"`
	Metrics
}

// Grid is the evaluation of a plane: all its points, or the points of one
// shard (see MergeGrids).
type Grid struct {
	// Key identifies the origin, directions, frames and options; shards
	// merge only with the same key.
	Key   string    `json:"key"`
	X     []float64 `json:"x"`
	Y     []float64 `json:"y"`
	Shard string    `json:"shard"`
	// Points holds the evaluated points in index order (all of this
	// shard's when it is complete).
	Points []GridPoint `json:"points"`
}

// Complete reports whether g holds every point of the plane.
func (g *Grid) Complete() bool { return len(g.Points) == len(g.X)*len(g.Y) }

// Surface returns the values of quantity f on the grid as z[iy][ix] (NaN
// for a missing point).
func (g *Grid) Surface(f func(m *Metrics) float64) [][]float64 {
	z := make([][]float64, len(g.Y))
	for j := range z {
		z[j] = make([]float64, len(g.X))
		for i := range z[j] {
			z[j][i] = nan
		}
	}
	for k := range g.Points {
		p := &g.Points[k]
		z[p.Index/len(g.X)][p.Index%len(g.X)] = f(&p.Metrics)
	}
	return z
}

// GridOptions configures EvalGrid: the evaluation options (BN, Assign,
// Filter, Workers, Progress, State, Resume) and the shard of points.
type GridOptions struct {
	EvalOptions
	Shard shard.Shard
}

// EvalGrid evaluates the models θ = origin + x·d0 + y·d1 for x in xs and
// y in ys (the origin's buffers in every mode but BNRecompute, which
// recomputes them per point) on every frame of d (which should cache its
// frames: they are reused for every point), for the points of opt.Shard
// (index mod Count = Index). Points run in parallel, one model per
// worker. Cancellation saves the finished points to opt.State and returns
// the partial grid with ctx.Err(); Resume continues. A shard with no
// point is an error.
func EvalGrid(ctx context.Context, net model.Net, origin Point, d0, d1 Vec, xs, ys []float64, d *zoo.Data, opt GridOptions) (*Grid, error) {
	if err := check(opt.EvalOptions); err != nil {
		return nil, err
	}
	sh := opt.Shard
	if sh.Count == 0 {
		sh = shard.Shard{Index: 0, Count: 1}
	}
	total := len(xs) * len(ys)
	if total == 0 {
		return nil, errors.New("landscape: empty grid")
	}
	if sh.Count > total {
		return nil, fmt.Errorf("landscape: %d grid points cannot be split over %d shards", total, sh.Count)
	}
	key, err := gridKey(origin, d0, d1, xs, ys, d, opt.EvalOptions)
	if err != nil {
		return nil, err
	}
	g := &Grid{Key: key, X: xs, Y: ys, Shard: sh.String()}
	saved, err := zoo.ReadState(opt.Resume, opt.State, ReadGrid)
	if err != nil {
		return nil, err
	}
	if saved != nil {
		if saved.Key != key || saved.Shard != g.Shard {
			return nil, fmt.Errorf("landscape: resume: %s holds the state of another grid or shard", opt.State)
		}
		g = saved
	}
	done := map[int]bool{}
	for _, p := range g.Points {
		done[p.Index] = true
	}
	var todo []int
	mine := 0
	for i := 0; i < total; i++ {
		if sh.Owns(i) {
			mine++
			if !done[i] {
				todo = append(todo, i)
			}
		}
	}
	var bar *progress.Bar
	if opt.Progress != nil {
		bar = progress.New(opt.Progress, int64(mine), cmp.Or(opt.Desc, "grid points"))
		bar.Add(mine - len(todo))
		defer bar.Finish()
	}
	workers := cmp.Or(opt.Workers, runtime.GOMAXPROCS(0))
	workers = max(1, min(workers, len(todo)))
	var mu sync.Mutex
	last := time.Now()
	every := opt.Every()
	save := func() error {
		if opt.State == "" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		slices.SortFunc(g.Points, func(a, b GridPoint) int { return a.Index - b.Index })
		return g.write(opt.State)
	}
	next := 0
	var firstErr error
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		pe := newPointEval(net, opt.EvalOptions)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(todo) || firstErr != nil || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				idx := todo[next]
				next++
				mu.Unlock()
				x, y := xs[idx%len(xs)], ys[idx/len(xs)]
				p := Point{Params: Combine(nil, []float64{1, x, y}, origin.Params, d0, d1), Buffers: origin.Buffers}
				m, err := pe.eval(ctx, p, d)
				mu.Lock()
				if err != nil {
					if firstErr == nil && ctx.Err() == nil {
						firstErr = fmt.Errorf("landscape: grid point (%g, %g): %w", x, y, err)
					}
					mu.Unlock()
					return
				}
				m.T = 0
				g.Points = append(g.Points, GridPoint{Index: idx, Metrics: m})
				saveNow := time.Since(last) >= every
				if saveNow {
					last = time.Now()
				}
				if opt.onFold != nil {
					opt.onFold(len(g.Points))
				}
				mu.Unlock()
				bar.Add(1)
				if saveNow {
					if err := save(); err != nil {
						mu.Lock()
						firstErr = cmp.Or(firstErr, err)
						mu.Unlock()
					}
				}
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(g.Points, func(a, b GridPoint) int { return a.Index - b.Index })
	if firstErr != nil {
		return g, firstErr
	}
	if err := ctx.Err(); err != nil {
		if serr := save(); serr != nil {
			return g, serr
		}
		return g, err
	}
	opt.Finished()
	return g, nil
}

func gridKey(origin Point, d0, d1 Vec, xs, ys []float64, d *zoo.Data, opt EvalOptions) (string, error) {
	k, err := stateKey([]Point{origin, {Params: d0}, {Params: d1}}, append(append([]float64{}, xs...), ys...), d, opt)
	return k, err
}

// pointEval evaluates one point on all frames with its own model.
type pointEval struct {
	net model.Net
	opt EvalOptions
	tr  *learned.Tracker
}

func newPointEval(net model.Net, opt EvalOptions) *pointEval {
	bn := model.BNRunning
	if opt.BN == BNBatch {
		bn = model.BNBatch
	}
	n := net.Clone()
	return &pointEval{net: n, opt: opt, tr: learned.New(n, &learned.Options{Assign: opt.assign(), Filter: opt.Filter, BatchNorm: bn})}
}

func (e *pointEval) eval(ctx context.Context, p Point, d *zoo.Data) (Metrics, error) {
	Set(e.net.Params(), p.Params)
	if p.Buffers != nil {
		Set(e.net.Buffers(), p.Buffers)
	}
	frames := make([]int, d.Len())
	for i := range frames {
		frames[i] = i
	}
	if e.opt.BN == BNRecompute {
		if err := recompute(ctx, []model.Net{e.net}, d, frames, 1); err != nil {
			return Metrics{}, err
		}
	}
	var s sums
	pw := &pathWorker{trackers: []*learned.Tracker{e.tr}}
	for _, i := range frames {
		if err := ctx.Err(); err != nil {
			return Metrics{}, err
		}
		g, in, err := d.Frame(i)
		if err != nil {
			return Metrics{}, err
		}
		fs, err := pw.frame(g, in)
		if err != nil {
			return Metrics{}, err
		}
		s.add(fs[0])
	}
	return s.metrics(0), nil
}

// ReadGrid reads a grid written by Grid.WriteJSON or saved as state.
func ReadGrid(path string) (*Grid, error) { return jsonfile.Read[Grid]("landscape", path) }

func (g *Grid) write(path string) error { return jsonfile.Write("landscape", path, g) }

// WriteJSON writes g to path atomically.
func (g *Grid) WriteJSON(path string) error { return g.write(path) }

// MergeGrids joins the complete shards 0..K−1 of one grid into the grid
// one process computes; shards of other grids, a missing or repeated
// shard, or an incomplete shard is an error.
func MergeGrids(parts []*Grid) (*Grid, error) {
	shs, err := shard.ParseMerge(parts, func(p *Grid) string { return p.Shard }, "grid")
	if err != nil {
		return nil, fmt.Errorf("landscape: merge: %w", err)
	}
	first, sh := parts[0], shs[0]
	out := &Grid{Key: first.Key, X: first.X, Y: first.Y, Shard: "0/1"}
	seen := make([]bool, sh.Count)
	total := len(first.X) * len(first.Y)
	for i, p := range parts {
		s := shs[i]
		switch {
		case p.Key != first.Key:
			return nil, fmt.Errorf("landscape: merge: shard %s is of another grid than shard %s", p.Shard, first.Shard)
		case s.Count != sh.Count || seen[s.Index]:
			return nil, fmt.Errorf("landscape: merge: shard %s repeated or of another split", p.Shard)
		}
		seen[s.Index] = true
		want := 0
		for i := 0; i < total; i++ {
			if s.Owns(i) {
				want++
			}
		}
		if len(p.Points) != want {
			return nil, fmt.Errorf("landscape: merge: shard %s has %d of its %d points: resume it first", p.Shard, len(p.Points), want)
		}
		out.Points = append(out.Points, p.Points...)
	}
	slices.SortFunc(out.Points, func(a, b GridPoint) int { return a.Index - b.Index })
	for k, p := range out.Points {
		if p.Index != k {
			return nil, fmt.Errorf("landscape: merge: point %d missing or repeated", k)
		}
	}
	return out, nil
}
