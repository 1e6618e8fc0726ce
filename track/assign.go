package track

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/lsap"
)

// DefaultUnmatchedCost is the default cost of leaving one hit of a layer
// pair unmatched. With costs 1 − p in [0, 1], a pair is worth taking when
// 1 − p < 2·0.5, i.e. whenever p > 0, so the default keeps the paper's
// "as many pairs as possible" behaviour without ever being infeasible.
const DefaultUnmatchedCost = 0.5

// Options configures the per-layer assignment. The zero value means the
// default: hits may stay unmatched at DefaultUnmatchedCost each.
type Options struct {
	// UnmatchedCost is the cost of each hit left without a partner in a
	// layer pair (for the deeper and the shallower hit alike); 0 means
	// DefaultUnmatchedCost, a negative value means free.
	UnmatchedCost float64 `yaml:"unmatched_cost,omitempty" json:"unmatched_cost,omitempty"`
	// Paper reproduces the paper's solver (lapsolver.solve_dense without
	// dummy nodes): the largest number of pairs the allowed segments admit,
	// the cheapest among those. UnmatchedCost is then ignored.
	Paper bool `yaml:"paper,omitempty" json:"paper,omitempty"`
}

// Check returns an error for a NaN or infinite UnmatchedCost.
func (o *Options) Check() error {
	if u := o.UnmatchedCost; math.IsNaN(u) || math.IsInf(u, 0) {
		return fmt.Errorf("track: unmatched cost %g is not finite", u)
	}
	return nil
}

func (o *Options) lsapOptions() lsap.Options {
	if o != nil && o.Paper {
		return lsap.Options{MaxCardinality: true}
	}
	c := DefaultUnmatchedCost
	if o != nil && o.UnmatchedCost != 0 {
		c = max(o.UnmatchedCost, 0)
	}
	return lsap.Options{AllowUnmatched: true, UnmatchedRowCost: c, UnmatchedColCost: c}
}

// Stats counts what the assignment of one frame (or a sum of frames) did.
type Stats struct {
	// Pairs is the number of layer-pair problems solved (non-empty ones).
	Pairs int
	// Selected is the number of segments chosen.
	Selected int
	// NoCandidate counts deeper hits of a solved pair with no allowed
	// segment at all: a complete matching cannot exist for them.
	NoCandidate int
	// Incomplete counts layer pairs in which fewer than min(rows, cols)
	// pairs were formed, i.e. where scipy's semantics would be infeasible
	// or, in Paper mode, lapsolver silently drops pairs.
	Incomplete int
	// UnmatchedDeep and UnmatchedShallow count hits left without a
	// partner on the deeper and the shallower side of their layer pair.
	UnmatchedDeep, UnmatchedShallow int
}

// Add accumulates o into s.
func (s *Stats) Add(o Stats) {
	s.Pairs += o.Pairs
	s.Selected += o.Selected
	s.NoCandidate += o.NoCandidate
	s.Incomplete += o.Incomplete
	s.UnmatchedDeep += o.UnmatchedDeep
	s.UnmatchedShallow += o.UnmatchedShallow
}

// Assigner solves the per-layer-pair assignment problems of frames. The
// zero value is ready to use; it reuses its workspace across calls and is
// not safe for concurrent use (give each goroutine its own).
type Assigner struct {
	solver lsap.Solver
	sp     lsap.Sparse
}

// Assign chooses segments of g from the per-segment costs (len(cost) =
// len(g.Src); +Inf forbids a segment) by solving one LSAP per adjacent
// layer pair, rows = deeper hits, columns = shallower hits. It writes
// dst[s] = true for the chosen segments (dst grown to len(g.Src) and
// cleared first) and returns it with the counts. A NaN or -Inf cost is an
// error naming the segment. Assign allocates nothing once the Assigner and
// dst have grown.
func (a *Assigner) Assign(dst []bool, g *graph.HitGraph, cost []float64, opt *Options) ([]bool, Stats, error) {
	if len(cost) != len(g.Src) {
		panic("track: Assign: len(cost) != number of segments")
	}
	dst = scratch.Zeroed(dst, len(g.Src))
	var st Stats
	for k := range g.Layers {
		ps, err := a.AssignPair(dst, g, k, cost, opt)
		if err != nil {
			return dst, st, err
		}
		st.Add(ps)
	}
	return dst, st, nil
}

// AssignPair solves only the problem of layer pair k (hits of g.Layers[k]
// to those of the next shallower layer) and writes dst for the segments
// g.PairStart[k]:g.PairStart[k+1], leaving the rest of dst alone; dst must
// have len(g.Src) entries. Trackers whose costs depend on the choice made
// in the deeper pair (the physics baseline) call it pair by pair.
func (a *Assigner) AssignPair(dst []bool, g *graph.HitGraph, k int, cost []float64, opt *Options) (Stats, error) {
	var st Stats
	s0, s1 := g.PairStart[k], g.PairStart[k+1]
	for s := s0; s < s1; s++ {
		dst[s] = false
	}
	if k+1 >= len(g.Layers) || g.Layers[k+1] != g.Layers[k]-1 {
		return st, nil
	}
	h0, h1 := g.LayerStart[k], g.LayerStart[k+1]
	c0, c1 := g.LayerStart[k+1], g.LayerStart[k+2]
	rows, cols := int(h1-h0), int(c1-c0)
	sp := &a.sp
	sp.Rows, sp.Cols = rows, cols
	sp.RowStart = append(sp.RowStart[:0], 0)
	sp.Col, sp.Cost = sp.Col[:0], sp.Cost[:0]
	for h := h0; h < h1; h++ {
		n := 0
		for s := g.SrcStart[h]; s < g.SrcStart[h+1]; s++ {
			c := cost[s]
			if math.IsNaN(c) || math.IsInf(c, -1) {
				return st, fmt.Errorf("track: segment %d (hit %d -> %d, layer %d): cost %v", s, g.Src[s], g.Dst[s], g.Layers[k], c)
			}
			if math.IsInf(c, 1) {
				continue
			}
			sp.Col = append(sp.Col, g.Dst[s]-c0)
			sp.Cost = append(sp.Cost, c)
			n++
		}
		if n == 0 {
			st.NoCandidate++
		}
		sp.RowStart = append(sp.RowStart, int32(len(sp.Col)))
	}
	lo := opt.lsapOptions()
	res, err := a.solver.Sparse(sp, &lo)
	if err != nil {
		return st, fmt.Errorf("track: layer pair %d -> %d: %w", g.Layers[k], g.Layers[k]-1, err)
	}
	st.Pairs = 1
	st.Selected = res.Matched
	if res.Matched < min(rows, cols) {
		st.Incomplete = 1
	}
	st.UnmatchedDeep = rows - res.Matched
	st.UnmatchedShallow = cols - res.Matched
	for r, c := range res.RowToCol {
		if c == lsap.Unmatched {
			continue
		}
		h := h0 + int32(r)
		want := c0 + c
		for s := g.SrcStart[h]; s < g.SrcStart[h+1]; s++ {
			if g.Dst[s] == want {
				dst[s] = true
				break
			}
		}
	}
	return st, nil
}

// ScoreCosts writes the costs 1 − p of the segment scores p (probabilities
// in [0, 1]) into dst and returns it; a score outside [0, 1] or NaN is
// passed through as is, so Assign reports NaN as an error.
func ScoreCosts(dst []float64, p []float32) []float64 {
	dst = scratch.Grow(dst, len(p))
	for i, v := range p {
		dst[i] = 1 - float64(v)
	}
	return dst
}
