package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/internal/zootest"
)

// evalSegments runs eval --json and returns the segments per method.
func evalSegments(t *testing.T, args ...string) map[string]int {
	t.Helper()
	js, err := execute(newEvalCmd(), append(args, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Evaluation struct {
			Groups []struct {
				Key struct {
					Method string `json:"method"`
				} `json:"key"`
				Counts struct {
					Segments int `json:"segments"`
				} `json:"counts"`
			} `json:"groups"`
		} `json:"evaluation"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	seg := map[string]int{}
	for _, g := range doc.Evaluation.Groups {
		seg[g.Key.Method] = g.Counts.Segments
	}
	return seg
}

// TestEvalSparseModel: a sparse checkpoint alone gets its sparse graphs
// built; next to a built-in tracker both run on the paper's graph (the
// model prunes it itself); graph flags that contradict the checkpoint are
// an error unless --force-graph.
func TestEvalSparseModel(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 3, 40)
	ck := zootest.SparseCheckpoint(t, dir, 2)
	alone := evalSegments(t, d, "--method", "none", "--model", "s="+ck)
	both := evalSegments(t, d, "--method", "physics", "--model", "s="+ck)
	flags := evalSegments(t, d, "--method", "none", "--model", "s="+ck, "--sparse")
	if !(alone["s"] > 0 && alone["s"] < both["s"]*4/5) || both["s"] != both["physics"] || flags["s"] != alone["s"] {
		t.Errorf("segments: model alone %d, with physics %d (physics %d), with --sparse %d", alone["s"], both["s"], both["physics"], flags["s"])
	}
	_, err := execute(newEvalCmd(), d, "--method", "none", "--model", "s="+ck, "--calo-cone", "0.3")
	if err == nil || !strings.Contains(err.Error(), "force") {
		t.Errorf("another cone without --force-graph: %v", err)
	}
	if _, err := execute(newEvalCmd(), d, "--method", "none", "--model", "s="+ck, "--calo-cone", "0.3", "--force-graph"); err != nil {
		t.Errorf("--force-graph: %v", err)
	}
	if _, err := execute(newEvalCmd(), d, "--model", ck, "--sparse", "--physics-cut", "3"); err == nil || !strings.Contains(err.Error(), "--sparse or the cuts") {
		t.Errorf("--sparse with a cut: %v", err)
	}
	if _, err := execute(newEvalCmd(), d, "--drop-isolated"); err == nil || !strings.Contains(err.Error(), "needs a physics cut") {
		t.Errorf("--drop-isolated alone: %v", err)
	}
}

// TestGraphStatsCuts: graph --stats with the sparse flags reports what
// each cut loses, and with several files one line per file.
func TestGraphStatsCuts(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 2, 40)
	out, err := execute(newGraphCmd(), d, d, "--stats", "--summary", "--sparse")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"tracker cut (4 σ)", "physics cut (4 σ)", "isolated segments dropped", "segs lost: cone %", "pairs lost: cone %"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if n := strings.Count(out, d); n < 2 {
		t.Errorf("the file appears %d times:\n%s", n, out)
	}
}
