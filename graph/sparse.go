package graph

import (
	"fmt"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/internal/scratch"
)

// DefaultSparseCut is the cut in Highland σ of SparseOptions.
const DefaultSparseCut = 4.0

// SparseOptions returns the sparse graphs of this package's measurements:
// the paper's cones with TrackerCut and PhysicsCut at DefaultSparseCut
// and DropIsolated. At 100 p⁺ behind 100 mm of water they keep ~3k of
// ~15k segments and ~6k of ~0.5M line-graph edges, for ~0.3 % of the true
// segments and ~0.6 % of the true segment pairs (pcttrack graph --stats).
func SparseOptions() Options {
	return Options{TrackerCut: DefaultSparseCut, PhysicsCut: DefaultSparseCut, DropIsolated: true}
}

// highlands holds the Highland cut tables of the geometries frames record
// (one Highland per preset, made on first use; names that are no preset
// use the default geometry), or of one fixed geometry. Not safe for
// concurrent use.
type highlands struct {
	nsigma   float64
	geom     *detector.Geometry
	byName   map[string]*Highland
	byPreset map[string]*Highland
}

func newHighlands(nsigma float64, geom *detector.Geometry) *highlands {
	return &highlands{nsigma: nsigma, geom: geom, byName: map[string]*Highland{}, byPreset: map[string]*Highland{}}
}

// prepare returns the Highland of g's geometry, prepared for g.
func (s *highlands) prepare(g *HitGraph) (*Highland, error) {
	name := g.Meta.Geometry
	h := s.byName[name]
	if h == nil {
		geom, key := s.geom, "\x00fixed"
		if geom == nil {
			key = ""
			// detector.Preset copies the geometry: resolve each name once.
			if p, err := detector.Preset(name); err == nil {
				geom, key = p, p.Name
			}
		}
		if h = s.byPreset[key]; h == nil {
			var err error
			if h, err = NewHighland(geom, &HighlandOptions{NSigma: s.nsigma}); err != nil {
				return nil, err
			}
			s.byPreset[key] = h
		}
		s.byName[name] = h
	}
	if err := h.Prepare(g); err != nil {
		return nil, err
	}
	return h, nil
}

// trackerCut sets up the pruning of layer pair k (layer l → l−1) and
// returns the kink cut at l in rad, or 0 when the pair is not pruned: no
// TrackerCut, a pair outside the tracker cone, no occupied layer l+1 to
// take the deeper segments from, or a cut of π/2 or more (no constraint).
// It groups the segments of pair k−1 (l+1 → l) by their shallower hit.
func (b *Builder) trackerCut(g *HitGraph, k int) float64 {
	l := g.Layers[k]
	if b.hl == nil || l >= b.opt.TrackerConeBelow || k == 0 || g.Layers[k-1] != l+1 {
		return 0
	}
	cut := b.hl.cut[l]
	if !(cut < math.Pi/2) {
		return 0
	}
	a0, a1 := g.LayerStart[k], g.LayerStart[k+1]
	na := int(a1 - a0)
	b.predStart = slices.Grow(b.predStart[:0], na+1)[:na+1]
	b.predCur = slices.Grow(b.predCur[:0], na)[:na]
	clear(b.predStart)
	p0, p1 := g.PairStart[k-1], g.PairStart[k]
	for s := p0; s < p1; s++ {
		b.predStart[g.Dst[s]-a0+1]++
	}
	for i := range na {
		b.predStart[i+1] += b.predStart[i]
	}
	copy(b.predCur, b.predStart[:na])
	n := int(p1 - p0)
	b.predHit = slices.Grow(b.predHit[:0], n)[:n]
	for s := p0; s < p1; s++ {
		d := g.Dst[s] - a0
		b.predHit[b.predCur[d]] = g.Src[s]
		b.predCur[d]++
	}
	return cut
}

