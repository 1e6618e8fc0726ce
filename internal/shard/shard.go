// Package shard splits indexed work (frames, seeds) over K independent
// workers, as a Slurm array or a Kubernetes Indexed Job does. Worker k of K
// owns the indices i with i mod K == k; since every result depends only on
// the run seed and its own index, the union of the K shards equals one run.
package shard

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is worker Index of Count. The zero value is the single worker 0/1.
type Shard struct {
	Index, Count int
}

// Parse reads "k/K" with 0 <= k < K. The empty string means 0/1.
func Parse(s string) (Shard, error) {
	if s == "" {
		return Shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard: %q is not of the form k/K", s)
	}
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return Shard{}, fmt.Errorf("shard: %q is not of the form k/K with 0 <= k < K", s)
	}
	return Shard{k, n}, nil
}

// Owns reports whether index i belongs to this shard.
func (s Shard) Owns(i int) bool {
	n := s.Count
	if n <= 1 {
		return true
	}
	return i%n == s.Index
}

// String returns "k/K".
func (s Shard) String() string {
	n := s.Count
	if n < 1 {
		n = 1
	}
	return fmt.Sprintf("%d/%d", s.Index, n)
}
