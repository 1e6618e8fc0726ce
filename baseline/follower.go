package baseline

import (
	"cmp"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/track"
)

// Defaults of FollowerOptions: the DTC toolkit's values
// (findTracks.C findTracksWithRecursiveWeighting, Constants.h).
const (
	DefaultMaxScore    = 0.275   // rad, largest √Σθ² of a track's steps
	DefaultAlwaysAllow = 0.1     // rad, a step this straight is taken whatever the score
	DefaultReachLayer  = 2       // a kept track has a hit in a layer below this (the tracker)
	DefaultMaxNodes    = 1 << 16 // search-tree nodes per seed
)

// Constants of the toolkit's search that are not options.
const (
	// similarRatio is Node::addChild's threshold: a new child whose score
	// is below this fraction of the present child's replaces it; a new
	// child between the two joins it (at most two children per node).
	similarRatio = 0.845
	// layer1Cone is the cone in rad around the beam axis of a seed's first
	// step into layer 1 (the other first steps are unrestricted).
	layer1Cone = 0.5
)

// FollowerOptions configures the track follower. The zero value means the
// toolkit's values.
type FollowerOptions struct {
	// MaxScore is the score limit: a step to a hit is accepted when the
	// track's score √(score² + θ²) stays below it, θ being the scattering
	// angle at the current hit. 0 means DefaultMaxScore.
	MaxScore float64
	// AlwaysAllow accepts a step whose θ is below it, whatever the score.
	// 0 means DefaultAlwaysAllow; negative means never.
	AlwaysAllow float64
	// ReachLayer keeps only tracks whose shallowest hit lies in a layer
	// below it (the toolkit keeps tracks that reach the tracker layers 0
	// and 1); the hits of a track that is not kept stay free. 0 means
	// DefaultReachLayer; negative keeps every track.
	ReachLayer int
	// MaxNodes caps the search tree of one seed: further children are
	// not added (counted in Follower.Truncated). 0 means DefaultMaxNodes.
	MaxNodes int
}

func (o *FollowerOptions) resolve() (FollowerOptions, error) {
	r := *o
	if math.IsNaN(r.MaxScore) || r.MaxScore < 0 || math.IsNaN(r.AlwaysAllow) || r.MaxNodes < 0 {
		return r, fmt.Errorf("baseline: follower options %+v: negative or NaN", *o)
	}
	r.MaxScore = cmp.Or(r.MaxScore, DefaultMaxScore)
	r.AlwaysAllow = cmp.Or(r.AlwaysAllow, DefaultAlwaysAllow)
	r.ReachLayer = cmp.Or(r.ReachLayer, DefaultReachLayer)
	r.MaxNodes = cmp.Or(r.MaxNodes, DefaultMaxNodes)
	return r, nil
}

// Follower is the DTC toolkit's track follower (Pettersen et al.;
// findTracks.C and Node.C of the DigitalTrackingCalorimeterToolkit),
// the paper's "track follower" baseline. Layer by layer from the deepest,
// every hit not yet used by a track seeds a search upstream:
//
//   - First step: the unused hits of the next shallower layer, or of the
//     one after if the next has none (a proton may cross a layer without a
//     cluster); a step is taken when its angle to the beam axis is below
//     MaxScore (toward layer 1 only within 0.5 rad of the axis).
//   - Then, layer by layer, from every open end of the search tree, each
//     hit of the next shallower layer (used or not) whose scattering angle
//     θ at the end hit gives √(score² + θ²) < MaxScore, or θ < AlwaysAllow,
//     becomes a child with that score. A node keeps at most two children:
//     the first accepted; a later one replaces it if its score is below
//     0.845 times the present one's, and joins it if merely lower; with
//     two children, a better newcomer replaces the worse and the node then
//     keeps only the better of the two (Node::addChild, literally).
//   - The leaf of lowest score (first in depth-first order on ties) ends
//     the track. The track is kept if it reaches ReachLayer; its hits are
//     then marked used (they no longer seed and are skipped by first
//     steps, but later tracks may still pass through them, as in the
//     toolkit).
//
// Track fills Result.All with the kept tracks (seed first, i.e. deepest
// first; single hits are not tracks), Result.Tracks with those passing
// Filter, Result.Selected with the segments of g joining consecutive hits
// of a kept track in adjacent layers (a step over an empty layer, or one
// outside g's cones, is in the track but not a segment), and leaves
// Result.Stats zero. The follower uses only g's hits and layers, not its
// segments. Candidates are found through a per-layer x-sorted index and
// the cone their angle limit implies, then taken in hit order as the
// toolkit's scan does (identical tracks; tested against the scan).
//
// Not safe for concurrent use; the zero value is ready to use.
type Follower struct {
	Options FollowerOptions
	Filter  track.Filter
	// Truncated counts the seeds (over all calls) whose search tree
	// reached Options.MaxNodes.
	Truncated int

	opt    FollowerOptions
	li     layerIndex
	used   []bool
	unused []int32 // per layer position: hits not used
	nodes  []fnode
	front  []int32
	next   []int32
	cand   []int32
	stack  []int32
	path   []int32
	full   bool

	scanAll bool // tests: scan whole layers instead of cones
}

