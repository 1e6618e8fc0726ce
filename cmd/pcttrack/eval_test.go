package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/internal/simframes"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/sim"
)

// tinyDataset simulates frames of n protons behind 100 mm of water (seed
// 3) into a dataset file in dir, as `pcttrack simulate` does.
func tinyDataset(t *testing.T, dir string, frames, n int) string {
	t.Helper()
	path := filepath.Join(dir, "d.parquet")
	if _, err := sim.Write(context.Background(), simframes.Config(n, frames, 3), path, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// execute runs a fresh command with args and returns its standard output.
func execute(cmd *cobra.Command, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := executeTo(cmd, &out, &errOut, args...)
	return out.String(), err
}

// executeTo runs a fresh command with args, its standard output going to
// out and its standard error to errOut.
func executeTo(cmd *cobra.Command, out, errOut io.Writer, args ...string) error {
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	return cmd.ExecuteContext(context.Background())
}

// evalJSON runs eval with args and --json and decodes its output.
func evalJSON(t *testing.T, args ...string) evalOutput {
	t.Helper()
	js, err := execute(newEvalCmd(), append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var doc evalOutput
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEvalCommand(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 4, 30)
	out, err := execute(newEvalCmd(), d, "--method", "follower,truth", "--workers", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"method", "purity %", "follower  water:100", "truth     water:100", "4 frames on 2 workers", "graph", "metrics"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}

	js, err := execute(newEvalCmd(), d, d, "--method", "truth", "--frames", "3", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files      []string `json:"files"`
		Evaluation struct {
			Groups []struct {
				Key struct {
					Method          string `json:"method"`
					ProtonsPerFrame int    `json:"protons_per_frame"`
				} `json:"key"`
				Frames int `json:"frames"`
			} `json:"groups"`
		} `json:"evaluation"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, js)
	}
	g := doc.Evaluation.Groups
	if len(doc.Files) != 2 || len(g) != 1 || g[0].Key.Method != "truth" || g[0].Key.ProtonsPerFrame != 30 || g[0].Frames != 6 {
		t.Errorf("JSON groups %+v of %v: want truth, 30 p/frame, 3 frames of each of 2 files", g, doc.Files)
	}
}

// TestEvalCommandSeeds: checkpoints sharing a name are seeds of one
// method, reported over seeds and per seed.
func TestEvalCommandSeeds(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 3, 30)
	var ckpts []string
	for i, seed := range []string{"1", "2"} {
		net, err := model.New(model.Config{}, rand.New(rand.NewPCG(1, uint64(i))))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "seed-"+seed+".ckpt")
		if err := model.Save(p, net, nil, map[string]string{"seed": seed}); err != nil {
			t.Fatal(err)
		}
		ckpts = append(ckpts, "pat="+p)
	}
	fig := filepath.Join(dir, "stability.png")
	out, err := execute(newEvalCmd(), d, "--method", "truth", "--model", ckpts[0], "--model", ckpts[1], "--model", strings.TrimPrefix(ckpts[0], "pat="),
		"--stability-plot", fig)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"over the seeds' averages", "per seed (mean ± sd over frames):", "\npat ", "\nlearned ", "\ntruth ", "pat seed 1", "pat seed 2",
		"seed stability", "% of candidates"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if st, err := os.Stat(fig); err != nil || st.Size() < 1000 {
		t.Errorf("stability plot: %v", err)
	}
	// two differently initialised networks disagree somewhere
	doc := evalJSON(t, d, "--method", "none", "--model", ckpts[0], "--model", ckpts[1])
	if st := doc.Evaluation.Stability; len(st) != 1 || st[0].Pairs != 1 || !(st[0].OfEdges.Mean > 0 && st[0].OfEdges.Mean < 1) {
		t.Errorf("stability %+v", st)
	}
	// only a model, solved like the paper
	out, err = execute(newEvalCmd(), d, "--method", "none", "--model", ckpts[1], "--paper", "--frames", "1")
	if err != nil || !strings.Contains(out, "\npat ") || strings.Contains(out, "truth") {
		t.Errorf("--method none --paper: %v\n%s", err, out)
	}
	// a lower unmatched cost takes only confident segments: an untrained
	// network's p ≈ 0.5 passes the default (1 − p < 1) but not 1 − p < 0.1
	tpr := func(args ...string) float64 {
		return evalJSON(t, append([]string{d, "--method", "none", "--model", ckpts[1]}, args...)...).Evaluation.Groups[0].TPR.Mean
	}
	if def, named, strict := tpr(), tpr("--unmatched-cost", "0.5"), tpr("--unmatched-cost", "0.05"); def != named || !(strict < def/2) {
		t.Errorf("segment TPR: default %.3f, --unmatched-cost 0.5 %.3f, 0.05 %.3f", def, named, strict)
	}
}

func TestEvalCommandErrors(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 2, 20)
	garbage := filepath.Join(dir, "garbage.parquet")
	if err := os.WriteFile(garbage, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown-method", []string{d, "--method", "magic"}, `eval: pipeline: unknown method "magic"`},
		{"missing-file", []string{filepath.Join(dir, "nope.parquet"), "--method", "truth"}, "nope.parquet: no such file"},
		{"negative-frames", []string{d, "--frames", "-1"}, "eval: --frames must be >= 0, not -1"},
		{"negative-workers", []string{d, "--workers", "-2"}, "eval: --workers must be >= 0, not -2"},
		{"nothing-to-run", []string{d, "--method", "none"}, "eval: pipeline: no method to run"},
		{"bad-model-flag", []string{d, "--method", "truth", "--model", "=x.ckpt"}, "bad --model"},
		{"missing-model", []string{d, "--method", "truth", "--model", filepath.Join(dir, "no.ckpt")}, "no.ckpt"},
		{"model-named-like-method", []string{d, "--method", "truth", "--model", "truth=x.ckpt"}, `--model name "truth" is also a --method`},
		{"not-a-dataset", []string{garbage, "--method", "truth"}, `dataset: "` + garbage + `": not a readable Parquet file`},
		{"no-args", nil, "requires at least 1 arg"},
		{"stability-without-seeds", []string{d, "--method", "truth", "--stability-plot", filepath.Join(dir, "s.png")}, "--stability-plot needs a method with two or more seeds"},
		{"stability-bad-format", []string{d, "--method", "truth", "--stability-plot", filepath.Join(dir, "s.txt")}, "eval: --stability-plot:"},
		{"zero-unmatched-cost", []string{d, "--method", "truth", "--unmatched-cost", "0"}, "eval: --unmatched-cost must be a positive number, not 0"},
		{"nan-unmatched-cost", []string{d, "--method", "truth", "--unmatched-cost", "NaN"}, "eval: --unmatched-cost must be a positive number, not NaN"},
		{"unmatched-cost-and-paper", []string{d, "--method", "truth", "--unmatched-cost", "0.2", "--paper"}, "--unmatched-cost and --paper exclude each other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := execute(newEvalCmd(), tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

// The graph flags reach graph building: cones too narrow for the protons'
// scattering cut true segments, so even the truth tracker loses tracks.
func TestEvalCommandGraphFlags(t *testing.T) {
	d := tinyDataset(t, t.TempDir(), 2, 30)
	eff := func(args ...string) float64 {
		t.Helper()
		return evalJSON(t, append([]string{d, "--method", "truth"}, args...)...).Evaluation.Table[0].Efficiency.Mean
	}
	wide, narrow := eff(), eff("--tracker-cone", "0.01", "--calo-cone", "0.01")
	if !(narrow < 0.5*wide) {
		t.Errorf("truth efficiency %.3f with 0.01 rad cones, %.3f with the paper's", narrow, wide)
	}
	for _, bad := range [][]string{{"--calo-cone", "0"}, {"--tracker-cone", "2"}, {"--tracker-below", "-1"}} {
		_, err := execute(newEvalCmd(), append([]string{d, "--method", "truth"}, bad...)...)
		if err == nil || !strings.HasPrefix(err.Error(), "eval: ") {
			t.Errorf("%v: error %v", bad, err)
		}
	}
}
