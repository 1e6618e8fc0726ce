package recon

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// testPhantom is a small phantom for fast tests: a water body of R 60 mm
// with four 12 mm inserts at 35 mm.
func testPhantom() diskPhantom {
	p := diskPhantom{{0, 0, 60, 1.0}}
	for k, rsp := range []float64{0.001, 0.88, 1.36, 1.83} {
		s, c := math.Sincos(float64(k) * math.Pi / 2)
		p = append(p, disk{35 * c, 35 * s, 12, rsp})
	}
	return p
}

func (p diskPhantom) rois(shrink float64) []ROI {
	var out []ROI
	for _, d := range p {
		r := d.R - shrink
		if d.R > 30 {
			r = 8 // the body: a disk at the centre
		}
		out = append(out, ROI{X: d.X, Z: d.Z, R: r, Truth: d.RSP})
	}
	return out
}

var testGrid = Grid{NX: 72, NZ: 72, Pixel: 2}

func TestTracerLengths(t *testing.T) {
	g, _ := Grid{NX: 10, NZ: 8, Pixel: 2}.resolved()
	tr := newTracer(&g)
	r := rand.New(rand.NewPCG(1, 1))
	for n := range 2000 {
		a := Point{30 * (2*r.Float64() - 1), 30 * (2*r.Float64() - 1)}
		b := Point{30 * (2*r.Float64() - 1), 30 * (2*r.Float64() - 1)}
		if n < 10 { // axis-parallel and through corners
			a, b = Point{-30, float64(n) - 4}, Point{30, float64(n) - 4}
		}
		deg := 360 * r.Float64()
		tr.reset(deg)
		tr.polyline([]Point{a, b}, 0)
		var sum float64
		for k, l := range tr.len {
			sum += float64(l)
			// the pixel must contain a point of the segment: check its centre's distance to the line
			j := int(tr.idx[k])
			X, Z := g.Center(j%g.NX, j/g.NX)
			ax, az := dataset.BeamToObject(deg, a.X, a.Z)
			bx, bz := dataset.BeamToObject(deg, b.X, b.Z)
			d := math.Abs((bx-ax)*(az-Z)-(ax-X)*(bz-az)) / math.Hypot(bx-ax, bz-az)
			if d > g.Pixel/math.Sqrt2+1e-9 {
				t.Fatalf("segment %d: pixel %d at distance %.3f mm from the line", n, j, d)
			}
		}
		// reference: the clipped length by dense sampling
		ax, az := dataset.BeamToObject(deg, a.X, a.Z)
		bx, bz := dataset.BeamToObject(deg, b.X, b.Z)
		const m = 20000
		in := 0
		hx, hz := g.HalfWidths()
		for q := range m {
			f := (float64(q) + 0.5) / m
			x, z := ax+f*(bx-ax), az+f*(bz-az)
			if math.Abs(x) < hx && math.Abs(z) < hz {
				in++
			}
		}
		want := float64(in) / m * math.Hypot(bx-ax, bz-az)
		if math.Abs(sum-want) > 0.02 {
			t.Fatalf("segment %d: chord lengths sum to %.4f mm, the clipped segment is %.4f mm", n, sum, want)
		}
	}
}

func TestMLPOfAStraightLineIsStraight(t *testing.T) {
	ph := testPhantom()
	pr := straightProtons(ph, 300, 10, 55, 0.01, 3)
	a, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Kind: Straight}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []PathKind{MLP, Spline} {
		b, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Kind: kind}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if a.Rows() != b.Rows() {
			t.Fatalf("%v: %d rows, straight %d", kind, b.Rows(), a.Rows())
		}
		for i := range a.Rows() {
			ra := map[int]float64{}
			a.Row(i, func(j int, l float64) { ra[j] += l })
			b.Row(i, func(j int, l float64) { ra[j] -= l })
			for j, d := range ra {
				// the spline's Λ ≠ 1 bends its parametrisation, not its
				// trace, for a straight pair
				if math.Abs(d) > 1e-3 {
					t.Fatalf("%v: row %d pixel %d differs from the straight line by %g mm", kind, i, j, d)
				}
			}
		}
	}
}

