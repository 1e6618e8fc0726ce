package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/progress"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/sim"
)

// Prepared holds the prepared frames of a run: the training and validation
// frames' hit graphs and model inputs (training frames beyond the memory
// budget as raw hits, prepared again when drawn). It depends on the
// config's Model, Graph and Data sections only, so runs that differ in
// seed or optimiser can share it (read-only; not while a Trainer prepares
// an uncached frame on another goroutine).
type Prepared struct {
	key        Config // the parts of the config the data depend on
	train, val frameSet
}

// DataStats describes Prepared frames.
type DataStats struct {
	TrainFrames, ValFrames int // usable frames
	// TrainSkipped and ValSkipped count frames the model cannot run on
	// (empty, one layer, fewer than two segments or line-graph edges).
	TrainSkipped, ValSkipped int
	// Cached counts the training frames kept prepared and CachedBytes
	// estimates the memory of all prepared frames kept (training and
	// validation).
	Cached      int
	CachedBytes int64
}

// Stats returns the frame counts and the cache use.
func (d *Prepared) Stats() DataStats {
	return DataStats{
		TrainFrames: d.train.Len(), ValFrames: d.val.Len(),
		TrainSkipped: d.train.skipped, ValSkipped: d.val.skipped,
		Cached: d.train.cached, CachedBytes: d.train.bytes + d.val.bytes,
	}
}

// frameSet is a list of usable frames (frames a model can run on).
type frameSet struct {
	frames  []prepFrame
	skipped int   // frames the model cannot run on
	bytes   int64 // estimated memory of the prepared frames kept
	cached  int   // frames kept prepared
}

// prepFrame is one frame: prepared (g, in) or raw (hits only).
type prepFrame struct {
	g   *graph.HitGraph
	in  *model.Input
	raw *dataset.Frame
}

// Len returns the number of usable frames.
func (s *frameSet) Len() int { return len(s.frames) }

// TrainFrames returns the number of usable training frames.
func (d *Prepared) TrainFrames() int { return d.train.Len() }

// ValFrames returns the number of usable validation frames.
func (d *Prepared) ValFrames() int { return d.val.Len() }

// dataKey returns the parts of resolved config c that Data depends on.
func dataKey(c Config) Config {
	k := Config{Model: c.Model, Graph: c.Graph, Data: c.Data}
	k.Data.CacheMB = 0 // changes memory use, not results
	return k
}

// LoadData reads or simulates the frames of cfg (resolved or not) and
// prepares them: hit graph, line graph (line-graph model) and model input,
// on GOMAXPROCS goroutines. Frames the model cannot run on are skipped and
// counted. Progress goes to w (nil for none). Errors name the file or frame;
// ctx cancels.
func LoadData(ctx context.Context, cfg Config, w io.Writer) (*Prepared, error) {
	cfg, err := cfg.Resolved()
	if err != nil {
		return nil, err
	}
	d := &Prepared{key: dataKey(cfg)}
	var train, val []dataset.Frame
	if s := cfg.Data.Simulate; s != nil {
		train, val, err = simulate(ctx, s, w)
	} else {
		train, err = readFrames(cfg.Data.Train, cfg.Data.TrainFrames)
		if err == nil {
			val, err = readFrames(cfg.Data.Val, cfg.Data.ValFrames)
		}
	}
	if err != nil {
		return nil, err
	}
	budget := int64(cfg.Data.CacheMB) << 20
	if cfg.Data.CacheMB < 0 {
		budget = 0
	}
	if err := d.train.prepare(ctx, cfg, train, budget, w, "prepare training frames"); err != nil {
		return nil, err
	}
	if err := d.val.prepare(ctx, cfg, val, -1, w, "prepare validation frames"); err != nil {
		return nil, err
	}
	switch {
	case d.train.Len() == 0:
		return nil, fmt.Errorf("train: no usable training frames (%d skipped)", d.train.skipped)
	case d.val.Len() == 0:
		return nil, fmt.Errorf("train: no usable validation frames (%d skipped)", d.val.skipped)
	}
	return d, nil
}

func readFrames(paths []string, limit int) ([]dataset.Frame, error) {
	var out []dataset.Frame
	for _, p := range paths {
		r, err := dataset.Open(p)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		for i := 0; i < r.NumFrames() && (limit == 0 || len(out) < limit); i++ {
			f, err := r.ReadFrame(i)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("train: %s frame %d: %w", p, i, err)
			}
			out = append(out, f)
		}
		r.Close()
	}
	return out, nil
}

// simulate runs the inline simulation: per phantom, Frames training frames
// followed by ValFrames validation frames.
func simulate(ctx context.Context, s *Simulate, w io.Writer) (train, val []dataset.Frame, err error) {
	var bar *progress.Bar
	if w != nil {
		bar = progress.New(w, int64(len(s.Phantoms)*(s.Frames+s.ValFrames)), "simulate")
		defer bar.Finish()
	}
	for i := range s.Phantoms {
		c, err := s.simConfig(i)
		if err != nil {
			return nil, nil, fmt.Errorf("train: data.simulate: %w", err)
		}
		fs, err := sim.Collect(ctx, c)
		if err != nil {
			return nil, nil, fmt.Errorf("train: simulate %s: %w", s.Phantoms[i], err)
		}
		train, val = append(train, fs[:s.Frames]...), append(val, fs[s.Frames:]...)
		bar.Add(len(fs))
	}
	return train, val, nil
}

// preparer builds the graphs and input of one frame with reused builders.
type preparer struct {
	cfg  Config
	b    *graph.Builder
	lb   *graph.LineBuilder
	drop graph.Dropper
	full graph.HitGraph // DropIsolated: the graph before the drop
}

