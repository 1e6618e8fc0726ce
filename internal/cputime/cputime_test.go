package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessCounts: a busy loop of ~50 ms wall on one goroutine uses CPU
// time, and a sleep of 50 ms uses almost none.
func TestProcessCounts(t *testing.T) {
	t0, ok := Process()
	if !ok {
		t.Skip("no CPU time on " + runtime.GOOS)
	}
	x := 0.0
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
		for i := range 1000 {
			x += float64(i)
		}
	}
	busy := Since(t0)
	t1, _ := Process()
	time.Sleep(50 * time.Millisecond)
	idle := Since(t1)
	if busy <= 0 || idle >= busy/2 || x == 0 {
		t.Errorf("busy loop used %v of CPU, a sleep of the same length %v", busy, idle)
	}
}
