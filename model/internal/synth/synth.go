// Package synth generates synthetic hit graphs and line graphs with the
// size and degree structure of the paper's frames (100 mm water phantom),
// for tests and benchmarks of package model until simulated frames are
// available: straight-ish proton tracks through 2 tracker layers 52.4 mm
// apart and calorimeter layers 5.5 mm apart, each deeper hit joined to its
// nearest hits in the next shallower layer (dense in the two tracker
// pairs, sparse in the calorimeter), and the line graph of consecutive
// segments in both directions, sorted by (Dst, Src). Units: mm, MeV, rad.
package synth

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
)

// Options shapes a synthetic frame.
type Options struct {
	Protons int     // primaries in the frame
	Layers  int     // occupied layers; 0 means 28
	Tracker float64 // mean out-degree of segments leaving layers 1 and 2
	Calo    float64 // mean out-degree elsewhere
	Seed    uint64
}

// Paper returns options matching the paper's mean sizes for the 100 mm
// phantom at 50 or 100 protons per frame (100: 2,675 hits, ≈ 14.8k
// segments, ≈ 494k line-graph edges; 50: 1,337 hits, ≈ 4.3k segments,
// ≈ 68k edges). Other counts scale the degrees linearly.
func Paper(protons int, seed uint64) Options {
	switch protons {
	case 100:
		return Options{Protons: 100, Tracker: 47.4, Calo: 2.255, Seed: seed}
	case 50:
		return Options{Protons: 50, Tracker: 24.3, Calo: 1.57, Seed: seed}
	}
	return Options{Protons: protons, Tracker: 0.475 * float64(protons), Calo: 1.5 + 0.0072*float64(protons), Seed: seed}
}

func layerZ(k int) float32 {
	switch k {
	case 0:
		return 0
	case 1:
		return 52.4
	}
	return 104.8 + 5.5*float32(k-2)
}

// Frame builds the hit graph and line graph.
func Frame(o Options) (*graph.HitGraph, *graph.LineGraph) {
	o.Layers = cmp.Or(o.Layers, 28)
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	L := o.Layers
	type track struct{ x, y, sx, sy float64 }
	tr := make([]track, o.Protons)
	stop := make([]int, o.Protons)
	for p := range tr {
		tr[p] = track{rng.NormFloat64() * 7.3, rng.NormFloat64() * 7.3, rng.NormFloat64() * 0.004, rng.NormFloat64() * 0.004}
		stop[p] = min(max(int(math.Round(float64(L)-2+1.2*rng.NormFloat64())), 3), L-1)
	}
	var hits []dataset.Hit
	for k := 0; k < L; k++ {
		for p := range tr {
			t := &tr[p]
			if k > 0 {
				dz := float64(layerZ(k) - layerZ(k-1))
				t.x += dz * t.sx
				t.y += dz * t.sy
				frac := math.Min(float64(k)/float64(stop[p]), 1)
				s := 0.003 + 0.04*math.Pow(frac, 6)
				t.sx += s * rng.NormFloat64()
				t.sy += s * rng.NormFloat64()
			}
			if k > stop[p] {
				continue
			}
			frac := float64(k) / float64(stop[p])
			e := 0.02 * (1 + 3*math.Pow(frac, 6)) * math.Exp(0.25*rng.NormFloat64())
			hits = append(hits, dataset.Hit{
				Layer: int32(k), X: float32(t.x), Y: float32(t.y), Z: layerZ(k), Edep: float32(e),
				ClusterSize: int32(2 + min(40, int(e*200))), EventID: int64(p), TrackID: 1, PDG: dataset.PDGProton, Primary: true,
			})
		}
	}
	// Deepest layer first, random order inside a layer.
	keys := make([]float64, len(hits))
	for i := range keys {
		keys[i] = rng.Float64()
	}
	order := make([]int, len(hits))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(hits[b].Layer, hits[a].Layer); c != 0 {
			return c
		}
		return cmp.Compare(keys[a], keys[b])
	})
	sorted := make([]dataset.Hit, len(hits))
	for i, j := range order {
		sorted[i] = hits[j]
	}
	hg := &graph.HitGraph{Hits: sorted}
	hg.Meta.ProtonsPerFrame = o.Protons
	for i, h := range sorted {
		if i == 0 || h.Layer != sorted[i-1].Layer {
			hg.Layers = append(hg.Layers, h.Layer)
			hg.LayerStart = append(hg.LayerStart, int32(i))
		}
	}
	hg.LayerStart = append(hg.LayerStart, int32(len(sorted)))
	// Segments: each deeper hit to its nearest hits one layer up.
	hg.SrcStart = make([]int32, len(sorted)+1)
	for li := 0; li+1 < len(hg.Layers); li++ {
		hg.PairStart = append(hg.PairStart, int32(len(hg.Src)))
		deep := hg.LayerStart[li : li+2]
		up := hg.LayerStart[li+1 : li+3]
		mean := o.Calo
		if hg.Layers[li] < 3 {
			mean = o.Tracker
		}
		cand := make([]int32, 0, up[1]-up[0])
		for a := deep[0]; a < deep[1]; a++ {
			k := int(mean)
			if rng.Float64() < mean-float64(k) {
				k++
			}
			k = min(max(k, 1), int(up[1]-up[0]))
			cand = cand[:0]
			for b := up[0]; b < up[1]; b++ {
				cand = append(cand, b)
			}
			ha := sorted[a]
			d2 := func(b int32) float32 {
				dx, dy := sorted[b].X-ha.X, sorted[b].Y-ha.Y
				return dx*dx + dy*dy
			}
			slices.SortFunc(cand, func(x, y int32) int { return cmp.Compare(d2(x), d2(y)) })
			sel := append([]int32(nil), cand[:k]...)
			slices.Sort(sel)
			for _, b := range sel {
				hg.Src = append(hg.Src, a)
				hg.Dst = append(hg.Dst, b)
				hg.Label = append(hg.Label, ha.EventID == sorted[b].EventID)
				hg.PrimaryLabel = append(hg.PrimaryLabel, ha.EventID == sorted[b].EventID)
			}
			hg.SrcStart[a+1] = int32(len(hg.Src))
		}
	}
	for i := 1; i < len(hg.SrcStart); i++ {
		hg.SrcStart[i] = max(hg.SrcStart[i], hg.SrcStart[i-1])
	}
	hg.PairStart = append(hg.PairStart, int32(len(hg.Src)))
	return hg, LineGraph(hg)
}

