// Package xslices holds the slice helper the standard library's slices
// lacks and several packages need: mapping with a function that can fail
// (load every checkpoint, read every shard file), stopping at the first
// error.
package xslices

// Map returns f of each element of s in order, or the first error f
// returns (f is not called on the elements after it).
func Map[T, U any](s []T, f func(T) (U, error)) ([]U, error) {
	out := make([]U, 0, len(s))
	for _, x := range s {
		y, err := f(x)
		if err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	return out, nil
}
