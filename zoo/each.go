package zoo

import (
	"context"
	"runtime"
	"sync"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
)

// Each runs fn on the frames at positions frames of d on up to workers
// goroutines (0 means GOMAXPROCS), each with its own state from newState
// (model clones, workspaces), and hands the results to fold one at a time
// in the order of frames, so that sums over frames do not depend on the
// number of workers. At most 2·workers frames are in flight. When ctx is
// cancelled, no new frame starts, the frames in flight finish, every
// result up to the first unfinished frame is folded, and ctx.Err() is
// returned; an error of fn or fold stops the loop the same way and is
// returned.
func Each[S, R any](ctx context.Context, d *Data, frames []int, workers int,
	newState func() (S, error),
	fn func(s S, i int, g *graph.HitGraph, in *model.Input) (R, error),
	fold func(i int, r R) error) error {
	if len(frames) == 0 {
		return ctx.Err()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(frames)))
	type slot struct {
		r    R
		err  error
		done chan struct{}
	}
	slots := make([]slot, len(frames))
	for k := range slots {
		slots[k].done = make(chan struct{})
	}
	states := make([]S, workers)
	for w := range states {
		s, err := newState()
		if err != nil {
			return err
		}
		states[w] = s
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	window := make(chan struct{}, 2*workers)
	jobs := make(chan int)
	go func() {
		defer close(jobs)
		for k := range frames {
			select {
			case window <- struct{}{}:
			case <-inner.Done():
				return
			}
			select {
			case jobs <- k:
			case <-inner.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for _, s := range states {
		wg.Add(1)
		go func(s S) {
			defer wg.Done()
			for k := range jobs {
				sl := &slots[k]
				g, in, err := d.Frame(frames[k])
				if err == nil {
					sl.r, sl.err = fn(s, frames[k], g, in)
				} else {
					sl.err = err
				}
				close(sl.done)
			}
		}(s)
	}
	stop := func() {
		cancel()
		wg.Wait()
	}
	foldOne := func(k int) error {
		sl := &slots[k]
		if sl.err != nil {
			return sl.err
		}
		err := fold(frames[k], sl.r)
		var zero R
		sl.r = zero
		return err
	}
	for k := range slots {
		select {
		case <-slots[k].done:
		case <-ctx.Done():
			stop() // every frame handed out is finished now
			for ; k < len(slots); k++ {
				select {
				case <-slots[k].done:
				default:
					return ctx.Err()
				}
				if err := foldOne(k); err != nil {
					return err
				}
			}
			return ctx.Err()
		}
		if err := foldOne(k); err != nil {
			stop()
			return err
		}
		<-window
	}
	stop()
	return nil
}
