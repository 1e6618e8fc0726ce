package e2e

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/track"
)

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestLossGradientThroughTape records the whole PAT loss on a tape from
// free logits and checks the loss and ∂L/∂logit against the definitions:
// Hamming of y = LSAP(1 − σ(x)), g = (1 − 2t)/n_part,
// ∂L/∂x = σ′(x)·(y − y′)/λ with y′ = LSAP(max(w + λg, 0)).
func TestLossGradientThroughTape(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	checked, flips := 0, 0
	for trial := 0; checked < 30 && trial < 200; trial++ {
		g := randomGraph(t, rng, 3+rng.IntN(4), 4, 0.7)
		in := labelled(g)
		n := len(g.Src)
		near := 0
		for _, b := range in.NearTracker {
			if b {
				near++
			}
		}
		x := nn.NewParam[float64]("x", n, 1)
		w, wp, gy := make([]float64, n), make([]float64, n), make([]float64, n)
		const lambda = 3
		for s := range n {
			x.Value.Data[s] = 4 * (rng.Float64() - 0.5)
			w[s] = 1 - sigmoid(x.Value.Data[s])
			part := float64(n - near)
			if in.NearTracker[s] {
				part = float64(near)
			}
			gy[s] = (1 - 2*float64(in.Labels[s])) / part
			wp[s] = max(w[s]+lambda*gy[s], 0)
		}
		y, tie1 := bruteAssign(g, w, track.Options{})
		yp, tie2 := bruteAssign(g, wp, track.Options{})
		if tie1 || tie2 {
			continue
		}
		checked++
		var wantLoss float64
		nearErr, farErr := 0.0, 0.0
		for s := range n {
			e := math.Abs(b2f(y[s]) - float64(in.Labels[s]))
			if in.NearTracker[s] {
				nearErr += e
			} else {
				farErr += e
			}
		}
		if near > 0 {
			wantLoss += nearErr / float64(near)
		}
		if near < n {
			wantLoss += farErr / float64(n-near)
		}

		tp := nn.NewTape[float64]()
		l := &Loss[float64]{Options: Options{Lambda: lambda, Variant: Blackbox}}
		loss, err := l.Loss(tp, x, g, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := loss.Value.Data[0]; math.Abs(got-wantLoss) > 1e-12 {
			t.Fatalf("trial %d: loss %v, want %v", trial, got, wantLoss)
		}
		tp.Backward(loss)
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		for s := range n {
			sg := sigmoid(x.Value.Data[s])
			want := sg * (1 - sg) * (b2f(y[s]) - b2f(yp[s])) / lambda
			if math.Abs(x.Grad[s]-want) > 1e-12 {
				t.Fatalf("trial %d: ∂L/∂x[%d] = %v, want %v", trial, s, x.Grad[s], want)
			}
			if y[s] != yp[s] {
				flips++
			}
			if l.Assignment()[s] != y[s] {
				t.Fatalf("Assignment()[%d] = %v, want %v", s, l.Assignment()[s], y[s])
			}
		}
	}
	if checked < 30 || flips == 0 {
		t.Fatalf("%d tie-free trials, %d flips: the test exercises too little", checked, flips)
	}
}

// TestLossMarginTrainingOnly: the margin changes the forward solution in
// training mode and not in evaluation mode.
func TestLossMarginTrainingOnly(t *testing.T) {
	g := caseGraph(t, "two-protons")
	in := labelled(g)
	n := len(g.Src)
	x := nn.NewParam[float32]("x", n, 1)
	for s := range n {
		x.Value.Data[s] = 0.2 // crossing: p = 0.550
		if g.Label[s] {
			x.Value.Data[s] = 0.4 // true: p = 0.599
		}
	}
	l := &Loss[float32]{Options: Options{Margin: 0.2}}
	for _, eval := range []bool{false, true} {
		tp := nn.NewTape[float32]()
		tp.Eval = eval
		loss, err := l.Loss(tp, x, g, in)
		if err != nil {
			t.Fatal(err)
		}
		want := float32(0) // evaluation: the truth, no error
		if !eval {
			want = 1 // training: crossing pairs, every segment wrong (all touch layers 0–2: one part)
		}
		if got := loss.Value.Data[0]; got != want {
			t.Errorf("eval %v: loss %v, want %v", eval, got, want)
		}
	}
}

func TestLossErrors(t *testing.T) {
	g := caseGraph(t, "two-protons")
	in := labelled(g)
	n := len(g.Src)
	cases := []struct {
		name   string
		opt    Options
		assign track.Options
		nan    bool
		want   string
	}{
		{"negative-lambda", Options{Lambda: -1}, track.Options{}, false, "lambda"},
		{"inf-lambda", Options{Lambda: math.Inf(1)}, track.Options{}, false, "lambda"},
		{"nan-margin", Options{Margin: math.NaN()}, track.Options{}, false, "margin"},
		{"bad-variant", Options{Variant: 7}, track.Options{}, false, "variant"},
		{"negative-workers", Options{Workers: -2}, track.Options{}, false, "workers"},
		{"negative-batch", Options{Batch: -1}, track.Options{}, false, "batch"},
		{"nan-unmatched", Options{}, track.Options{UnmatchedCost: math.NaN()}, false, "unmatched"},
		{"nan-logit", Options{}, track.Options{}, true, "segment 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := nn.NewParam[float32]("x", n, 1)
			if tc.nan {
				x.Value.Data[3] = float32(math.NaN())
			}
			l := &Loss[float32]{Options: tc.opt, Assign: tc.assign}
			loss, err := l.Loss(nn.NewTape[float32](), x, g, in)
			if err == nil || loss != nil || !strings.HasPrefix(err.Error(), "e2e: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, loss %v; want an e2e error about %q", err, loss, tc.want)
			}
		})
	}
}

