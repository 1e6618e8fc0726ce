package model

import (
	"fmt"
	"math"
	"sync"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/scratch"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/nn/kern"
)

// lgNodeFeatures is the width of a line-graph node: edep of both hits and
// both positions.
const lgNodeFeatures = 8

// hgNodeFeatures and hgEdgeFeatures are the hit-graph widths.
const (
	hgNodeFeatures = 4
	hgEdgeFeatures = 3
)

// lgChunkEdges is the target number of line-graph edges per chunk of the
// fused message pass, and lgMaxChunks caps the chunk count (partial sums
// are kept per chunk). Chunks depend only on the graph, never on the number
// of cores. Tests lower lgChunkEdges to exercise several chunks.
var (
	lgChunkEdges    = 16384
	lgChunkEdgesCut = 2048 // for line graphs with a pair cut
	lgMaxChunks     = 8
)

// Input is one frame prepared for a model: validated, with derived
// per-frame data (quantised angles, batch statistics of the data features,
// work partitions). Build it once per frame with NewInput, or rebuild one
// in place with Prepare; it is read-only afterwards and safe for concurrent
// use by several models. It keeps references to the graphs' slices, which
// must not change while it is in use.
type Input struct {
	key         inputKey
	NumSegments int // one output per hit-graph segment

	// Labels holds the paper's edge label per segment (1 when both hits
	// belong to the same primary history), nil when the hit graph carries
	// no labels.
	Labels []float32
	// NearTracker marks segments touching a hit in layer 0, 1 or 2, the
	// paper's split of the loss.
	NearTracker []bool
	// SplitWeight is the weight of each segment in the paper's split
	// losses: 1/(segments near the tracker) for those, 1/(other segments)
	// for the others, so that Σ w_s·loss_s is the sum of the two parts'
	// means (a part without segments contributes nothing).
	SplitWeight []float64

	lg *lgData
	hg *hgData
	// lgBuf and hgBuf keep the arrays of the last line-graph and hit-graph
	// preparation for reuse by Prepare.
	lgBuf *lgData
	hgBuf *hgData
}

type inputKey struct {
	kind           string
	dim            int
	scaling, width float64
	norm           HitNorm
}

func keyOf(c Config) inputKey {
	k := inputKey{kind: c.Kind, dim: c.EncodingDim, scaling: c.EncodingScaling, width: c.AngleBinWidth}
	if c.HitNorm != nil {
		k.norm = *c.HitNorm
	}
	return k
}

// lgData is the line-graph part of an Input.
type lgData struct {
	n, e  int
	x     []float32  // n × 8 node features
	src   kern.Index // per edge (references graph.LineGraph)
	dst   kern.Index
	start []int32    // CSR of edges by destination
	ubin  kern.Index // per edge: compact angle-bin id
	ubuf  []int32    // ubin's storage
	bins  []int32    // compact id → global bin
	count []int32    // edges per compact bin
	// Batch statistics of the 2·8+D message inputs [x_dst, x_src, enc]
	// over all edges (biased variance): constants of the data, used by the
	// first batch norm in training mode; computed on first use (stats).
	statsOnce   sync.Once
	mean0, var0 []float64
	deg         []float64 // stats: in- then out-degree per node
	chunks      []int32   // node boundaries of the work chunks
	srcLo       []int32   // per chunk: the range of source nodes of its edges
	srcHi       []int32
	table       *encTable
}

// hgData is the hit-graph part of an Input.
type hgData struct {
	n, e   int
	x      []float32 // n × 4
	ef     []float32 // e × 3
	srcIx  *nn.Index
	dstIx  *nn.Index
	byDst  *nn.Segments
	labels []float32

	segStart, segRows, segNext []int32 // byDst's storage
}

