package e2e

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/testframes"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

// TestBackwardMatchesDefinition checks y and ∂L/∂p of every variant on
// random graphs against the definitions evaluated in the test with a
// brute-force assignment: y = LSAP(1 − p), w′ = max(w + λg, 0),
// y′ = LSAP(w′), ∂L/∂p = (y − y′)/λ, y − y′ or g.
func TestBackwardMatchesDefinition(t *testing.T) {
	cases := []struct {
		name    string
		opt     Options
		assign  track.Options
		lambda  float64 // per frame, as used by the definition
		scale   float64 // factor of the unscaled gradient
		gScale  float64 // |g| drawn from U(0, gScale)
		wantAny bool    // some case must flip segments
	}{
		{"blackbox", Options{Lambda: 1, Variant: Blackbox}, track.Options{}, 1, 1, 1, true},
		{"blackbox-batch", Options{Lambda: 8, Batch: 4, Variant: Blackbox}, track.Options{}, 2, 1, 1, true},
		{"unscaled-default-lambda", Options{}, track.Options{}, DefaultLambda, 1, 0.02, true},
		{"unscaled", Options{Lambda: 2, Variant: Unscaled}, track.Options{}, 2, 1, 1, true},
		{"unscaled-batch", Options{Lambda: 8, Batch: 4}, track.Options{}, 2, 4, 1, true},
		{"blackbox-noclamp", Options{Lambda: 1, NoClamp: true, Variant: Blackbox}, track.Options{}, 1, 1, 1, true},
		{"blackbox-paper-mode", Options{Lambda: 1, Variant: Blackbox}, track.Options{Paper: true}, 1, 1, 1, true},
		{"blackbox-unmatched-0.3", Options{Lambda: 3, Variant: Blackbox}, track.Options{UnmatchedCost: 0.3}, 3, 1, 0.5, true},
		{"identity", Options{Variant: Identity}, track.Options{}, 0, 1, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(1, 1))
			l := &Layer[float64]{Options: tc.opt, Assign: tc.assign}
			flips, checked := 0, 0
			for trial := 0; checked < 40 && trial < 200; trial++ {
				g := randomGraph(t, rng, 2+rng.IntN(4), 4, 0.6)
				n := len(g.Src)
				p := uniform(rng, n, 0, 1)
				gy := uniform(rng, n, -tc.gScale, tc.gScale)
				w := make([]float64, n)
				wp := make([]float64, n)
				for s := range n {
					w[s] = 1 - p[s]
					wp[s] = w[s] + tc.lambda*gy[s]
					if !tc.opt.NoClamp {
						wp[s] = max(wp[s], 0)
					}
				}
				wantY, tie1 := bruteAssign(g, w, tc.assign)
				wantYp, tie2 := bruteAssign(g, wp, tc.assign)
				if tie1 || (tc.opt.Variant != Identity && tie2) {
					continue // the optimum is not unique; any choice is right
				}
				checked++
				y, dp := runLayer(l, g, p, slices.Clone(gy), nil, nil)
				if err := l.Err(); err != nil {
					t.Fatal(err)
				}
				for s := range n {
					if (y[s] == 1) != wantY[s] {
						t.Fatalf("trial %d: y[%d] = %v, brute force %v", trial, s, y[s], wantY[s])
					}
					var want float64
					switch tc.opt.Variant {
					case Identity:
						want = gy[s]
					case Unscaled:
						want = tc.scale * (b2f(wantY[s]) - b2f(wantYp[s]))
					default:
						want = (b2f(wantY[s]) - b2f(wantYp[s])) / tc.lambda
					}
					if dp[s] != want {
						t.Fatalf("trial %d: ∂L/∂p[%d] = %v, want %v (y %v, y′ %v)", trial, s, dp[s], want, wantY[s], wantYp[s])
					}
					if wantY[s] != wantYp[s] {
						flips++
					}
				}
			}
			if checked < 40 {
				t.Fatalf("only %d trials without ties", checked)
			}
			if tc.wantAny && flips == 0 {
				t.Errorf("no segment flipped in %d trials: the test exercises nothing", checked)
			}
		})
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestSignsOnHandCase pins the signs on two protons: the layer picks the
// crossing segments, and a loss that rewards the true ones must raise
// their p and lower the crossing ones'.
func TestSignsOnHandCase(t *testing.T) {
	g := caseGraph(t, "two-protons")
	n := len(g.Src)
	p := make([]float64, n)
	gy := make([]float64, n)
	for s := range n {
		p[s] = 0.6 // crossing: w = 0.4
		gy[s] = 1  // selecting a false segment costs
		if g.Label[s] {
			p[s] = 0.55 // true: w = 0.45
			gy[s] = -1
		}
	}
	l := &Layer[float64]{Options: Options{Lambda: 0.5, Variant: Blackbox}}
	y, dp := runLayer(l, g, p, gy, nil, nil)
	for s := range n {
		if (y[s] == 1) == g.Label[s] {
			t.Fatalf("forward y[%d] = %v, want the crossing segments", s, y[s])
		}
		// w′ = 0.4 + 0.5 (false) and 0.45 − 0.5 → 0 (true): y′ = truth.
		want := 2.0 // (y − y′)/λ = 1/0.5 on the crossing segments
		if g.Label[s] {
			want = -2
		}
		if dp[s] != want {
			t.Errorf("∂L/∂p[%d] = %v, want %v", s, dp[s], want)
		}
	}
	if l.Flips() != n {
		t.Errorf("Flips = %d, want %d", l.Flips(), n)
	}
}

