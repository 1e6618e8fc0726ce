package graph

import (
	"fmt"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
)

// PairFilter decides which pairs of consecutive segments become line-graph
// edges: the hook for a physics cut (e.g. dropping scattering angles that
// are implausible for a proton at that depth). in is a segment a→b and out
// a segment b→c of g (a deeper than b deeper than c); angle is the
// scattering angle at b in rad. KeepPair is called once per pair, from one
// goroutine, in a deterministic order; it must not modify g.
type PairFilter interface {
	KeepPair(g *HitGraph, in, out int32, angle float32) bool
}

// Preparer is implemented by PairFilters that need per-graph set-up (for
// instance a per-hit energy estimate): LineBuilder.Build calls Prepare once
// per graph before the first KeepPair and fails with its error.
type Preparer interface {
	Prepare(g *HitGraph) error
}

// PairFilterFunc adapts a function to a PairFilter.
type PairFilterFunc func(g *HitGraph, in, out int32, angle float32) bool

// KeepPair returns f(g, in, out, angle).
func (f PairFilterFunc) KeepPair(g *HitGraph, in, out int32, angle float32) bool {
	return f(g, in, out, angle)
}

// MaxAngle is a PairFilter that keeps the pairs whose scattering angle is
// below the given number of rad: the simplest pair cut.
type MaxAngle float32

// KeepPair reports whether angle < m.
func (m MaxAngle) KeepPair(_ *HitGraph, _, _ int32, angle float32) bool { return angle < float32(m) }

var _ PairFilter = MaxAngle(0)

// LineOptions configures the line-graph construction. The zero value (and
// a nil *LineOptions) keeps every pair of consecutive segments, as the
// paper does.
type LineOptions struct {
	// PhysicsCut, when > 0, keeps only the pairs whose scattering angle at
	// the shared hit is at most PhysicsCut Highland σ of its layer: the
	// cut of a Highland filter (HighlandOptions defaults otherwise) for the
	// geometry the graph records, or Geometry. Options.PhysicsCut is the
	// same cut in a graph configuration (LineOptionsOf). It must not be
	// negative, infinite or NaN (Build fails).
	PhysicsCut float64 `yaml:"physics_cut,omitempty" json:"physics_cut,omitempty"`
	// Geometry is the detector of PhysicsCut; nil means the preset the
	// graph records (the default geometry for other names).
	Geometry *detector.Geometry `yaml:"-" json:"-"`
	// Filter, when not nil, drops the pairs for which KeepPair is false
	// (in addition to PhysicsCut). nil keeps all pairs.
	Filter PairFilter `yaml:"-" json:"-"`
	// Validate runs LineGraph.Verify on every line graph built and returns
	// its error (test-time; O(edges)).
	Validate bool `yaml:"validate" json:"validate"`
}

// LineOptionsOf returns the line-graph options of graph options o: its
// PhysicsCut and Geometry.
func LineOptionsOf(o Options) LineOptions {
	return LineOptions{PhysicsCut: o.PhysicsCut, Geometry: o.Geometry}
}

// LineBuilder builds line graphs into caller-owned LineGraphs, reusing its
// workspace; once the slices have grown to the largest frame seen, Build
// does not allocate. Not safe for concurrent use.
type LineBuilder struct {
	opt     LineOptions
	inStart []int32      // per hit: first position in inSeg
	inSeg   []int32      // segments grouped by Dst, ascending within a hit
	dir     [][3]float64 // unit direction (deeper − shallower) per segment
	cursor  []int32
	kept    []keptPair // cuts: the pairs kept, in fill order
	d2max   []float64  // cuts: per layer, the |u−v|² beyond the cut
	cuts    *highlands
}

// NewLineBuilder returns a LineBuilder; nil opt means all defaults.
func NewLineBuilder(opt *LineOptions) *LineBuilder {
	lb := new(LineBuilder)
	if opt != nil {
		lb.opt = *opt
	}
	if c := lb.opt.PhysicsCut; c > 0 && !math.IsInf(c, 1) {
		lb.cuts = newHighlands(c, lb.opt.Geometry)
	}
	return lb
}

