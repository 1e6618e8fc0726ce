package baseline

import (
	"cmp"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
)

// kink returns the angle in rad between the directions a→b and b→c,
// computed as 2·asin(|u−v|/2) for the unit vectors u, v: well conditioned
// for the small angles that matter here (acos of the cosine is not), 0 for
// a zero-length segment.
func kink(a, b, c *dataset.Hit) float64 {
	ux, uy, uz := unit(float64(b.X)-float64(a.X), float64(b.Y)-float64(a.Y), float64(b.Z)-float64(a.Z))
	vx, vy, vz := unit(float64(c.X)-float64(b.X), float64(c.Y)-float64(b.Y), float64(c.Z)-float64(b.Z))
	if (ux == 0 && uy == 0 && uz == 0) || (vx == 0 && vy == 0 && vz == 0) {
		return 0
	}
	dx, dy, dz := ux-vx, uy-vy, uz-vz
	return 2 * math.Asin(min(0.5*math.Sqrt(dx*dx+dy*dy+dz*dz), 1))
}

// axisAngle returns the angle in rad between the line through a and b and
// the beam (z) axis, in [0, π/2].
func axisAngle(a, b *dataset.Hit) float64 {
	dx, dy := float64(b.X)-float64(a.X), float64(b.Y)-float64(a.Y)
	return math.Atan2(math.Sqrt(dx*dx+dy*dy), math.Abs(float64(b.Z)-float64(a.Z)))
}

func unit(x, y, z float64) (float64, float64, float64) {
	n := math.Sqrt(x*x + y*y + z*z)
	if n == 0 {
		return 0, 0, 0
	}
	return x / n, y / n, z / n
}

// xHit is a hit index with its x coordinate, for the per-layer x order.
type xHit struct {
	x float64
	h int32
}

// layerIndex finds the hits of a graph's layers near a point quickly: it
// maps a layer number to its position k in g.Layers and keeps the hits of
// every layer sorted by x.
type layerIndex struct {
	pos  []int32      // pos[layer] = k, or -1 for an empty layer
	xs   []xHit       // per k, in g.LayerStart order: the layer's hits by x
	zlim [][2]float64 // per k: least and largest z of the layer's hits
}

// build indexes g, reusing li's slices. O(n log n) for n hits.
func (li *layerIndex) build(g *graph.HitGraph) {
	li.pos = li.pos[:0]
	if len(g.Layers) > 0 {
		li.pos = slices.Grow(li.pos, int(g.Layers[0])+1)[:g.Layers[0]+1]
	}
	for i := range li.pos {
		li.pos[i] = -1
	}
	for k, l := range g.Layers {
		li.pos[l] = int32(k)
	}
	li.xs = slices.Grow(li.xs[:0], len(g.Hits))[:len(g.Hits)]
	for h := range g.Hits {
		li.xs[h] = xHit{float64(g.Hits[h].X), int32(h)}
	}
	li.zlim = slices.Grow(li.zlim[:0], len(g.Layers))[:len(g.Layers)]
	for k := range g.Layers {
		lo, hi := math.Inf(1), math.Inf(-1)
		for h := g.LayerStart[k]; h < g.LayerStart[k+1]; h++ {
			z := float64(g.Hits[h].Z)
			lo, hi = min(lo, z), max(hi, z)
		}
		li.zlim[k] = [2]float64{lo, hi}
		slices.SortFunc(li.xs[g.LayerStart[k]:g.LayerStart[k+1]], func(a, b xHit) int {
			if c := cmp.Compare(a.x, b.x); c != 0 {
				return c
			}
			return cmp.Compare(a.h, b.h)
		})
	}
}

// k returns the position of layer l in g.Layers, or -1 if l is empty or
// out of range.
func (li *layerIndex) k(l int32) int {
	if l < 0 || int(l) >= len(li.pos) {
		return -1
	}
	return int(li.pos[l])
}

// window appends to dst the hits of layer position k whose x and y lie
// within w of (x, y), in ascending hit index, and returns dst.
func (li *layerIndex) window(dst []int32, g *graph.HitGraph, k int, x, y, w float64) []int32 {
	s := li.xs[g.LayerStart[k]:g.LayerStart[k+1]]
	i, _ := slices.BinarySearchFunc(s, x-w, func(e xHit, t float64) int { return cmp.Compare(e.x, t) })
	n0 := len(dst)
	for ; i < len(s) && s[i].x <= x+w; i++ {
		if math.Abs(float64(g.Hits[s[i].h].Y)-y) <= w {
			dst = append(dst, s[i].h)
		}
	}
	slices.Sort(dst[n0:])
	return dst
}

// coneRadius bounds the distance, in a plane dz mm along the beam from a
// point p, between where a ray from p leaves at angle phi to the beam axis
// and where any ray from p within angle theta of it does: by the law of
// sines dz/cos φ · sin θ / cos(φ+θ). +Inf when φ+θ reaches π/2.
func coneRadius(dz, phi, theta float64) float64 {
	if phi+theta >= math.Pi/2-1e-9 {
		return math.Inf(1)
	}
	return dz / math.Cos(phi) * math.Sin(theta) / math.Cos(phi+theta)
}

// segment returns the segment of g from hit a to hit b, or -1. O(log deg).
func segment(g *graph.HitGraph, a, b int32) int {
	s0, s1 := int(g.SrcStart[a]), int(g.SrcStart[a+1])
	i, ok := slices.BinarySearch(g.Dst[s0:s1], b)
	if !ok {
		return -1
	}
	return s0 + i
}

// near appends to dst, in ascending hit index, a superset of the hits of
// layer position k that lie within angle theta, seen from hit b, of the
// direction a→b (a == nil: the beam axis), and returns dst.
func (li *layerIndex) near(dst []int32, g *graph.HitGraph, k int, a, b *dataset.Hit, theta float64) []int32 {
	zlo, zhi := li.zlim[k][0], li.zlim[k][1]
	bz := float64(b.Z)
	var tx, ty float64 // slopes dx/dz, dy/dz of a→b
	if a != nil {
		dz := bz - float64(a.Z)
		if dz == 0 {
			return li.window(dst, g, k, 0, 0, math.Inf(1))
		}
		tx, ty = (float64(b.X)-float64(a.X))/dz, (float64(b.Y)-float64(a.Y))/dz
	}
	t := math.Sqrt(tx*tx + ty*ty)
	zc := 0.5 * (zlo + zhi)
	w := coneRadius(max(math.Abs(zlo-bz), math.Abs(zhi-bz)), math.Atan(t), theta) + t*0.5*(zhi-zlo) + 1e-6
	return li.window(dst, g, k, float64(b.X)+tx*(zc-bz), float64(b.Y)+ty*(zc-bz), w)
}
