package graph

import (
	"cmp"
	"errors"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/scratch"
)

// LayerPairStats describes one adjacent layer pair L → L−1, i.e. one
// per-layer assignment problem: a Rows × Cols matrix of which Segments
// entries pass the cone.
type LayerPairStats struct {
	Layer    int32   `json:"layer"` // deeper layer L
	Rows     int     `json:"rows"`  // hits in layer L
	Cols     int     `json:"cols"`  // hits in layer L−1
	Segments int     `json:"segments"`
	Allowed  float64 `json:"allowed"` // Segments / (Rows·Cols)
}

// FrameStats are the graph statistics of one frame.
//
// "True primary segments" are the pairs of hits of the same primary proton
// (both Primary, same EventID) in adjacent layers, counted before the cone;
// "true primary pairs" are the triples of such hits in three consecutive
// layers, i.e. the consecutive segment pairs the line graph should
// contain. The efficiencies say which fraction the cone (and the line-graph
// filter) keeps.
type FrameStats struct {
	Frame               int64 `json:"frame"`
	Hits                int   `json:"hits"` // hit-graph nodes
	Layers              int   `json:"layers"`
	DroppedOutside      int   `json:"dropped_outside"`
	DroppedDisconnected int   `json:"dropped_disconnected"`
	CandidatePairs      int   `json:"candidate_pairs"` // Σ n_L·n_{L−1}
	Segments            int   `json:"segments"`        // hit-graph edges = line-graph nodes
	TrueSegments        int   `json:"true_segments"`   // segments with Label
	// LineEdges counts line-graph edges in both directions, as the
	// paper's graph-size table does: E2E reports LG.num_edges after
	// ToUndirected, and 493,910 edges on 14,837 nodes is a mean in-degree
	// of 33, which ~100 layer-1 hits with ~50 segments on each side give
	// only if each pair is counted twice.
	LineEdges          int `json:"line_edges"`
	TrueLineEdges      int `json:"true_line_edges"`      // with Label, both directions
	LineCandidatePairs int `json:"line_candidate_pairs"` // undirected, before LineOptions.Filter

	PrimarySegments     int `json:"primary_segments"`
	PrimarySegmentsKept int `json:"primary_segments_kept"`
	PrimaryPairs        int `json:"primary_pairs"`
	PrimaryPairsKept    int `json:"primary_pairs_kept"`

	// What each cut keeps, in the order they apply. The Cone fields
	// describe the graph of the cones alone (the paper's): its segments,
	// its line-graph edges (both directions) and the true primary
	// segments and pairs it holds. The HitGraph fields count the true
	// primary segments of the hit graph as built (after
	// Options.TrackerCut) and the true primary pairs both of whose
	// segments it holds, before the line-graph cut and
	// Options.DropIsolated. Without a tracker cut the Cone fields equal
	// the HitGraph ones (and ConeLineEdges 2·LineCandidatePairs); without
	// DropIsolated PrimarySegmentsHitGraph equals PrimarySegmentsKept.
	ConeSegments            int `json:"cone_segments"`
	ConeLineEdges           int `json:"cone_line_edges"`
	PrimarySegmentsCone     int `json:"primary_segments_cone"`
	PrimaryPairsCone        int `json:"primary_pairs_cone"`
	PrimarySegmentsHitGraph int `json:"primary_segments_hit_graph"`
	PrimaryPairsHitGraph    int `json:"primary_pairs_hit_graph"`

	Allowed           float64 `json:"allowed"`            // Segments / CandidatePairs
	SegmentEfficiency float64 `json:"segment_efficiency"` // PrimarySegmentsKept / PrimarySegments
	PairEfficiency    float64 `json:"pair_efficiency"`    // PrimaryPairsKept / PrimaryPairs

	LayerPairs []LayerPairStats `json:"layer_pairs,omitempty"`
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

type evLayer struct {
	ev    int64
	layer int32
}

// statsWS is the scratch space of frame statistics.
type statsWS struct {
	prim       []evLayer
	in, inPrim []int32
}

// ComputeStats returns the statistics of hit graph g and its line graph lg
// (lg may be nil: the line-graph fields stay 0). It allocates the
// LayerPairs slice and O(hits) scratch; O(hits·log hits + segments +
// edges).
func ComputeStats(g *HitGraph, lg *LineGraph) FrameStats {
	var ws statsWS
	var st FrameStats
	ws.compute(&st, g, lg)
	return st
}

func (ws *statsWS) compute(st *FrameStats, g *HitGraph, lg *LineGraph) {
	*st = FrameStats{
		Frame:               g.Meta.Frame,
		Hits:                len(g.Hits),
		Layers:              len(g.Layers),
		DroppedOutside:      g.DroppedOutside,
		DroppedDisconnected: g.DroppedDisconnected,
		CandidatePairs:      g.CandidatePairs,
		Segments:            len(g.Src),
	}
	for s := range g.Src {
		if g.Label[s] {
			st.TrueSegments++
		}
		if g.PrimaryLabel[s] {
			st.PrimarySegmentsKept++
		}
	}
	for k := 0; k+1 < len(g.Layers); k++ {
		if g.Layers[k+1] != g.Layers[k]-1 {
			continue
		}
		p := LayerPairStats{
			Layer:    g.Layers[k],
			Rows:     int(g.LayerStart[k+1] - g.LayerStart[k]),
			Cols:     int(g.LayerStart[k+2] - g.LayerStart[k+1]),
			Segments: int(g.PairStart[k+1] - g.PairStart[k]),
		}
		p.Allowed = ratio(p.Segments, p.Rows*p.Cols)
		st.LayerPairs = append(st.LayerPairs, p)
	}

	// True primary segments and pairs before any cut: per primary, the
	// hit multiplicities of consecutive layers.
	prim := ws.prim[:0]
	for i := range g.Hits {
		if h := &g.Hits[i]; h.Primary {
			prim = append(prim, evLayer{h.EventID, h.Layer})
		}
	}
	slices.SortStableFunc(prim, func(a, b evLayer) int { return cmp.Compare(a.ev, b.ev) }) // layers stay descending
	ws.prim = prim
	for i := 0; i < len(prim); {
		ev := prim[i].ev
		// (l1, c1), (l2, c2): the previous two layers of this event and
		// their hit multiplicities.
		l1, c1, l2, c2 := int32(-10), 0, int32(-10), 0
		for i < len(prim) && prim[i].ev == ev {
			l, c0 := prim[i].layer, 0
			for ; i < len(prim) && prim[i].ev == ev && prim[i].layer == l; i++ {
				c0++
			}
			if l1 == l+1 {
				st.PrimarySegments += c0 * c1
				if l2 == l+2 {
					st.PrimaryPairs += c0 * c1 * c2
				}
			}
			l2, c2, l1, c1 = l1, c1, l, c0
		}
	}

	st.Allowed = ratio(st.Segments, st.CandidatePairs)
	st.SegmentEfficiency = ratio(st.PrimarySegmentsKept, st.PrimarySegments)
	st.PrimaryPairsHitGraph, st.ConeLineEdges = ws.primaryPairs(g)
	st.PrimarySegmentsHitGraph = st.PrimarySegmentsKept
	st.ConeSegments, st.PrimarySegmentsCone, st.PrimaryPairsCone = st.Segments, st.PrimarySegmentsKept, st.PrimaryPairsHitGraph
	if lg == nil {
		return
	}
	st.LineEdges = len(lg.Src)
	st.LineCandidatePairs = lg.CandidatePairs
	for e, u := range lg.Src {
		if !lg.Label[e] {
			continue
		}
		st.TrueLineEdges++
		if v := lg.Dst[e]; u < v && g.PrimaryLabel[u] && g.PrimaryLabel[v] {
			st.PrimaryPairsKept++
		}
	}
	st.PairEfficiency = ratio(st.PrimaryPairsKept, st.PrimaryPairs)
}

// primaryPairs counts the true primary pairs of g's segments (at each hit
// b, the primary segments arriving times those leaving: they all belong to
// b's primary) and the line-graph edges of g without a filter (both
// directions). O(hits + segments).
func (ws *statsWS) primaryPairs(g *HitGraph) (pairs, lineEdges int) {
	ws.in = scratch.Zeroed(ws.in, len(g.Hits))
	ws.inPrim = scratch.Zeroed(ws.inPrim, len(g.Hits))
	for s, d := range g.Dst {
		ws.in[d]++
		if g.PrimaryLabel[s] {
			ws.inPrim[d]++
		}
	}
	for b := range g.Hits {
		out, outPrim := int32(0), int32(0)
		for s := g.SrcStart[b]; s < g.SrcStart[b+1]; s++ {
			out++
			if g.PrimaryLabel[s] {
				outPrim++
			}
		}
		pairs += int(ws.inPrim[b]) * int(outPrim)
		lineEdges += 2 * int(ws.in[b]) * int(out)
	}
	return pairs, lineEdges
}

// coneOf copies the Cone fields from the statistics of the cone-only graph.
func (st *FrameStats) coneOf(cone *FrameStats) {
	st.ConeSegments, st.ConeLineEdges = cone.Segments, cone.ConeLineEdges
	st.PrimarySegmentsCone, st.PrimaryPairsCone = cone.PrimarySegmentsKept, cone.PrimaryPairsHitGraph
}

// hitGraphOf copies the HitGraph and Cone fields from the statistics of
// the graph before DropIsolated.
func (st *FrameStats) hitGraphOf(pre *FrameStats) {
	st.PrimarySegmentsHitGraph, st.PrimaryPairsHitGraph = pre.PrimarySegmentsKept, pre.PrimaryPairsHitGraph
	st.ConeSegments, st.ConeLineEdges = pre.ConeSegments, pre.ConeLineEdges
	st.PrimarySegmentsCone, st.PrimaryPairsCone = pre.PrimarySegmentsCone, pre.PrimaryPairsCone
}

// MeanSD is the mean and (population) standard deviation of a quantity
// over frames.
type MeanSD struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
}