// NewLineGraph builds the line graph of g: NewLineBuilder followed by
// LineBuilder.Build into a new LineGraph.
func NewLineGraph(g *HitGraph, opt *LineOptions) (*LineGraph, error) {
	lg := new(LineGraph)
	if err := NewLineBuilder(opt).Build(lg, g); err != nil {
		return nil, err
	}
	return lg, nil
}

// Build builds the line graph of g into dst, overwriting it and reusing its
// slices. For every hit b, each incoming segment a→b and each outgoing
// segment b→c form one pair, stored as the two edges (a→b)→(b→c) and
// (b→c)→(a→b), with the same Angle and Label and each other's index in
// Reverse. Edges come out sorted by (Dst, Src) by construction (a counting
// pass and a fill in hit order; no comparison sort).
//
// Angle is the angle between the two segments' directions, computed in
// float64 as 2·asin(|u−v|/2) for unit vectors u, v: accurate to about
// 3e-7 relative, including small angles, where the peer's float32
// acos(cosine) loses three digits; never NaN.
//
// Errors: ErrTooLarge (more than 2³¹−1 edges), a Preparer's error, and with
// Validate a Verify failure, all in a *FrameError. Complexity O(hits +
// segments + pairs). Panics if dst or g is nil.
func (lb *LineBuilder) Build(dst *LineGraph, g *HitGraph) error {
	if dst == nil || g == nil {
		panic("graph: LineBuilder.Build with nil graph")
	}
	fe := func(err error) error { return &FrameError{Frame: g.Meta.Frame, Hit: -1, Err: err} }
	nh, ns := len(g.Hits), len(g.Src)
	if len(g.SrcStart) != nh+1 || len(g.Dst) != ns || len(g.Label) != ns {
		panic("graph: LineBuilder.Build with an inconsistent hit graph")
	}

	// Incoming segments per hit (stable counting sort by Dst).
	lb.inStart = slices.Grow(lb.inStart[:0], nh+1)[:nh+1]
	inStart := lb.inStart
	clear(inStart)
	for _, d := range g.Dst {
		inStart[d+1]++
	}
	for h := range nh {
		inStart[h+1] += inStart[h]
	}
	lb.inSeg = slices.Grow(lb.inSeg[:0], ns)[:ns]
	lb.cursor = slices.Grow(lb.cursor[:0], max(ns, nh))[:max(ns, nh)]
	cur := lb.cursor[:nh]
	copy(cur, inStart[:nh])
	for s, d := range g.Dst {
		lb.inSeg[cur[d]] = int32(s)
		cur[d]++
	}

	var pairs int64
	for b := range nh {
		pairs += int64(inStart[b+1]-inStart[b]) * int64(g.SrcStart[b+1]-g.SrcStart[b])
	}
	if 2*pairs > math.MaxInt32 {
		return fe(fmt.Errorf("%w: %d line-graph edges", ErrTooLarge, 2*pairs))
	}
	dst.CandidatePairs = int(pairs)
	dst.NumNodes = ns

	lb.dir = slices.Grow(lb.dir[:0], ns)[:ns]
	for s := range ns {
		lb.dir[s] = segDir(&g.Hits[g.Src[s]], &g.Hits[g.Dst[s]])
	}

	// Degrees, then DstStart.
	deg := lb.cursor[:ns]
	filter := lb.opt.Filter
	var cut []float64
	if c := lb.opt.PhysicsCut; c != 0 {
		if lb.cuts == nil {
			return fe(fmt.Errorf("physics cut %g must be a number of sigmas >= 0", c))
		}
		h, err := lb.cuts.prepare(g)
		if err != nil {
			return fe(fmt.Errorf("physics cut: %w", err))
		}
		cut = h.cut
	}
	if filter != nil || cut != nil {
		if p, ok := filter.(Preparer); ok {
			if err := p.Prepare(g); err != nil {
				return fe(fmt.Errorf("pair filter: %w", err))
			}
		}
		lb.filterPass(g, cut)
	} else {
		for s := range ns {
			deg[s] = inStart[g.Src[s]+1] - inStart[g.Src[s]] + g.SrcStart[g.Dst[s]+1] - g.SrcStart[g.Dst[s]]
		}
	}
	dst.DstStart = slices.Grow(dst.DstStart[:0], ns+1)[:ns+1]
	dst.DstStart[0] = 0
	for s := range ns {
		dst.DstStart[s+1] = dst.DstStart[s] + deg[s]
		deg[s] = dst.DstStart[s] // becomes the write cursor
	}
	ne := int(dst.DstStart[ns])
	dst.Src = slices.Grow(dst.Src[:0], ne)[:ne]
	dst.Dst = slices.Grow(dst.Dst[:0], ne)[:ne]
	dst.Angle = slices.Grow(dst.Angle[:0], ne)[:ne]
	dst.Reverse = slices.Grow(dst.Reverse[:0], ne)[:ne]
	dst.Label = slices.Grow(dst.Label[:0], ne)[:ne]
	if filter != nil || cut != nil {
		lb.fillFiltered(dst, g)
	} else {
		lb.fill(dst, g)
	}
	if lb.opt.Validate {
		if err := dst.Verify(g); err != nil {
			return fe(err)
		}
	}
	return nil
}