// markConsistent marks, in b.mark, the hits of the shallower layer of pair
// k (x-sorted in s) that hit a reaches inside the cone (tan2 = tan² of the
// cone, w its x half-width) with a kink of at most cut rad after one of
// its deeper segments p→a. Each deeper segment confines the search to the
// window around its extrapolation; the tests are exactly those of the
// cone and of the line graph's angle (segDir, pairAngle), so the window
// only saves work.
func (b *Builder) markConsistent(g *HitGraph, k int, a int32, s []sortHit, cut, w, tan2 float64) {
	a0, b0 := g.LayerStart[k], g.LayerStart[k+1]
	ha := &g.Hits[a]
	xa, ya, za := float64(ha.X), float64(ha.Y), float64(ha.Z)
	zlo, zhi := float64(b.zmin[k+1]), float64(b.zmax[k+1])
	mark := b.mark
	for _, p := range b.predHit[b.predStart[a-a0]:b.predStart[a-a0+1]] {
		hp := &g.Hits[p]
		u := segDir(hp, ha)
		// The line p→a continued past a: x(z) = xa + tx·(z − za).
		dzp := za - float64(hp.Z)
		tx, ty := (xa-float64(hp.X))/dzp, (ya-float64(hp.Y))/dzp
		t := math.Sqrt(tx*tx + ty*ty)
		zc := 0.5 * (zlo + zhi)
		xc, yc := xa+tx*(zc-za), ya+ty*(zc-za)
		r := coneRadius(za-zlo, math.Atan(t), cut)*(1+1e-6) + t*0.5*(zhi-zlo) + 1e-4
		lo, hi := max(xa-w, xc-r), min(xa+w, xc+r)
		up := float32(hi)
		for j := firstAtLeast(s, float32(lo)); j < len(s) && s[j].x <= up; j++ {
			sj := &s[j]
			if math.Abs(float64(sj.y)-yc) > r {
				continue
			}
			dx, dy, dz := xa-float64(sj.x), ya-float64(sj.y), za-float64(sj.z)
			if !(dz > 0 && dx*dx+dy*dy < dz*dz*tan2) {
				continue
			}
			v := unitDir(dx, dy, dz)
			if float64(pairAngle(&u, &v)) <= cut {
				q := sj.i - b0
				mark[q>>6] |= 1 << (q & 63)
			}
		}
	}
}

// coneRadius bounds the distance, in a plane dz mm along the beam from a
// point, between where a ray at angle phi to the beam axis crosses it and
// where any ray within angle theta of that one does (law of sines:
// dz/cos φ · sin θ / cos(φ+θ)); +Inf when φ+θ reaches π/2.
func coneRadius(dz, phi, theta float64) float64 {
	if phi+theta >= math.Pi/2-1e-9 {
		return math.Inf(1)
	}
	return dz / math.Cos(phi) * math.Sin(theta) / math.Cos(phi+theta)
}

// Summary names the graphs o builds for messages: "the full graph" or its
// physics cuts, followed by the cones, layer handling and aperture when
// they are not the paper's.
func (o Options) Summary() string {
	r, err := o.Resolved()
	if err != nil {
		return "invalid graph options"
	}
	s := "the full graph"
	switch {
	case r.TrackerCut > 0 && r.PhysicsCut > 0:
		s = fmt.Sprintf("tracker cut %g σ and physics cut %g σ", r.TrackerCut, r.PhysicsCut)
	case r.TrackerCut > 0:
		s = fmt.Sprintf("tracker cut %g σ", r.TrackerCut)
	case r.PhysicsCut > 0:
		s = fmt.Sprintf("physics cut %g σ", r.PhysicsCut)
	}
	if r.DropIsolated && r.PhysicsCut > 0 {
		s += ", isolated segments dropped"
	}
	if def, _ := (Options{}).Resolved(); !SameHitGraph(r, def) {
		out, _ := r.Outside.MarshalText()
		s += fmt.Sprintf(" (cones %g/%g rad below layer %d, remove disconnected %v, off by one %v, aperture %g × %g mm, outside %s)",
			r.TrackerCone, r.CaloCone, r.TrackerConeBelow, r.RemoveDisconnected, r.DisconnectedOffByOne, r.ApertureX, r.ApertureY, out)
	}
	return s
}

// Dropper removes the isolated segments of sparse graphs
// (Options.DropIsolated), reusing its workspace; the zero value is ready.
// Not safe for concurrent use.
type Dropper struct {
	keep, old2new, in []int32
}