// TestTinyGradientGivesZero: a perturbation too small to change the
// solution yields y′ = y and an exactly zero gradient.
func TestTinyGradientGivesZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 1))
	f := testframes.Synthetic(rng, testframes.SynthOptions{Protons: 30})
	g, err := graph.Build(&f, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := len(g.Src)
	for _, v := range []Variant{Blackbox, Unscaled} {
		l := &Layer[float32]{Options: Options{Variant: v, Lambda: 1}}
		p32 := make([]float32, n)
		for s := range p32 {
			p32[s] = float32(rng.Float64())
		}
		gy := make([]float32, n)
		for s := range gy {
			gy[s] = float32(1e-9 * (2*rng.Float64() - 1))
		}
		y, dp := runLayer(l, g, p32, gy, nil, nil)
		if l.Flips() != 0 {
			t.Errorf("%v: %d flips for |g| ≤ 1e-9", v, l.Flips())
		}
		sel := 0
		for s := range n {
			if dp[s] != 0 {
				t.Fatalf("%v: ∂L/∂p[%d] = %v, want 0", v, s, dp[s])
			}
			if y[s] == 1 {
				sel++
			}
		}
		if sel == 0 || !slices.Equal(l.Assignment(), l.Perturbed()) {
			t.Errorf("%v: %d selected; y′ = y: %v", v, sel, slices.Equal(l.Assignment(), l.Perturbed()))
		}
	}
}

// TestForbiddenStayForbidden: forbidden segments cost +Inf in both solves,
// are never chosen however strongly g pulls them in, and get no gradient.
func TestForbiddenStayForbidden(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	for i, opt := range []Options{
		{Lambda: 1, Variant: Blackbox}, {Lambda: 1, NoClamp: true, Variant: Blackbox}, {Lambda: 1, Variant: Unscaled}, {Variant: Identity},
	} {
		l := &Layer[float64]{Options: opt, Assign: track.Options{Paper: i == 2}}
		for range 20 {
			g := randomGraph(t, rng, 4, 4, 0.8)
			n := len(g.Src)
			forbid := make([]bool, n)
			p := uniform(rng, n, 0, 1)
			gy := uniform(rng, n, -0.1, 0.1)
			for s := range n {
				if rng.IntN(3) == 0 {
					forbid[s], p[s], gy[s] = true, 1, -1e6 // best cost, strongest pull
				}
			}
			_, dp := runLayer(l, g, p, gy, nil, forbid)
			for s := range n {
				if !forbid[s] {
					continue
				}
				if l.Assignment()[s] || (opt.Variant != Identity && l.Perturbed()[s]) {
					t.Fatalf("%+v: forbidden segment %d chosen (y %v)", opt, s, l.Assignment()[s])
				}
				if dp[s] != 0 || !math.IsInf(l.Costs()[s], 1) {
					t.Fatalf("%+v: forbidden segment %d: ∂L/∂p = %v, cost %v", opt, s, dp[s], l.Costs()[s])
				}
			}
		}
	}
}

