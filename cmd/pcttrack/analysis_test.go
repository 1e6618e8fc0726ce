package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pcttrack/pcttrack/internal/zootest"
	"github.com/pcttrack/pcttrack/landscape"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/pipeline"
)

// TestLandscapeLineEqualsEval: the ends of `landscape line` are the models
// as `eval` scores them, in both batch-norm modes.
func TestLandscapeLineEqualsEval(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 3, 30)
	ck := zootest.Build(t, filepath.Join(dir, "zoo"), 3, 30, []zootest.Spec{{Method: "ptt", Seed: 0, Steps: 20}, {Method: "ptt", Seed: 1, Steps: 20}})
	for _, bn := range []string{"batch", "running"} {
		out := filepath.Join(dir, "line-"+bn)
		if _, err := execute(newLandscapeLineCmd(), ck[0], ck[1], "--data", d, "--frames", "0", "--points", "3", "--batchnorm", bn, "--out", out); err != nil {
			t.Fatal(err)
		}
		c, err := landscape.ReadConnection(filepath.Join(out, "line.json"))
		if err != nil {
			t.Fatal(err)
		}
		for k, end := range []int{0, 2} {
			js, err := execute(newEvalCmd(), d, "--method", "none", "--model", ck[k], "--paper", "--batchnorm", bn, "--json")
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Evaluation pipeline.Evaluation `json:"evaluation"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			g, m := doc.Evaluation.Groups[0], c.Linear[end]
			if math.Abs(g.Purity.Mean-m.Purity) > 1e-12 || math.Abs(g.Efficiency.Mean-m.Efficiency) > 1e-12 ||
				math.Abs(g.TPR.Mean-m.TPR) > 1e-12 || math.Abs(g.FPR.Mean-m.FPR) > 1e-12 || m.Purity == 0 {
				t.Errorf("%s, t = %g: line purity %g eff %g TPR %g FPR %g; eval %g %g %g %g", bn, m.T, m.Purity, m.Efficiency, m.TPR, m.FPR,
					g.Purity.Mean, g.Efficiency.Mean, g.TPR.Mean, g.FPR.Mean)
			}
		}
	}
}

// TestAnalysisBadInput: one error line, no output directory content.
func TestAnalysisBadInput(t *testing.T) {
	dir := t.TempDir()
	lg := zootest.Build(t, filepath.Join(dir, "lg"), 2, 10, []zootest.Spec{{Method: "ptt", Seed: 0}, {Method: "pat", Lambda: 50, Seed: 1}})
	hg := zootest.Build(t, filepath.Join(dir, "hg"), 2, 10, []zootest.Spec{{Method: "ptt", Seed: 2, Model: model.Config{Kind: model.KindHitGraph, Hidden: 8}}})
	corrupt := filepath.Join(dir, "bad.ckpt")
	os.WriteFile(corrupt, []byte("PCTCKPT\x00garbage"), 0o644)
	out := filepath.Join(dir, "out")
	cases := []struct {
		name string
		cmd  func() *cobra.Command
		args []string
		want string
	}{
		{"compare: architectures", newCompareCmd, []string{lg[0], hg[0], "--out", out}, "different architectures"},
		{"compare: too many shards", newCompareCmd, []string{lg[0], lg[1], "--shard", "1/2", "--out", out}, "cannot be split"},
		{"compare: corrupt checkpoint", newCompareCmd, []string{lg[0], corrupt, "--out", out}, "checkpoint"},
		{"line: architectures", newLandscapeLineCmd, []string{lg[0], hg[0], "--out", out}, "different architectures"},
		{"line: batch-norm mode", newLandscapeLineCmd, []string{lg[0], lg[1], "--batchnorm", "sometimes", "--out", out}, "batch-norm mode"},
		{"plane: shards", newLandscapePlaneCmd, []string{lg[0], "--grid", "2", "--shard", "0/5", "--out", out}, "cannot be split"},
		{"connect: loss", newConnectCmd, []string{lg[0], lg[1], "--loss", "mse", "--out", out}, "--loss"},
		// the first bound that fails is named with its value
		{"compare: cka rows", newCompareCmd, []string{lg[0], lg[1], "--cka-rows", "3", "--out", out}, "compare: --cka-rows must be >= 4, not 3"},
		{"connect: NaN lr", newConnectCmd, []string{lg[0], lg[1], "--lr", "NaN", "--out", out}, "connect: --lr must be a positive number, not NaN"},
		{"connect: batch", newConnectCmd, []string{lg[0], lg[1], "--batch", "0", "--lambda", "-1", "--out", out}, "connect: --batch must be >= 1, not 0"},
		{"plane: infinite range", newLandscapePlaneCmd, []string{lg[0], "--range", "+Inf", "--out", out}, "landscape plane: --range must be a positive number, not +Inf"},
		{"plane: lambda", newLandscapePlaneCmd, []string{lg[0], "--lambda", "-0.5", "--out", out}, "landscape plane: --lambda must be >= 0, not -0.5"},
		{"line: frames", newLandscapeLineCmd, []string{lg[0], lg[1], "--frames", "-2", "--out", out}, "landscape line: --frames must be >= 0, not -2"},
	}
	for _, tc := range cases {
		_, err := execute(tc.cmd(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.name, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("bad input left %d files in the output directory", len(entries))
	}
}

// TestCompareShardsCLI runs compare in two shards and merges them into the
// one-process report.
func TestCompareShardsCLI(t *testing.T) {
	dir := t.TempDir()
	ck := zootest.Build(t, filepath.Join(dir, "zoo"), 2, 15, []zootest.Spec{{Method: "ptt", Seed: 0}, {Method: "ptt", Seed: 1}, {Method: "pat", Lambda: 25, Seed: 0}})
	one, sh := filepath.Join(dir, "one"), filepath.Join(dir, "sh")
	if _, err := execute(newCompareCmd(), append(ck, "--out", one)...); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"0/2", "1/2"} {
		if _, err := execute(newCompareCmd(), append(ck, "--out", sh, "--shard", s)...); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged")
	if _, err := execute(newCompareMergeCmd(), filepath.Join(sh, "compare-shard-0-of-2.json"), filepath.Join(sh, "compare-shard-1-of-2.json"), "--out", merged); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(one, "pairs.csv"))
	b, _ := os.ReadFile(filepath.Join(merged, "pairs.csv"))
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("merged pairs.csv differs:\n%s\nvs\n%s", b, a)
	}
	for _, f := range []string{"compare.json", "groups.csv", "tests.csv", "disagreement-logit.png", "disagreement-prob.png"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Error(err)
		}
	}
}
