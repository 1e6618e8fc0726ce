package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Job is a unit of parallel work: Run(i) processes part i. Implementations
// are usually pointers to long-lived structs, so that passing them to
// Parallel allocates nothing.
type Job interface{ Run(i int) }

type region struct {
	job  Job
	n    int64
	next atomic.Int64
	done sync.WaitGroup
}

func (r *region) run() {
	for {
		i := r.next.Add(1) - 1
		if i >= r.n {
			return
		}
		r.job.Run(int(i))
	}
}

var pool struct {
	mu      sync.Mutex
	started int
	work    chan *region
	r       region
}

func worker(work chan *region) {
	for r := range work {
		r.run()
		r.done.Done()
	}
}

// Parallel calls job.Run(i) for every i in [0, n), spread over up to
// GOMAXPROCS goroutines of a process-wide worker pool, and returns when all
// calls have finished. The order of the calls is unspecified, so jobs must
// write disjoint outputs (per-part partial sums, reduced afterwards in part
// order, keep results independent of the number of cores). One parallel
// region runs at a time: a nested or concurrent call runs its parts
// serially in the calling goroutine. It does not allocate in steady state.
func Parallel(n int, job Job) {
	if n <= 0 {
		return
	}
	procs := runtime.GOMAXPROCS(0)
	if n == 1 || procs == 1 || !pool.mu.TryLock() {
		for i := 0; i < n; i++ {
			job.Run(i)
		}
		return
	}
	defer pool.mu.Unlock()
	helpers := min(procs, n) - 1
	if pool.work == nil {
		pool.work = make(chan *region, 256)
	}
	for pool.started < helpers {
		go worker(pool.work)
		pool.started++
	}
	r := &pool.r
	r.job, r.n = job, int64(n)
	r.next.Store(0)
	r.done.Add(helpers)
	for i := 0; i < helpers; i++ {
		pool.work <- r
	}
	r.run()
	r.done.Wait()
	r.job = nil
}
