package graph

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// twoProtonGraph builds the "two-protons" case with distinct deposits and
// cluster sizes per hit.
func twoProtonGraph(t *testing.T) *HitGraph {
	t.Helper()
	c := testframes.Cases()[0]
	for i := range c.Frame.Hits {
		c.Frame.Hits[i].Edep = 0.01 * float32(i+1)
		c.Frame.Hits[i].ClusterSize = int32(i + 2)
	}
	g, err := Build(&c.Frame, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSegmentFeatures(t *testing.T) {
	g := twoProtonGraph(t)
	x := g.SegmentFeatures(nil)
	if len(x) != 8*len(g.Src) {
		t.Fatalf("len = %d, want %d", len(x), 8*len(g.Src))
	}
	for s := range g.Src {
		a, b := g.Hits[g.Src[s]], g.Hits[g.Dst[s]]
		want := []float32{a.Edep, b.Edep, a.X, a.Y, a.Z, b.X, b.Y, b.Z}
		for k, w := range want {
			if x[8*s+k] != w {
				t.Fatalf("segment %d feature %d = %g, want %g", s, k, x[8*s+k], w)
			}
		}
	}
	// Spot check against the frame: the segment from frame hit 5 (B2, x = 8,
	// edep 0.06) to frame hit 1 (A1, x = 0, edep 0.02).
	found := false
	for s := range g.Src {
		if g.HitIndex[g.Src[s]] == 5 && g.HitIndex[g.Dst[s]] == 1 {
			found = true
			r := x[8*s : 8*s+8]
			if r[0] != 0.06 || r[1] != 0.02 || r[2] != 8 || r[5] != 0 || !near(float64(r[4]-r[7]), 55.75, 1e-4) {
				t.Errorf("B2→A1 features %v", r)
			}
		}
	}
	if !found {
		t.Fatal("no segment B2→A1")
	}
	// dst reuse: no allocation when large enough.
	buf := make([]float32, 0, 1000)
	if y := g.SegmentFeatures(buf); &y[0] != &buf[:1][0] {
		t.Error("SegmentFeatures did not reuse dst")
	}
}

func TestNodeFeatures(t *testing.T) {
	g := twoProtonGraph(t)
	if !near(float64(ClusterNorm), 7.9668, 1e-4) {
		t.Errorf("ClusterNorm = %g, want 7.9668", ClusterNorm)
	}
	for _, tc := range []struct {
		name         string
		spotX, spotY float64
		offX, offY   float64
	}{
		{"spot (0,0)", 0, 0, 4608, 3072},
		{"spot (7,-14)", 7, -14, math.Round(142.4 * 9216 / 270.8), math.Round(69.15 * 6144 / 166.3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g.Meta.SpotX, g.Meta.SpotY = tc.spotX, tc.spotY
			x := g.NodeFeatures(nil)
			for i, h := range g.Hits {
				want := []float64{float64(h.ClusterSize) / 7.96680, (float64(h.X) - tc.offX) / 1000, (float64(h.Y) - tc.offY) / 1000, float64(h.Z)}
				for k, w := range want {
					if !near(float64(x[4*i+k]), w, 1e-5*math.Max(1, math.Abs(w))) {
						t.Fatalf("hit %d feature %d = %g, want %g", i, k, x[4*i+k], w)
					}
				}
			}
		})
	}
	if px, py := SpotPixel(0, 0); px != 4608 || py != 3072 {
		t.Errorf("SpotPixel(0, 0) = %g, %g; want 4608, 3072", px, py)
	}
}

func TestEdgeFeatures(t *testing.T) {
	// One segment from (3, 4, z1) down to (0, 0, z0): d = (3, 4, 52.4).
	f := dataset.Frame{Hits: []dataset.Hit{
		{Layer: 1, X: 3, Y: 4, Z: float32(testframes.LayerZ(1))},
		{Layer: 0, X: 0, Y: 0, Z: float32(testframes.LayerZ(0))},
	}}
	g, err := Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := g.EdgeFeatures(nil)
	dz := testframes.LayerZ(1) - testframes.LayerZ(0)
	rho := math.Sqrt(25 + dz*dz)
	want := []float64{rho, math.Atan2(4, 3), math.Acos(dz / rho)}
	for k, w := range want {
		if !near(float64(x[k]), w, 2e-6*math.Max(1, w)) {
			t.Errorf("feature %d = %.7g, want %.7g", k, x[k], w)
		}
	}
	if !near(float64(x[2]), math.Atan(5/dz), 1e-6) {
		t.Errorf("polar angle %g, want atan(5/%g)", x[2], dz)
	}
}

func TestAngleEncoding(t *testing.T) {
	x := AngleEncoding(nil, []float32{0, 0.01, 0.25})
	if len(x) != 3*128 {
		t.Fatalf("len = %d", len(x))
	}
	tests := []struct {
		row, col int
		want     float64
	}{
		{0, 0, 0}, {0, 1, 1}, {0, 127, 1},
		{1, 0, math.Sin(0.1)}, {1, 1, math.Cos(0.1)},
		{1, 2, math.Sin(0.1 * math.Pow(1000, 2.0/128))},
		{1, 127, math.Cos(0.1 * math.Pow(1000, 126.0/128))},
		{2, 64, math.Sin(0.5 * math.Pow(1000, 64.0/128))},
	}
	for _, tc := range tests {
		if got := float64(x[128*tc.row+tc.col]); !near(got, tc.want, 2e-6) {
			t.Errorf("row %d col %d = %.7g, want %.7g", tc.row, tc.col, got, tc.want)
		}
	}
}
