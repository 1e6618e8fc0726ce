package graph

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/internal/testframes"
)

type lgEdge struct {
	src, dst int32
	angle    float64
}

// naiveLineGraph enumerates all segment pairs sharing a hit in O(S²), both
// directions, sorted by (Dst, Src), with float64 acos angles.
func naiveLineGraph(g *HitGraph) []lgEdge {
	var out []lgEdge
	dir := func(s int32) [3]float64 {
		a, b := g.Hits[g.Src[s]], g.Hits[g.Dst[s]]
		return [3]float64{float64(a.X) - float64(b.X), float64(a.Y) - float64(b.Y), float64(a.Z) - float64(b.Z)}
	}
	for s1 := range int32(len(g.Src)) {
		for s2 := range int32(len(g.Src)) {
			if g.Dst[s1] != g.Src[s2] {
				continue
			}
			u, v := dir(s1), dir(s2)
			c := (u[0]*v[0] + u[1]*v[1] + u[2]*v[2]) /
				math.Sqrt(u[0]*u[0]+u[1]*u[1]+u[2]*u[2]) / math.Sqrt(v[0]*v[0]+v[1]*v[1]+v[2]*v[2])
			a := math.Acos(max(-1, min(1, c)))
			out = append(out, lgEdge{s1, s2, a}, lgEdge{s2, s1, a})
		}
	}
	slices.SortFunc(out, func(p, q lgEdge) int {
		if p.dst != q.dst {
			return int(p.dst - q.dst)
		}
		return int(p.src - q.src)
	})
	return out
}

func checkAgainstNaive(t *testing.T, g *HitGraph, lg *LineGraph, keep func(angle float64) bool) {
	t.Helper()
	var want []lgEdge
	for _, e := range naiveLineGraph(g) {
		if keep == nil || keep(e.angle) {
			want = append(want, e)
		}
	}
	if len(lg.Src) != len(want) {
		t.Fatalf("%d edges, naive %d", len(lg.Src), len(want))
	}
	for e, w := range want {
		if lg.Src[e] != w.src || lg.Dst[e] != w.dst {
			t.Fatalf("edge %d = %d→%d, naive %d→%d", e, lg.Src[e], lg.Dst[e], w.src, w.dst)
		}
		if d := math.Abs(float64(lg.Angle[e]) - w.angle); d > 1e-7+4e-7*w.angle {
			t.Fatalf("edge %d angle %.9g, naive %.9g", e, lg.Angle[e], w.angle)
		}
	}
}

func TestLineGraphCases(t *testing.T) {
	for _, tc := range testframes.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			g := mustBuild(t, &tc.Frame, nil)
			lg := mustLineGraph(t, g, &LineOptions{Validate: true})
			st := ComputeStats(g, lg)
			if lg.CandidatePairs != tc.LinePairs || len(lg.Src) != 2*tc.LinePairs {
				t.Errorf("%d pairs, %d edges; want %d, %d", lg.CandidatePairs, len(lg.Src), tc.LinePairs, 2*tc.LinePairs)
			}
			if st.TrueLineEdges != 2*tc.TrueLinePairs {
				t.Errorf("true edges %d, want %d", st.TrueLineEdges, 2*tc.TrueLinePairs)
			}
			if st.PrimaryPairs != tc.PrimaryPairs || st.PrimaryPairsKept != tc.PrimaryPairs || st.PairEfficiency != 1 {
				t.Errorf("primary pairs %d kept %d (eff %g), want %d all kept",
					st.PrimaryPairs, st.PrimaryPairsKept, st.PairEfficiency, tc.PrimaryPairs)
			}
			checkAgainstNaive(t, g, lg, nil)
		})
	}
}

