package landscape

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/internal/zootest"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/track"
	"github.com/pcttrack/pcttrack/train"
	"github.com/pcttrack/pcttrack/zoo"
)

// fixture: two briefly trained PTT models and one PAT model on 4 frames of
// 30 protons.
type fixture struct {
	ms  []*zoo.Member
	d   *zoo.Data
	dir string
}

var fix struct {
	once sync.Once
	f    fixture
	err  error
}

func getFixture(t *testing.T) fixture {
	t.Helper()
	fix.once.Do(func() {
		dir, err := osMkdirTemp()
		if err != nil {
			fix.err = err
			return
		}
		paths := zootest.Build(t, dir, 4, 30, []zootest.Spec{
			{Method: "ptt", Seed: 0, Steps: 30}, {Method: "ptt", Seed: 1, Steps: 30}, {Method: "pat", Lambda: 50, Seed: 2, Steps: 30},
		})
		ms, d, err := zootest.Load(paths, 1)
		fix.f, fix.err = fixture{ms: ms, d: d, dir: dir}, err
	})
	if fix.err != nil {
		t.Fatal(fix.err)
	}
	return fix.f
}

func pointOf(n model.Net) Point { return Point{Params: Of(n.Params()), Buffers: Of(n.Buffers())} }

// TestLineEndpointsMatchEval: the path's ends are the models themselves,
// evaluated as `pcttrack eval` (package pipeline) does, in both batch-norm
// modes.
func TestLineEndpointsMatchEval(t *testing.T) {
	f := getFixture(t)
	a, b := f.ms[0], f.ms[1]
	raw, _, err := train.RawFrames(context.Background(), *a.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bn := range []BNMode{BNBatch, BNRunning} {
		res, err := EvalPath(context.Background(), a.Net, Linear(pointOf(a.Net), pointOf(b.Net), []float64{0, 1}), []float64{0, 1}, f.d, EvalOptions{BN: bn})
		if err != nil {
			t.Fatal(err)
		}
		mbn := model.BNRunning
		if bn == BNBatch {
			mbn = model.BNBatch
		}
		for k, m := range []*zoo.Member{a, b} {
			meth, err := pipeline.SelectOne("", m.Path, "", &learned.Options{Assign: track.Options{Paper: true}, BatchNorm: mbn})
			if err != nil {
				t.Fatal(err)
			}
			g := a.Config.Graph
			ev, err := pipeline.Evaluate(context.Background(), pipeline.Frames(raw), &pipeline.Options{Graph: &g, Methods: []pipeline.Method{meth}})
			if err != nil {
				t.Fatal(err)
			}
			grp := ev.Groups[0]
			got := res[k]
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"purity", got.Purity, grp.Purity.Mean}, {"efficiency", got.Efficiency, grp.Efficiency.Mean},
				{"TPR", got.TPR, grp.TPR.Mean}, {"FPR", got.FPR, grp.FPR.Mean}, {"pooled TPR", got.PooledTPR, grp.Pooled.TPR}} {
				if math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s, t = %g: %s %.15g, eval %.15g", bn, got.T, c.name, c.got, c.want)
				}
			}
			if got.Frames != grp.Frames || got.Purity == 0 {
				t.Errorf("%s, t = %g: %d frames, purity %g (eval: %d frames)", bn, got.T, got.Frames, got.Purity, grp.Frames)
			}
		}
	}
}

