package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/learned"
	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/track"
)

// tinyConfig trains on 4 frames of 20 protons behind 100 mm of water
// (validated on 2), with Adam at a high rate so that a few steps show
// learning.
func tinyConfig(method string) Config {
	c := Config{
		Method: method, Batch: 2, Steps: 8, ValEvery: 4,
		Optimizer: nn.OptimizerSettings{Kind: "adam", LR: 0.01},
		Data:      Data{Simulate: &Simulate{Phantoms: []string{"water:100"}, ProtonsPerFrame: 20, Frames: 4, ValFrames: 2, Seed: 1}},
	}
	if method == MethodPAT {
		c.PAT.Lambda = 10 // the paper's λ: 5 per frame at 2 frames per step
		c.PAT.Workers = 1
	}
	return c
}

var tiny struct {
	once sync.Once
	data *Prepared
	err  error
}

// tinyData returns the (shared, read-only) prepared frames of tinyConfig.
func tinyData(t testing.TB) *Prepared {
	t.Helper()
	tiny.once.Do(func() { tiny.data, tiny.err = LoadData(context.Background(), tinyConfig(MethodPTT), nil) })
	if tiny.err != nil {
		t.Fatal(tiny.err)
	}
	return tiny.data
}

// memRec records the loop's events.
type memRec struct {
	steps  []StepResult
	vals   []Validation
	bests  []int
	ckpts  []int
	finals int
	onStep func(s StepResult)
}

func (m *memRec) Step(_ *Trainer, s StepResult) error {
	m.steps = append(m.steps, s)
	if m.onStep != nil {
		m.onStep(s)
	}
	return nil
}

func (m *memRec) Validation(_ *Trainer, v Validation, best bool) error {
	m.vals = append(m.vals, v)
	if best {
		m.bests = append(m.bests, v.Step)
	}
	return nil
}

func (m *memRec) Checkpoint(t *Trainer, final bool) error {
	m.ckpts = append(m.ckpts, t.Steps())
	if final {
		m.finals++
	}
	return nil
}

func TestTrainingLearns(t *testing.T) {
	data := tinyData(t)
	cases := []struct {
		method string
		// the mean loss of the last 5 of 25 steps must be below this
		// fraction of the first step's loss
		lossRatio float64
	}{
		{MethodPTT, 0.15},
		{MethodPAT, 0.3},
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			cfg := tinyConfig(tc.method)
			cfg.Steps, cfg.ValEvery = 25, 25
			tr, err := NewTrainer(cfg, data)
			if err != nil {
				t.Fatal(err)
			}
			var rec memRec
			if err := Loop(context.Background(), tr, cfg.Steps, &rec); err != nil {
				t.Fatal(err)
			}
			if len(rec.steps) != 25 || len(rec.vals) != 2 || rec.finals != 1 {
				t.Fatalf("%d steps, %d validations, %d final checkpoints; want 25, 2, 1", len(rec.steps), len(rec.vals), rec.finals)
			}
			first := rec.steps[0].Loss
			var last float64
			for _, s := range rec.steps[20:] {
				last += s.Loss / 5
			}
			v0, v1 := rec.vals[0], rec.vals[1]
			t.Logf("loss %.4f -> %.4f; validation purity %.3f -> %.3f, efficiency %.3f -> %.3f, TPR %.3f -> %.3f, FPR %.4f -> %.4f",
				first, last, v0.Purity, v1.Purity, v0.Efficiency, v1.Efficiency, v0.TPR, v1.TPR, v0.FPR, v1.FPR)
			if !(last < tc.lossRatio*first) {
				t.Errorf("loss fell from %.4f to %.4f only (want below %.2f×)", first, last, tc.lossRatio)
			}
			if !(v1.Purity > v0.Purity+0.3) || !(v1.FPR < v0.FPR/2) {
				t.Errorf("validation purity %.3f -> %.3f, FPR %.4f -> %.4f: the model did not learn", v0.Purity, v1.Purity, v0.FPR, v1.FPR)
			}
			if b, step := tr.Best(); b != max(v0.Purity, v1.Purity) || (step != 0 && step != 25) {
				t.Errorf("best %.3f at %d", b, step)
			}
		})
	}
}