// TestLineGraphAngles checks hand-computed angles in the case
// "three-protons-secondary": straight protons scatter by 0, proton 11 bends
// at layer 2 from dx/dz = 0.5/5.5 to 1/55.75.
func TestLineGraphAngles(t *testing.T) {
	c := testframes.Cases()[1]
	g := mustBuild(t, &c.Frame, nil)
	lg := mustLineGraph(t, g, nil)
	seg := func(deep, shallow int) int32 {
		for s := range g.Src {
			if int(g.HitIndex[g.Src[s]]) == deep && int(g.HitIndex[g.Dst[s]]) == shallow {
				return int32(s)
			}
		}
		t.Fatalf("no segment %d→%d", deep, shallow)
		return -1
	}
	angle := func(u, v int32) float64 {
		for e := lg.DstStart[v]; e < lg.DstStart[v+1]; e++ {
			if lg.Src[e] == u {
				return float64(lg.Angle[e])
			}
		}
		t.Fatalf("no edge %d→%d", u, v)
		return 0
	}
	tests := []struct {
		name   string
		in     [2]int // deeper segment a→b
		out    [2]int // b→c
		want   float64
		within float64
	}{
		{"proton 10 straight", [2]int{3, 2}, [2]int{2, 1}, 0, 1e-7},
		{"proton 11 kink at layer 2", [2]int{10, 9}, [2]int{9, 8}, math.Atan(0.5/5.5) - math.Atan(1/55.75), 3e-7},
		{"proton 11 kink at layer 3", [2]int{11, 10}, [2]int{10, 9}, 0, 1e-7},
		{"10 to 12 in the tracker", [2]int{2, 1}, [2]int{1, 12}, math.Atan(5 / (testframes.LayerZ(1) - testframes.LayerZ(0))), 3e-7},
		{"secondary into 10", [2]int{6, 5}, [2]int{5, 2}, math.Atan(1/5.5) - math.Atan(0.5/5.5), 3e-7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, v := seg(tc.in[0], tc.in[1]), seg(tc.out[0], tc.out[1])
			for _, got := range []float64{angle(u, v), angle(v, u)} {
				if math.Abs(got-tc.want) > tc.within {
					t.Errorf("angle = %.9g, want %.9g", got, tc.want)
				}
			}
		})
	}
}

func TestLineGraphMatchesNaive(t *testing.T) {
	frames := testframes.SyntheticFrames(21, 2, testframes.SynthOptions{Protons: 30})
	frames = append(frames, testframes.Synthetic(testframes.Stream(22, 0), testframes.SynthOptions{Protons: 20, Water: 200}))
	for i := range frames {
		g, err := Build(&frames[i], &Options{TrackerCone: 0.6, CaloCone: 1.4}) // wide cones: large angles too
		if err != nil {
			t.Fatal(err)
		}
		lg := mustLineGraph(t, g, &LineOptions{Validate: true})
		checkAgainstNaive(t, g, lg, nil)
	}
}

// countingFilter is a MaxAngle cut that records its calls.
type countingFilter struct {
	max              float32
	prepared, called int
	prepErr          error
}

func (c *countingFilter) Prepare(*HitGraph) error { c.prepared++; return c.prepErr }

func (c *countingFilter) KeepPair(g *HitGraph, in, out int32, angle float32) bool {
	c.called++
	if g.Dst[in] != g.Src[out] {
		panic("filter called with segments that do not share a hit")
	}
	return angle < c.max
}

func TestLineGraphFilter(t *testing.T) {
	f := testframes.Synthetic(testframes.Stream(31, 0), testframes.SynthOptions{Protons: 40})
	g := mustBuild(t, &f, nil)
	full := mustLineGraph(t, g, nil)
	for _, max := range []float32{0, 0.01, 0.05, 0.2, 4} {
		cf := &countingFilter{max: max}
		lg := mustLineGraph(t, g, &LineOptions{Filter: cf, Validate: true})
		if cf.prepared != 1 || cf.called != full.CandidatePairs || lg.CandidatePairs != full.CandidatePairs {
			t.Errorf("max %g: Prepare called %d times, KeepPair %d times; want 1, %d", max, cf.prepared, cf.called, full.CandidatePairs)
		}
		checkAgainstNaive(t, g, lg, func(a float64) bool { return float32(a) < max })
		// MaxAngle gives the same graph.
		lg2 := mustLineGraph(t, g, &LineOptions{Filter: MaxAngle(max)})
		if !reflect.DeepEqual(lg, lg2) {
			t.Errorf("max %g: MaxAngle and the counting filter differ", max)
		}
		if max == 4 && !reflect.DeepEqual(lg, full) {
			t.Errorf("a filter keeping everything changes the line graph")
		}
	}
	n := 0
	all := PairFilterFunc(func(*HitGraph, int32, int32, float32) bool { n++; return n%2 == 0 })
	lg := mustLineGraph(t, g, &LineOptions{Filter: all, Validate: true})
	if len(lg.Src) != 2*(full.CandidatePairs/2) {
		t.Errorf("every second pair: %d edges, want %d", len(lg.Src), 2*(full.CandidatePairs/2))
	}

	cf := &countingFilter{prepErr: errors.New("no energy estimate")}
	if _, err := NewLineGraph(g, &LineOptions{Filter: cf}); err == nil ||
		!strings.Contains(err.Error(), "pair filter: no energy estimate") || cf.called != 0 {
		t.Errorf("Prepare error: err = %v after %d calls", err, cf.called)
	}
}