// welford accumulates a mean and variance in one pass.
type welford struct {
	n        int
	mean, m2 float64
}

func (w *welford) add(x float64) {
	w.n++
	d := x - w.mean
	w.mean += d / float64(w.n)
	w.m2 += d * (x - w.mean)
}

func (w *welford) result() MeanSD {
	if w.n == 0 {
		return MeanSD{}
	}
	return MeanSD{Mean: w.mean, SD: math.Sqrt(w.m2 / float64(w.n))}
}

// LayerPairSummary aggregates one layer pair over the frames in which both
// layers are occupied.
type LayerPairSummary struct {
	Layer    int32   `json:"layer"` // deeper layer L
	Frames   int     `json:"frames"`
	Rows     MeanSD  `json:"rows"`
	Cols     MeanSD  `json:"cols"`
	Segments MeanSD  `json:"segments"`
	Allowed  float64 `json:"allowed"` // Σ segments / Σ rows·cols
}

// PaperSizes are the paper's mean graph sizes per frame (E2E
// tables/graph_sizes_{hg,lg}.tex) for one phantom and protons per frame.
type PaperSizes struct {
	Phantom         string `json:"phantom"`
	ProtonsPerFrame int    `json:"protons_per_frame"`
	Hits            int    `json:"hits"`
	Segments        int    `json:"segments"`   // G_H edges = G_L nodes
	LineEdges       int    `json:"line_edges"` // G_L edges, both directions
}