// NewInput validates a frame's graphs and prepares them for a model of
// configuration cfg (the line-graph model needs lg; the hit-graph model
// ignores it and may get nil). It returns an error for an invalid
// configuration, a graph that breaks the graph package's layout contract
// (lengths, index ranges, sort order), NaN or infinite features or angles,
// or a graph too small for batch normalisation (fewer than two segments or
// line-graph edges). Cost O(segments + line-graph edges + used angle bins
// × EncodingDim); it allocates the derived arrays (see Prepare to reuse
// them).
func NewInput(cfg Config, hg *graph.HitGraph, lg *graph.LineGraph) (*Input, error) {
	in := new(Input)
	if err := in.Prepare(cfg, hg, lg); err != nil {
		return nil, err
	}
	return in, nil
}

// Prepare is NewInput into in, reusing the arrays of its previous frame:
// once they have grown to the largest frame seen it allocates nothing. The
// batch statistics of the line-graph model's first batch norm are computed
// on first use (training-mode forward passes), in parallel over the
// feature columns, each summed in edge order so that the result does not
// depend on the number of cores. in must not be in use by a model during
// Prepare. On error in holds no usable input.
func (in *Input) Prepare(cfg Config, hg *graph.HitGraph, lg *graph.LineGraph) error {
	in.lg, in.hg = nil, nil
	cfg, err := cfg.Resolved()
	if err != nil {
		return err
	}
	if hg == nil {
		return fmt.Errorf("model: no hit graph")
	}
	frame := hg.Meta.Frame
	if err := checkHitGraph(hg); err != nil {
		return fmt.Errorf("model: frame %d: %w", frame, err)
	}
	in.key, in.NumSegments = keyOf(cfg), len(hg.Src)
	in.NearTracker = scratch.Grow(in.NearTracker, len(hg.Src))
	for s := range hg.Src {
		in.NearTracker[s] = hg.Hits[hg.Src[s]].Layer < 3 || hg.Hits[hg.Dst[s]].Layer < 3
	}
	in.SplitWeight = SplitWeights(in.SplitWeight, in.NearTracker)
	if hg.Label != nil {
		in.Labels = scratch.Grow(in.Labels, len(hg.Label))
		for s, l := range hg.Label {
			in.Labels[s] = 0
			if l {
				in.Labels[s] = 1
			}
		}
	} else {
		in.Labels = nil
	}
	switch cfg.Kind {
	case KindLineGraph:
		if lg == nil {
			return fmt.Errorf("model: frame %d: the line-graph model needs a line graph", frame)
		}
		if in.lgBuf == nil {
			in.lgBuf = new(lgData)
		}
		err = in.lgBuf.prepare(cfg, hg, lg)
		if err == nil {
			in.lg = in.lgBuf
		}
	case KindHitGraph:
		if in.hgBuf == nil {
			in.hgBuf = new(hgData)
		}
		err = in.hgBuf.prepare(cfg, hg)
		if err == nil {
			in.hg = in.hgBuf
		}
	}
	if err != nil {
		return fmt.Errorf("model: frame %d: %w", frame, err)
	}
	return nil
}

// SplitWeights writes the weights of the paper's split losses into dst
// (grown if too short) and returns it: 1/k for the k segments marked near
// (touching layers 0–2), 1/(n−k) for the others.
func SplitWeights(dst []float64, near []bool) []float64 {
	k := 0
	for _, b := range near {
		if b {
			k++
		}
	}
	dst = scratch.Grow(dst, len(near))
	for s, b := range near {
		if b {
			dst[s] = 1 / float64(k)
		} else {
			dst[s] = 1 / float64(len(near)-k)
		}
	}
	return dst
}

