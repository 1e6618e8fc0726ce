package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/internal/testframes"
)

// plotDataset writes two synthetic 20-proton frames.
func plotDataset(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "d.parquet")
	w, err := dataset.Create(path, dataset.Meta{Source: "test", Geometry: "dtc"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for _, f := range testframes.SyntheticFrames(1, 2, testframes.SynthOptions{Protons: 20}) {
		if err := w.Write(&f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// plotRun runs a fresh `plot event` with args and returns its output.
func plotRun(args ...string) (string, error) {
	var out bytes.Buffer
	err := executeTo(newPlotEventCmd(), &out, &out, args...)
	return out.String(), err
}

func TestPlotEventCommand(t *testing.T) {
	dir := t.TempDir()
	d := plotDataset(t, dir)
	out := filepath.Join(dir, "e.png")
	stdout, err := plotRun(d, "--frame", "1", "--method", "truth", "--out", out, "--width", "6", "--height", "3", "--dpi", "50")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout, "wrote "+out+": frame 1, truth: purity 100.0 %") || !strings.Contains(stdout, " 0 wrong links, 0 of ") {
		t.Errorf("output %q", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width != 300 || cfg.Height != 150 {
		t.Errorf("PNG %d×%d, %v; want 300×150", cfg.Width, cfg.Height, err)
	}

	svg := filepath.Join(dir, "e.svg")
	if _, err := plotRun(d, "--out", svg, "--xlim", "-5:5", "--extent", "hits"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("method follower")) {
		t.Errorf("SVG of the default method: %d bytes, %v", len(b), err)
	}
}

func TestPlotEventCommandErrors(t *testing.T) {
	dir := t.TempDir()
	d := plotDataset(t, dir)
	out := filepath.Join(dir, "x.png")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"frame out of range", []string{d, "--frame", "2", "--out", out}, `frame 2 out of range: "` + d + `" has 2 frames`},
		{"negative frame", []string{d, "--frame", "-1", "--out", out}, "out of range"},
		{"missing dataset", []string{filepath.Join(dir, "none.parquet"), "--out", out}, "none.parquet"},
		{"unknown extension", []string{d, "--out", filepath.Join(dir, "x.jpg")}, `unknown image format ".jpg"`},
		{"unknown method", []string{d, "--method", "magic", "--out", out}, `unknown method "magic"`},
		{"method and model", []string{d, "--method", "truth", "--model", "m.ckpt", "--out", out}, "not both"},
		{"missing checkpoint", []string{d, "--model", filepath.Join(dir, "m.ckpt"), "--out", out}, "m.ckpt"},
		{"bad xlim", []string{d, "--xlim", "5:1", "--out", out}, "--xlim"},
		{"bad zlim", []string{d, "--zlim", "a:b", "--out", out}, "--zlim"},
		{"bad extent", []string{d, "--extent", "all", "--out", out}, "--extent"},
		{"zero width", []string{d, "--width", "0", "--out", out}, "plot event: --width must be a positive number, not 0"},
		{"huge figure", []string{d, "--width", "1000", "--out", out}, "pixels wide"},
		{"no out", []string{d}, `"out" not set`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := plotRun(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after the error", out)
			}
		})
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the dataset", len(ents))
	}
}

func TestPlotParseRange(t *testing.T) {
	for _, tc := range []struct {
		s      string
		lo, hi float64
		ok     bool
	}{
		{"", 0, 0, true},
		{"-5:5", -5, 5, true},
		{" 330 : 400 ", 330, 400, true},
		{"5:5", 0, 0, false},
		{"5", 0, 0, false},
		{"NaN:1", 0, 0, false},
		{"-inf:inf", 0, 0, false},
		{"1:2:3", 0, 0, false},
	} {
		lo, hi, err := plotParseRange(tc.s)
		if (err == nil) != tc.ok || lo != tc.lo || hi != tc.hi {
			t.Errorf("plotParseRange(%q) = %g, %g, %v", tc.s, lo, hi, err)
		}
	}
}
