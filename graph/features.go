package graph

import (
	"math"
)

// Feature widths.
const (
	SegmentFeatureDim = 8 // line-graph node features per segment
	NodeFeatureDim    = 4 // hit-graph node features per hit
	EdgeFeatureDim    = 3 // hit-graph edge features per segment
)

// ClusterNorm is the paper's cluster-size normaliser: the cluster size of a
// 60 keV deposit in 25 µm, 4.2267·2.4^0.65 + 0.5 ≈ 7.97 (not truncated).
var ClusterNorm = float32(4.2267*math.Pow(60.0/25, 0.65) + 0.5)

// E2E sensor digitisation (detector.py): 9216 × 6144 pixels over
// 270.8 × 166.3 mm, origin at the lower-left corner.
const (
	pixelsX, pixelsY = 9216, 6144
	sensorW, sensorH = 270.8, 166.3
)

// SpotPixel returns the E2E pixel address of a spot position in mm,
// round((x + 135.4)·9216/270.8) and round((y + 83.15)·6144/166.3):
// (4608, 3072) for the spot (0, 0).
func SpotPixel(x, y float64) (px, py float64) {
	return math.Round((x + sensorW/2) * pixelsX / sensorW), math.Round((y + sensorH/2) * pixelsY / sensorH)
}

// grow returns dst resliced to n, allocating only when cap(dst) < n.
func grow(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}

// SegmentFeatures writes the paper's line-graph node features into dst and
// returns it: 8 per segment, row-major, [edep_src, edep_dst, x_src, y_src,
// z_src, x_dst, y_dst, z_dst] in raw MeV and mm, src the deeper hit. dst is
// grown if shorter than 8·segments (the only allocation).
func (g *HitGraph) SegmentFeatures(dst []float32) []float32 {
	dst = grow(dst, SegmentFeatureDim*len(g.Src))
	for s := range g.Src {
		a, b := &g.Hits[g.Src[s]], &g.Hits[g.Dst[s]]
		r := dst[SegmentFeatureDim*s : SegmentFeatureDim*s+SegmentFeatureDim]
		r[0], r[1] = a.Edep, b.Edep
		r[2], r[3], r[4] = a.X, a.Y, a.Z
		r[5], r[6], r[7] = b.X, b.Y, b.Z
	}
	return dst
}

// NodeFeatures writes the paper's hit-graph node features into dst and
// returns it: 4 per hit, [cs/ClusterNorm, (x − px)/1000, (y − py)/1000, z],
// with (px, py) = SpotPixel(Meta.SpotX, Meta.SpotY) and z in mm. Subtracting
// a pixel address from a position in mm is the paper's quirk (InvariantNorm
// mixes units): for the spot (0, 0) it subtracts 4608 and 3072, so x and y
// features sit near −4.6 and −3.1. Kept as is so trained hit-graph models
// match. dst is grown if shorter than 4·hits.
func (g *HitGraph) NodeFeatures(dst []float32) []float32 {
	dst = grow(dst, NodeFeatureDim*len(g.Hits))
	px, py := SpotPixel(g.Meta.SpotX, g.Meta.SpotY)
	for i := range g.Hits {
		h := &g.Hits[i]
		r := dst[NodeFeatureDim*i : NodeFeatureDim*i+NodeFeatureDim]
		r[0] = float32(h.ClusterSize) / ClusterNorm
		r[1] = float32((float64(h.X) - px) / 1000)
		r[2] = float32((float64(h.Y) - py) / 1000)
		r[3] = h.Z
	}
	return dst
}

// EdgeFeatures writes the paper's hit-graph edge features into dst and
// returns it: 3 per segment, the spherical coordinates of d = pos_src −
// pos_dst (deeper minus shallower, so d_z > 0), [ρ = |d| in mm,
// atan2(d_y, d_x), acos(d_z/ρ)] (E2E SphericalInverse with norm=False).
// dst is grown if shorter than 3·segments.
func (g *HitGraph) EdgeFeatures(dst []float32) []float32 {
	dst = grow(dst, EdgeFeatureDim*len(g.Src))
	for s := range g.Src {
		a, b := &g.Hits[g.Src[s]], &g.Hits[g.Dst[s]]
		dx, dy, dz := float64(a.X)-float64(b.X), float64(a.Y)-float64(b.Y), float64(a.Z)-float64(b.Z)
		rho := math.Sqrt(dx*dx + dy*dy + dz*dz)
		r := dst[EdgeFeatureDim*s : EdgeFeatureDim*s+EdgeFeatureDim]
		r[0] = float32(rho)
		r[1] = float32(math.Atan2(dy, dx))
		r[2] = float32(math.Acos(max(-1, min(1, dz/rho))))
	}
	return dst
}

// Angle encoding of the line-graph edges (the paper's SimilarityPE).
const (
	AngleEncodingDim = 128
	angleEncScaling  = 1e-3
)

// AngleEncoding writes the paper's 128-d edge features into dst and
// returns it: for each angle θ (rad), columns 2j and 2j+1 are sin and cos
// of √θ·f_j with f_j = 1000^(2j/128), j = 0…63. It is the reference
// definition (one math.Sincos per entry, ~64 per edge), not a fast kernel.
// dst is grown if shorter than 128·len(angles).
func AngleEncoding(dst []float32, angles []float32) []float32 {
	dst = grow(dst, AngleEncodingDim*len(angles))
	var freq [AngleEncodingDim / 2]float64
	for j := range freq {
		freq[j] = math.Exp(float64(2*j) * (-math.Log(angleEncScaling) / AngleEncodingDim))
	}
	for e, th := range angles {
		r := math.Sqrt(max(float64(th), 0))
		row := dst[AngleEncodingDim*e : AngleEncodingDim*(e+1)]
		for j, f := range freq {
			s, c := math.Sincos(r * f)
			row[2*j], row[2*j+1] = float32(s), float32(c)
		}
	}
	return dst
}
