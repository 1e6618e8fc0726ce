package graph_test

import (
	"fmt"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
)

// Two protons cross the two tracker layers and the first calorimeter
// layer; proton 2 runs 8 mm beside proton 1, well inside the 0.2 rad
// tracker cone, so every hit connects to both hits of the next layer.
func exampleFrame() dataset.Frame {
	z := []float32{225.2315, 277.6315, 333.3815}
	var f dataset.Frame
	for ev, x := range []float32{0, 8} {
		for l := range 3 {
			f.Hits = append(f.Hits, dataset.Hit{Layer: int32(l), X: x, Z: z[l], Edep: 0.02, EventID: int64(ev + 1), Primary: true})
		}
	}
	return f
}

func ExampleBuild() {
	f := exampleFrame()
	g, err := graph.Build(&f, nil) // the paper's cones: 0.2 rad in the tracker, 0.4 rad behind
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("layers, deepest first:", g.Layers, "starting at", g.LayerStart)
	for s := range g.Src {
		a, b := g.Hits[g.Src[s]], g.Hits[g.Dst[s]]
		fmt.Printf("segment %d: hit %d (layer %d, x=%g) -> hit %d (layer %d, x=%g) true=%v\n",
			s, g.Src[s], a.Layer, a.X, g.Dst[s], b.Layer, b.X, g.Label[s])
	}
	fmt.Println("candidate pairs:", g.CandidatePairs)
	// Output:
	// layers, deepest first: [2 1 0] starting at [0 2 4 6]
	// segment 0: hit 0 (layer 2, x=0) -> hit 2 (layer 1, x=0) true=true
	// segment 1: hit 0 (layer 2, x=0) -> hit 3 (layer 1, x=8) true=false
	// segment 2: hit 1 (layer 2, x=8) -> hit 2 (layer 1, x=0) true=false
	// segment 3: hit 1 (layer 2, x=8) -> hit 3 (layer 1, x=8) true=true
	// segment 4: hit 2 (layer 1, x=0) -> hit 4 (layer 0, x=0) true=true
	// segment 5: hit 2 (layer 1, x=0) -> hit 5 (layer 0, x=8) true=false
	// segment 6: hit 3 (layer 1, x=8) -> hit 4 (layer 0, x=0) true=false
	// segment 7: hit 3 (layer 1, x=8) -> hit 5 (layer 0, x=8) true=true
	// candidate pairs: 8
}

func ExampleNewLineGraph() {
	f := exampleFrame()
	g, err := graph.Build(&f, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	lg, err := graph.NewLineGraph(g, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("nodes:", lg.NumNodes, "edges (both directions):", len(lg.Src))
	// The edges arriving at segment 4 (hit 2 -> hit 4, proton 1 in the
	// tracker) come from the two segments ending in hit 2.
	for e := lg.DstStart[4]; e < lg.DstStart[5]; e++ {
		fmt.Printf("edge %d: segment %d -> %d, angle %.4f rad, true=%v, reverse %d\n",
			e, lg.Src[e], lg.Dst[e], lg.Angle[e], lg.Label[e], lg.Reverse[e])
	}
	// Output:
	// nodes: 8 edges (both directions): 16
	// edge 8: segment 0 -> 4, angle 0.0000 rad, true=true, reverse 0
	// edge 9: segment 2 -> 4, angle 0.1425 rad, true=false, reverse 4
}

// A PairFilter drops line-graph edges, here the pairs that scatter by
// 0.1 rad or more: only the two straight proton tracks survive.
func ExampleNewLineGraph_filter() {
	f := exampleFrame()
	g, _ := graph.Build(&f, nil)
	lg, err := graph.NewLineGraph(g, &graph.LineOptions{Filter: graph.MaxAngle(0.1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("pairs before the cut:", lg.CandidatePairs, "edges kept:", len(lg.Src))
	// Output:
	// pairs before the cut: 8 edges kept: 4
}