// stripSeconds drops the wall-time fields of metrics.jsonl lines.
func stripSeconds(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: bad line %q: %v", path, line, err)
		}
		delete(m, "seconds")
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return out
}

// TestResumeBitIdentical: a run interrupted (context cancelled) after
// step 5 and resumed gives the same metrics and the same last.ckpt, byte
// for byte, as an uninterrupted run.
func TestResumeBitIdentical(t *testing.T) {
	data := tinyData(t)
	for _, method := range []string{MethodPTT, MethodPAT} {
		t.Run(method, func(t *testing.T) {
			cfg := tinyConfig(method)
			root := t.TempDir()
			full, parts := filepath.Join(root, "full"), filepath.Join(root, "parts")
			if _, err := Run(context.Background(), cfg, full, RunOptions{Data: data}); err != nil {
				t.Fatal(err)
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &memRec{onStep: func(s StepResult) {
				if s.Step == 5 {
					cancel()
				}
			}}
			sum, err := Run(ctx, cfg, parts, RunOptions{Data: data, Recorder: rec})
			var ie *InterruptedError
			if !errors.As(err, &ie) || ie.Step != 5 || !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: error %v, want an InterruptedError at step 5", err)
			}
			if !strings.Contains(err.Error(), "interrupted at step 5, resume with --resume") {
				t.Errorf("message %q", err)
			}
			if sum.Steps != 5 || rec.finals != 1 || rec.ckpts[len(rec.ckpts)-1] != 5 {
				t.Errorf("summary steps %d, final checkpoints %d at %v", sum.Steps, rec.finals, rec.ckpts)
			}
			ck, err := readMeta(filepath.Join(parts, FileLast))
			if err != nil || ck["step"] != "5" {
				t.Fatalf("last.ckpt after the interrupt: meta %v, %v", ck, err)
			}

			sum, err = Run(context.Background(), cfg, parts, RunOptions{Data: data, Resume: true})
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Resumed || sum.ResumedAt != 5 || sum.Steps != 8 {
				t.Errorf("resumed summary %+v", sum)
			}
			a, b := stripSeconds(t, filepath.Join(full, FileMetrics)), stripSeconds(t, filepath.Join(parts, FileMetrics))
			if !slices.Equal(a, b) {
				t.Errorf("metrics differ:\nuninterrupted:\n%s\nresumed:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
			}
			if len(a) != 8+3 {
				t.Errorf("%d metrics lines, want 8 steps + 3 validations", len(a))
			}
			for _, f := range []string{FileLast, FileBest} {
				x, err1 := os.ReadFile(filepath.Join(full, f))
				y, err2 := os.ReadFile(filepath.Join(parts, f))
				if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
					t.Errorf("%s differs between the uninterrupted and the resumed run (%v, %v)", f, err1, err2)
				}
			}
			// the history of the resumed run is the uninterrupted one's
			ha, err1 := ReadHistory(full)
			hb, err2 := ReadHistory(parts)
			if err1 != nil || err2 != nil || len(ha.Steps) != 8 || len(ha.Validations) != 3 || len(hb.Steps) != 8 ||
				ha.Steps[7].Loss != hb.Steps[7].Loss || ha.Validations[2] != withSeconds(hb.Validations[2], ha.Validations[2].Seconds) {
				t.Errorf("histories: %v %v; %d/%d steps, %d validations", err1, err2, len(ha.Steps), len(hb.Steps), len(ha.Validations))
			}
		})
	}
}

func withSeconds(v Validation, s float64) Validation { v.Seconds = s; return v }

func readMeta(path string) (map[string]string, error) {
	_, ck, err := model.Load(path)
	if err != nil {
		return nil, err
	}
	return ck.Meta, nil
}

// countingCtx is a context whose Err turns to Canceled at its n-th call,
// to interrupt a step between two frames.
type countingCtx struct {
	context.Context
	calls, n int
}

