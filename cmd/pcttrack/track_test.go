package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/pipeline"
)

func TestTrackCommand(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 5, 30)
	out := filepath.Join(dir, "t.parquet")
	stdout, err := execute(newTrackCmd(), d, "--method", "truth", "--out", out, "--workers", "2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "wrote "+out+": truth, 5 frames (0 skipped)") {
		t.Errorf("output %q", stdout)
	}
	meta, frames, err := dataset.ReadAllTracks(out)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Method != "truth" || meta.Source != d || meta.Dataset.Seed != 3 || len(frames) != 5 {
		t.Fatalf("meta %+v with %d frames", meta, len(frames))
	}
	// The file holds what the pipeline tracks, mapped to the input hits.
	r, err := dataset.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, _ := pipeline.Builtin("truth", nil)
	k := 0
	_, err = pipeline.Run(context.Background(), r, &pipeline.Options{Methods: []pipeline.Method{m}}, func(o *pipeline.Output) error {
		want := pipeline.FrameTracks(nil, o.Graph, &o.Results[0].Tracks)
		if got := frames[k]; got.Frame != want.Frame || !slices.Equal(got.Hits, want.Hits) || len(got.Hits) == 0 {
			t.Errorf("frame %d: %d track hits in the file, want %d", want.Frame, len(got.Hits), len(want.Hits))
		}
		k++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// --frames limits the frames written
	if _, err := execute(newTrackCmd(), d, "--method", "follower", "--out", out, "--frames", "2"); err != nil {
		t.Fatal(err)
	}
	if meta, frames, err = dataset.ReadAllTracks(out); err != nil || len(frames) != 2 || meta.Method != "follower" {
		t.Errorf("after --frames 2: %d frames of %q, %v", len(frames), meta.Method, err)
	}
}

func TestTrackCommandErrors(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 2, 20)
	out := filepath.Join(dir, "t.parquet")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown-method", []string{d, "--method", "magic", "--out", out}, `track: pipeline: unknown method "magic"`},
		{"no-method", []string{d, "--out", out}, "track: pipeline: give --method or --model"},
		{"method-and-model", []string{d, "--method", "truth", "--model", "x.ckpt", "--out", out}, "not both"},
		{"missing-model", []string{d, "--model", filepath.Join(dir, "no.ckpt"), "--out", out}, "no.ckpt"},
		{"missing-out", []string{d, "--method", "truth"}, `"out" not set`},
		{"missing-file", []string{filepath.Join(dir, "nope.parquet"), "--method", "truth", "--out", out}, "nope.parquet"},
		{"negative-frames", []string{d, "--method", "truth", "--out", out, "--frames", "-1"}, "track: --frames must be >= 0, not -1"},
		{"output-dir-missing", []string{d, "--method", "truth", "--out", filepath.Join(dir, "no", "t.parquet")}, "dataset: create tracks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := execute(newTrackCmd(), tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output written despite the error")
			}
		})
	}
}

func TestDemoCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	stdout, err := execute(newDemoCmd(), "--quick", "--out", dir, "--workers", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"== simulate", "water100-p150: 4 frames of 150 protons", "== evaluate",
		"follower  water:100      150", "truth     water:100       50", "frames/s"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("demo output lacks %q:\n%s", s, stdout)
		}
	}
	for _, f := range []string{"water100-p50.parquet", "water100-p100.parquet", "water100-p150.parquet", "eval.txt", "eval.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := execute(newDemoCmd(), "--workers", "-1"); err == nil || !strings.Contains(err.Error(), "demo: --workers must be >= 0") {
		t.Errorf("error %v for --workers -1", err)
	}
	if _, err := execute(newDemoCmd(), "extra"); err == nil {
		t.Error("no error for an argument")
	}
}