// spotOffset returns the frame's pencil-beam spot position, which the
// models' position features are taken relative to: the physics of a frame
// does not change when its spot moves across the detector, and the
// paper's data has a single spot at (0, 0), so there the features are
// exactly the paper's. Absolute positions left a model trained at (0, 0)
// 19 points of purity short on a spot 60 mm off axis (a scan's edge).
func spotOffset(hg *graph.HitGraph) (x, y float32) {
	return float32(hg.Meta.SpotX), float32(hg.Meta.SpotY)
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func checkHitGraph(hg *graph.HitGraph) error {
	nh, ns := len(hg.Hits), len(hg.Src)
	if ns < 2 {
		return fmt.Errorf("hit graph has %d segments; batch normalisation needs at least 2", ns)
	}
	if len(hg.Dst) != ns {
		return fmt.Errorf("hit graph has %d segment sources but %d destinations", ns, len(hg.Dst))
	}
	if hg.Label != nil && len(hg.Label) != ns {
		return fmt.Errorf("hit graph has %d labels for %d segments", len(hg.Label), ns)
	}
	for s := 0; s < ns; s++ {
		if a, b := hg.Src[s], hg.Dst[s]; a < 0 || int(a) >= nh || b < 0 || int(b) >= nh {
			return fmt.Errorf("segment %d joins hits %d and %d of %d", s, a, b, nh)
		}
	}
	for i, h := range hg.Hits {
		if !finite(h.X) || !finite(h.Y) || !finite(h.Z) || !finite(h.Edep) {
			return fmt.Errorf("hit %d has a non-finite position or deposit", i)
		}
	}
	return nil
}

// binScratch is the per-bin workspace of lgData.prepare (two arrays over
// all angle bins, ~230 kB for the defaults), shared through a pool so
// that cached inputs do not keep it.
type binScratch struct{ count, compact []int32 }

var binPool = sync.Pool{New: func() any { return new(binScratch) }}

func (d *lgData) prepare(cfg Config, hg *graph.HitGraph, lg *graph.LineGraph) error {
	n, e := lg.NumNodes, len(lg.Src)
	if n != len(hg.Src) {
		return fmt.Errorf("line graph has %d nodes for %d segments", n, len(hg.Src))
	}
	if e < 2 {
		return fmt.Errorf("line graph has %d edges; batch normalisation needs at least 2", e)
	}
	if len(lg.Dst) != e || len(lg.Angle) != e || len(lg.DstStart) != n+1 {
		return fmt.Errorf("line graph arrays disagree: %d sources, %d destinations, %d angles, %d offsets for %d nodes",
			e, len(lg.Dst), len(lg.Angle), len(lg.DstStart), n)
	}
	if lg.DstStart[0] != 0 || int(lg.DstStart[n]) != e {
		return fmt.Errorf("line graph offsets run from %d to %d, want 0 to %d", lg.DstStart[0], lg.DstStart[n], e)
	}
	d.n, d.e, d.start = n, e, lg.DstStart
	for i := 0; i < n; i++ {
		lo, hi := lg.DstStart[i], lg.DstStart[i+1]
		if hi < lo {
			return fmt.Errorf("line graph offsets decrease at node %d", i)
		}
		for k := lo; k < hi; k++ {
			if lg.Dst[k] != int32(i) {
				return fmt.Errorf("line-graph edge %d has destination %d inside the range of node %d (not sorted by destination)", k, lg.Dst[k], i)
			}
			if s := lg.Src[k]; s < 0 || int(s) >= n {
				return fmt.Errorf("line-graph edge %d has source %d of %d nodes", k, s, n)
			}
		}
	}
	// Node features [edep_a, edep_b, pos_a, pos_b], a = Src (deeper hit),
	// x and y relative to the frame's spot (spotOffset).
	d.x = scratch.Grow(d.x, n*lgNodeFeatures)
	sx, sy := spotOffset(hg)
	for s := 0; s < n; s++ {
		a, b := &hg.Hits[hg.Src[s]], &hg.Hits[hg.Dst[s]]
		x := d.x[s*lgNodeFeatures : (s+1)*lgNodeFeatures]
		x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7] = a.Edep, b.Edep, a.X-sx, a.Y-sy, a.Z, b.X-sx, b.Y-sy, b.Z
	}
	// Quantised angles, compacted to the bins in use (in increasing order).
	d.table = encodingTable(cfg.EncodingDim, cfg.EncodingScaling, cfg.AngleBinWidth)
	nb := d.table.bins()
	bs := binPool.Get().(*binScratch)
	defer binPool.Put(bs)
	count := scratch.Zeroed(bs.count, nb)
	compact := scratch.Grow(bs.compact, nb)
	bs.count, bs.compact = count, compact
	ubin := scratch.Grow(d.ubuf, e)
	d.ubuf = ubin
	for k, th := range lg.Angle {
		if !finite(th) || th < 0 || float64(th) > math.Pi+1e-5 {
			return fmt.Errorf("line-graph edge %d has angle %g rad outside [0, π]", k, th)
		}
		b := min(angleBin(th, cfg.AngleBinWidth), int32(nb-1))
		ubin[k] = b
		count[b]++
	}
	d.bins, d.count = d.bins[:0], d.count[:0]
	for b, c := range count {
		if c > 0 {
			compact[b] = int32(len(d.bins))
			d.bins = append(d.bins, int32(b))
			d.count = append(d.count, c)
		}
	}
	for k, b := range ubin {
		ubin[k] = compact[b]
	}
	d.src, d.dst = kern.NewIndex(lg.Src, n), kern.NewIndex(lg.Dst, n)
	d.ubin = kern.NewIndex(ubin, len(d.bins))
	d.statsOnce = sync.Once{}
	target := lgChunkEdges
	if 2*lg.CandidatePairs > e {
		// A cut line graph (sparse graphs) is small: smaller chunks let
		// the passes use every core. Full line graphs keep their chunks,
		// and so their sums.
		target = lgChunkEdgesCut
	}
	d.chunks = chunkNodes(d.chunks, lg.DstStart, target, lgMaxChunks)
	d.srcLo, d.srcHi = d.srcLo[:0], d.srcHi[:0]
	for k := 0; k+1 < len(d.chunks); k++ {
		lo, hi := int32(n), int32(-1)
		for _, s := range lg.Src[lg.DstStart[d.chunks[k]]:lg.DstStart[d.chunks[k+1]]] {
			lo, hi = min(lo, s), max(hi, s)
		}
		d.srcLo, d.srcHi = append(d.srcLo, lo), append(d.srcHi, hi)
	}
	return nil
}