// TestIdentityPassesGradient: the straight-through variant gives ∂L/∂w =
// −g, i.e. ∂L/∂p = g, with no perturbed solve.
func TestIdentityPassesGradient(t *testing.T) {
	g := caseGraph(t, "three-protons-secondary")
	n := len(g.Src)
	rng := rand.New(rand.NewPCG(4, 1))
	p := uniform(rng, n, 0, 1)
	gy := uniform(rng, n, -3, 3)
	l := &Layer[float64]{Options: Options{Variant: Identity, Lambda: 7}}
	_, dp := runLayer(l, g, p, gy, nil, nil)
	for s := range n {
		if dw := -dp[s]; dw != -gy[s] {
			t.Errorf("∂L/∂w[%d] = %v, want −g = %v", s, dw, -gy[s])
		}
	}
	if len(l.Perturbed()) != 0 || l.Flips() != 0 {
		t.Errorf("identity ran a perturbed solve")
	}
}

// TestMargin: with α = 0.2 the true segments of two protons cost 0.1 more
// and the crossing ones 0.1 less, which turns a 0.05 preference for the
// truth into a choice of the crossing pairs; without labels (evaluation)
// or with a negative margin the truth stays chosen.
func TestMargin(t *testing.T) {
	g := caseGraph(t, "two-protons")
	in := labelled(g)
	n := len(g.Src)
	p := make([]float64, n)
	for s := range n {
		p[s] = 0.55 // crossing: w = 0.45
		if g.Label[s] {
			p[s] = 0.6 // true: w = 0.4
		}
	}
	cases := []struct {
		name      string
		margin    float64
		labels    []float32
		wantTruth bool
	}{
		{"none", 0, in.Labels, true},
		{"alpha-0.2", 0.2, in.Labels, false},
		{"alpha-0.04", 0.04, in.Labels, true}, // gap 0.05·2 > 2·0.04
		{"eval-no-labels", 0.2, nil, true},
		{"negative", -0.2, in.Labels, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := &Layer[float64]{Options: Options{Margin: tc.margin}}
			y, _ := runLayer(l, g, p, make([]float64, n), tc.labels, nil)
			for s := range n {
				if (y[s] == 1) != (g.Label[s] == tc.wantTruth) {
					t.Fatalf("y[%d] = %v, label %v, want truth chosen: %v", s, y[s], g.Label[s], tc.wantTruth)
				}
			}
		})
	}
}

// TestMarginOnlyPrimaries: by default the margin shifts only segments
// joining two primary hits (the paper's secondary_sensitive); MarginAll
// shifts all.
func TestMarginOnlyPrimaries(t *testing.T) {
	g := caseGraph(t, "three-protons-secondary")
	in := labelled(g)
	n := len(g.Src)
	p := make([]float64, n)
	for s := range p {
		p[s] = 0.5
	}
	for _, all := range []bool{false, true} {
		l := &Layer[float64]{Options: Options{Margin: 0.5, MarginAll: all}}
		runLayer(l, g, p, make([]float64, n), in.Labels, nil)
		shifted := 0
		for s, c := range l.Costs() {
			want := 0.5
			if all || g.Hits[g.Src[s]].Primary && g.Hits[g.Dst[s]].Primary {
				want += 0.25
				if !g.Label[s] {
					want -= 0.5
				}
			}
			if c != want {
				t.Errorf("MarginAll %v: cost[%d] = %v, want %v", all, s, c, want)
			}
			if c != 0.5 {
				shifted++
			}
		}
		if want := map[bool]int{false: 15, true: 19}[all]; shifted != want {
			t.Errorf("MarginAll %v: %d segments shifted, want %d", all, shifted, want)
		}
	}
}

