// Package cputime reads the CPU time the process has used, so that
// benchmarks and throughput commands can report a per-core cost that a
// machine shared with other jobs does not inflate as much as wall time
// (it still includes cache and hyper-thread contention).
package cputime

import "time"

// Process returns the user plus system CPU time of the process so far, and
// false where the platform does not provide it.
func Process() (time.Duration, bool) { return process() }

// Since returns the CPU time used since t0 (a value of Process).
func Since(t0 time.Duration) time.Duration {
	t, _ := Process()
	return t - t0
}
