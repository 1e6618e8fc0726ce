package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/configs"
	"github.com/pcttrack/pcttrack/e2e"
	"github.com/pcttrack/pcttrack/model"
)

const minimalData = "data: {simulate: {phantoms: [water:100], frames: 1, val_frames: 1}}\n"

func TestConfigDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(minimalData))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"method", r.Method, MethodPTT},
		{"model kind", r.Model.Kind, model.KindLineGraph},
		{"hidden", r.Model.Hidden, 16},
		{"optimizer", r.Optimizer.Kind, "rmsprop"},
		{"lr", r.Optimizer.LR, 1e-3},
		{"alpha", r.Optimizer.Alpha, 0.99},
		{"schedule base", r.Schedule.Base, 1e-3},
		{"schedule step (constant rate)", r.Schedule.StepSize, 0},
		{"schedule gamma", r.Schedule.Gamma, 1.0},
		{"validation batch norm", *r.ValBatchNorm, model.BNBatch},
		{"batch", r.Batch, 32},
		{"steps", r.Steps, 10000},
		{"val every", r.ValEvery, 100},
		{"checkpoint every", r.CheckpointEvery, 100},
		{"pat (ptt)", r.PAT, e2e.Options{}},
		{"tracker cone", r.Graph.TrackerCone, 0.2},
		{"calo cone", r.Graph.CaloCone, 0.4},
		{"protons", r.Data.Simulate.ProtonsPerFrame, 100},
		{"cache", r.Data.CacheMB, DefaultCacheMB},
		{"lr at step 9999", r.Schedule.LR(9999), 1e-3},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	p, err := ParseConfig([]byte("method: PAT\n" + minimalData))
	if err != nil {
		t.Fatal(err)
	}
	if p, err = p.Resolved(); err != nil {
		t.Fatal(err)
	}
	if p.Method != MethodPAT || p.PAT.Lambda != e2e.DefaultLambda || p.PAT.Variant != e2e.Unscaled || p.PAT.Batch != 32 ||
		p.PAT.FrameLambda() != 50.0/32 {
		t.Errorf("pat defaults: method %q lambda %g variant %v batch %d", p.Method, p.PAT.Lambda, p.PAT.Variant, p.PAT.Batch)
	}
	// resolving is idempotent and survives a YAML round trip
	y, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(y)
	if err != nil {
		t.Fatalf("re-parsing the resolved config: %v\n%s", err, y)
	}
	if back, err = back.Resolved(); err != nil {
		t.Fatal(err)
	}
	if !sameRun(back, p) || back.Steps != p.Steps {
		t.Errorf("round trip changed the config:\n%s", y)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty"},
		{"unknown key", "stepz: 5\n" + minimalData, "stepz"},
		{"unknown nested key", "data: {simulate: {phantom: water:100, frames: 1, val_frames: 1}}", "phantom"},
		{"unknown model key", "model: {kind: linegraph, layers: 3}\n" + minimalData, "layers"},
		{"two documents", minimalData + "---\nsteps: 3\n", "more than one"},
		{"method", "method: sgd\n" + minimalData, "method"},
		{"negative batch", "batch: -1\n" + minimalData, "batch"},
		{"negative steps", "steps: -5\n" + minimalData, "steps"},
		{"model kind", "model: {kind: transformer}\n" + minimalData, "model"},
		{"optimizer kind", "optimizer: {kind: sgd}\n" + minimalData, "optimizer"},
		{"negative lr", "optimizer: {lr: -1}\n" + minimalData, "optimizer"},
		{"optimizer steps", "optimizer: {steps: 5}\n" + minimalData, "steps"},
		{"schedule base", "optimizer: {lr: 0.01}\nschedule: {base: 0.02}\n" + minimalData, "optimizer.lr"},
		{"gamma", "schedule: {gamma: 2}\n" + minimalData, "gamma"},
		{"pat with ptt", "pat: {lambda: 10}\n" + minimalData, "ptt"},
		{"pat assign", "method: pat\npat: {assign: {paper: true}}\n" + minimalData, "field assign not found"},
		{"negative lambda", "method: pat\npat: {lambda: -1}\n" + minimalData, "lambda"},
		{"variant", "method: pat\npat: {variant: wiggly}\n" + minimalData, "wiggly"},
		{"no data", "steps: 5\n", "no frames"},
		{"files and simulate", "data: {train: [a.parquet], val: [b.parquet], simulate: {phantoms: [water:100], frames: 1, val_frames: 1}}", "not both"},
		{"no val files", "data: {train: [a.parquet]}", "val"},
		{"bad phantom", "data: {simulate: {phantoms: [water:abc], frames: 1, val_frames: 1}}", "water:abc"},
		{"no phantoms", "data: {simulate: {frames: 1, val_frames: 1}}", "phantoms"},
		{"no val frames", "data: {simulate: {phantoms: [water:100], frames: 4}}", "val_frames"},
		{"frame caps with simulate", "data: {train_frames: 3, simulate: {phantoms: [water:100], frames: 4, val_frames: 1}}", "train_frames"},
		{"graph cone", "graph: {tracker_cone: 3}\n" + minimalData, "graph"},
		{"nan unmatched cost", "assign: {unmatched_cost: .nan}\n" + minimalData, "unmatched"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.yaml))
			if err == nil {
				_, err = c.Resolved()
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "train: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q: want prefix \"train: \" and %q", msg, tc.want)
			}
		})
	}
}