// Drop writes into dst the hit graph g without its isolated segments —
// those without an edge in lg, g's line graph built with a pair cut, that
// had candidate pairs (a segment arriving at their deeper hit or leaving
// their shallower one) — renumbers lg's nodes in place to dst's segments,
// and returns, per segment of dst, its index in g (Dropper's workspace,
// valid until the next Drop). dst gets copies of g's hits and other
// fields, and its Options say DropIsolated. lg's edges all join kept
// segments, so only its Src, Dst, DstStart and NumNodes change. It panics
// if lg is not g's line graph or dst is g. O(hits + segments + edges), no
// allocation once dst and the workspace have grown.
func (d *Dropper) Drop(dst *HitGraph, g *HitGraph, lg *LineGraph) []int32 {
	ns, nh := len(g.Src), len(g.Hits)
	if dst == g || lg.NumNodes != ns || len(lg.DstStart) != ns+1 {
		panic("graph: Dropper.Drop: line graph of another hit graph, or dst is g")
	}
	in := scratch.Zeroed(d.in, nh) // segments arriving per hit
	d.in = in
	for _, h := range g.Dst {
		in[h]++
	}
	keep := d.keep[:0]
	for s := range ns {
		deg := lg.DstStart[s+1] - lg.DstStart[s]
		cand := in[g.Src[s]] + g.SrcStart[g.Dst[s]+1] - g.SrcStart[g.Dst[s]]
		if deg > 0 || cand == 0 {
			keep = append(keep, int32(s))
		}
	}
	d.keep = keep
	*dst = HitGraph{
		Meta: g.Meta, Options: g.Options,
		Hits: append(dst.Hits[:0], g.Hits...), HitIndex: append(dst.HitIndex[:0], g.HitIndex...),
		Layers: append(dst.Layers[:0], g.Layers...), LayerStart: append(dst.LayerStart[:0], g.LayerStart...),
		Src: slices.Grow(dst.Src[:0], len(keep)), Dst: slices.Grow(dst.Dst[:0], len(keep)),
		Label: slices.Grow(dst.Label[:0], len(keep)), PrimaryLabel: slices.Grow(dst.PrimaryLabel[:0], len(keep)),
		SrcStart: scratch.Zeroed(dst.SrcStart, nh+1), PairStart: dst.PairStart[:0],
		CandidatePairs: g.CandidatePairs, DroppedOutside: g.DroppedOutside, DroppedDisconnected: g.DroppedDisconnected,
	}
	dst.Options.DropIsolated = true
	for _, s := range keep {
		dst.Src = append(dst.Src, g.Src[s])
		dst.Dst = append(dst.Dst, g.Dst[s])
		dst.Label = append(dst.Label, g.Label[s])
		dst.PrimaryLabel = append(dst.PrimaryLabel, g.PrimaryLabel[s])
	}
	// SrcStart and PairStart of the kept segments (sorted as g's are).
	for _, a := range dst.Src {
		dst.SrcStart[a+1]++
	}
	for h := range nh {
		dst.SrcStart[h+1] += dst.SrcStart[h]
	}
	dst.PairStart = slices.Grow(dst.PairStart, len(g.Layers)+1)
	for k := range g.Layers {
		dst.PairStart = append(dst.PairStart, dst.SrcStart[g.LayerStart[k]])
	}
	dst.PairStart = append(dst.PairStart, int32(len(dst.Src)))
	// Renumber lg's nodes; dropped nodes have no edges, so DstStart is
	// constant across them and compacts in place.
	old2new := scratch.Grow(d.old2new, ns)
	d.old2new = old2new
	for n, s := range keep {
		old2new[s] = int32(n)
	}
	for e := range lg.Src {
		lg.Src[e], lg.Dst[e] = old2new[lg.Src[e]], old2new[lg.Dst[e]]
	}
	for n, s := range keep {
		lg.DstStart[n+1] = lg.DstStart[s+1]
	}
	lg.NumNodes = len(keep)
	lg.DstStart = lg.DstStart[:len(keep)+1]
	return keep
}
