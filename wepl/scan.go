package wepl

import (
	"context"
	"runtime"
	"sync"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
)

// simTrack simulates scfg into memory and runs the methods on it (the
// paper's graph), calling visit with each method's filtered tracks of each
// tracked frame, frame by frame in order, from the calling goroutine.
func simTrack(ctx context.Context, scfg sim.Config, methods []pipeline.Method, workers int,
	visit func(m int, out *pipeline.Output, ft *dataset.FrameTracks) error) error {
	frames, err := sim.Collect(ctx, scfg)
	if err != nil {
		return err
	}
	var ft dataset.FrameTracks
	_, err = pipeline.Run(ctx, pipeline.Frames(frames), &pipeline.Options{Methods: methods, NoMetrics: true, Workers: workers},
		func(out *pipeline.Output) error {
			for m := range methods {
				pipeline.FrameTracks(&ft, out.Graph, &out.Results[m].Tracks)
				if err := visit(m, out, &ft); err != nil {
					return err
				}
			}
			return nil
		})
	return err
}

// parallel calls f(i) for i in [0, n) on up to workers goroutines (0
// means GOMAXPROCS), in contiguous blocks; f must touch only its own i.
func parallel(n, workers int, f func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				f(i)
			}
		}()
	}
	wg.Wait()
}
