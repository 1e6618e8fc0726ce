package metrics

import (
	"fmt"
	"slices"
)

// Disagreement compares the final assignments a and b of two runs on the
// same hit graph (track.Result.Selected of each): differ counts the
// segments selected by exactly one of them, union those selected by at
// least one. Slices of different lengths are an error (not the same
// graph).
func Disagreement(a, b []bool) (differ, union int, err error) {
	if len(a) != len(b) {
		return 0, 0, fmt.Errorf("metrics: disagreement of assignments over %d and %d segments", len(a), len(b))
	}
	for i, x := range a {
		y := b[i]
		if x != y {
			differ++
		}
		if x || y {
			union++
		}
	}
	return differ, union, nil
}

// StabilityGroup is the seed stability of one method on one group of
// frames: how much the final assignment changes when only the training
// seed changes. Each pair of seeds is pooled over the frames (differing
// segments / candidate segments), then the pairs are averaged.
type StabilityGroup struct {
	// Key names the method and frames; its Seed is 0.
	Key Key `json:"key"`
	// Seeds is the number of distinct seeds and Pairs the number of seed
	// pairs compared; Frames the frames per pair.
	Seeds  int `json:"seeds"`
	Pairs  int `json:"pairs"`
	Frames int `json:"frames"`
	// OfEdges is the fraction of candidate segments (hit-graph edges)
	// whose assignment differs between two seeds, mean ± population sd
	// over the seed pairs: the paper's instability figure.
	OfEdges MeanSD `json:"of_edges"`
	// OfSelected is the same count over the segments selected by either
	// seed: most candidates are never selected, so this is the share of
	// the actual links that depend on the seed.
	OfSelected MeanSD `json:"of_selected"`
}

// Stability accumulates Disagreement counts per Key and seed pair. The
// zero value is ready to use; it is not safe for concurrent use.
type Stability struct {
	acc map[stabilityKey]*stabilityAcc
}

type stabilityKey struct {
	key  Key
	a, b uint64
}

type stabilityAcc struct {
	frames               int
	edges, differ, union int64
}

// Add records one frame of key k (its Seed is ignored) on which the runs of
// seeds a and b (a ≠ b, in either order) disagree on differ of edges
// candidate segments, union of them being selected by at least one.
func (s *Stability) Add(k Key, a, b uint64, edges, differ, union int) {
	if s.acc == nil {
		s.acc = make(map[stabilityKey]*stabilityAcc)
	}
	k.Seed = 0
	sk := stabilityKey{k, min(a, b), max(a, b)}
	acc := s.acc[sk]
	if acc == nil {
		acc = new(stabilityAcc)
		s.acc[sk] = acc
	}
	acc.frames++
	acc.edges += int64(edges)
	acc.differ += int64(differ)
	acc.union += int64(union)
}

// Len returns the number of (key, seed pair) entries recorded.
func (s *Stability) Len() int { return len(s.acc) }

// Groups returns one StabilityGroup per Key, sorted as Aggregator.Groups
// sorts groups. The sd over seed pairs is the population sd, as OverSeeds
// uses for seeds.
func (s *Stability) Groups() []StabilityGroup {
	type pairs struct {
		seeds           map[uint64]bool
		frames          int
		edges, selected []float64
	}
	byKey := map[Key]*pairs{}
	for sk, acc := range s.acc {
		p := byKey[sk.key]
		if p == nil {
			p = &pairs{seeds: map[uint64]bool{}}
			byKey[sk.key] = p
		}
		p.seeds[sk.a], p.seeds[sk.b] = true, true
		p.frames = max(p.frames, acc.frames)
		p.edges = append(p.edges, frac(acc.differ, acc.edges))
		p.selected = append(p.selected, frac(acc.differ, acc.union))
	}
	out := make([]StabilityGroup, 0, len(byKey))
	for k, p := range byKey {
		out = append(out, StabilityGroup{Key: k, Seeds: len(p.seeds), Pairs: len(p.edges), Frames: p.frames,
			OfEdges: meanSD(p.edges, 0), OfSelected: meanSD(p.selected, 0)})
	}
	slices.SortFunc(out, func(x, y StabilityGroup) int { return compareKeys(x.Key, y.Key) })
	return out
}

func frac(n, d int64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