func TestReconstructAnalyticPhantom(t *testing.T) {
	ph := testPhantom()
	pr := straightProtons(ph, 30000, 60, 70, 0.005, 1)
	for _, tc := range []struct {
		name string
		path PathKind
		opt  Options
		tol  float64
	}{
		{"straight DROP", Straight, Options{}, 0.01},
		{"MLP DROP", MLP, Options{}, 0.01},
		{"spline SART", Spline, Options{Method: SART, Relaxation: 1}, 0.01},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sys, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Kind: tc.path, Hull: 65}, 0)
			if err != nil {
				t.Fatal(err)
			}
			im, err := Solve(context.Background(), sys, &tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			// the target: 1 % (|ΔRSP| ≤ 0.01 for air)
			for _, s := range Measure(im, ph.rois(4.5)) {
				if math.Abs(s.Diff) > tc.tol*max(1, s.Truth) {
					t.Errorf("ROI at (%g, %g): RSP %.4f ± %.4f, truth %.4f", s.X, s.Z, s.Mean, s.Std, s.Truth)
				}
			}
			// outside the hull: air
			if v, _ := im.At(69, 69); v != 0 {
				t.Errorf("pixel outside the hull is %g, want 0", v)
			}
		})
	}
}

func TestSolveDeterministic(t *testing.T) {
	pr := straightProtons(testPhantom(), 20000, 30, 70, 0.005, 2)
	var first []float32
	for _, w := range []int{1, 2, 5} {
		sys, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Hull: 65}, w)
		if err != nil {
			t.Fatal(err)
		}
		im, err := Solve(context.Background(), sys, &Options{Workers: w, Iterations: 3, TV: TVOptions{Perturbations: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = im.RSP
			continue
		}
		for j := range first {
			if first[j] != im.RSP[j] {
				t.Fatalf("%d workers: pixel %d is %v, with 1 worker %v", w, j, im.RSP[j], first[j])
			}
		}
	}
}

// TestSolveMoreBlocksThanRows: blocks beyond one row each are empty, so
// any number of them gives the image of one block per row.
func TestSolveMoreBlocksThanRows(t *testing.T) {
	pr := straightProtons(testPhantom(), 300, 30, 70, 0.005, 2)
	sys, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Hull: 65}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var first []float32
	for _, m := range []Method{DROP, SART} {
		for _, blocks := range []int{sys.rows, sys.rows + 1, 50 * sys.rows} {
			im, err := Solve(context.Background(), sys, &Options{Method: m, Blocks: blocks, Iterations: 2})
			if err != nil {
				t.Fatal(err)
			}
			if blocks == sys.rows {
				first = im.RSP
				continue
			}
			for j := range first {
				if first[j] != im.RSP[j] {
					t.Fatalf("%v, %d blocks for %d rows: pixel %d is %v, with one block per row %v", m, blocks, sys.rows, j, im.RSP[j], first[j])
				}
			}
		}
	}
}

func TestTVGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	nx, nz := 7, 5
	x := make([]float64, nx*nz)
	for j := range x {
		x[j] = r.Float64()
	}
	g := TVGradient(nil, x, nx, nz)
	for j := range x {
		h := 1e-6
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[j] += h
		xm[j] -= h
		fd := (TV(xp, nx, nz) - TV(xm, nx, nz)) / (2 * h)
		if math.Abs(fd-g[j]) > 1e-5*max(1, math.Abs(fd)) {
			t.Errorf("pixel %d: gradient %g, finite difference %g", j, g[j], fd)
		}
	}
}

var tvStep, tvKernel float64