func (c *countingCtx) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// TestStepCancelledMidBatch: a step abandoned between frames leaves the
// model exactly as before (batch-norm statistics included), so that the
// checkpoint saved on interruption is that of a whole step.
func TestStepCancelledMidBatch(t *testing.T) {
	cfg := tinyConfig(MethodPTT)
	cfg.Batch = 3
	tr, err := NewTrainer(cfg, tinyData(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	snapshot := func() [][]float32 {
		var s [][]float32
		for _, v := range append(tr.Net().Params(), tr.Net().Buffers()...) {
			s = append(s, slices.Clone(v.Value.Data))
		}
		return s
	}
	before := snapshot()
	_, err = tr.Step(&countingCtx{Context: context.Background(), n: 3}) // after two frames
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if tr.Steps() != 1 {
		t.Errorf("steps %d after an abandoned step, want 1", tr.Steps())
	}
	for i, v := range snapshot() {
		if !slices.Equal(v, before[i]) {
			t.Fatalf("tensor %d changed by an abandoned step", i)
		}
	}
}

func TestRunDirectoryRules(t *testing.T) {
	data := tinyData(t)
	cfg := tinyConfig(MethodPTT)
	cfg.Steps = 2
	dir := t.TempDir()
	if _, err := Run(context.Background(), cfg, dir, RunOptions{Data: data}); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, dir, RunOptions{Data: data})
	if err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("second run into the same directory: %v, want a hint at --resume", err)
	}
	other := cfg
	other.Optimizer.LR = 0.02
	_, err = Run(context.Background(), other, dir, RunOptions{Data: data, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "config differs") {
		t.Errorf("resume with another learning rate: %v", err)
	}
	// extending a finished run: only steps may change
	sum, err := Run(context.Background(), cfg, dir, RunOptions{Data: data, Resume: true, Steps: 3})
	if err != nil || sum.Steps != 3 || sum.ResumedAt != 2 {
		t.Errorf("extending to 3 steps: %+v, %v", sum, err)
	}
	// a config.yaml from before configs recorded the physics version was
	// simulated with version 2 (or older), not today's default
	path := filepath.Join(dir, FileConfig)
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pin := fmt.Sprintf("        physics:\n            version: %d\n", sim.PhysicsVersion)
	if !strings.Contains(string(saved), pin) {
		t.Fatalf("%s does not pin the physics version:\n%s", FileConfig, saved)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(saved), pin, "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, dir, RunOptions{Data: data, Resume: true, Steps: 4})
	if err == nil || !strings.Contains(err.Error(), "physics version 2") {
		t.Errorf("resuming a run of physics version 2 with version %d: %v", sim.PhysicsVersion, err)
	}
	// a resumed directory without last.ckpt starts fresh
	sum, err = Run(context.Background(), cfg, t.TempDir(), RunOptions{Data: data, Resume: true})
	if err != nil || sum.Resumed || sum.Steps != 2 {
		t.Errorf("resume into an empty directory: %+v, %v", sum, err)
	}
	if _, err := NewTrainer(Config{Model: model.Config{Kind: model.KindHitGraph}, Data: cfg.Data}, data); err == nil {
		t.Error("trainer accepted data prepared for another model")
	}
}

// TestCacheDoesNotChangeResults: frames prepared on demand (no cache)
// train exactly as cached ones.
func TestCacheDoesNotChangeResults(t *testing.T) {
	cfg := tinyConfig(MethodPTT)
	cfg.Data.CacheMB = -1
	nocache, err := LoadData(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if nocache.train.cached != 0 || nocache.val.cached != nocache.ValFrames() {
		t.Fatalf("cached %d training and %d of %d validation frames", nocache.train.cached, nocache.val.cached, nocache.ValFrames())
	}
	var losses [2][]float64
	for i, d := range []*Prepared{tinyData(t), nocache} {
		tr, err := NewTrainer(cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		var rec memRec
		if err := Loop(context.Background(), tr, 4, &rec); err != nil {
			t.Fatal(err)
		}
		for _, s := range rec.steps {
			losses[i] = append(losses[i], s.Loss)
		}
	}
	if !slices.Equal(losses[0], losses[1]) {
		t.Errorf("losses with cache %v, without %v", losses[0], losses[1])
	}
}

// TestModelTrackerOnTrainedCheckpoint: best.ckpt loaded into a
// learned.Tracker with the validation's batch-norm mode tracks the
// validation frames exactly as the trainer did when it saved it.
func TestModelTrackerOnTrainedCheckpoint(t *testing.T) {
	data := tinyData(t)
	cfg := tinyConfig(MethodPTT)
	dir := t.TempDir()
	sum, err := Run(context.Background(), cfg, dir, RunOptions{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	mt, err := learned.Load(filepath.Join(dir, FileBest), &learned.Options{BatchNorm: model.BNBatch})
	if err != nil {
		t.Fatal(err)
	}
	var purity float64
	var res track.Result
	for i := range data.ValFrames() {
		g := data.val.frames[i].g
		if err := mt.Track(&res, g); err != nil {
			t.Fatal(err)
		}
		purity += metrics.Evaluate(g, res.Selected, &res.Tracks).Purity
	}
	purity /= float64(data.ValFrames())
	if purity != sum.Best.Purity {
		t.Errorf("purity from best.ckpt %.6f, trainer's best %.6f", purity, sum.Best.Purity)
	}
}

func TestLoadDataFiles(t *testing.T) {
	dir := t.TempDir()
	sim := tinyConfig(MethodPTT)
	d := tinyData(t)
	// write the tiny frames to two dataset files (the graphs' hits, which
	// build the same graphs again)
	write := func(name string, set *frameSet) string {
		path := filepath.Join(dir, name)
		w, err := dataset.Create(path, dataset.Meta{Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range set.frames {
			fr := dataset.Frame{Meta: f.g.Meta, Hits: f.g.Hits}
			fr.Meta.Frame = int64(i)
			if err := w.Write(&fr); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	trainPath, valPath := write("train.parquet", &d.train), write("val.parquet", &d.val)
	cfg := sim
	cfg.Data = Data{Train: []string{trainPath}, Val: []string{valPath}, TrainFrames: 3}
	got, err := LoadData(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.TrainFrames() != 3 || got.ValFrames() != d.ValFrames() {
		t.Errorf("%d training and %d validation frames, want 3 and %d", got.TrainFrames(), got.ValFrames(), d.ValFrames())
	}
	if a, b := got.train.frames[1].g, d.train.frames[1].g; !slices.Equal(a.Src, b.Src) || !slices.Equal(a.Dst, b.Dst) {
		t.Error("a frame read back builds another graph")
	}
	bad := filepath.Join(dir, "bad.parquet")
	os.WriteFile(bad, []byte("PAR1 not really"), 0o644)
	cfg.Data.Train = []string{bad}
	if _, err := LoadData(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "bad.parquet") {
		t.Errorf("corrupt dataset: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadData(ctx, tinyConfig(MethodPTT), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled load: %v", err)
	}
}

func TestSplitLosses(t *testing.T) {
	const ln2, ln4 = 0.6931471805599453, 1.3862943611198906
	cases := []struct {
		name     string
		labels   []float32
		near     []bool
		p        []float32
		sel      []bool
		bce, ham float64
	}{
		{
			// near: labels 1, 0 at p = ½ (ln 2 each), segment 1 wrongly
			// chosen; far: p = 1, ¼, 0 for labels 1, 1, 0, segment 2 missed
			name:   "split means",
			labels: []float32{1, 0, 1, 1, 0}, near: []bool{true, true, false, false, false},
			p: []float32{0.5, 0.5, 1, 0.25, 0}, sel: []bool{true, true, false, true, false},
			bce: (ln2+ln2)/2 + (0+ln4+0)/3, ham: 1.0/2 + 1.0/3,
		},
		{
			// a certain wrong answer costs 100 (PyTorch's log clamp); no
			// near segments: that part contributes 0
			name:   "clamp",
			labels: []float32{1, 0}, near: []bool{false, false},
			p: []float32{0, 1}, sel: []bool{false, true},
			bce: (100 + 100) / 2, ham: 1,
		},
	}
	for _, tc := range cases {
		in := &model.Input{NumSegments: len(tc.p), Labels: tc.labels, NearTracker: tc.near, SplitWeight: model.SplitWeights(nil, tc.near)}
		bce, ham := model.SplitLosses(tc.p, tc.sel, in)
		if math.Abs(bce-tc.bce) > 1e-6 || math.Abs(ham-tc.ham) > 1e-12 {
			t.Errorf("%s: bce %.6f hamming %.6f, want %.6f and %.6f", tc.name, bce, ham, tc.bce, tc.ham)
		}
	}
}

// TestCheckpointsRecordSimPhysics: both checkpoints of a run name the
// simulator physics of its data, with the options that differ from sim's
// defaults, and those options reach the simulation.
func TestCheckpointsRecordSimPhysics(t *testing.T) {
	cfg := tinyConfig(MethodPTT)
	cfg.Steps = 2
	dir := t.TempDir()
	if _, err := Run(context.Background(), cfg, dir, RunOptions{Data: tinyData(t)}); err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(sim.PhysicsVersion)
	for _, f := range []string{FileBest, FileLast} {
		_, ck, err := model.Load(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if got := ck.Meta[MetaSimPhysics]; got != want {
			t.Errorf("%s: %s = %q, want %q", f, MetaSimPhysics, got, want)
		}
	}
	cfg.Data.Simulate.Physics = sim.Physics{NoElectronHits: true, WaterI: 70}
	if got, err := cfg.SimPhysics(); err != nil || got != want+" water_i=70,no_electron_hits=true" {
		t.Errorf("SimPhysics without electron hits and I = 70 eV: %q, %v", got, err)
	}
	cfg.Data.Simulate.Physics = sim.Physics{Version: 2}
	if got, err := cfg.SimPhysics(); err != nil || got != "2" {
		t.Errorf("SimPhysics of version 2: %q, %v", got, err)
	}
	// the physics reaches the simulation: electron hits (in ~9 % of the
	// events, about 11 expected in these 120) by default, none in version 2
	for _, ph := range []sim.Physics{{}, {Version: 2}} {
		cfg.Data.Simulate.Physics = ph
		trainFrames, valFrames, err := RawFrames(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var electrons int
		for _, f := range append(trainFrames, valFrames...) {
			for _, h := range f.Hits {
				if h.PDG == dataset.PDGElectron {
					electrons++
				}
			}
		}
		if (electrons > 0) != (ph.Version == 0) {
			t.Errorf("physics %+v: %d electron hits in the simulated frames", ph, electrons)
		}
	}
}

// TestFrameSetBudget: frames kept prepared within the budget and frames
// prepared again on each use give the same graphs and inputs; an empty
// frame is skipped; a kept frame's hits move into its graph.
func TestFrameSetBudget(t *testing.T) {
	src, err := sim.Collect(context.Background(), sim.Config{ProtonsPerFrame: 30, Frames: 3, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	frames := func() []dataset.Frame {
		fs := make([]dataset.Frame, 0, len(src)+1)
		for _, f := range src {
			f.Hits = slices.Clone(f.Hits)
			fs = append(fs, f)
		}
		return append(fs, dataset.Frame{Meta: dataset.FrameMeta{Frame: 99}})
	}
	all, none := frames(), frames()
	kept, err := PrepareFrames(context.Background(), model.Config{}, graph.Options{}, all, -1, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := PrepareFrames(context.Background(), model.Config{}, graph.Options{}, none, 0, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if kept.Len() != len(src) || again.Len() != len(src) || kept.Skipped() != 1 || again.Skipped() != 1 {
		t.Fatalf("len %d/%d, skipped %d/%d; want %d and 1", kept.Len(), again.Len(), kept.Skipped(), again.Skipped(), len(src))
	}
	if all[0].Hits != nil || none[0].Hits == nil {
		t.Errorf("hits of a kept frame %d, of a raw frame %d", len(all[0].Hits), len(none[0].Hits))
	}
	p, err := NewFramePreparer(model.Config{}, graph.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range kept.Len() {
		g1, in1, err1 := kept.Frame(i, p)
		g2, in2, err2 := again.Frame(i, p)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(g1, g2) || !reflect.DeepEqual(in1, in2) {
			t.Errorf("frame %d: kept and prepared-again frames differ", i)
		}
		if _, _, ok := kept.Kept(i); !ok {
			t.Errorf("frame %d not kept with an unlimited budget", i)
		}
		if _, _, ok := again.Kept(i); ok {
			t.Errorf("frame %d kept with a zero budget", i)
		}
	}
}