// batchStats returns the batch statistics of the message inputs (mean0,
// var0), computing them on first use.
func (d *lgData) batchStats() (mean, variance []float64) {
	d.statsOnce.Do(d.stats)
	return d.mean0, d.var0
}

// stats computes the batch statistics of the message inputs from degrees
// and the bin histogram instead of a pass over E×(16+D) values: per
// column, a weighted mean and variance over the nodes (weights: in- and
// out-degrees) or over the used bins (weights: edge counts), summed in
// node or bin order. The columns are independent, so they run in
// parallel.
func (d *lgData) stats() {
	const f = lgNodeFeatures
	width := 2*f + d.table.dim
	d.mean0 = scratch.Zeroed(d.mean0, width)
	d.var0 = scratch.Zeroed(d.var0, width)
	d.deg = scratch.Zeroed(d.deg, 2*d.n)
	indeg, outdeg := d.deg[:d.n], d.deg[d.n:]
	for i := 0; i < d.n; i++ {
		indeg[i] = float64(d.start[i+1] - d.start[i])
	}
	for _, s := range d.src.Ints() {
		outdeg[s]++
	}
	nn.Parallel((width+statsCols-1)/statsCols, statsJob{d})
}

// statsCols is the number of feature columns per parallel stats job.
const statsCols = 16

type statsJob struct{ d *lgData }

// Run computes columns [k·statsCols, (k+1)·statsCols) of the statistics.
func (j statsJob) Run(k int) {
	const f = lgNodeFeatures
	d := j.d
	fe := float64(d.e)
	c0, c1 := k*statsCols, min((k+1)*statsCols, len(d.mean0))
	for c := c0; c < c1; c++ {
		var m, v float64
		switch {
		case c < 2*f:
			w, col := d.deg[:d.n], c
			if c >= f {
				w, col = d.deg[d.n:], c-f
			}
			for i := 0; i < d.n; i++ {
				m += w[i] * float64(d.x[i*f+col])
			}
			m /= fe
			for i := 0; i < d.n; i++ {
				dv := float64(d.x[i*f+col]) - m
				v += w[i] * dv * dv
			}
		default:
			col := c - 2*f
			for u, b := range d.bins {
				m += float64(d.count[u]) * float64(d.table.row(b)[col])
			}
			m /= fe
			for u, b := range d.bins {
				dv := float64(d.table.row(b)[col]) - m
				v += float64(d.count[u]) * dv * dv
			}
		}
		d.mean0[c], d.var0[c] = m, v/fe
	}
}