// fill writes all pairs. Processing hits in order and, per hit, incoming
// then outgoing segments in ascending order yields each node's edges in
// ascending Src: its incoming-side sources (deeper, smaller indices) are
// written when its Src hit is processed, its outgoing-side sources when
// its Dst hit is, later.
func (lb *LineBuilder) fill(dst *LineGraph, g *HitGraph) {
	cur, dir, inSeg, inStart := lb.cursor, lb.dir, lb.inSeg, lb.inStart
	src, dstv, ang, rev, lab := dst.Src, dst.Dst, dst.Angle, dst.Reverse, dst.Label
	for b := range len(g.Hits) {
		o0, o1 := g.SrcStart[b], g.SrcStart[b+1]
		if o0 == o1 {
			continue
		}
		for _, s1 := range inSeg[inStart[b]:inStart[b+1]] {
			ux, uy, uz := dir[s1][0], dir[s1][1], dir[s1][2]
			l1 := g.Label[s1]
			p2 := cur[s1]
			for s2 := o0; s2 < o1; s2++ {
				p1 := cur[s2]
				cur[s2]++
				// pairAngle, inlined for the common h <= 0.5 (θ <= 60°).
				v := &dir[s2]
				dx, dy, dz := ux-v[0], uy-v[1], uz-v[2]
				h := 0.5 * math.Sqrt(dx*dx+dy*dy+dz*dz)
				var a float32
				if h <= 0.5 {
					z := h * h
					a = float32(2 * (((((asinC4*z+asinC3)*z+asinC2)*z+asinC1)*z+asinC0)*z*h + h))
				} else {
					a = float32(2 * asin01(min(h, 1)))
				}
				l := l1 && g.Label[s2]
				src[p1], dstv[p1], ang[p1], rev[p1], lab[p1] = s1, s2, a, p2, l
				src[p2], dstv[p2], ang[p2], rev[p2], lab[p2] = s2, s1, a, p1, l
				p2++
			}
			cur[s1] = p2
		}
	}
}