func newPreparer(cfg Config) *preparer {
	b, err := graph.NewBuilder(&cfg.Graph)
	if err != nil {
		panic("train: graph options were checked by Resolved")
	}
	lo := graph.LineOptionsOf(cfg.Graph)
	return &preparer{cfg: cfg, b: b, lb: graph.NewLineBuilder(&lo)}
}

// prepare builds frame f into (g, in); g is overwritten (nil allocates).
// ok is false for a frame the model cannot run on.
func (p *preparer) prepare(g *graph.HitGraph, f *dataset.Frame) (_ *graph.HitGraph, _ *model.Input, bytes int64, ok bool, err error) {
	if g == nil {
		g = new(graph.HitGraph)
	}
	out := g
	drop := p.cfg.Graph.DropIsolated
	if drop {
		g = &p.full
	}
	if err := p.b.Build(g, f); err != nil {
		if errors.Is(err, graph.ErrEmptyFrame) || errors.Is(err, graph.ErrTooFewLayers) {
			return out, nil, 0, false, nil
		}
		return out, nil, 0, false, fmt.Errorf("train: %w", err)
	}
	if len(g.Src) < 2 {
		return out, nil, 0, false, nil
	}
	var lg *graph.LineGraph
	edges := 0
	lineModel := p.cfg.Model.Kind == model.KindLineGraph
	if lineModel || drop {
		// a fresh line graph per frame: the input keeps its slices
		lg = new(graph.LineGraph)
		if err := p.lb.Build(lg, g); err != nil {
			return out, nil, 0, false, fmt.Errorf("train: %w", err)
		}
		if len(lg.Src) < 2 {
			return out, nil, 0, false, nil
		}
		if drop {
			p.drop.Drop(out, g, lg)
			g = out
			if len(g.Src) < 2 {
				return out, nil, 0, false, nil
			}
		}
		edges = len(lg.Src)
	}
	if !lineModel {
		lg, edges = nil, 0
	}
	in, err := model.NewInput(p.cfg.Model, g, lg)
	if err != nil {
		return out, nil, 0, false, fmt.Errorf("train: %w", err)
	}
	return out, in, prepareBytes(g, edges), true, nil
}

// prepareBytes estimates the memory a prepared frame keeps: the hit graph
// (hits, indices, segments, labels) and the model input (per-segment
// features and indices, and about 16 bytes per line-graph edge: edge
// indices, angle bins, work partitions). It errs high: by 10–30% for the
// line-graph model (10 % on sparse graphs: 1.19 GB estimated, 1.08 GB of
// heap for the 3060 frames of paper-ptt with graph.SparseOptions) and up
// to 2× for the hit-graph model on simulated 100-proton frames.
func prepareBytes(g *graph.HitGraph, lineEdges int) int64 {
	return int64(len(g.Hits))*(56+16) + int64(len(g.Src))*(4+4+1+1+4+1+8*4+24) + int64(lineEdges)*16
}

// prepare fills s from frames, preparing chunks of frames on GOMAXPROCS
// goroutines. Frames are kept prepared while the estimated memory stays
// within budget (< 0: no limit), decided in frame order, so the set does
// not depend on the goroutines; the others keep their raw hits. Peak
// memory is the budget plus one chunk.
func (s *frameSet) prepare(ctx context.Context, cfg Config, frames []dataset.Frame, budget int64, w io.Writer, desc string) error {
	type result struct {
		f     prepFrame
		ok    bool
		bytes int64
		err   error
	}
	var bar *progress.Bar
	if w != nil {
		bar = progress.New(w, int64(len(frames)), desc)
		defer bar.Finish()
	}
	workers := runtime.GOMAXPROCS(0)
	preps := make([]*preparer, workers)
	for i := range preps {
		preps[i] = newPreparer(cfg)
	}
	res := make([]result, 4*workers)
	for c0 := 0; c0 < len(frames); c0 += len(res) {
		chunk := frames[c0:min(c0+len(res), len(frames))]
		var wg sync.WaitGroup
		var mu sync.Mutex
		next := 0
		for k := range min(workers, len(chunk)) {
			wg.Add(1)
			go func(p *preparer) {
				defer wg.Done()
				for {
					mu.Lock()
					i := next
					next++
					mu.Unlock()
					if i >= len(chunk) || ctx.Err() != nil {
						return
					}
					g, in, bytes, ok, err := p.prepare(nil, &chunk[i])
					res[i] = result{f: prepFrame{g: g, in: in}, ok: ok, bytes: bytes, err: err}
					bar.Add(1)
				}
			}(preps[k])
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range chunk {
			r := res[i]
			res[i] = result{}
			switch {
			case r.err != nil:
				return r.err
			case !r.ok:
				s.skipped++
				continue
			}
			f := r.f
			if budget < 0 || s.bytes+r.bytes <= budget {
				s.bytes += r.bytes
				s.cached++
				chunk[i].Hits = nil // the graph holds its own copy
			} else {
				f = prepFrame{raw: &chunk[i]}
			}
			s.frames = append(s.frames, f)
		}
	}
	return nil
}

// get returns frame i prepared, building an uncached frame with p into
// the scratch graph g.
func (s *frameSet) get(i int, p *preparer, g *graph.HitGraph) (*graph.HitGraph, *model.Input, error) {
	f := &s.frames[i]
	if f.in != nil {
		return f.g, f.in, nil
	}
	g, in, _, ok, err := p.prepare(g, f.raw)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		panic("train: a frame usable at load time became unusable")
	}
	return g, in, nil
}