// chunkNodes splits nodes into consecutive ranges of about target edges
// (by destination), at most maxChunks of them, into dst (reused).
func chunkNodes(dst, start []int32, target, maxChunks int) []int32 {
	n := len(start) - 1
	e := int(start[n])
	nc := min(max((e+target-1)/target, 1), maxChunks, max(n, 1))
	chunks := append(dst[:0], 0)
	node := 0
	for k := 1; k < nc; k++ {
		goal := int32(e * k / nc)
		for node < n && start[node] < goal {
			node++
		}
		if int32(node) > chunks[len(chunks)-1] {
			chunks = append(chunks, int32(node))
		}
	}
	return append(chunks, int32(n))
}

func (d *hgData) prepare(cfg Config, hg *graph.HitGraph) error {
	nh, ns := len(hg.Hits), len(hg.Src)
	if nh < 2 {
		return fmt.Errorf("hit graph has %d hits; batch normalisation needs at least 2", nh)
	}
	nm := cfg.HitNorm
	d.n, d.e = nh, ns
	d.x = scratch.Grow(d.x, nh*hgNodeFeatures)
	sx, sy := spotOffset(hg)
	for i, h := range hg.Hits {
		x := d.x[i*hgNodeFeatures:]
		x[0] = float32(float64(h.ClusterSize) / nm.ClusterScale)
		x[1] = float32((float64(h.X-sx) - nm.X0) / nm.XYScale)
		x[2] = float32((float64(h.Y-sy) - nm.Y0) / nm.XYScale)
		x[3] = float32((float64(h.Z) - nm.Z0) / nm.ZScale)
	}
	// Edge features of segment a→b (a deeper): spherical coordinates of
	// pos_a − pos_b, as the original code's SphericalInverse(norm=False).
	d.ef = scratch.Grow(d.ef, ns*hgEdgeFeatures)
	for s := 0; s < ns; s++ {
		a, b := hg.Hits[hg.Src[s]], hg.Hits[hg.Dst[s]]
		dx, dy, dz := float64(a.X)-float64(b.X), float64(a.Y)-float64(b.Y), float64(a.Z)-float64(b.Z)
		rho := math.Sqrt(dx*dx + dy*dy + dz*dz)
		if rho == 0 {
			return fmt.Errorf("segment %d joins two hits at the same position", s)
		}
		f := d.ef[s*hgEdgeFeatures:]
		f[0] = float32(rho)
		f[1] = float32(math.Atan2(dy, dx))
		f[2] = float32(math.Acos(max(-1, min(1, dz/rho))))
	}
	// nn.Index caches its inverse: a new one per frame (two small
	// allocations).
	d.srcIx = nn.NewIndex(hg.Src, nh)
	d.dstIx = nn.NewIndex(hg.Dst, nh)
	// Segments grouped by destination hit, in segment order.
	start := scratch.Zeroed(d.segStart, nh+1)
	for _, b := range hg.Dst {
		start[b+1]++
	}
	for i := 0; i < nh; i++ {
		start[i+1] += start[i]
	}
	rows := scratch.Grow(d.segRows, ns)
	next := append(d.segNext[:0], start[:nh]...)
	for s, b := range hg.Dst {
		rows[next[b]] = int32(s)
		next[b]++
	}
	d.segStart, d.segRows, d.segNext = start, rows, next
	d.byDst = &nn.Segments{Start: start, Rows: rows}
	return nil
}