// filterPass evaluates the cuts on every candidate pair, in fill order,
// lists the kept pairs with their angles in lb.kept and counts the degrees
// into lb.cursor: a pair is kept when its angle is at most cut[layer of
// the shared hit] (cut nil: no limit) and the Filter, if any, keeps it.
func (lb *LineBuilder) filterPass(g *HitGraph, cut []float64) {
	lb.kept = lb.kept[:0]
	deg := lb.cursor[:len(g.Src)]
	clear(deg)
	filter := lb.opt.Filter
	// The angle 2·asin(|u−v|/2) grows with |u−v|²: pairs clearly beyond
	// the cut are dropped without computing it (the margin, far above the
	// angle's rounding, keeps the decision exact).
	if cut != nil {
		lb.d2max = slices.Grow(lb.d2max[:0], len(cut))[:len(cut)]
		for l, c := range cut {
			lb.d2max[l] = math.Inf(1)
			if c < math.Pi {
				sh := math.Sin(c/2) * (1 + 1e-5)
				lb.d2max[l] = 4 * sh * sh
			}
		}
	}
	for b := range len(g.Hits) {
		o0, o1 := g.SrcStart[b], g.SrcStart[b+1]
		if o0 == o1 {
			continue
		}
		c, d2max := math.Inf(1), math.Inf(1)
		if cut != nil {
			l := g.Hits[b].Layer
			c, d2max = cut[l], lb.d2max[l]
		}
		for _, s1 := range lb.inSeg[lb.inStart[b]:lb.inStart[b+1]] {
			u := &lb.dir[s1]
			for s2 := o0; s2 < o1; s2++ {
				v := &lb.dir[s2]
				if dx, dy, dz := u[0]-v[0], u[1]-v[1], u[2]-v[2]; dx*dx+dy*dy+dz*dz > d2max {
					continue
				}
				a := pairAngle(u, v)
				if float64(a) <= c && (filter == nil || filter.KeepPair(g, s1, s2, a)) {
					lb.kept = append(lb.kept, keptPair{s1, s2, a})
					deg[s1]++
					deg[s2]++
				}
			}
		}
	}
}

// keptPair is a pair of consecutive segments in (in, out) and its angle.
type keptPair struct {
	in, out int32
	angle   float32
}

// fillFiltered is fill restricted to the pairs kept by filterPass.
func (lb *LineBuilder) fillFiltered(dst *LineGraph, g *HitGraph) {
	cur := lb.cursor
	for _, k := range lb.kept {
		s1, s2 := k.in, k.out
		p1, p2 := cur[s2], cur[s1]
		cur[s2]++
		cur[s1]++
		l := g.Label[s1] && g.Label[s2]
		dst.Src[p1], dst.Dst[p1], dst.Angle[p1], dst.Reverse[p1], dst.Label[p1] = s1, s2, k.angle, p2, l
		dst.Src[p2], dst.Dst[p2], dst.Angle[p2], dst.Reverse[p2], dst.Label[p2] = s2, s1, k.angle, p1, l
	}
}

// segDir returns the unit direction a − c of the segment from the deeper
// hit a to the shallower hit c (zero for coincident hits), in float64: the
// one definition behind the line graph's angles and the tracker cut.
func segDir(a, c *dataset.Hit) [3]float64 {
	return unitDir(float64(a.X)-float64(c.X), float64(a.Y)-float64(c.Y), float64(a.Z)-float64(c.Z))
}

// unitDir returns (dx, dy, dz) normalised, or unchanged when it is zero.
func unitDir(dx, dy, dz float64) [3]float64 {
	n := math.Sqrt(dx*dx + dy*dy + dz*dz)
	if n > 0 {
		dx, dy, dz = dx/n, dy/n, dz/n
	}
	return [3]float64{dx, dy, dz}
}

// pairAngle returns the angle between unit vectors u and v as 2·asin(|u−v|/2),
// well conditioned for small angles.
func pairAngle(u, v *[3]float64) float32 {
	dx, dy, dz := u[0]-v[0], u[1]-v[1], u[2]-v[2]
	h := 0.5 * math.Sqrt(dx*dx+dy*dy+dz*dz)
	return float32(2 * asin01(min(h, 1)))
}

// Cephes asinf coefficients: asin(x) ≈ x + x·z·P(z), z = x², |x| <= 0.5.
const (
	asinC0 = 1.6666752422e-1
	asinC1 = 7.4953002686e-2
	asinC2 = 4.5470025998e-2
	asinC3 = 2.4181311049e-2
	asinC4 = 4.2163199048e-2
)

// asin01 is asin on [0, 1] with float32 accuracy (Cephes asinf: relative
// error below 3e-7), several times faster than math.Asin.
func asin01(x float64) float64 {
	if x > 0.5 {
		z := 0.5 * (1 - x)
		s := math.Sqrt(z)
		return math.Pi/2 - 2*(((((asinC4*z+asinC3)*z+asinC2)*z+asinC1)*z+asinC0)*z*s+s)
	}
	z := x * x
	return ((((asinC4*z+asinC3)*z+asinC2)*z+asinC1)*z+asinC0)*z*x + x
}