// paperTable is keyed by the phantom as frames record it (sim.Phantom's
// String form) and the protons per frame.
var paperTable = map[string]map[int][3]int{
	"water:100": {50: {1337, 4311, 68328}, 100: {2675, 14837, 493910}, 150: {4015, 31532, 1611761}},
	"water:150": {50: {1074, 3079, 39584}, 100: {2148, 10397, 279974}, 150: {3224, 21906, 908953}},
	"water:200": {50: {815, 2235, 24815}, 100: {1628, 7514, 172926}, 150: {2445, 15770, 552870}},
}

// PaperReference returns the paper's graph sizes for a phantom as frames
// record it ("water:100", "water:150", "water:200") and protons per frame
// (50, 100, 150); ok is false for any other combination.
func PaperReference(phantom string, protons int) (p PaperSizes, ok bool) {
	v, ok := paperTable[phantom][protons]
	if !ok {
		return p, false
	}
	return PaperSizes{phantom, protons, v[0], v[1], v[2]}, true
}

// Summary aggregates FrameStats over frames: mean and standard deviation
// per frame, the per-layer-pair matrix sizes, the frames skipped, and the
// paper's figures when all frames share a phantom and protons per frame
// the paper reports.
type Summary struct {
	Frames          int    `json:"frames"`         // frames with a graph
	EmptyFrames     int    `json:"empty_frames"`   // skipped: ErrEmptyFrame
	TooFewLayers    int    `json:"too_few_layers"` // skipped: ErrTooFewLayers
	Phantom         string `json:"phantom,omitempty"`
	ProtonsPerFrame int    `json:"protons_per_frame,omitempty"`

	Hits                MeanSD `json:"hits"`
	Layers              MeanSD `json:"layers"`
	DroppedOutside      MeanSD `json:"dropped_outside"`
	DroppedDisconnected MeanSD `json:"dropped_disconnected"`
	CandidatePairs      MeanSD `json:"candidate_pairs"`
	Segments            MeanSD `json:"segments"`
	TrueSegments        MeanSD `json:"true_segments"`
	LineEdges           MeanSD `json:"line_edges"`
	TrueLineEdges       MeanSD `json:"true_line_edges"`
	Allowed             MeanSD `json:"allowed"`
	SegmentEfficiency   MeanSD `json:"segment_efficiency"`
	PairEfficiency      MeanSD `json:"pair_efficiency"`

	LayerPairs []LayerPairSummary `json:"layer_pairs,omitempty"`
	Paper      *PaperSizes        `json:"paper,omitempty"`

	// Cuts says what each cut keeps, over all frames.
	Cuts CutSummary `json:"cuts"`
}

