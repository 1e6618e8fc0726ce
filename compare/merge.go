package compare

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/pcttrack/pcttrack/shard"
)

// CheckShard returns an error when sh cannot split the pairs of n models
// (a shard would get no pair), before any work is done.
func CheckShard(sh shard.Shard, n int) error {
	return checkShard(sh, len(Pairs(n)))
}

// Merge joins the results of the K shards of one comparison (Run with
// Shard k/K for every k) into exactly the result a single process computes:
// the pairs are disjoint and their sums were accumulated in the same frame
// order. Every part must be complete and of the same models, frames and
// options, and every shard 0..K−1 must appear once; anything else is an
// error naming the problem. Merging a single complete result returns it.
func Merge(parts []*Result) (*Result, error) {
	shs, err := shard.ParseMerge(parts, func(p *Result) string { return p.Shard }, "result")
	if err != nil {
		return nil, fmt.Errorf("compare: merge: %w", err)
	}
	first, sh := parts[0], shs[0]
	seen := make([]bool, sh.Count)
	out := &Result{Members: first.Members, Data: first.Data, Frames: first.Frames, Done: first.Frames,
		Options: first.Options, Shard: "0/1", CKALayers: first.CKALayers}
	if first.Self != nil {
		out.Self = make([][3][]float64, len(first.Members))
	}
	for i, p := range parts {
		s := shs[i]
		switch {
		case s.Count != sh.Count:
			return nil, fmt.Errorf("compare: merge: shard %s does not belong to a split into %d", p.Shard, sh.Count)
		case seen[s.Index]:
			return nil, fmt.Errorf("compare: merge: shard %s given twice", p.Shard)
		case p.Done != p.Frames:
			return nil, fmt.Errorf("compare: merge: shard %s is incomplete (%d of %d frames): resume it first", p.Shard, p.Done, p.Frames)
		case !reflect.DeepEqual(p.Members, first.Members) || p.Data != first.Data || p.Frames != first.Frames || !sameOptions(p.Options, first.Options):
			return nil, fmt.Errorf("compare: merge: shard %s is of other models, frames or options than shard %s", p.Shard, first.Shard)
		}
		seen[s.Index] = true
		out.Pairs = append(out.Pairs, p.Pairs...)
		for a, self := range p.Self {
			if self[0] == nil {
				continue
			}
			if out.Self[a][0] == nil {
				out.Self[a] = self
			} else if !reflect.DeepEqual(out.Self[a], self) {
				return nil, fmt.Errorf("compare: merge: shards disagree on the CKA terms of %s", first.Members[a].Name)
			}
		}
	}
	slices.SortFunc(out.Pairs, func(x, y Pair) int {
		if x.A != y.A {
			return x.A - y.A
		}
		return x.B - y.B
	})
	if want := len(Pairs(len(out.Members))); len(out.Pairs) != want {
		return nil, fmt.Errorf("compare: merge: %d pairs, want %d", len(out.Pairs), want)
	}
	for k := 1; k < len(out.Pairs); k++ {
		if out.Pairs[k].A == out.Pairs[k-1].A && out.Pairs[k].B == out.Pairs[k-1].B {
			return nil, fmt.Errorf("compare: merge: pair %s–%s twice", out.Members[out.Pairs[k].A].Name, out.Members[out.Pairs[k].B].Name)
		}
	}
	out.finish()
	return out, nil
}