func TestSuperiorizationReducesNoise(t *testing.T) {
	ph := testPhantom()
	pr := straightProtons(ph, 30000, 60, 70, 0.005, 4)
	r := rand.New(rand.NewPCG(4, 4))
	for i := range pr {
		pr[i].WEPL += 3.9 * r.NormFloat64() // the DTC's range spread per proton
	}
	sys, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Kind: Straight, Hull: 65}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var std [2]float64
	var tv [2]float64
	for k, n := range []int{0, 5} {
		im, err := Solve(context.Background(), sys, &Options{TV: TVOptions{Perturbations: n, Step: tvStep, Kernel: tvKernel}})
		if err != nil {
			t.Fatal(err)
		}
		st := Measure(im, ph.rois(3))
		std[k] = st[0].Std
		x := make([]float64, len(im.RSP))
		for j, v := range im.RSP {
			x[j] = float64(v)
		}
		tv[k] = TV(x, im.Grid.NX, im.Grid.NZ)
		for _, s := range st {
			if math.Abs(s.Diff) > 0.02 {
				t.Errorf("TV %d: ROI at (%g, %g): RSP %.4f, truth %.4f", n, s.X, s.Z, s.Mean, s.Truth)
			}
		}
	}
	t.Logf("body std %.4f without TVS, %.4f with; TV %.1f → %.1f", std[0], std[1], tv[0], tv[1])
	if !(tv[1] < 0.9*tv[0]) || !(std[1] < std[0]) {
		t.Errorf("superiorization: TV %.1f → %.1f, body std %.4f → %.4f; want both lower", tv[0], tv[1], std[0], std[1])
	}
}

func TestCut(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var pr []dataset.Proton
	const n = 20000
	for i := range n {
		x := 20 * (2*r.Float64() - 1)
		p := dataset.Proton{Angle: float64(i % 4 * 90), In: dataset.PlaneState{X: x, Z: -100},
			Out: dataset.PlaneState{X: x, Z: 100, TX: 0.01 * r.NormFloat64(), TY: 0.01 * r.NormFloat64()}, WEPL: 150 + 3*r.NormFloat64()}
		switch i % 100 {
		case 7: // a nuclear-like outlier in WEPL
			p.WEPL -= 60
		case 13: // a wide-angle outlier (through the same point at z = 0)
			p.Out.TX = 0.2
			p.Out.X += 0.2 * 100
		}
		pr = append(pr, p)
	}
	for _, robust := range []bool{false, true} {
		kept, st, err := Cut(nil, pr, &CutOptions{Bin: 2, Robust: robust})
		if err != nil {
			t.Fatal(err)
		}
		if st.In != n || st.Kept != len(kept) || st.Kept+st.Angle+st.WEPL+st.Sparse != n {
			t.Fatalf("robust %v: counts %+v do not add up to %d", robust, st, n)
		}
		for _, p := range kept {
			if p.WEPL < 120 || p.Out.TX > 0.1 {

				t.Fatalf("robust %v: an outlier (WEPL %g, angle %g) passed", robust, p.WEPL, p.Out.TX)
			}
		}
		// about 0.27 % of each of three Gaussians is beyond 3σ, plus the 2 % outliers
		lost := float64(n-st.Kept) / n
		if lost < 0.02 || lost > 0.035 {
			t.Errorf("robust %v: cut %.2f %% of the protons, want 2–3.5 %% (%+v)", robust, 100*lost, st)
		}
	}
	bad := append([]dataset.Proton(nil), pr[:10]...)
	bad[3].WEPL = math.NaN()
	if _, _, err := Cut(nil, bad, nil); err == nil || !strings.Contains(err.Error(), "proton 3") {
		t.Errorf("NaN WEPL: error %v, want one naming proton 3", err)
	}
}

