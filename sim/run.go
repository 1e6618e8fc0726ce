package sim

import (
	"context"
	"sync"

	"github.com/pcttrack/pcttrack/dataset"
)

// Run simulates the frames of cfg that cfg.Shard owns and calls emit for
// each, in increasing frame index, from the calling goroutine. Frame i
// uses only the random stream rand.NewPCG(cfg.Seed, i), so the result
// does not depend on Workers or Shard. Event ids are i·N + j (N protons
// per frame), so they are unique across shards. Frames are simulated on
// cfg.Workers goroutines; the *Frame passed to emit (and its Hits) is
// reused after emit returns.
//
// Run returns the first error: a bad configuration, a frame that cannot
// be filled (phantom too thick), an error from emit, or ctx.Err() if ctx
// is cancelled (frames already emitted stay emitted). It panics if emit
// is nil.
func Run(ctx context.Context, cfg Config, emit func(*dataset.Frame) error) error {
	if emit == nil {
		panic("sim: Run with a nil emit function")
	}
	c, err := cfg.resolved()
	if err != nil {
		return err
	}
	pl, err := newPlan(&c)
	if err != nil {
		return err
	}
	sh := c.Shard
	if sh.Count == 0 {
		sh.Count = 1
	}
	first := sh.Index
	if first >= c.Frames {
		return ctx.Err()
	}
	owned := (c.Frames - first + sh.Count - 1) / sh.Count
	workers := min(c.Workers, owned)
	window := 2*workers + 2

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		i int
		f *dataset.Frame
	}
	type result struct {
		job
		err error
	}
	free := make(chan *dataset.Frame, window)
	for k := 0; k < window; k++ {
		free <- &dataset.Frame{}
	}
	jobs := make(chan job)
	results := make(chan result, window)
	go func() {
		defer close(jobs)
		for i := first; i < c.Frames; i += sh.Count {
			var f *dataset.Frame
			select {
			case f = <-free:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{i, f}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(&c, pl)
			for j := range jobs {
				err := w.frame(j.i, j.f)
				select {
				case results <- result{j, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	pending := make(map[int]*dataset.Frame, window)
	next := first
	var firstErr error
	for res := range results {
		if firstErr != nil {
			continue
		}
		if res.err != nil {
			firstErr = res.err
			cancel()
			continue
		}
		pending[res.i] = res.f
		for {
			f, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			if err := ctx.Err(); err != nil {
				firstErr = err
				break
			}
			if err := emit(f); err != nil {
				firstErr = err
				cancel()
				break
			}
			free <- f
			next += sh.Count
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
