package plot

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/pcttrack/pcttrack/metrics"
)

func TestCurvesLayout(t *testing.T) {
	s := func(name, panel string) Series {
		return Series{Name: name, Panel: panel, X: []float64{0, 1}, Y: []float64{1, 2}}
	}
	for _, tc := range []struct {
		name        string
		series      []Series
		cols        int
		rows, cols2 int
	}{
		{"one panel", []Series{s("a", "loss"), s("b", "loss")}, 0, 1, 1},
		{"three panels", []Series{s("a", "loss"), s("a", "purity"), s("a", "efficiency")}, 0, 1, 3},
		{"four panels wrap", []Series{s("a", "p1"), s("a", "p2"), s("a", "p3"), s("a", "p4")}, 0, 2, 3},
		{"two columns", []Series{s("a", "p1"), s("a", "p2"), s("a", "p3")}, 2, 2, 2},
		{"more columns than panels", []Series{s("a", "p1")}, 4, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fig, err := NewCurves(tc.series, &CurvesOptions{Columns: tc.cols})
			if err != nil {
				t.Fatal(err)
			}
			w := 4.5 * vg.Inch * vg.Length(tc.cols2)
			h := 3.4*vg.Inch*vg.Length(tc.rows) + 0.7*vg.Inch
			if fig.Size.Width != w || fig.Size.Height != h {
				t.Errorf("size %v × %v, want %v × %v (%d×%d panels)", fig.Size.Width, fig.Size.Height, w, h, tc.rows, tc.cols2)
			}
		})
	}
}

func TestCurvesErrors(t *testing.T) {
	ok := Series{Name: "a", Panel: "loss", X: []float64{0, 1}, Y: []float64{1, 2}}
	for _, tc := range []struct {
		name   string
		series []Series
		opt    *CurvesOptions
	}{
		{"no series", nil, nil},
		{"length mismatch", []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1}}}, nil},
		{"no finite point", []Series{ok, {Name: "a", Panel: "purity", X: []float64{0}, Y: []float64{math.NaN()}}}, nil},
		{"log panel without positive value", []Series{{Name: "a", Panel: "loss", X: []float64{0}, Y: []float64{0}}}, &CurvesOptions{LogY: []string{"loss"}}},
		{"smoothing 1", []Series{{Name: "a", X: []float64{0}, Y: []float64{1}, Smooth: 1}}, nil},
		{"negative smoothing", []Series{{Name: "a", X: []float64{0}, Y: []float64{1}, Smooth: -0.1}}, nil},
		{"negative columns", []Series{ok}, &CurvesOptions{Columns: -1}},
		{"bad size", []Series{ok}, &CurvesOptions{Size: Size{Height: vg.Length(math.Inf(1))}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fig, err := NewCurves(tc.series, tc.opt); err == nil {
				t.Fatalf("NewCurves = %v, want an error", fig)
			}
		})
	}
}

