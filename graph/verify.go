package graph

import (
	"fmt"
	"math"
)

// Verify checks every layout invariant of the hit graph documented on
// HitGraph: layer grouping and order, SrcStart/PairStart offsets, segments
// joining adjacent layers (deeper → shallower) sorted by (Src, Dst) without
// duplicates, slice lengths, HitIndex (when set) and the labels. It does
// not check the cone, which depends on the options. It returns the first
// violation found, nil if none. O(hits + segments), no allocation unless
// it fails.
func (g *HitGraph) Verify() error {
	nh, nl, ns := len(g.Hits), len(g.Layers), len(g.Src)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("graph: verify frame %d: "+format, append([]any{g.Meta.Frame}, a...)...)
	}
	if len(g.LayerStart) != nl+1 {
		return bad("len(LayerStart) = %d, want %d", len(g.LayerStart), nl+1)
	}
	if g.LayerStart[0] != 0 || int(g.LayerStart[nl]) != nh {
		return bad("LayerStart spans [%d, %d], want [0, %d]", g.LayerStart[0], g.LayerStart[nl], nh)
	}
	for k := 1; k < nl; k++ {
		if g.Layers[k] >= g.Layers[k-1] {
			return bad("Layers not strictly descending at %d: %d after %d", k, g.Layers[k], g.Layers[k-1])
		}
	}
	for k := range nl {
		if g.LayerStart[k] >= g.LayerStart[k+1] {
			return bad("layer %d has no hits", g.Layers[k])
		}
		for i := g.LayerStart[k]; i < g.LayerStart[k+1]; i++ {
			if g.Hits[i].Layer != g.Layers[k] {
				return bad("hit %d has layer %d, want %d", i, g.Hits[i].Layer, g.Layers[k])
			}
		}
	}
	if len(g.HitIndex) != 0 && len(g.HitIndex) != nh {
		return bad("len(HitIndex) = %d, want %d", len(g.HitIndex), nh)
	}
	if len(g.Dst) != ns || len(g.Label) != ns || len(g.PrimaryLabel) != ns {
		return bad("segment slices have lengths Src %d Dst %d Label %d PrimaryLabel %d",
			ns, len(g.Dst), len(g.Label), len(g.PrimaryLabel))
	}
	if len(g.SrcStart) != nh+1 {
		return bad("len(SrcStart) = %d, want %d", len(g.SrcStart), nh+1)
	}
	if g.SrcStart[0] != 0 || int(g.SrcStart[nh]) != ns {
		return bad("SrcStart spans [%d, %d], want [0, %d]", g.SrcStart[0], g.SrcStart[nh], ns)
	}
	if len(g.PairStart) != nl+1 {
		return bad("len(PairStart) = %d, want %d", len(g.PairStart), nl+1)
	}
	for k := range nl {
		if g.PairStart[k] != g.SrcStart[g.LayerStart[k]] {
			return bad("PairStart[%d] = %d, want %d", k, g.PairStart[k], g.SrcStart[g.LayerStart[k]])
		}
		adjacent := k+1 < nl && g.Layers[k+1] == g.Layers[k]-1
		if !adjacent && g.SrcStart[g.LayerStart[k+1]] != g.PairStart[k] {
			return bad("layer %d has segments but layer %d is empty", g.Layers[k], g.Layers[k]-1)
		}
	}
	if g.PairStart[nl] != int32(ns) {
		return bad("PairStart[%d] = %d, want %d", nl, g.PairStart[nl], ns)
	}
	cand := 0
	for k := 0; k+1 < nl; k++ {
		if g.Layers[k+1] == g.Layers[k]-1 {
			cand += int(g.LayerStart[k+1]-g.LayerStart[k]) * int(g.LayerStart[k+2]-g.LayerStart[k+1])
		}
	}
	if cand != g.CandidatePairs {
		return bad("CandidatePairs = %d, want %d", g.CandidatePairs, cand)
	}
	return verifyCSR(g.SrcStart, g.Src, g.Dst, nh, csrNames{"SrcStart", "hit", "segment", "Src", "Dst"}, bad, func(h, s int32) error {
		d := g.Dst[s]
		if g.Hits[d].Layer != g.Hits[h].Layer-1 {
			return bad("segment %d joins layers %d and %d", s, g.Hits[h].Layer, g.Hits[d].Layer)
		}
		a, b := &g.Hits[h], &g.Hits[d]
		same := a.EventID == b.EventID
		if g.Label[s] != same || g.PrimaryLabel[s] != (same && a.Primary && b.Primary) {
			return bad("segment %d has wrong labels", s)
		}
		return nil
	})
}

