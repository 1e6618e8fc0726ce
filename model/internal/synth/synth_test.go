package synth

import (
	"math"
	"testing"
)

// TestPaperSizes checks the generator against the paper's mean sizes for
// the 100 mm phantom (tables/graph_sizes_*.tex) and the line-graph layout
// contract: edges sorted by (Dst, Src), consistent offsets and reverses.
func TestPaperSizes(t *testing.T) {
	for _, tc := range []struct{ protons, hits, segs, edges int }{
		{50, 1337, 4311, 68328},
		{100, 2675, 14837, 493910},
	} {
		hg, lg := Frame(Paper(tc.protons, 1))
		within := func(got, want int, tol float64) bool {
			return math.Abs(float64(got-want)) <= tol*float64(want)
		}
		if !within(len(hg.Hits), tc.hits, 0.01) || !within(len(hg.Src), tc.segs, 0.01) || !within(len(lg.Src), tc.edges, 0.02) {
			t.Errorf("p%d: %d hits, %d segments, %d line-graph edges; paper %d, %d, %d",
				tc.protons, len(hg.Hits), len(hg.Src), len(lg.Src), tc.hits, tc.segs, tc.edges)
		}
		for e := range lg.Src {
			if e > 0 && (lg.Dst[e] < lg.Dst[e-1] || lg.Dst[e] == lg.Dst[e-1] && lg.Src[e] <= lg.Src[e-1]) {
				t.Fatalf("p%d: edge %d out of (Dst, Src) order", tc.protons, e)
			}
			if r := lg.Reverse[e]; lg.Src[r] != lg.Dst[e] || lg.Dst[r] != lg.Src[e] {
				t.Fatalf("p%d: Reverse[%d] is not the reverse edge", tc.protons, e)
			}
			if e < int(lg.DstStart[lg.Dst[e]]) || e >= int(lg.DstStart[lg.Dst[e]+1]) {
				t.Fatalf("p%d: edge %d outside its destination's range", tc.protons, e)
			}
		}
	}
}