func TestSmoothAndBreakLines(t *testing.T) {
	got := smoothLines([][]xy{{{0, 1}, {1, 0}, {2, 0}}}, 0.5)[0]
	want := []float64{1, 1.0 / 3, 1.0 / 7} // debiased EMA
	for i := range want {
		if math.Abs(got[i].Y-want[i]) > 1e-12 || got[i].X != float64(i) {
			t.Errorf("smoothed[%d] = %v, want (%d, %g)", i, got[i], i, want[i])
		}
	}
	nan := math.NaN()
	for _, tc := range []struct {
		name  string
		x, y  []float64
		logY  bool
		lines []int // lengths
	}{
		{"plain", []float64{0, 1, 2}, []float64{1, 2, 3}, false, []int{3}},
		{"NaN breaks", []float64{0, 1, 2, 3}, []float64{1, nan, 3, 4}, false, []int{1, 2}},
		{"Inf x breaks", []float64{0, math.Inf(1), 2}, []float64{1, 2, 3}, false, []int{1, 1}},
		{"zero on log axis breaks", []float64{0, 1, 2}, []float64{1, 0, 3}, true, []int{1, 1}},
		{"zero on linear axis stays", []float64{0, 1, 2}, []float64{1, 0, 3}, false, []int{3}},
		{"nothing finite", []float64{0}, []float64{nan}, false, nil},
	} {
		var lens []int
		for _, l := range breakLines(tc.x, tc.y, tc.logY) {
			lens = append(lens, len(l))
		}
		if !slices.Equal(lens, tc.lines) {
			t.Errorf("%s: line lengths %v, want %v", tc.name, lens, tc.lines)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   string // labelled ticks
	}{
		{0, 100, 5, "0 20 40 60 80 100"},
		{330, 420, 12, "330 340 350 360 370 380 390 400 410 420"},
		{-10, 10, 8, "-10.0 -7.5 -5.0 -2.5 0 2.5 5.0 7.5 10.0"},
		{-38.2, 41.7, 8, "-30 -20 -10 0 10 20 30 40"},
		{0.58, 0.92, 6, "0.60 0.65 0.70 0.75 0.80 0.85 0.90"},
		{0.58, 0.92, 3, "0.6 0.7 0.8 0.9"},
		{221.3, 484.9, 12, "240 260 280 300 320 340 360 380 400 420 440 460 480"},
	} {
		var labels []string
		minor := 0
		for _, tk := range (niceTicks{tc.n}).Ticks(tc.lo, tc.hi) {
			if tk.Value < tc.lo || tk.Value > tc.hi {
				t.Errorf("[%g, %g]: tick %g outside the range", tc.lo, tc.hi, tk.Value)
			}
			if tk.Label == "" {
				minor++
			} else {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("[%g, %g] n=%d: labels %q, want %q", tc.lo, tc.hi, tc.n, got, tc.want)
		}
		if minor == 0 {
			t.Errorf("[%g, %g]: no minor ticks", tc.lo, tc.hi)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0.02, 0.5, "0.02 0.05 0.1 0.2 0.5"},
		{1e-4, 10, "0.0001 0.001 0.01 0.1 1 10"},
		{3, 4, ""},
	} {
		var labels []string
		for _, tk := range (logTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("[%g, %g]: labels %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
}

func TestVersusProtonsErrors(t *testing.T) {
	p := Point{"PTT", 100, 0.9, 0.01, 0.8, 0.01}
	mod := func(f func(*Point)) []Point {
		q := p
		f(&q)
		return []Point{q}
	}
	for _, tc := range []struct {
		name string
		rows []Point
	}{
		{"no rows", nil},
		{"duplicate", []Point{p, p}},
		{"zero protons", mod(func(q *Point) { q.ProtonsPerFrame = 0 })},
		{"NaN purity", mod(func(q *Point) { q.Purity = math.NaN() })},
		{"infinite sd", mod(func(q *Point) { q.EfficiencySD = math.Inf(1) })},
		{"negative sd", mod(func(q *Point) { q.PuritySD = -0.1 })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fig, err := NewVersusProtons(tc.rows, nil); err == nil {
				t.Fatalf("NewVersusProtons = %v, want an error", fig)
			}
		})
	}
	// The same method at another count, and another method at the same
	// count, are fine.
	q := p
	q.ProtonsPerFrame = 150
	r := p
	r.Method = "follower"
	if _, err := NewVersusProtons([]Point{p, q, r}, nil); err != nil {
		t.Error(err)
	}
}

func TestStabilityErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		bars []Bar
	}{
		{"no bars", nil},
		{"above one", []Bar{{Label: "PTT", Value: 1.5}}},
		{"negative", []Bar{{Label: "PTT", Value: -0.1}}},
		{"NaN", []Bar{{Label: "PTT", Value: math.NaN()}}},
		{"negative sd", []Bar{{Label: "PTT", Value: 0.1, SD: -1}}},
		{"infinite sd", []Bar{{Label: "PTT", Value: 0.1, SD: math.Inf(1)}}},
		{"duplicate", []Bar{{Label: "PTT", Group: "a", Value: 0.1}, {Label: "PTT", Group: "a", Value: 0.2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fig, err := NewStability(tc.bars, nil); err == nil {
				t.Fatalf("NewStability = %v, want an error", fig)
			}
		})
	}
	fig, err := NewStability([]Bar{{Label: "PTT", Group: "a", Value: 0.1}, {Label: "PTT", Group: "b", Value: 0.2}, {Label: "PAT", Value: 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fig.Size.Width != 5*vg.Inch { // two labels: the 5 inch minimum
		t.Errorf("width %v, want 5 inch", fig.Size.Width)
	}
}

func TestPercentLabel(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{0, "0"}, {1.2, "1.2"}, {0.35, "0.35"}, {0.123, "0.123"}, {12.345, "12.3"}, {100, "100"}, {0.00012, "0.0001"}, {2.0, "2"}} {
		if got := percentLabel(tc.v); got != tc.want {
			t.Errorf("percentLabel(%g) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestPointOf(t *testing.T) {
	g := metrics.Group{
		Key:        metrics.Key{Method: "pat-l50", Phantom: "water:100", ProtonsPerFrame: 150},
		Purity:     metrics.MeanSD{Mean: 0.851, SD: 0.004, N: 5},
		Efficiency: metrics.MeanSD{Mean: 0.755, SD: 0.003, N: 5},
	}
	want := Point{Method: "pat-l50", ProtonsPerFrame: 150, Purity: 0.851, PuritySD: 0.004, Efficiency: 0.755, EfficiencySD: 0.003}
	if got := PointOf(g); got != want {
		t.Errorf("PointOf = %+v, want %+v", got, want)
	}
}
