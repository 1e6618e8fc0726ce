package model

import (
	"fmt"
	"math"

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
	lgChunkEdges = 16384
	lgMaxChunks  = 8
)

// Input is one frame prepared for a model: validated, with derived
// per-frame data (quantised angles, batch statistics of the data features,
// work partitions). Build it once per frame with NewInput and reuse it; it
// is read-only afterwards and safe for concurrent use by several models.
// It keeps references to the graph's slices, which must not change.
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
	bins  []int32    // compact id → global bin
	// Batch statistics of the 2·8+D message inputs [x_dst, x_src, enc]
	// over all edges (biased variance): constants of the data, used by the
	// first batch norm in training mode.
	mean0, var0 []float64
	chunks      []int32 // node boundaries of the work chunks
	srcLo       []int32 // per chunk: the range of source nodes of its edges
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
}

// NewInput validates a frame's graphs and prepares them for a model of
// configuration cfg (the line-graph model needs lg; the hit-graph model
// ignores it and may get nil). It returns an error for an invalid
// configuration, a graph that breaks the graph package's layout contract
// (lengths, index ranges, sort order), NaN or infinite features or angles,
// or a graph too small for batch normalisation (fewer than two segments or
// line-graph edges). Cost O(segments + line-graph edges + used angle bins
// × EncodingDim); it allocates the derived arrays.
func NewInput(cfg Config, hg *graph.HitGraph, lg *graph.LineGraph) (*Input, error) {
	cfg, err := cfg.Resolved()
	if err != nil {
		return nil, err
	}
	if hg == nil {
		return nil, fmt.Errorf("model: no hit graph")
	}
	frame := hg.Meta.Frame
	if err := checkHitGraph(hg); err != nil {
		return nil, fmt.Errorf("model: frame %d: %w", frame, err)
	}
	in := &Input{key: keyOf(cfg), NumSegments: len(hg.Src)}
	in.NearTracker = make([]bool, len(hg.Src))
	for s := range hg.Src {
		in.NearTracker[s] = hg.Hits[hg.Src[s]].Layer < 3 || hg.Hits[hg.Dst[s]].Layer < 3
	}
	in.SplitWeight = SplitWeights(nil, in.NearTracker)
	if hg.Label != nil {
		in.Labels = make([]float32, len(hg.Label))
		for s, l := range hg.Label {
			if l {
				in.Labels[s] = 1
			}
		}
	}
	switch cfg.Kind {
	case KindLineGraph:
		if lg == nil {
			return nil, fmt.Errorf("model: frame %d: the line-graph model needs a line graph", frame)
		}
		in.lg, err = prepareLineGraph(cfg, hg, lg)
	case KindHitGraph:
		in.hg, err = prepareHitGraph(cfg, hg)
	}
	if err != nil {
		return nil, fmt.Errorf("model: frame %d: %w", frame, err)
	}
	return in, nil
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

func prepareLineGraph(cfg Config, hg *graph.HitGraph, lg *graph.LineGraph) (*lgData, error) {
	n, e := lg.NumNodes, len(lg.Src)
	if n != len(hg.Src) {
		return nil, fmt.Errorf("line graph has %d nodes for %d segments", n, len(hg.Src))
	}
	if e < 2 {
		return nil, fmt.Errorf("line graph has %d edges; batch normalisation needs at least 2", e)
	}
	if len(lg.Dst) != e || len(lg.Angle) != e || len(lg.DstStart) != n+1 {
		return nil, fmt.Errorf("line graph arrays disagree: %d sources, %d destinations, %d angles, %d offsets for %d nodes",
			e, len(lg.Dst), len(lg.Angle), len(lg.DstStart), n)
	}
	if lg.DstStart[0] != 0 || int(lg.DstStart[n]) != e {
		return nil, fmt.Errorf("line graph offsets run from %d to %d, want 0 to %d", lg.DstStart[0], lg.DstStart[n], e)
	}
	d := &lgData{n: n, e: e, start: lg.DstStart}
	for i := 0; i < n; i++ {
		lo, hi := lg.DstStart[i], lg.DstStart[i+1]
		if hi < lo {
			return nil, fmt.Errorf("line graph offsets decrease at node %d", i)
		}
		for k := lo; k < hi; k++ {
			if lg.Dst[k] != int32(i) {
				return nil, fmt.Errorf("line-graph edge %d has destination %d inside the range of node %d (not sorted by destination)", k, lg.Dst[k], i)
			}
			if s := lg.Src[k]; s < 0 || int(s) >= n {
				return nil, fmt.Errorf("line-graph edge %d has source %d of %d nodes", k, s, n)
			}
		}
	}
	// Node features [edep_a, edep_b, pos_a, pos_b], a = Src (deeper hit).
	d.x = make([]float32, n*lgNodeFeatures)
	for s := 0; s < n; s++ {
		a, b := hg.Hits[hg.Src[s]], hg.Hits[hg.Dst[s]]
		copy(d.x[s*lgNodeFeatures:], []float32{a.Edep, b.Edep, a.X, a.Y, a.Z, b.X, b.Y, b.Z})
	}
	// Quantised angles, compacted to the bins in use (in increasing order).
	d.table = encodingTable(cfg.EncodingDim, cfg.EncodingScaling, cfg.AngleBinWidth)
	nb := d.table.bins()
	count := make([]int32, nb)
	ubin := make([]int32, e)
	for k, th := range lg.Angle {
		if !finite(th) || th < 0 || float64(th) > math.Pi+1e-5 {
			return nil, fmt.Errorf("line-graph edge %d has angle %g rad outside [0, π]", k, th)
		}
		b := min(angleBin(th, cfg.AngleBinWidth), int32(nb-1))
		ubin[k] = b
		count[b]++
	}
	compact := make([]int32, nb)
	for b, c := range count {
		if c > 0 {
			compact[b] = int32(len(d.bins))
			d.bins = append(d.bins, int32(b))
		}
	}
	for k, b := range ubin {
		ubin[k] = compact[b]
	}
	d.src, d.dst = kern.NewIndex(lg.Src, n), kern.NewIndex(lg.Dst, n)
	d.ubin = kern.NewIndex(ubin, len(d.bins))
	d.stats(count)
	d.chunks = chunkNodes(lg.DstStart, lgChunkEdges, lgMaxChunks)
	for k := 0; k+1 < len(d.chunks); k++ {
		lo, hi := int32(n), int32(-1)
		for _, s := range lg.Src[lg.DstStart[d.chunks[k]]:lg.DstStart[d.chunks[k+1]]] {
			lo, hi = min(lo, s), max(hi, s)
		}
		d.srcLo, d.srcHi = append(d.srcLo, lo), append(d.srcHi, hi)
	}
	return d, nil
}

// stats computes the batch statistics of the message inputs from degrees
// and the bin histogram instead of a pass over E×(16+D) values.
func (d *lgData) stats(count []int32) {
	const f = lgNodeFeatures
	dim := d.table.dim
	width := 2*f + dim
	d.mean0 = make([]float64, width)
	d.var0 = make([]float64, width)
	indeg := make([]float64, d.n)
	outdeg := make([]float64, d.n)
	for i := 0; i < d.n; i++ {
		indeg[i] = float64(d.start[i+1] - d.start[i])
	}
	for _, s := range d.src.Ints() {
		outdeg[s]++
	}
	fe := float64(d.e)
	weighted := func(off int, w []float64) {
		m, v := d.mean0[off:off+f], d.var0[off:off+f]
		for i := 0; i < d.n; i++ {
			for k := 0; k < f; k++ {
				m[k] += w[i] * float64(d.x[i*f+k])
			}
		}
		for k := range m {
			m[k] /= fe
		}
		for i := 0; i < d.n; i++ {
			for k := 0; k < f; k++ {
				dv := float64(d.x[i*f+k]) - m[k]
				v[k] += w[i] * dv * dv
			}
		}
		for k := range v {
			v[k] /= fe
		}
	}
	weighted(0, indeg)
	weighted(f, outdeg)
	m, v := d.mean0[2*f:], d.var0[2*f:]
	for _, b := range d.bins {
		c := float64(count[b])
		for k, x := range d.table.row(b) {
			m[k] += c * float64(x)
		}
	}
	for k := range m {
		m[k] /= fe
	}
	for _, b := range d.bins {
		c := float64(count[b])
		for k, x := range d.table.row(b) {
			dv := float64(x) - m[k]
			v[k] += c * dv * dv
		}
	}
	for k := range v {
		v[k] /= fe
	}
}

// chunkNodes splits nodes into consecutive ranges of about target edges
// (by destination), at most maxChunks of them.
func chunkNodes(start []int32, target, maxChunks int) []int32 {
	n := len(start) - 1
	e := int(start[n])
	nc := min(max((e+target-1)/target, 1), maxChunks, max(n, 1))
	chunks := make([]int32, 1, nc+1)
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

func prepareHitGraph(cfg Config, hg *graph.HitGraph) (*hgData, error) {
	nh, ns := len(hg.Hits), len(hg.Src)
	if nh < 2 {
		return nil, fmt.Errorf("hit graph has %d hits; batch normalisation needs at least 2", nh)
	}
	nm := cfg.HitNorm
	d := &hgData{n: nh, e: ns}
	d.x = make([]float32, nh*hgNodeFeatures)
	for i, h := range hg.Hits {
		x := d.x[i*hgNodeFeatures:]
		x[0] = float32(float64(h.ClusterSize) / nm.ClusterScale)
		x[1] = float32((float64(h.X) - nm.X0) / nm.XYScale)
		x[2] = float32((float64(h.Y) - nm.Y0) / nm.XYScale)
		x[3] = float32((float64(h.Z) - nm.Z0) / nm.ZScale)
	}
	// Edge features of segment a→b (a deeper): spherical coordinates of
	// pos_a − pos_b, as the original code's SphericalInverse(norm=False).
	d.ef = make([]float32, ns*hgEdgeFeatures)
	for s := 0; s < ns; s++ {
		a, b := hg.Hits[hg.Src[s]], hg.Hits[hg.Dst[s]]
		dx, dy, dz := float64(a.X)-float64(b.X), float64(a.Y)-float64(b.Y), float64(a.Z)-float64(b.Z)
		rho := math.Sqrt(dx*dx + dy*dy + dz*dz)
		if rho == 0 {
			return nil, fmt.Errorf("segment %d joins two hits at the same position", s)
		}
		f := d.ef[s*hgEdgeFeatures:]
		f[0] = float32(rho)
		f[1] = float32(math.Atan2(dy, dx))
		f[2] = float32(math.Acos(max(-1, min(1, dz/rho))))
	}
	d.srcIx = nn.NewIndex(hg.Src, nh)
	d.dstIx = nn.NewIndex(hg.Dst, nh)
	// Segments grouped by destination hit, in segment order.
	start := make([]int32, nh+1)
	for _, b := range hg.Dst {
		start[b+1]++
	}
	for i := 0; i < nh; i++ {
		start[i+1] += start[i]
	}
	rows := make([]int32, ns)
	next := append([]int32(nil), start[:nh]...)
	for s, b := range hg.Dst {
		rows[next[b]] = int32(s)
		next[b]++
	}
	d.byDst = &nn.Segments{Start: start, Rows: rows}
	return d, nil
}