func TestLineGraphEmptyAndReuse(t *testing.T) {
	lb := NewLineBuilder(nil)
	var lg LineGraph
	frames := testframes.SyntheticFrames(41, 2, testframes.SynthOptions{Protons: 20})
	for i := range frames {
		g := mustBuild(t, &frames[i], nil)
		if err := lb.Build(&lg, g); err != nil {
			t.Fatal(err)
		}
		fresh, _ := NewLineGraph(g, nil)
		if !reflect.DeepEqual(&lg, fresh) {
			t.Fatalf("frame %d: reused line graph differs", i)
		}
	}
	// Two layers that are not adjacent: hits but no segments.
	c := testframes.Cases()[0].Frame
	c.Hits = c.Hits[:1]
	c.Hits = append(c.Hits, c.Hits[0])
	c.Hits[1].Layer, c.Hits[1].Z = 5, float32(testframes.LayerZ(5))
	g := mustBuild(t, &c, &Options{Validate: true})
	if err := lb.Build(&lg, g); err != nil {
		t.Fatal(err)
	}
	if lg.NumNodes != 0 || len(lg.Src) != 0 || len(lg.DstStart) != 1 {
		t.Errorf("empty line graph: %d nodes, %d edges, DstStart %v", lg.NumNodes, len(lg.Src), lg.DstStart)
	}
	if err := lg.Verify(g); err != nil {
		t.Error(err)
	}
}

func TestLineGraphVerifyDetects(t *testing.T) {
	g := mustBuild(t, &testframes.Cases()[1].Frame, nil)
	tests := []struct {
		name    string
		corrupt func(lg *LineGraph)
		msg     string
	}{
		{"reverse", func(lg *LineGraph) { lg.Reverse[0] = lg.Reverse[1] }, "Reverse"},
		{"label", func(lg *LineGraph) { lg.Label[3] = !lg.Label[3] }, "label"},
		{"angle", func(lg *LineGraph) { lg.Angle[2] = float32(math.NaN()) }, "angle"},
		{"no shared hit", func(lg *LineGraph) { lg.Src[0] = lg.Dst[0] }, ""},
		{"nodes", func(lg *LineGraph) { lg.NumNodes++ }, "NumNodes"},
		{"dst start", func(lg *LineGraph) { lg.DstStart[len(lg.DstStart)-1]-- }, "DstStart"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lg := mustLineGraph(t, g, nil)
			tc.corrupt(lg)
			if err := lg.Verify(g); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Verify() = %v, want an error containing %q", err, tc.msg)
			}
		})
	}
}

func TestAsin01(t *testing.T) {
	worst := 0.0
	for i := 0; i <= 100000; i++ {
		x := float64(i) / 100000
		want := math.Asin(x)
		got := asin01(x)
		if want > 0 {
			worst = max(worst, math.Abs(got-want)/want)
		} else if got != 0 {
			t.Fatalf("asin01(0) = %g", got)
		}
	}
	if worst > 3e-7 {
		t.Errorf("asin01 relative error %.3g, want <= 3e-7", worst)
	}
	for _, x := range []float64{1e-300, 1e-9, 1e-4} {
		if got := asin01(x); math.Abs(got-math.Asin(x))/x > 1e-12 {
			t.Errorf("asin01(%g) = %g", x, got)
		}
	}
}