// CutSummary is what the cuts of the graph options keep, in the order they
// apply: the cones, Options.TrackerCut (hit-graph segments) and the
// line-graph cut (Options.PhysicsCut or a LineOptions filter). Segment and
// pair counts are sums over frames of the true primary segments and pairs
// (see FrameStats); sizes are means per frame.
type CutSummary struct {
	TrackerCut float64 `json:"tracker_cut,omitempty"` // σ, 0: none
	PhysicsCut float64 `json:"physics_cut,omitempty"` // σ, 0: none (or another filter)

	DropIsolated bool `json:"drop_isolated,omitempty"`

	PrimarySegments         int `json:"primary_segments"`
	PrimarySegmentsCone     int `json:"primary_segments_cone"`
	PrimarySegmentsHitGraph int `json:"primary_segments_hit_graph"`
	PrimarySegmentsKept     int `json:"primary_segments_kept"`
	PrimaryPairs            int `json:"primary_pairs"`
	PrimaryPairsCone        int `json:"primary_pairs_cone"`
	PrimaryPairsHitGraph    int `json:"primary_pairs_hit_graph"`
	PrimaryPairsKept        int `json:"primary_pairs_kept"`

	ConeSegments  MeanSD `json:"cone_segments"`   // the cones' graph
	ConeLineEdges MeanSD `json:"cone_line_edges"` // its full line graph, both directions
}

// CutLoss is the share of the true primary segments and pairs (of all of
// them, before any cut) that each cut drops, and what is left.
type CutLoss struct {
	SegCone, SegTracker, SegIsolated float64 // the line-graph cut keeps every segment
	PairCone, PairTracker, PairLine  float64 // DropIsolated drops no kept pair
	SegKept, PairKept                float64
}