// csrNames name the parts of an adjacency in compressed rows in Verify's
// messages: the offsets, a row, an item, the item's row field and the
// field it points along.
type csrNames struct{ start, row, item, key, other string }

// verifyCSR checks an adjacency in compressed rows of n rows: the items of
// row r are start[r] ≤ i < start[r+1] (start not decreasing), each has
// key[i] = r and other[i] in [0, n), strictly increasing within the row;
// each item then goes to check. It returns the first violation, from bad.
func verifyCSR(start, key, other []int32, n int, nm csrNames, bad func(string, ...any) error, check func(r, i int32) error) error {
	for r := range int32(n) {
		if start[r] > start[r+1] {
			return bad("%s decreases at %s %d", nm.start, nm.row, r)
		}
		for i := start[r]; i < start[r+1]; i++ {
			if key[i] != r {
				return bad("%s %d in the range of %s %d has %s %d", nm.item, i, nm.row, r, nm.key, key[i])
			}
			o := other[i]
			if o < 0 || int(o) >= n {
				return bad("%s %d has %s %d out of range", nm.item, i, nm.other, o)
			}
			if i > start[r] && other[i-1] >= o {
				return bad("%ss of %s %d not sorted by %s at %d", nm.item, nm.row, r, nm.other, i)
			}
			if err := check(r, i); err != nil {
				return err
			}
		}
	}
	return nil
}

// Verify checks the line graph lg of hit graph g: DstStart offsets, edges
// sorted by (Dst, Src) without duplicates, every edge joining two segments
// that share a hit (one's Dst is the other's Src), Reverse an involution
// that swaps Src and Dst, labels, and finite angles in [0, π]. It does not
// recompute the angles. O(edges), no allocation unless it fails.
func (lg *LineGraph) Verify(g *HitGraph) error {
	ns, ne := len(g.Src), len(lg.Src)
	bad := func(format string, a ...any) error {
		return fmt.Errorf("graph: verify line graph of frame %d: "+format, append([]any{g.Meta.Frame}, a...)...)
	}
	if lg.NumNodes != ns {
		return bad("NumNodes = %d, want %d segments", lg.NumNodes, ns)
	}
	if len(lg.Dst) != ne || len(lg.Angle) != ne || len(lg.Reverse) != ne || len(lg.Label) != ne {
		return bad("edge slices have lengths Src %d Dst %d Angle %d Reverse %d Label %d",
			ne, len(lg.Dst), len(lg.Angle), len(lg.Reverse), len(lg.Label))
	}
	if len(lg.DstStart) != ns+1 {
		return bad("len(DstStart) = %d, want %d", len(lg.DstStart), ns+1)
	}
	if lg.DstStart[0] != 0 || int(lg.DstStart[ns]) != ne {
		return bad("DstStart spans [%d, %d], want [0, %d]", lg.DstStart[0], lg.DstStart[ns], ne)
	}
	if ne%2 != 0 || ne/2 > lg.CandidatePairs {
		return bad("%d edges for %d candidate pairs", ne, lg.CandidatePairs)
	}
	return verifyCSR(lg.DstStart, lg.Dst, lg.Src, ns, csrNames{"DstStart", "node", "edge", "Dst", "Src"}, bad, func(s, e int32) error {
		u := lg.Src[e]
		if g.Dst[u] != g.Src[s] && g.Src[u] != g.Dst[s] {
			return bad("edge %d joins segments %d and %d that share no hit", e, u, s)
		}
		r := lg.Reverse[e]
		if r < 0 || int(r) >= ne || lg.Reverse[r] != e || lg.Src[r] != s || lg.Dst[r] != u {
			return bad("edge %d (%d→%d) has a wrong Reverse %d", e, u, s, r)
		}
		if lg.Label[e] != (g.Label[u] && g.Label[s]) {
			return bad("edge %d has a wrong label", e)
		}
		a := float64(lg.Angle[e])
		if !(a >= 0 && a <= math.Pi+1e-6) || lg.Angle[r] != lg.Angle[e] {
			return bad("edge %d has angle %g (reverse %g)", e, a, lg.Angle[r])
		}
		return nil
	})
}