func TestEmbeddedConfigs(t *testing.T) {
	names := configs.Names()
	for _, want := range []string{"paper-ptt", "paper-pat-l25", "paper-pat-l50", "paper-pat-l75", "hitgraph-ptt", "hitgraph-pat-l50", "small-ptt", "small-pat"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("embedded config %q missing (have %v)", want, names)
		}
	}
	type want struct {
		method, kind string
		lambda       float64
		steps, batch int
		phantoms     int
		paperAssign  bool
	}
	wants := map[string]want{
		"paper-ptt":            {MethodPTT, model.KindLineGraph, 0, 10000, 32, 3, true},
		"paper-pat-l25":        {MethodPAT, model.KindLineGraph, 25, 10000, 32, 3, true},
		"paper-pat-l50":        {MethodPAT, model.KindLineGraph, 50, 10000, 32, 3, true},
		"paper-pat-l75":        {MethodPAT, model.KindLineGraph, 75, 10000, 32, 3, true},
		"hitgraph-ptt":         {MethodPTT, model.KindHitGraph, 0, 30000, 32, 3, true},
		"hitgraph-pat-l50":     {MethodPAT, model.KindHitGraph, 50, 30000, 32, 3, true},
		"paper-ptt-sparse":     {MethodPTT, model.KindLineGraph, 0, 10000, 32, 3, true},
		"paper-pat-l50-sparse": {MethodPAT, model.KindLineGraph, 50, 10000, 32, 3, true},
		"small-ptt":            {MethodPTT, model.KindLineGraph, 0, 400, 4, 1, false},
		"small-pat":            {MethodPAT, model.KindLineGraph, 50, 400, 4, 1, false},
		"small-ptt-sparse":     {MethodPTT, model.KindLineGraph, 0, 400, 4, 1, false},
		"small-pat-sparse":     {MethodPAT, model.KindLineGraph, 50, 400, 4, 1, false},
		"fast-ptt":             {MethodPTT, model.KindLineGraph, 0, 1500, 16, 3, true},
		"fast-pat-l25":         {MethodPAT, model.KindLineGraph, 25, 1500, 16, 3, true},
		"fast-pat-l50":         {MethodPAT, model.KindLineGraph, 50, 1500, 16, 3, true},
		"fast-pat-l75":         {MethodPAT, model.KindLineGraph, 75, 1500, 16, 3, true},
		"full-ptt":             {MethodPTT, model.KindLineGraph, 0, 1500, 16, 3, true},
		"full-pat-l50":         {MethodPAT, model.KindLineGraph, 50, 1500, 16, 3, true},
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, err := LoadConfig(name)
			if err != nil {
				t.Fatal(err)
			}
			w, ok := wants[name]
			if !ok {
				return
			}
			s := c.Data.Simulate
			if s == nil {
				t.Fatal("embedded configs must simulate their data")
			}
			if c.Method != w.method || c.Model.Kind != w.kind || c.Steps != w.steps || c.Batch != w.batch ||
				len(s.Phantoms) != w.phantoms || c.Assign.Paper != w.paperAssign {
				t.Errorf("got method %s kind %s steps %d batch %d phantoms %d paper solver %v", c.Method, c.Model.Kind, c.Steps, c.Batch, len(s.Phantoms), c.Assign.Paper)
			}
			if w.method == MethodPAT && (c.PAT.Lambda != w.lambda || c.PAT.Variant != e2e.Unscaled || c.PAT.NoClamp) {
				t.Errorf("pat: lambda %g (want %g), variant %v, no_clamp %v", c.PAT.Lambda, w.lambda, c.PAT.Variant, c.PAT.NoClamp)
			}
			if c.Optimizer.Kind != "rmsprop" {
				t.Errorf("optimizer %s", c.Optimizer.Kind)
			}
			// the paper's protocol (its set-ups and the zoo's): constant lr
			// 1e-3, validation with batch statistics; the others say how
			// they depart
			paper := strings.HasPrefix(name, "paper-") || strings.HasPrefix(name, "hitgraph-") ||
				strings.HasPrefix(name, "fast-") || strings.HasPrefix(name, "full-")
			// sparse graphs: *-sparse and the zoo (fast-*); full-* are the
			// zoo's full-graph partners
			sparse := strings.HasSuffix(name, "-sparse") || strings.HasPrefix(name, "fast-")
			if g := c.Graph; sparse != (g.TrackerCut == 4 && g.PhysicsCut == 4 && g.DropIsolated) {
				t.Errorf("sparse %v: graph %+v", sparse, g)
			}
			constLR := c.Schedule.StepSize == 0 && c.Optimizer.LR == 1e-3
			if bn := *c.ValBatchNorm; paper != constLR || paper != (bn == model.BNBatch) {
				t.Errorf("paper set-up %v: constant lr 1e-3 %v, validation batch norm %v", paper, constLR, bn)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "exp.yaml")
	y := "data: {train: [frames/train.parquet], val: [/abs/val.parquet]}\n"
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "frames", "train.parquet"); c.Data.Train[0] != want || c.Data.Val[0] != "/abs/val.parquet" {
		t.Errorf("paths %v %v, want %s relative to the config's directory", c.Data.Train, c.Data.Val, want)
	}
	for _, spec := range []string{"no-such-config", filepath.Join(dir, "missing.yaml")} {
		_, err := LoadConfig(spec)
		if err == nil || !strings.HasPrefix(err.Error(), "train: ") {
			t.Errorf("%s: error %v", spec, err)
		}
	}
	if _, err := LoadConfig("no-such-config"); err == nil || !strings.Contains(err.Error(), "small-pat") {
		t.Errorf("unknown name: error %v should list the embedded configs", err)
	}
}

// A run directory named like the embedded config it was trained with
// (train --config small-pat --out small-pat) must not hide that config.
func TestLoadConfigBesideRunDir(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("small-pat", 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig("small-pat")
	if err != nil || c.Method != MethodPAT {
		t.Fatalf("config %+v, error %v", c.Method, err)
	}
}
