package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/model"
)

// withoutTimings decodes an `eval --json` document and clears what
// depends on the machine and the split (pipeline.Report.ClearTimings).
func withoutTimings(t *testing.T, doc string) evalOutput {
	t.Helper()
	var d evalOutput
	if err := json.Unmarshal([]byte(doc), &d); err != nil || d.Evaluation == nil || d.Evaluation.Report == nil {
		t.Fatalf("%v in %q", err, doc)
	}
	d.Evaluation.Report.ClearTimings()
	return d
}

// shardArgs runs one command per shard k/K, with "@" in args replaced by
// the shard's output path, and returns the paths (in reverse order, so
// that merge has to order them).
func shardArgs(t *testing.T, dir, name string, K int, run func(args ...string) (string, error), args ...string) []string {
	t.Helper()
	var paths []string
	for k := K - 1; k >= 0; k-- {
		p := filepath.Join(dir, fmt.Sprintf("%s-%d-of-%d", name, k, K))
		a := []string{"--shard", fmt.Sprintf("%d/%d", k, K)}
		for _, s := range args {
			a = append(a, strings.ReplaceAll(s, "@", p))
		}
		if _, err := run(a...); err != nil {
			t.Fatalf("%s shard %d/%d: %v", name, k, K, err)
		}
		paths = append(paths, p)
	}
	return paths
}

func simulate(args ...string) (string, error) { return execute(newSimulateCmd(), args...) }
func trackCmd(args ...string) (string, error) { return execute(newTrackCmd(), args...) }
func evalCmd(args ...string) (string, error)  { return execute(newEvalCmd(), args...) }
func merge(args ...string) (string, error)    { return execute(newMergeCmd(), args...) }