func TestEvalPathResumeAndRecompute(t *testing.T) {
	f := getFixture(t)
	a, b := pointOf(f.ms[0].Net), pointOf(f.ms[1].Net)
	ts := Ts(5)
	full, err := EvalPath(context.Background(), f.ms[0].Net, Linear(a, b, ts), ts, f.d, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	opt := EvalOptions{Resumable: zoo.Resumable{State: state, SaveEvery: 1}, Workers: 1, onFold: func(done int) {
		if done == 1 {
			cancel()
		}
	}}
	if _, err := EvalPath(ctx, f.ms[0].Net, Linear(a, b, ts), ts, f.d, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted: %v", err)
	}
	res, err := EvalPath(context.Background(), f.ms[0].Net, Linear(a, b, ts), ts, f.d, EvalOptions{Resumable: zoo.Resumable{State: state, Resume: true}})
	if err != nil {
		t.Fatal(err)
	}
	for k := range full {
		if full[k] != res[k] {
			t.Fatalf("point %d: resumed %+v, uninterrupted %+v", k, res[k], full[k])
		}
	}
	// On one frame, statistics recomputed at t = 0 are that frame's batch
	// statistics (with the unbiased variance, which batch mode does not
	// use: a factor n/(n−1) over thousands of edges), so both modes
	// evaluate alike; on several frames they are their average instead.
	d1, err := zoo.LoadData(context.Background(), f.ms[:1], zoo.DataOptions{Frames: 1, First: true, CacheMB: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got [2]Metrics
	for i, bn := range []BNMode{BNRecompute, BNBatch} {
		r, err := EvalPath(context.Background(), f.ms[0].Net, Linear(a, b, ts[:1]), ts[:1], d1, EvalOptions{BN: bn})
		if err != nil {
			t.Fatal(err)
		}
		got[i] = r[0]
	}
	if got[0].Purity == 0 || math.Abs(got[0].Purity-got[1].Purity) > 0.01 || math.Abs(got[0].Hamming/got[1].Hamming-1) > 0.01 {
		t.Errorf("one frame: recomputed statistics give purity %g, Hamming %g; batch statistics %g, %g",
			got[0].Purity, got[0].Hamming, got[1].Purity, got[1].Hamming)
	}
}

// TestHessianExactAgainstDifferences checks the two Hessian-vector
// products against each other on a small untrained model and a small
// frame, where the loss is smooth on the scale of the step (on trained
// models many LeakyReLU and max kinks lie within any practical step, and
// central differences measure a smoothed curvature instead): the
// R-operator in float32 and float64 and central differences in float64,
// for the split BCE (PTT) and the blackbox surrogate (PAT).
func TestHessianExactAgainstDifferences(t *testing.T) {
	dir := t.TempDir()
	paths := zootest.Build(t, dir, 1, 4, []zootest.Spec{{Method: "ptt", Seed: 3}, {Method: "pat", Lambda: 5000, Seed: 4}})
	ms, d, err := zootest.Load(paths, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Run(m.Method, func(t *testing.T) {
			g, in, err := d.Frame(0)
			if err != nil {
				t.Fatal(err)
			}
			hf := HessianFrame{Graph: g, Input: in}
			if m.Method == train.MethodPAT {
				if hf.G, err = SolverGradient(m.Net, g, in, e2e.Options{Lambda: m.Lambda}, track.Options{Paper: true}); err != nil {
					t.Fatal(err)
				}
				if Vec([][]float64{hf.G}).Norm() == 0 {
					t.Fatal("solver gradient is zero")
				}
			}
			frames := []HessianFrame{hf}
			rng := rand.New(rand.NewPCG(4, 4))
			v := Of(m.Net.Params()).Zero()
			for i := range v {
				for k := range v[i] {
					v[i][k] = rng.NormFloat64()
				}
			}
			apply := func(method HVPMethod, f64 bool, step float64) Vec {
				h, err := NewHessian(m.Net, frames, method)
				if err != nil {
					t.Fatal(err)
				}
				h.Float64, h.Step = f64, step
				out := v.Zero()
				if err := h.Apply(context.Background(), out, v); err != nil {
					t.Fatal(err)
				}
				return out
			}
			ex64 := apply(HVPExact, true, 0)
			rel := func(a, b Vec) float64 { return a.Clone().AddScaled(-1, b).Norm() / b.Norm() }
			if ex64.Norm() == 0 {
				t.Fatal("Hv = 0")
			}
			ex32 := apply(HVPExact, false, 0)
			if e := rel(ex32, ex64); e > 1e-4 {
				t.Errorf("exact HVP in float32 differs from float64 by %.3g", e)
			}
			best := math.Inf(1)
			for _, step := range []float64{1e-6, 1e-7, 1e-8} {
				best = math.Min(best, rel(apply(HVPDiff, true, step), ex64))
			}
			t.Logf("‖Hv‖ = %.4g; float32 vs float64 %.3g; central differences vs exact %.3g", ex64.Norm(), rel(ex32, ex64), best)
			if best > 1e-5 {
				t.Errorf("central differences differ from the exact HVP by %.3g", best)
			}
		})
	}
}

func TestFitEndpointsFixedAndResume(t *testing.T) {
	f := getFixture(t)
	a, b := pointOf(f.ms[0].Net), pointOf(f.ms[1].Net)
	a0, b0 := a.Params.Clone(), b.Params.Clone()
	for _, loss := range []string{LossHamming, LossBCE} {
		opt := FitOptions{Loss: loss, Steps: 6, Batch: 2, LR: 1e-2, Seed: 5}
		full, err := Fit(context.Background(), f.ms[0].Net, a, b, f.d, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Losses) != 6 {
			t.Fatalf("%d losses", len(full.Losses))
		}
		for i := range a0 {
			for k := range a0[i] {
				if a.Params[i][k] != a0[i][k] || b.Params[i][k] != b0[i][k] {
					t.Fatal("the fit moved an endpoint")
				}
			}
		}
		ends := Bezier(a, full.Mid, b, []float64{0, 1})
		for i := range a0 {
			for k := range a0[i] {
				if ends[0].Params[i][k] != a0[i][k] || ends[1].Params[i][k] != b0[i][k] {
					t.Fatal("the curve does not pass through its endpoints")
				}
			}
		}
		midpoint := Combine(nil, []float64{0.5, 0.5}, a.Params, b.Params)
		if d := full.Mid.Params.Clone().AddScaled(-1, midpoint).Norm(); d == 0 {
			t.Fatal("the middle point did not move")
		}
		// interrupted after 3 steps and resumed: bit-identical
		state := filepath.Join(t.TempDir(), "fit.ckpt")
		ctx, cancel := context.WithCancel(context.Background())
		o := opt
		o.State, o.onStep = state, func(s int) {
			if s == 3 {
				cancel()
			}
		}
		if _, err := Fit(ctx, f.ms[0].Net, a, b, f.d, o); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted fit: %v", err)
		}
		o = opt
		o.State, o.Resume = state, true
		res, err := Fit(context.Background(), f.ms[0].Net, a, b, f.d, o)
		if err != nil {
			t.Fatal(err)
		}
		if fingerprint(res.Mid) != fingerprint(Point{Params: full.Mid.Params, Buffers: full.Mid.Buffers}) {
			t.Fatalf("%s: resumed fit differs from the uninterrupted one", loss)
		}
		for i := range full.Losses {
			if full.Losses[i] != res.Losses[i] {
				t.Fatalf("%s: loss %d: resumed %g, uninterrupted %g", loss, i, res.Losses[i], full.Losses[i])
			}
		}
	}
}

func TestGridShardsMerge(t *testing.T) {
	f := getFixture(t)
	net := f.ms[0].Net
	origin := pointOf(net)
	theta := origin.Params
	rows := make([]int, len(net.Params()))
	for i, p := range net.Params() {
		rows[i] = p.Value.Rows
	}
	rng := rand.New(rand.NewPCG(1, 2))
	d0, d1 := FilterNormalized(theta, rows, rng), FilterNormalized(theta, rows, rng)
	xs, ys := Axis(3, 0.2), Axis(2, 0.2)
	d1f, err := zoo.LoadData(context.Background(), f.ms[:1], zoo.DataOptions{Frames: 1, First: true, CacheMB: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	one, err := EvalGrid(context.Background(), net, origin, d0, d1, xs, ys, d1f, GridOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !one.Complete() {
		t.Fatal("grid incomplete")
	}
	var parts []*Grid
	for k := 0; k < 4; k++ {
		g, err := EvalGrid(context.Background(), net, origin, d0, d1, xs, ys, d1f, GridOptions{Shard: shard.Shard{Index: k, Count: 4}, EvalOptions: EvalOptions{Workers: 1}})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, g)
	}
	merged, err := MergeGrids(parts)
	if err != nil {
		t.Fatal(err)
	}
	for k := range one.Points {
		if one.Points[k] != merged.Points[k] {
			t.Fatalf("point %d: merged %+v, one process %+v", k, merged.Points[k], one.Points[k])
		}
	}
	// The origin of a symmetric odd grid is the model itself.
	z := one.Surface(func(m *Metrics) float64 { return m.BCE })
	if z[0][1] == z[1][1] {
		t.Log("flat")
	}
	if _, err := MergeGrids(parts[:3]); err == nil {
		t.Error("merging 3 of 4 shards succeeded")
	}
	if _, err := EvalGrid(context.Background(), net, origin, d0, d1, xs, ys, d1f, GridOptions{Shard: shard.Shard{Index: 0, Count: 7}}); err == nil {
		t.Error("7 shards of 6 points accepted")
	}
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "landscape-test-") }