func TestBadInput(t *testing.T) {
	pr := straightProtons(testPhantom(), 10, 2, 50, 0, 1)
	pr[4].WEPL = math.NaN()
	if _, err := NewSystem(context.Background(), pr, testGrid, nil, 1); err == nil || !strings.Contains(err.Error(), "proton 4") {
		t.Errorf("NaN WEPL: %v", err)
	}
	pr[4].WEPL = 1
	if _, err := NewSystem(context.Background(), pr, Grid{Pixel: -1}, nil, 1); err == nil {
		t.Error("negative pixel accepted")
	}
	if _, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Hull: 200}, 1); err == nil {
		t.Error("hull wider than the proton range accepted")
	}
	sys, err := NewSystem(context.Background(), pr, testGrid, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Relaxation: 2}, {Blocks: -1}, {Initial: math.Inf(1)}, {TV: TVOptions{Perturbations: 1, Kernel: 1.5}}} {
		if _, err := Solve(context.Background(), sys, &o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	empty, _ := NewSystem(context.Background(), nil, testGrid, nil, 1)
	if _, err := Solve(context.Background(), empty, nil); err == nil {
		t.Error("no protons: no error")
	}
}

func TestEdgeMTF(t *testing.T) {
	// a disk of R 40 mm blurred by a Gaussian of σ: MTF(f) = exp(−2π²σ²f²)
	for _, sigma := range []float64{0.8, 1.5} {
		g := Grid{NX: 200, NZ: 200, Pixel: 0.5}
		im := NewImage(g, 0)
		for k := range g.NZ {
			for i := range g.NX {
				X, Z := im.Grid.Center(i, k)
				r := math.Hypot(X, Z)
				im.RSP[k*g.NX+i] = float32(0.5 * math.Erfc((r-40)/(sigma*math.Sqrt2)))
			}
		}
		m, err := EdgeMTF(im, 0, 0, 40, 8*sigma)
		if err != nil {
			t.Fatal(err)
		}
		want := 10 * math.Sqrt(math.Ln10/(2*math.Pi*math.Pi*sigma*sigma))
		if math.Abs(m.MTF10/want-1) > 0.05 || math.Abs(m.Crossing(0.1)/m.MTF10-1) > 1e-12 {
			t.Errorf("σ %g mm: MTF10 %.3f lp/cm (crossing %.3f), want %.3f", sigma, m.MTF10, m.Crossing(0.1), want)
		}
		// MTF50: exp(−2π²σ²f²) = 1/2
		if want := 10 * math.Sqrt(math.Ln2/(2*math.Pi*math.Pi*sigma*sigma)); math.Abs(m.Crossing(0.5)/want-1) > 0.05 {
			t.Errorf("σ %g mm: MTF50 %.3f lp/cm, want %.3f", sigma, m.Crossing(0.5), want)
		}
	}
	if _, err := EdgeMTF(NewImage(testGrid, 1), 0, 0, 200, 5); err == nil {
		t.Error("edge off the grid: no error")
	}
}

func TestImageRoundTrip(t *testing.T) {
	dir := t.TempDir()
	im := NewImage(Grid{NX: 5, NZ: 3, Pixel: 0.8, Y: 2, Thickness: 4}, 0)
	for j := range im.RSP {
		im.RSP[j] = float32(j) / 7
	}
	path := filepath.Join(dir, "a.mhd")
	if err := WriteImage(path, im, map[string]any{"commit": "x"}); err != nil {
		t.Fatal(err)
	}
	got, err := ReadImage(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Grid != im.Grid {
		t.Errorf("grid %+v, want %+v", got.Grid, im.Grid)
	}
	for j := range im.RSP {
		if got.RSP[j] != im.RSP[j] {
			t.Fatalf("voxel %d: %v, want %v", j, got.RSP[j], im.RSP[j])
		}
	}
	hdr, _ := os.ReadFile(path)
	for _, want := range []string{"NDims = 3", "DimSize = 5 1 3", "ElementSpacing = 0.8 4 0.8", "Offset = -1.6 2 -0.8", "ElementDataFile = a.raw"} {
		if !strings.Contains(string(hdr), want) {
			t.Errorf("header lacks %q:\n%s", want, hdr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.json")); err != nil {
		t.Error(err)
	}
	// corrupt: a truncated .raw
	os.WriteFile(filepath.Join(dir, "a.raw"), []byte{1, 2, 3}, 0o644)
	if _, err := ReadImage(path); err == nil {
		t.Error("truncated raw file read without error")
	}
}

func TestExportPairs(t *testing.T) {
	dir := t.TempDir()
	pr := straightProtons(testPhantom(), 30, 3, 50, 0.01, 1)
	n, err := ExportPairs(dir, pr)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("%d files, want 3", n)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "pairs0001.raw"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 10*15*4 {
		t.Errorf("pairs0001.raw has %d bytes, want %d", len(raw), 10*15*4)
	}
	hdr, _ := os.ReadFile(filepath.Join(dir, "pairs0001.mhd"))
	if !strings.Contains(string(hdr), "DimSize = 5 10") || !strings.Contains(string(hdr), "ElementNumberOfChannels = 3") {
		t.Errorf("header:\n%s", hdr)
	}
	angles, _ := os.ReadFile(filepath.Join(dir, "angles.txt"))
	if string(angles) != "0 0 10\n1 120 10\n2 240 10\n" {
		t.Errorf("angles.txt:\n%s", angles)
	}
}

// TestRowSumsAreHullChords checks the stored rows (both index widths): a
// straight proton's lengths add up to its chord through the hull.
func TestRowSumsAreHullChords(t *testing.T) {
	for _, g := range []Grid{{NX: 128, NZ: 128, Pixel: 1}, {NX: 300, NZ: 300, Pixel: 0.5}} {
		pr := straightProtons(testPhantom(), 500, 7, 70, 0.01, 9)
		sys, err := NewSystem(context.Background(), pr, g, &PathOptions{Kind: Straight, Hull: 60}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if sys.Rows()+sys.Skipped != len(pr) {
			t.Fatalf("%d rows + %d skipped != %d protons", sys.Rows(), sys.Skipped, len(pr))
		}
		row := 0
		for i := range pr {
			z0, z1, ok := hullCrossing(pr[i].Out.X, pr[i].Out.Z, pr[i].Out.TX, 60)
			if !ok {
				continue
			}
			want := (z1 - z0) * math.Hypot(1, pr[i].Out.TX)
			if want < minRowPixels*g.Pixel {
				continue // skims the hull: no row
			}
			var sum float64
			sys.Row(row, func(j int, a float64) { sum += a })
			row++
			// lengths are stored to 3·10⁻⁵ pixel; along a nearly
			// axis-parallel line they all round the same way
			if math.Abs(sum-want) > 3e-5*want {
				t.Fatalf("%d × %d grid, proton %d: row sums to %.5f mm, chord %.5f mm", g.NX, g.NZ, i, sum, want)
			}
		}
	}
}

// TestSkimmingProtons checks that protons grazing the hull (chords of
// µm) leave the image finite: they make no rows.
func TestSkimmingProtons(t *testing.T) {
	pr := straightProtons(testPhantom(), 2000, 20, 60, 0, 1)
	for i := range pr {
		x := 65 - math.Pow(10, -float64(3+i%12)) // chords of 0.5 mm down to 0.2 µm
		if i%2 == 0 {
			x = -x
		}
		pr[i].In.X, pr[i].Out.X, pr[i].WEPL = x, x, 5
	}
	good := straightProtons(testPhantom(), 2000, 20, 60, 0, 2)
	sys, err := NewSystem(context.Background(), append(pr, good...), testGrid, &PathOptions{Hull: 65}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sys.Skipped < len(pr) {
		t.Errorf("%d protons skipped, want the %d skimming ones", sys.Skipped, len(pr))
	}
	im, err := Solve(context.Background(), sys, nil)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range im.RSP {
		if !(v < 3) {
			t.Fatalf("pixel %d is %v", j, v)
		}
	}
}

// TestNegativeUnbiasesAir checks Options.Negative: with noisy WEPL the
// clamp at 0 lifts the air insert by a fraction of its noise; without it
// the air reads 0 within its statistics.
func TestNegativeUnbiasesAir(t *testing.T) {
	ph := testPhantom()
	pr := straightProtons(ph, 30000, 60, 70, 0.005, 6)
	r := rand.New(rand.NewPCG(6, 6))
	for i := range pr {
		pr[i].WEPL += 3.9 * r.NormFloat64()
	}
	sys, err := NewSystem(context.Background(), pr, testGrid, &PathOptions{Kind: Straight, Hull: 65}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var air [2]ROIStats
	for k, neg := range []bool{false, true} {
		im, err := Solve(context.Background(), sys, &Options{Negative: neg})
		if err != nil {
			t.Fatal(err)
		}
		air[k] = Measure(im, ph.rois(4.5))[1]
	}
	t.Logf("air: clamped %.4f ± %.4f, negative allowed %.4f ± %.4f", air[0].Mean, air[0].Std, air[1].Mean, air[1].Std)
	se := air[1].Std / math.Sqrt(float64(air[1].N)) * 4 // neighbouring pixels are correlated
	if !(air[0].Diff > 0.1*air[0].Std) || math.Abs(air[1].Diff) > max(se, 0.005) {
		t.Errorf("air ΔRSP: clamped %+.4f, negative allowed %+.4f (±%.4f)", air[0].Diff, air[1].Diff, se)
	}
}
