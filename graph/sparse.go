package graph

import (
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/detector"
)

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
