// Package scratch resizes the reusable work slices that solvers, trackers
// and models keep between calls, so that per-frame code allocates only
// when a frame is larger than any before it.
package scratch

// Grow returns s resliced to length n, allocating a new backing array only
// when cap(s) < n. The contents are unspecified: callers overwrite them.
// It panics if n < 0.
func Grow[S ~[]E, E any](s S, n int) S {
	if cap(s) < n {
		return make(S, n)
	}
	return s[:n]
}

// Zeroed is Grow with every element set to its zero value.
func Zeroed[S ~[]E, E any](s S, n int) S {
	s = Grow(s, n)
	clear(s)
	return s
}