// Lost returns what each cut drops: the cones, the tracker cut, the
// line-graph cut and DropIsolated.
func (c *CutSummary) Lost() CutLoss {
	seg := func(a, b int) float64 { return ratio(a-b, c.PrimarySegments) }
	pair := func(a, b int) float64 { return ratio(a-b, c.PrimaryPairs) }
	return CutLoss{
		SegCone: seg(c.PrimarySegments, c.PrimarySegmentsCone), SegTracker: seg(c.PrimarySegmentsCone, c.PrimarySegmentsHitGraph),
		SegIsolated: seg(c.PrimarySegmentsHitGraph, c.PrimarySegmentsKept),
		PairCone:    pair(c.PrimaryPairs, c.PrimaryPairsCone), PairTracker: pair(c.PrimaryPairsCone, c.PrimaryPairsHitGraph),
		PairLine: pair(c.PrimaryPairsHitGraph, c.PrimaryPairsKept),
		SegKept:  ratio(c.PrimarySegmentsKept, c.PrimarySegments), PairKept: ratio(c.PrimaryPairsKept, c.PrimaryPairs),
	}
}

// Collector builds the graphs of frame after frame with reused builders
// and accumulates their statistics. Not safe for concurrent use.
type Collector struct {
	b  *Builder
	lb *LineBuilder
	g  HitGraph
	lg LineGraph
	ws statsWS
	// cone builds the graph without the tracker cut (TrackerCut only).
	cone            *Builder
	coneG           HitGraph
	coneSt          FrameStats
	drop            *Dropper // Options.DropIsolated, into dropG
	dropG           HitGraph
	preSt           FrameStats
	cuts            CutSummary
	coneSeg, coneLE welford

	frames, empty, tooFew                            int
	hits, layers, dropOut, dropDisc, cand, seg, tseg welford
	ledges, tledges, allowed, segEff, pairEff        welford
	pairs                                            map[int32]*pairAcc
	phantom                                          string
	protons                                          int
	mixed                                            bool
}

type pairAcc struct {
	n                int
	rows, cols, segs welford
	sumSeg, sumRC    float64
}