// TestDeterministicAcrossWorkers: y, y′, ∂L/∂p and the counts are identical
// for any number of workers on a full-size frame.
func TestDeterministicAcrossWorkers(t *testing.T) {
	g, rng := synthGraph(t, 5, 1)
	n := len(g.Src)
	p := make([]float32, n)
	gy := make([]float32, n)
	for s := range n {
		p[s] = float32(rng.Float64())
		gy[s] = float32(0.02 * (2*rng.Float64() - 1))
	}
	var ref []float32
	var refY, refYp []bool
	var refSt track.Stats
	for _, w := range []int{1, 2, 3, 8, 0} {
		l := &Layer[float32]{Options: Options{Lambda: 5, Workers: w}}
		_, dp := runLayer(l, g, p, slices.Clone(gy), nil, nil)
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, refY, refYp, refSt = dp, slices.Clone(l.Assignment()), slices.Clone(l.Perturbed()), l.Stats()
			if l.Flips() == 0 || refSt.Pairs < 20 {
				t.Fatalf("flips %d, stats %+v: the frame exercises nothing", l.Flips(), refSt)
			}
			continue
		}
		if !slices.Equal(dp, ref) || !slices.Equal(l.Assignment(), refY) || !slices.Equal(l.Perturbed(), refYp) || l.Stats() != refSt {
			t.Errorf("workers %d: result differs from 1 worker", w)
		}
	}
	// The layer agrees with a plain track.Assigner.
	cost := make([]float64, n)
	for s := range cost {
		cost[s] = 1 - float64(p[s])
	}
	var a track.Assigner
	want, st, err := a.Assign(nil, g, cost, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want, refY) || st != refSt {
		t.Errorf("layer assignment differs from track.Assigner.Assign")
	}
}

// TestSolverErrors: a NaN probability (forward) or gradient (backward) is
// reported by Err, not a panic, and the failed pair gets no gradient.
func TestSolverErrors(t *testing.T) {
	g := caseGraph(t, "two-protons")
	n := len(g.Src)
	p := make([]float64, n)
	for s := range p {
		p[s] = 0.5
	}
	p[1] = math.NaN()
	l := &Layer[float64]{}
	runLayer(l, g, p, make([]float64, n), nil, nil)
	if l.Err() == nil {
		t.Errorf("NaN probability: no error")
	}
	p[1] = 0.5
	gy := make([]float64, n)
	gy[0] = math.NaN()
	_, dp := runLayer(l, g, p, gy, nil, nil)
	if l.Err() == nil {
		t.Errorf("NaN gradient: no error")
	}
	for s := g.PairStart[0]; s < g.PairStart[1]; s++ {
		if dp[s] != 0 {
			t.Errorf("failed pair got gradient %v at %d", dp[s], s)
		}
	}
}

// TestLayerBadOptions: invalid Options reach Err, not a wrong gradient.
func TestLayerBadOptions(t *testing.T) {
	g := caseGraph(t, "two-protons")
	n := len(g.Src)
	p, gy := make([]float64, n), make([]float64, n)
	for s := range n {
		p[s], gy[s] = 0.9, 1
	}
	l := &Layer[float64]{Options: Options{Lambda: -1}}
	y, dp := runLayer(l, g, p, gy, nil, nil)
	if l.Err() == nil {
		t.Fatal("lambda -1: no error")
	}
	for s := range n {
		if y[s] != 0 || dp[s] != 0 {
			t.Fatalf("lambda -1: y[%d] = %v, ∂L/∂p = %v, want 0, 0", s, y[s], dp[s])
		}
	}
}

func TestPrepareChecks(t *testing.T) {
	g := caseGraph(t, "two-protons")
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("Prepare with short labels did not panic")
		}
	}()
	var l Layer[float32]
	l.Prepare(g, make([]float32, 3), nil)
}

var _ nn.CustomOp[float64] = (*Layer[float64])(nil)
