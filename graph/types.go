package graph

import "github.com/pcttrack/pcttrack/dataset"

// HitGraph is the candidate graph of one frame. Nodes are hits, sorted
// deepest layer first; edges ("segments") join a hit in layer L to a hit in
// layer L-1 and survive the angular cone cut.
//
// Layout invariants (checked by Verify):
//   - Hits are sorted by Layer descending; the hits of Layers[k] are
//     Hits[LayerStart[k]:LayerStart[k+1]], so len(LayerStart) = len(Layers)+1.
//   - Segments are sorted by (Src, Dst); Src is the deeper hit, Dst the hit
//     one layer shallower. The segments leaving hit h are
//     [SrcStart[h], SrcStart[h+1]), len(SrcStart) = len(Hits)+1.
//   - Because hits are grouped by layer, the segments of one adjacent layer
//     pair (Layers[k] -> Layers[k]-1) are contiguous: PairStart[k] to
//     PairStart[k+1], len(PairStart) = len(Layers)+1 (empty for the last
//     layer and for a pair whose shallower layer has no hits).
type HitGraph struct {
	Meta dataset.FrameMeta
	// Options are the resolved options the graph was built with (Build
	// records them; zero for a graph made by hand).
	Options Options
	Hits    []dataset.Hit

	// HitIndex[i] is the index in the input frame's Hits of graph hit i, so
	// results can be mapped back to the frame.
	HitIndex []int32

	Layers     []int32
	LayerStart []int32

	Src, Dst  []int32
	SrcStart  []int32
	PairStart []int32

	// Label is true when both hits of a segment belong to the same primary
	// history (same EventID), the paper's edge label.
	Label []bool
	// PrimaryLabel is true when Label holds and both hits are Primary.
	PrimaryLabel []bool

	// CandidatePairs counts all hit pairs in adjacent layers before the
	// cone cut (for graph statistics).
	CandidatePairs int

	// DroppedOutside counts the frame's hits dropped because they lie
	// outside the aperture (Options.Outside = DropOutside).
	DroppedOutside int
	// DroppedDisconnected counts the hits dropped by
	// Options.RemoveDisconnected.
	DroppedDisconnected int
}

// LineGraph is the line graph of a HitGraph: node s is segment s of the hit
// graph; an edge joins two consecutive segments (a->b, b->c) that share hit
// b. Each such pair is stored in both directions (the model is run on the
// undirected graph, as PyG's ToUndirected does).
//
// Edges are sorted by (Dst, Src), so the edges arriving at node s are
// [DstStart[s], DstStart[s+1]), len(DstStart) = number of segments + 1.
type LineGraph struct {
	NumNodes int
	Src, Dst []int32
	DstStart []int32
	// Angle is the scattering angle at the shared hit, in rad: the angle
	// between the directions of the two segments.
	Angle []float32
	// Reverse[e] is the index of the edge with Src and Dst swapped.
	Reverse []int32
	// Label is true when both segments are true segments of the same
	// primary history.
	Label []bool

	// CandidatePairs counts the pairs of consecutive segments before
	// LineOptions.Filter, one per undirected pair; without a filter
	// len(Src) = 2*CandidatePairs.
	CandidatePairs int
}