// NewCollector returns a Collector building graphs with opt and lopt (nil
// means defaults); the line graph gets opt's PhysicsCut unless lopt sets
// its own. With a TrackerCut it also builds each frame's graph without it,
// to tell what the cut drops. It fails on invalid options.
func NewCollector(opt *Options, lopt *LineOptions) (*Collector, error) {
	b, err := NewBuilder(opt)
	if err != nil {
		return nil, err
	}
	o := b.Options()
	var l LineOptions
	if lopt != nil {
		l = *lopt
	}
	if l.PhysicsCut == 0 {
		l.PhysicsCut, l.Geometry = o.PhysicsCut, o.Geometry
	}
	c := &Collector{b: b, lb: NewLineBuilder(&l), pairs: map[int32]*pairAcc{}}
	c.cuts.TrackerCut, c.cuts.PhysicsCut, c.cuts.DropIsolated = o.TrackerCut, l.PhysicsCut, o.DropIsolated
	if o.DropIsolated {
		c.drop = new(Dropper)
	}
	if o.TrackerCut > 0 {
		o.TrackerCut = 0
		if c.cone, err = NewBuilder(&o); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Options returns the hit-graph options in use, defaults filled in.
func (c *Collector) Options() Options { return c.b.Options() }

// Add builds the hit and line graph of f and returns its statistics, which
// also enter the Summary. A frame that fails with ErrEmptyFrame or
// ErrTooFewLayers is counted as skipped and its error returned, so the
// caller can report it and go on; other errors are returned uncounted.
func (c *Collector) Add(f *dataset.Frame) (FrameStats, error) {
	var st FrameStats
	if err := c.b.Build(&c.g, f); err != nil {
		switch {
		case errors.Is(err, ErrEmptyFrame):
			c.empty++
		case errors.Is(err, ErrTooFewLayers):
			c.tooFew++
		}
		return st, err
	}
	if err := c.lb.Build(&c.lg, &c.g); err != nil {
		return st, err
	}
	g := &c.g
	if c.drop != nil {
		c.ws.compute(&c.preSt, g, &c.lg)
		c.drop.Drop(&c.dropG, g, &c.lg)
		g = &c.dropG
	}
	c.ws.compute(&st, g, &c.lg)
	if c.drop != nil {
		st.hitGraphOf(&c.preSt)
	}
	if c.cone != nil {
		if err := c.cone.Build(&c.coneG, f); err != nil {
			return st, err
		}
		c.ws.compute(&c.coneSt, &c.coneG, nil)
		st.coneOf(&c.coneSt)
	}
	cs := &c.cuts
	cs.PrimarySegments += st.PrimarySegments
	cs.PrimarySegmentsCone += st.PrimarySegmentsCone
	cs.PrimarySegmentsHitGraph += st.PrimarySegmentsHitGraph
	cs.PrimarySegmentsKept += st.PrimarySegmentsKept
	cs.PrimaryPairs += st.PrimaryPairs
	cs.PrimaryPairsCone += st.PrimaryPairsCone
	cs.PrimaryPairsHitGraph += st.PrimaryPairsHitGraph
	cs.PrimaryPairsKept += st.PrimaryPairsKept
	c.coneSeg.add(float64(st.ConeSegments))
	c.coneLE.add(float64(st.ConeLineEdges))
	if c.frames == 0 {
		c.phantom, c.protons = f.Meta.Phantom, f.Meta.ProtonsPerFrame
	} else if f.Meta.Phantom != c.phantom || f.Meta.ProtonsPerFrame != c.protons {
		c.mixed = true
	}
	c.frames++
	for _, x := range []struct {
		w *welford
		v float64
	}{
		{&c.hits, float64(st.Hits)}, {&c.layers, float64(st.Layers)},
		{&c.dropOut, float64(st.DroppedOutside)}, {&c.dropDisc, float64(st.DroppedDisconnected)},
		{&c.cand, float64(st.CandidatePairs)}, {&c.seg, float64(st.Segments)},
		{&c.tseg, float64(st.TrueSegments)}, {&c.ledges, float64(st.LineEdges)},
		{&c.tledges, float64(st.TrueLineEdges)}, {&c.allowed, st.Allowed},
		{&c.segEff, st.SegmentEfficiency}, {&c.pairEff, st.PairEfficiency},
	} {
		x.w.add(x.v)
	}
	for _, p := range st.LayerPairs {
		a := c.pairs[p.Layer]
		if a == nil {
			a = new(pairAcc)
			c.pairs[p.Layer] = a
		}
		a.n++
		a.rows.add(float64(p.Rows))
		a.cols.add(float64(p.Cols))
		a.segs.add(float64(p.Segments))
		a.sumSeg += float64(p.Segments)
		a.sumRC += float64(p.Rows * p.Cols)
	}
	return st, nil
}

// Summary returns the aggregate over the frames added so far; layer pairs
// are listed deepest first.
func (c *Collector) Summary() Summary {
	s := Summary{
		Frames: c.frames, EmptyFrames: c.empty, TooFewLayers: c.tooFew,
		Hits: c.hits.result(), Layers: c.layers.result(),
		DroppedOutside: c.dropOut.result(), DroppedDisconnected: c.dropDisc.result(),
		CandidatePairs: c.cand.result(), Segments: c.seg.result(), TrueSegments: c.tseg.result(),
		LineEdges: c.ledges.result(), TrueLineEdges: c.tledges.result(),
		Allowed: c.allowed.result(), SegmentEfficiency: c.segEff.result(), PairEfficiency: c.pairEff.result(),
	}
	s.Cuts = c.cuts
	s.Cuts.ConeSegments, s.Cuts.ConeLineEdges = c.coneSeg.result(), c.coneLE.result()
	if c.frames > 0 && !c.mixed {
		s.Phantom, s.ProtonsPerFrame = c.phantom, c.protons
		if p, ok := PaperReference(c.phantom, c.protons); ok {
			s.Paper = &p
		}
	}
	for l, a := range c.pairs {
		s.LayerPairs = append(s.LayerPairs, LayerPairSummary{
			Layer: l, Frames: a.n, Rows: a.rows.result(), Cols: a.cols.result(),
			Segments: a.segs.result(), Allowed: a.sumSeg / max(a.sumRC, 1),
		})
	}
	slices.SortFunc(s.LayerPairs, func(a, b LayerPairSummary) int { return cmp.Compare(b.Layer, a.Layer) })
	return s
}
