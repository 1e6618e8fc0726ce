package metrics_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/metrics"
)

func TestDisagreement(t *testing.T) {
	cases := []struct {
		a, b          []bool
		differ, union int
	}{
		{nil, nil, 0, 0},
		{[]bool{false, false}, []bool{false, false}, 0, 0},
		{[]bool{true, false, true}, []bool{true, false, true}, 0, 2},
		{[]bool{true, false, false, true}, []bool{false, true, false, true}, 2, 3},
		{[]bool{true, true}, []bool{false, false}, 2, 2},
	}
	for i, c := range cases {
		d, u, err := metrics.Disagreement(c.a, c.b)
		if err != nil || d != c.differ || u != c.union {
			t.Errorf("case %d: got %d, %d, %v; want %d, %d", i, d, u, err, c.differ, c.union)
		}
		// symmetric
		if d2, u2, _ := metrics.Disagreement(c.b, c.a); d2 != d || u2 != u {
			t.Errorf("case %d: not symmetric", i)
		}
	}
	if _, _, err := metrics.Disagreement(make([]bool, 3), make([]bool, 4)); err == nil {
		t.Error("different lengths: no error")
	}
}

func TestStabilityGroups(t *testing.T) {
	var s metrics.Stability
	k := metrics.Key{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: 9}
	// seeds 1, 2, 3: pair (1,2) over two frames: 10/1000 and 30/1000 differ
	// → 0.02 of edges, 40/200 of selected; pair (1,3) 0.04 and 0.4; pair
	// (2,3), added in reverse order, 0.
	s.Add(k, 1, 2, 1000, 10, 100)
	s.Add(k, 2, 1, 1000, 30, 100)
	s.Add(k, 3, 1, 500, 20, 50)
	s.Add(k, 3, 2, 500, 0, 50)
	s.Add(metrics.Key{Method: "ptt", Phantom: "water:100", ProtonsPerFrame: 100}, 1, 2, 100, 0, 0)
	if s.Len() != 4 {
		t.Fatalf("Len %d", s.Len())
	}
	g := s.Groups()
	if len(g) != 2 || g[0].Key.Method != "pat" || g[0].Key.Seed != 0 || g[1].Key.Method != "ptt" {
		t.Fatalf("groups %+v", g)
	}
	p := g[0]
	if p.Seeds != 3 || p.Pairs != 3 || p.Frames != 2 {
		t.Errorf("seeds %d pairs %d frames %d", p.Seeds, p.Pairs, p.Frames)
	}
	mean := (0.02 + 0.04 + 0) / 3
	sd := math.Sqrt((sq(0.02-mean) + sq(0.04-mean) + sq(mean)) / 3)
	if math.Abs(p.OfEdges.Mean-mean) > 1e-15 || math.Abs(p.OfEdges.SD-sd) > 1e-15 || p.OfEdges.N != 3 {
		t.Errorf("of edges %+v, want %g ± %g", p.OfEdges, mean, sd)
	}
	if want := (0.2 + 0.4 + 0) / 3; math.Abs(p.OfSelected.Mean-want) > 1e-15 {
		t.Errorf("of selected %+v, want %g", p.OfSelected, want)
	}
	// no selected segment at all: 0, not NaN
	if q := g[1]; q.OfSelected.Mean != 0 || q.OfEdges.Mean != 0 || q.Pairs != 1 {
		t.Errorf("ptt %+v", q)
	}
	var empty metrics.Stability
	if len(empty.Groups()) != 0 {
		t.Error("empty accumulator has groups")
	}
}

func sq(x float64) float64 { return x * x }

func ExampleDisagreement() {
	seed0 := []bool{true, false, true, false, false}
	seed1 := []bool{true, false, false, true, false}
	differ, union, _ := metrics.Disagreement(seed0, seed1)
	fmt.Printf("%d of %d candidate segments differ (%d of %d selected)\n", differ, len(seed0), differ, union)
	// Output: 2 of 5 candidate segments differ (2 of 3 selected)
}