var _ track.Tracker = (*Follower)(nil)

// fnode is a node of a seed's search tree: a hit, its parent node and at
// most two children (-1: none, never a hole before a child).
type fnode struct {
	hit    int32
	parent int32
	child  [2]int32
	score  float64
}

// Track implements track.Tracker. It returns an error for options that are
// negative or NaN, and no tracks (no error) for a graph without hits or
// with one layer. Complexity: for each seed, the search tree visits at
// most a few nodes per layer, each scanning the candidates in its cone
// (binary search on x); O(n log n + seeds·layers·c) for n hits and c
// candidates per cone, O(n²) in the worst case. It allocates only to grow
// its workspace and dst.
func (f *Follower) Track(dst *track.Result, g *graph.HitGraph) error {
	opt, err := f.Options.resolve()
	if err != nil {
		return err
	}
	f.opt = opt
	dst.Selected = scratch.Zeroed(dst.Selected, len(g.Src))
	dst.All.Reset()
	dst.Tracks.Reset()
	dst.Stats = track.Stats{}
	if len(g.Hits) == 0 || len(g.Layers) == 0 {
		return nil
	}
	f.li.build(g)
	f.used = scratch.Zeroed(f.used, len(g.Hits))
	f.unused = scratch.Grow(f.unused, len(g.Layers))
	for k := range g.Layers {
		f.unused[k] = g.LayerStart[k+1] - g.LayerStart[k]
	}
	for k := range g.Layers {
		for h := g.LayerStart[k]; h < g.LayerStart[k+1]; h++ {
			if f.used[h] {
				continue
			}
			path := f.follow(g, h)
			if len(path) < 2 {
				continue
			}
			last := g.Hits[path[len(path)-1]].Layer
			if opt.ReachLayer > 0 && int(last) >= opt.ReachLayer {
				continue
			}
			dst.All.Append(path)
			for _, p := range path {
				if !f.used[p] {
					f.used[p] = true
					f.unused[f.li.k(g.Hits[p].Layer)]--
				}
			}
			for i := 1; i < len(path); i++ {
				a, b := path[i-1], path[i]
				if g.Hits[a].Layer == g.Hits[b].Layer+1 {
					if s := segment(g, a, b); s >= 0 {
						dst.Selected[s] = true
					}
				}
			}
		}
	}
	f.Filter.Apply(&dst.Tracks, &dst.All, g)
	return nil
}

// follow grows the search tree of seed hit h and returns the path from h
// to the best leaf (aliasing f.path).
func (f *Follower) follow(g *graph.HitGraph, h int32) []int32 {
	opt := &f.opt
	f.nodes = append(f.nodes[:0], fnode{hit: h, parent: -1, child: [2]int32{-1, -1}})
	f.full = false
	seed := &g.Hits[h]

	// First step: one layer up, or two if the first has no free hit.
	for skip := range int32(2) {
		tl := seed.Layer - 1 - skip
		k := f.li.k(tl)
		if k < 0 {
			continue
		}
		cone := math.Inf(1)
		if tl == 1 {
			cone = layer1Cone
		}
		if !f.anyFree(g, k, seed, cone) {
			continue
		}
		f.cand = f.near(g, k, nil, seed, min(cone, opt.MaxScore))
		for _, c := range f.cand {
			if f.used[c] {
				continue
			}
			if a := axisAngle(seed, &g.Hits[c]); a < cone && a < opt.MaxScore {
				f.addChild(0, c, a)
			}
		}
		break
	}

	// Recursion, one layer per round, over the open ends in tree order.
	f.front = append(f.front[:0], f.nodes[0].child[0], f.nodes[0].child[1])
	f.front = dropNone(f.front)
	max2 := opt.MaxScore * opt.MaxScore
	for len(f.front) > 0 {
		f.next = f.next[:0]
		for _, n := range f.front {
			nd := f.nodes[n]
			cur := &g.Hits[nd.hit]
			k := f.li.k(cur.Layer - 1)
			if k < 0 {
				continue
			}
			prev := &g.Hits[f.nodes[nd.parent].hit]
			th := max(opt.AlwaysAllow, math.Sqrt(max(max2-nd.score*nd.score, 0)))
			f.cand = f.near(g, k, prev, cur, th)
			for _, c := range f.cand {
				a := kink(prev, cur, &g.Hits[c])
				s := math.Sqrt(nd.score*nd.score + a*a)
				if s < opt.MaxScore || a < opt.AlwaysAllow {
					f.addChild(n, c, s)
				}
			}
			for _, c := range f.nodes[n].child {
				if c >= 0 {
					f.next = append(f.next, c)
				}
			}
		}
		f.front, f.next = f.next, f.front
	}
	if f.full {
		f.Truncated++
	}

	// Best leaf, depth first, children in order; first minimum wins.
	best, bestScore := int32(0), math.Inf(1)
	f.stack = append(f.stack[:0], 0)
	for len(f.stack) > 0 {
		n := f.stack[len(f.stack)-1]
		f.stack = f.stack[:len(f.stack)-1]
		nd := &f.nodes[n]
		if nd.child[0] < 0 {
			if nd.score < bestScore {
				best, bestScore = n, nd.score
			}
			continue
		}
		if nd.child[1] >= 0 {
			f.stack = append(f.stack, nd.child[1])
		}
		f.stack = append(f.stack, nd.child[0])
	}
	f.path = f.path[:0]
	for n := best; n >= 0; n = f.nodes[n].parent {
		f.path = append(f.path, f.nodes[n].hit)
	}
	for i, j := 0, len(f.path)-1; i < j; i, j = i+1, j-1 {
		f.path[i], f.path[j] = f.path[j], f.path[i]
	}
	return f.path
}