// TestLossAllocFree: a full PAT loss, forward and backward, on a reused
// tape allocates nothing after warm-up.
func TestLossAllocFree(t *testing.T) {
	g, rng := synthGraph(t, 7, 1)
	in := labelled(g)
	x := nn.NewParam[float32]("x", len(g.Src), 1)
	nn.Uniform(x.Value.Data, 2, rng)
	tp := nn.NewTape[float32]()
	for _, opt := range []Options{{Lambda: 5, Workers: 2}, {Variant: Identity, Workers: 1}} {
		l := &Loss[float32]{Options: opt}
		step := func() {
			tp.Reset()
			loss, err := l.Loss(tp, x, g, in)
			if err != nil {
				t.Fatal(err)
			}
			tp.Backward(loss)
		}
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%v: %.0f allocations per PAT loss step after warm-up", opt.Variant, a)
		}
	}
}

// TestLossNoGrad: validation on a NoGrad, Eval tape computes the loss and
// the assignment without recording anything.
func TestLossNoGrad(t *testing.T) {
	g := caseGraph(t, "three-protons-secondary")
	in := labelled(g)
	x := nn.NewParam[float32]("x", len(g.Src), 1)
	for s, ok := range g.Label {
		if ok {
			x.Value.Data[s] = 3
		}
	}
	tp := nn.NewTape[float32]()
	tp.Eval, tp.NoGrad = true, true
	l := &Loss[float32]{Options: Options{Margin: 5}}
	loss, err := l.Loss(tp, x, g, in)
	if err != nil {
		t.Fatal(err)
	}
	// The truth is not a matching (a secondary shares layers 3–4 with its
	// primary): 4 true segments there, at most 2 chosen.
	chosen := 0
	for _, b := range l.Assignment() {
		if b {
			chosen++
		}
	}
	if loss.Grad != nil || chosen != 12 || loss.Value.Data[0] <= 0 {
		t.Errorf("loss %v (grad %v), %d segments chosen; want a positive loss, no gradient, 12 chosen", loss.Value.Data[0], loss.Grad != nil, chosen)
	}
}