// TestShardsMatchOneProcess: for K = 1…8, K shards of simulate, track and
// eval merged give the one-process dataset and tracks file byte for byte
// and the one-process evaluation (its JSON without timings).
func TestShardsMatchOneProcess(t *testing.T) {
	dir := t.TempDir()
	sim := []string{"--phantom", "water:100", "--protons-per-frame", "25", "--frames", "17", "--seed", "5", "--workers", "2"}
	one := filepath.Join(dir, "one.parquet")
	if _, err := simulate(append(sim, "--out", one)...); err != nil {
		t.Fatal(err)
	}
	// A second input whose frames 1 and 4 are empty (skipped by eval).
	_, frames, err := dataset.ReadAll(one)
	if err != nil {
		t.Fatal(err)
	}
	frames = frames[:7]
	frames[1].Hits, frames[4].Hits = nil, nil
	holes := filepath.Join(dir, "holes.parquet")
	if err := dataset.WriteFile(t.Context(), holes, dataset.Meta{Source: "test"}, frames); err != nil {
		t.Fatal(err)
	}
	var ckpts []string
	for i := range 2 {
		net, err := model.New(model.Config{}, rand.New(rand.NewPCG(7, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("seed-%d.ckpt", i+1))
		if err := model.Save(p, net, nil, map[string]string{"seed": fmt.Sprint(i + 1)}); err != nil {
			t.Fatal(err)
		}
		ckpts = append(ckpts, "--model", "pat="+p)
	}
	tracks := filepath.Join(dir, "one-tracks.parquet")
	trackArgs := []string{one, "--method", "physics", "--frames", "15", "--workers", "2", "--wepl"}
	if _, err := trackCmd(append(trackArgs, "--out", tracks)...); err != nil {
		t.Fatal(err)
	}
	evalArgs := append([]string{one, holes, "--method", "follower,truth", "--frames", "13", "--json", "--workers", "2"}, ckpts...)
	evalOne, err := evalCmd(evalArgs...)
	if err != nil {
		t.Fatal(err)
	}
	wantEval := withoutTimings(t, evalOne)
	if ev := wantEval.Evaluation; len(ev.Stability) != 1 || len(ev.Report.Skipped) != 2 {
		t.Fatalf("the evaluation lacks stability or skips: %s", evalOne)
	}
	wantSim, _ := os.ReadFile(one)
	wantTracks, _ := os.ReadFile(tracks)

	for K := 1; K <= 8; K++ {
		parts := shardArgs(t, dir, "sim", K, simulate, append(sim, "--out", "@")...)
		out := filepath.Join(dir, fmt.Sprintf("sim-%d.parquet", K))
		if _, err := merge(append(parts, "--out", out)...); err != nil {
			t.Fatalf("K=%d: merge datasets: %v", K, err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, wantSim) {
			t.Errorf("K=%d: merged dataset (%d bytes) differs from one process (%d bytes)", K, len(got), len(wantSim))
		}

		parts = shardArgs(t, dir, "tracks", K, trackCmd, append(trackArgs, "--out", "@")...)
		out = filepath.Join(dir, fmt.Sprintf("tracks-%d.parquet", K))
		if _, err := merge(append(parts, "--out", out)...); err != nil {
			t.Fatalf("K=%d: merge tracks: %v", K, err)
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, wantTracks) {
			t.Errorf("K=%d: merged tracks file (%d bytes) differs from one process (%d bytes)", K, len(got), len(wantTracks))
		}

		parts = shardArgs(t, dir, "eval", K, evalCmd, append(evalArgs, "--out", "@")...)
		got, err := merge(append(parts, "--json")...)
		if err != nil {
			t.Fatalf("K=%d: merge eval shards: %v", K, err)
		}
		if g := withoutTimings(t, got); !reflect.DeepEqual(g, wantEval) {
			t.Errorf("K=%d: merged evaluation differs from one process:\n%s\nwant\n%s", K, got, evalOne)
		}
	}
	// The text tables of a merge are those of one process, timings aside.
	parts := shardArgs(t, dir, "text", 3, evalCmd, append(evalArgs[:len(evalArgs)-len(ckpts)-3], "--out", "@")...)
	text, err := merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	oneText, err := evalCmd(evalArgs[:len(evalArgs)-len(ckpts)-3]...)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := beforeTimings(text), beforeTimings(oneText); a != b || !strings.Contains(a, "follower") {
		t.Errorf("merged tables:\n%s\nwant\n%s", a, b)
	}
}

// beforeTimings cuts the eval text at the throughput lines.
func beforeTimings(s string) string {
	if i := strings.Index(s, " frames on "); i >= 0 {
		s = s[:strings.LastIndexByte(s[:i], '\n')+1]
	}
	return s
}

// TestShardErrors: bad shards give one error line naming the shard and
// leave no output.
func TestShardErrors(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "") // even inside a Slurm job
	dir := t.TempDir()
	sim := []string{"--protons-per-frame", "10", "--frames", "6", "--workers", "1"}
	part := func(name, shard string, extra ...string) string {
		p := filepath.Join(dir, name)
		if _, err := simulate(append(append(sim, "--shard", shard, "--out", p), extra...)...); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s0, s1, s2 := part("s0.parquet", "0/3"), part("s1.parquet", "1/3"), part("s2.parquet", "2/3")
	seed := part("seed.parquet", "2/3", "--seed", "9")
	half := part("half.parquet", "1/2")
	d := tinyDataset(t, dir, 4, 15)
	tr := func(name, shard, method string) string {
		p := filepath.Join(dir, name)
		if _, err := trackCmd(d, "--method", method, "--shard", shard, "--out", p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t0, t1, tOther := tr("t0.parquet", "0/2", "truth"), tr("t1.parquet", "1/2", "truth"), tr("t1f.parquet", "1/2", "follower")
	ev := func(name, shard string, extra ...string) string {
		p := filepath.Join(dir, name)
		if _, err := evalCmd(append([]string{d, "--method", "truth", "--shard", shard, "--out", p}, extra...)...); err != nil {
			t.Fatal(err)
		}
		return p
	}
	e0, e1, eFrames := ev("e0.json", "0/2"), ev("e1.json", "1/2"), ev("e1n.json", "1/2", "--frames", "3")
	out := filepath.Join(dir, "out.parquet")
	cases := []struct {
		name string
		run  func(...string) (string, error)
		args []string
		want string
	}{
		{"zero energy", simulate, append(sim, "--energy", "0", "--out", out), "simulate: --energy must be positive, not 0 MeV"},
		{"negative energy", simulate, append(sim, "--energy", "-5", "--out", out), "simulate: --energy must be positive, not -5 MeV"},
		{"negative spot", simulate, append(sim, "--spot-sigma", "-1", "--out", out), "simulate: --spot-sigma must not be negative, not -1"},
		{"NaN divergence", simulate, append(sim, "--divergence", "NaN", "--out", out), "simulate: --divergence must not be negative, not NaN"},
		{"shard out of range", simulate, append(sim, "--shard", "3/3", "--out", out), "simulate: --shard: shard: \"3/3\": shard 3 is out of range [0, 3)"},
		{"track shard out of range", trackCmd, []string{d, "--method", "truth", "--shard", "-1/2", "--out", out}, "track: --shard: shard: \"-1/2\": shard -1 is out of range"},
		{"eval shard without out", evalCmd, []string{d, "--shard", "0/2"}, "eval: --shard needs --out"},
		{"slurm outside slurm", evalCmd, []string{d, "--shard", "slurm", "--out", out}, "SLURM_ARRAY_TASK_ID is not set"},
		{"missing shard", merge, []string{s0, s2, "--out", out}, "shard 1/3 is missing"},
		{"duplicate shard", merge, []string{s0, s1, s2, s1, "--out", out}, "shard 1/3 is given twice"},
		{"overlapping shards", merge, []string{s0, s1, half, "--out", out}, "is shard 1/2 but"},
		{"other run", merge, []string{s0, s1, seed, "--out", out}, `(shard 2/3) is not of the run of "` + s0 + `" (shard 0/3): seeds differ`},
		{"tracks missing shard", merge, []string{t1, "--out", out}, "shard 0/2 is missing"},
		{"tracks other method", merge, []string{t0, tOther, "--out", out}, `"` + tOther + `" (shard 1/2) is not of the run of "` + t0 + `" (shard 0/2): methods differ`},
		{"eval missing shard", merge, []string{e1, "--out", out}, "shard 0/2 is missing"},
		{"eval duplicate shard", merge, []string{e0, e1, e0}, "shard 0/2 is given twice"},
		{"eval other run", merge, []string{e0, eFrames, "--out", out}, `"` + eFrames + `" (shard 1/2) is not of the run of "` + e0 + `" (shard 0/2): frame counts differ`},
		{"mixed kinds", merge, []string{s0, t0, "--out", out}, "is a tracks file but"},
		{"no out", merge, []string{s0, s1, s2}, "--out is required to merge datasets"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.run(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line containing %q", err, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("output written despite the error")
			}
		})
	}
}

// TestResume: --resume keeps an output that holds this run's shard (as a
// requeued array task finds it), and refuses one of another run or shard.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 4, 15)
	cases := []struct {
		name        string
		run         func(...string) (string, error)
		args, other []string
	}{
		{"simulate", simulate, []string{"--protons-per-frame", "10", "--frames", "5", "--shard", "1/2"}, []string{"--seed", "8"}},
		{"track", trackCmd, []string{d, "--method", "truth", "--shard", "1/2"}, []string{"--frames", "3"}},
		{"eval", evalCmd, []string{d, "--method", "truth", "--shard", "1/2"}, []string{"--tracker-cone", "0.3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".out")
			args := append(tc.args, "--out", out, "--resume")
			first, err := tc.run(args...)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(out)
			old := time.Now().Add(-time.Hour)
			os.Chtimes(out, old, old)
			again, err := tc.run(args...)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := os.Stat(out)
			after, _ := os.ReadFile(out)
			if !st.ModTime().Equal(old) || !bytes.Equal(before, after) {
				t.Errorf("--resume rewrote %s", out)
			}
			if tc.name == "eval" && beforeTimings(again) != beforeTimings(first) {
				t.Errorf("resumed eval prints\n%s\nwant\n%s", again, first)
			} else if tc.name != "eval" && !strings.HasPrefix(again, "kept "+out) {
				t.Errorf("resumed run prints %q", again)
			}
			if _, err := tc.run(append(args, tc.other...)...); err == nil || !strings.Contains(err.Error(), "--resume:") || !strings.Contains(err.Error(), "holds another run") {
				t.Errorf("another run: %v", err)
			}
			other := slices.Clone(args)
			other[slices.Index(other, "1/2")] = "0/2"
			if _, err := tc.run(other...); err == nil || !strings.Contains(err.Error(), "holds shard") {
				t.Errorf("another shard: %v", err)
			}
		})
	}
}

func TestMergeDirectory(t *testing.T) {
	dir := t.TempDir()
	parts := filepath.Join(dir, "parts")
	os.Mkdir(parts, 0o755)
	for k := range 2 {
		if _, err := simulate("--frames", "4", "--protons-per-frame", "5", "--shard", fmt.Sprintf("%d/2", k), "--out", filepath.Join(parts, fmt.Sprintf("p%d.parquet", k))); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(parts, ".p2.parquet.tmp-123"), []byte("unfinished"), 0o644)
	out := filepath.Join(dir, "all.parquet")
	if got, err := merge(parts, "--out", out); err != nil || !strings.Contains(got, "4 frames") || !strings.Contains(got, "from 2 shards") {
		t.Fatalf("merge of a directory: %q, %v", got, err)
	}
	if _, err := merge(dir+"/nothing", "--out", out); err == nil {
		t.Error("merge of a missing path succeeded")
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if _, err := merge(empty, "--out", out); err == nil || !strings.Contains(err.Error(), "no .parquet or .json shards") {
		t.Errorf("merge of an empty directory: %v", err)
	}
}