// LineGraph builds the line graph of hg: nodes are segments, an edge joins
// a→b and b→c in both directions, sorted by (Dst, Src), with the angle
// between the two segment directions.
func LineGraph(hg *graph.HitGraph) *graph.LineGraph {
	ns := len(hg.Src)
	in := make([][]int32, len(hg.Hits)) // segments ending at each hit
	for s, b := range hg.Dst {
		in[b] = append(in[b], int32(s))
	}
	type edge struct{ src, dst int32 }
	var edges []edge
	for s2 := 0; s2 < ns; s2++ {
		b := hg.Src[s2] // s2 = b→c
		for _, s1 := range in[b] {
			edges = append(edges, edge{s1, int32(s2)}, edge{int32(s2), s1})
		}
	}
	slices.SortFunc(edges, func(x, y edge) int {
		if c := cmp.Compare(x.dst, y.dst); c != 0 {
			return c
		}
		return cmp.Compare(x.src, y.src)
	})
	lg := &graph.LineGraph{NumNodes: ns, DstStart: make([]int32, ns+1)}
	dir := func(s int32) [3]float64 {
		a, b := hg.Hits[hg.Src[s]], hg.Hits[hg.Dst[s]]
		return [3]float64{float64(b.X - a.X), float64(b.Y - a.Y), float64(b.Z - a.Z)}
	}
	for _, e := range edges {
		lg.Src = append(lg.Src, e.src)
		lg.Dst = append(lg.Dst, e.dst)
		lg.DstStart[e.dst+1]++
		u, v := dir(e.src), dir(e.dst)
		c := (u[0]*v[0] + u[1]*v[1] + u[2]*v[2]) / math.Sqrt((u[0]*u[0]+u[1]*u[1]+u[2]*u[2])*(v[0]*v[0]+v[1]*v[1]+v[2]*v[2]))
		lg.Angle = append(lg.Angle, float32(math.Acos(max(-1, min(1, c)))))
		lg.Label = append(lg.Label, hg.Label[e.src] && hg.Label[e.dst] && hg.Hits[hg.Src[e.src]].EventID == hg.Hits[hg.Src[e.dst]].EventID)
	}
	for i := 0; i < ns; i++ {
		lg.DstStart[i+1] += lg.DstStart[i]
	}
	lg.Reverse = make([]int32, len(edges))
	for i, e := range edges {
		// The reverse edge arrives at e.src; its sources are sorted.
		lo, hi := lg.DstStart[e.src], lg.DstStart[e.src+1]
		j, _ := slices.BinarySearch(lg.Src[lo:hi], e.dst)
		lg.Reverse[i] = lo + int32(j)
	}
	lg.CandidatePairs = len(edges) / 2
	return lg
}