// anyFree reports whether layer position k has an unused hit within cone
// rad of the beam axis as seen from seed.
func (f *Follower) anyFree(g *graph.HitGraph, k int, seed *dataset.Hit, cone float64) bool {
	if f.unused[k] == 0 {
		return false
	}
	if math.IsInf(cone, 1) {
		return true
	}
	f.cand = f.near(g, k, nil, seed, cone)
	for _, c := range f.cand {
		if !f.used[c] && axisAngle(seed, &g.Hits[c]) < cone {
			return true
		}
	}
	return false
}

// near returns in f.cand the candidates in layer position k within theta
// of the direction a→b (a == nil: the axis) seen from b, in hit order.
func (f *Follower) near(g *graph.HitGraph, k int, a, b *dataset.Hit, theta float64) []int32 {
	if f.scanAll {
		f.cand = f.cand[:0]
		for h := g.LayerStart[k]; h < g.LayerStart[k+1]; h++ {
			f.cand = append(f.cand, h)
		}
		return f.cand
	}
	return f.li.near(f.cand[:0], g, k, a, b, theta)
}

// addChild offers hit c with score s as a child of node p (Node::addChild).
func (f *Follower) addChild(p, c int32, s float64) {
	ch := f.nodes[p].child // newNode may move f.nodes: work on a copy
	score := func(i int) float64 { return f.nodes[ch[i]].score }
	switch {
	case ch[0] < 0:
		ch[0] = f.newNode(p, c, s)
	case ch[1] < 0:
		ws := score(0)
		switch {
		case s < similarRatio*ws: // much better: replaces
			if n := f.newNode(p, c, s); n >= 0 {
				ch[0] = n
			}
		case s < ws: // better but similar: both
			ch[1] = f.newNode(p, c, s)
		}
	default:
		worst := 0
		if score(1) > score(0) {
			worst = 1
		}
		if score(worst) > s {
			if n := f.newNode(p, c, s); n >= 0 {
				removeChild(&ch, worst)
				ch[1] = n
			}
		}
		best, worst := 0, 0
		if score(1) < score(0) {
			best = 1
		}
		if score(1) > score(0) {
			worst = 1
		}
		if score(best)*similarRatio < score(worst) {
			removeChild(&ch, worst)
		}
	}
	f.nodes[p].child = ch
}

// removeChild drops child i, moving child 1 forward when i is 0.
func removeChild(ch *[2]int32, i int) {
	ch[i] = -1
	if i == 0 {
		ch[0], ch[1] = ch[1], -1
	}
}

// newNode appends a node and returns its index, or -1 (leaving the tree
// as it is) when the tree is full. Callers keep -1 out of child lists.
func (f *Follower) newNode(p, c int32, s float64) int32 {
	if len(f.nodes) >= f.opt.MaxNodes {
		f.full = true
		return -1
	}
	f.nodes = append(f.nodes, fnode{hit: c, parent: p, child: [2]int32{-1, -1}, score: s})
	return int32(len(f.nodes) - 1)
}

func dropNone(s []int32) []int32 {
	out := s[:0]
	for _, v := range s {
		if v >= 0 {
			out = append(out, v)
		}
	}
	return out
}
