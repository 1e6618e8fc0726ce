package track

import (
	"cmp"

	"github.com/pcttrack/pcttrack/graph"
)

// Tracks is a set of tracks in compressed form: track t is the graph hit
// indices Hits[Start[t]:Start[t+1]], deepest hit first. len(Start) is the
// number of tracks + 1 (Start may be empty when there are none).
type Tracks struct {
	Hits  []int32
	Start []int32

	// workspace of Chain
	next  []int32
	hasIn []bool
}

// Len returns the number of tracks.
func (t *Tracks) Len() int {
	if len(t.Start) == 0 {
		return 0
	}
	return len(t.Start) - 1
}

// Track returns the hits of track i, deepest first; the slice aliases t.Hits.
func (t *Tracks) Track(i int) []int32 { return t.Hits[t.Start[i]:t.Start[i+1]] }

// Reset empties t, keeping its capacity.
func (t *Tracks) Reset() {
	t.Hits = t.Hits[:0]
	t.Start = append(t.Start[:0], 0)
}

// Append adds one track (copied).
func (t *Tracks) Append(hits []int32) {
	if len(t.Start) == 0 {
		t.Start = append(t.Start, 0)
	}
	t.Hits = append(t.Hits, hits...)
	t.Start = append(t.Start, int32(len(t.Hits)))
}

// Chain builds tracks from the selected segments of g into dst (reset
// first): a track starts at every hit that has a selected segment leaving
// it and none arriving at it, and follows the selected segments upstream
// (deep → shallow) until a hit has none. Selected segments must form a
// matching per layer pair (at most one leaving and one arriving per hit),
// which the Assigner guarantees; with several leaving segments the first
// one is followed. Isolated hits (no selected segment) form no track.
// len(selected) must be len(g.Src). Chain allocates only to grow dst.
func Chain(dst *Tracks, g *graph.HitGraph, selected []bool) *Tracks {
	if len(selected) != len(g.Src) {
		panic("track: Chain: len(selected) != number of segments")
	}
	if dst == nil {
		dst = new(Tracks)
	}
	dst.Reset()
	n := len(g.Hits)
	// next[h] = shallower hit after h, or -1; hasIn[h] = a selected segment arrives at h.
	next, hasIn := chainWork(dst, n)
	for s, ok := range selected {
		if !ok {
			continue
		}
		src, d := g.Src[s], g.Dst[s]
		if next[src] < 0 {
			next[src] = d
		}
		hasIn[d] = true
	}
	for h := 0; h < n; h++ {
		if hasIn[h] || next[h] < 0 {
			continue
		}
		for c := int32(h); c >= 0; c = next[c] {
			dst.Hits = append(dst.Hits, c)
		}
		dst.Start = append(dst.Start, int32(len(dst.Hits)))
	}
	return dst
}

// chainWork returns Chain's work slices for n hits, initialised; they live
// on the Tracks value so that chaining many frames into one does not allocate.
func chainWork(t *Tracks, n int) ([]int32, []bool) {
	if cap(t.next) < n {
		t.next = make([]int32, n)
		t.hasIn = make([]bool, n)
	}
	next, hasIn := t.next[:n], t.hasIn[:n]
	for i := range next {
		next[i] = -1
		hasIn[i] = false
	}
	return next, hasIn
}

// Default filter values of the paper (E2E eval.py).
const (
	DefaultMinHits        = 5      // "more than 4 hits"
	DefaultMinDeepestEdep = 0.0625 // MeV, deepest hit of a kept track
)

// Filter selects the tracks to keep. The zero value is the paper's filter:
// more than 4 hits and a deepest-hit deposit above 0.0625 MeV.
type Filter struct {
	// MinHits is the least number of hits of a kept track; 0 means
	// DefaultMinHits, a negative value keeps any length.
	MinHits int `yaml:"min_hits,omitempty" json:"min_hits,omitempty"`
	// MinDeepestEdep is the deposit in MeV the deepest hit must exceed;
	// 0 means DefaultMinDeepestEdep, a negative value disables the cut.
	MinDeepestEdep float64 `yaml:"min_deepest_edep,omitempty" json:"min_deepest_edep,omitempty"`
}

// Keep reports whether the track hits (deepest first) of g pass f.
func (f Filter) Keep(g *graph.HitGraph, hits []int32) bool {
	minHits := f.MinHits
	minHits = cmp.Or(minHits, DefaultMinHits)
	if len(hits) < minHits || len(hits) == 0 {
		return false
	}
	e := f.MinDeepestEdep
	e = cmp.Or(e, DefaultMinDeepestEdep)
	return e < 0 || float64(g.Hits[hits[0]].Edep) > e
}

// Apply writes the tracks of src that pass f into dst (reset first) and
// returns it; dst must not be src.
func (f Filter) Apply(dst, src *Tracks, g *graph.HitGraph) *Tracks {
	if dst == src {
		panic("track: Filter.Apply: dst == src")
	}
	if dst == nil {
		dst = new(Tracks)
	}
	dst.Reset()
	for i := 0; i < src.Len(); i++ {
		if t := src.Track(i); f.Keep(g, t) {
			dst.Append(t)
		}
	}
	return dst
}
