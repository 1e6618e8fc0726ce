package metrics

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// aggregatorGroup is the JSON form of one key of an Aggregator: every
// per-frame value, so that a decoded Aggregator gives bit for bit the
// Groups of the original (and of the same frames added in one process).
type aggregatorGroup struct {
	Key          Key       `json:"key"`
	Purity       []float64 `json:"purity"`
	Efficiency   []float64 `json:"efficiency"`
	TPR          []float64 `json:"tpr"`
	FPR          []float64 `json:"fpr"`
	DMEfficiency []float64 `json:"dm_efficiency"`
	FakeRate     []float64 `json:"fake_rate"`
	Counts       Counts    `json:"counts"`
}

func (g *aggregatorGroup) columns() [len(metric)]*[]float64 {
	return [...]*[]float64{&g.Purity, &g.Efficiency, &g.TPR, &g.FPR, &g.DMEfficiency, &g.FakeRate}
}

// MarshalJSON encodes every recorded frame value by key (keys sorted as
// Groups sorts them), so that an Aggregator can be stored by one shard of
// an evaluation and merged later (UnmarshalJSON, Merge). Go's JSON numbers
// round-trip float64 exactly; a NaN or infinite value is an error.
func (a Aggregator) MarshalJSON() ([]byte, error) {
	out := make([]aggregatorGroup, 0, len(a.groups))
	for k, acc := range a.groups {
		g := aggregatorGroup{Key: k, Counts: acc.counts}
		for i, c := range g.columns() {
			*c = acc.values[i]
		}
		out = append(out, g)
	}
	return marshalSorted(out, func(x, y aggregatorGroup) int { return compareKeys(x.Key, y.Key) })
}

// UnmarshalJSON replaces a's contents with the frames encoded by
// MarshalJSON. Columns of different lengths or a key given twice are an
// error.
func (a *Aggregator) UnmarshalJSON(b []byte) error {
	in, err := unmarshalEntries[aggregatorGroup](b, "aggregator")
	if err != nil {
		return err
	}
	a.groups = make(map[Key]*groupAcc, len(in))
	for i := range in {
		g := &in[i]
		if a.groups[g.Key] != nil {
			return fmt.Errorf("metrics: aggregator: key %+v given twice", g.Key)
		}
		acc := &groupAcc{counts: g.Counts}
		for j, c := range g.columns() {
			if len(*c) != len(g.Purity) {
				return fmt.Errorf("metrics: aggregator: key %+v: %d %s values for %d frames", g.Key, len(*c), metric[j].name, len(g.Purity))
			}
			acc.values[j] = *c
		}
		a.groups[g.Key] = acc
	}
	return nil
}

// stabilityEntry is the JSON form of one (key, seed pair) of a Stability.
type stabilityEntry struct {
	Key    Key    `json:"key"`
	A      uint64 `json:"seed_a"`
	B      uint64 `json:"seed_b"`
	Frames int    `json:"frames"`
	Edges  int64  `json:"edges"`
	Differ int64  `json:"differ"`
	Union  int64  `json:"union"`
}

// MarshalJSON encodes the counts of every (key, seed pair), sorted, for
// storing a shard's stability (see Aggregator.MarshalJSON).
func (s Stability) MarshalJSON() ([]byte, error) {
	out := make([]stabilityEntry, 0, len(s.acc))
	for sk, acc := range s.acc {
		out = append(out, stabilityEntry{Key: sk.key, A: sk.a, B: sk.b, Frames: acc.frames,
			Edges: acc.edges, Differ: acc.differ, Union: acc.union})
	}
	return marshalSorted(out, func(x, y stabilityEntry) int {
		if c := compareKeys(x.Key, y.Key); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
}

// UnmarshalJSON replaces s's contents with the counts encoded by
// MarshalJSON.
func (s *Stability) UnmarshalJSON(b []byte) error {
	in, err := unmarshalEntries[stabilityEntry](b, "stability")
	if err != nil {
		return err
	}
	s.acc = make(map[stabilityKey]*stabilityAcc, len(in))
	for _, e := range in {
		e.Key.Seed = 0
		sk := stabilityKey{e.Key, min(e.A, e.B), max(e.A, e.B)}
		if s.acc[sk] != nil {
			return fmt.Errorf("metrics: stability: key %+v seeds %d, %d given twice", e.Key, e.A, e.B)
		}
		s.acc[sk] = &stabilityAcc{frames: e.Frames, edges: e.Edges, differ: e.Differ, union: e.Union}
	}
	return nil
}

// Merge adds every frame recorded in b to s (b is unchanged): the frames
// of K shards merged give the Groups of one run.
func (s *Stability) Merge(b *Stability) {
	mergeInto(&s.acc, b.acc, func(acc, ab *stabilityAcc) {
		acc.frames += ab.frames
		acc.edges += ab.edges
		acc.differ += ab.differ
		acc.union += ab.union
	})
}

// marshalSorted sorts the JSON entries out of a state by cmp and encodes
// them.
func marshalSorted[E any](out []E, cmp func(x, y E) int) ([]byte, error) {
	slices.SortFunc(out, cmp)
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return b, nil
}

// unmarshalEntries decodes the JSON entries of a state (what: aggregator,
// stability).
func unmarshalEntries[E any](b []byte, what string) ([]E, error) {
	var in []E
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("metrics: %s: %w", what, err)
	}
	return in, nil
}

// mergeInto adds each accumulator of src to the one of *dst with the same
// key, creating *dst and missing accumulators.
func mergeInto[K comparable, V any](dst *map[K]*V, src map[K]*V, add func(acc, b *V)) {
	if *dst == nil {
		*dst = make(map[K]*V)
	}
	for k, b := range src {
		acc := (*dst)[k]
		if acc == nil {
			acc = new(V)
			(*dst)[k] = acc
		}
		add(acc, b)
	}
}
