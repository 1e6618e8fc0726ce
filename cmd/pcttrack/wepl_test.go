package main

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/wepl"
)

func TestWEPLCommand(t *testing.T) {
	dir := t.TempDir()
	d := tinyDataset(t, dir, 4, 30)
	// track --wepl in one go gives the file that track and wepl give
	both, plain, later := filepath.Join(dir, "both.parquet"), filepath.Join(dir, "plain.parquet"), filepath.Join(dir, "later.parquet")
	if _, err := execute(newTrackCmd(), d, "--method", "physics", "--wepl", "--out", both); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(newTrackCmd(), d, "--method", "physics", "--out", plain); err != nil {
		t.Fatal(err)
	}
	out, err := execute(newWEPLCmd(), plain, "--out", later)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "wrote "+later+": 4 frames") {
		t.Errorf("output %q", out)
	}
	a, _ := os.ReadFile(both)
	b, _ := os.ReadFile(later)
	if !bytes.Equal(a, b) {
		t.Error("track --wepl and track + wepl differ")
	}
	meta, frames, err := dataset.ReadAllTracks(later)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(meta.WEPL, "fit, ") {
		t.Errorf("meta WEPL %q", meta.WEPL)
	}
	var ws []float64
	for _, f := range frames {
		for _, w := range f.WEPL {
			if wepl.Flag(w.Flags)&wepl.Cuts == 0 && !math.IsNaN(float64(w.ExitTX)) {
				ws = append(ws, float64(w.WEPL))
			}
		}
	}
	// behind 100 mm of water
	if slices.Sort(ws); len(ws) < 60 || math.Abs(ws[len(ws)/2]-100) > 2 {
		t.Errorf("%d tracks, median WEPL %v", len(ws), ws[len(ws)/2])
	}

	// bad input: one error line, no output
	bad := filepath.Join(dir, "bad.parquet")
	for _, args := range [][]string{
		{"../../dataset/testdata/tracks-before-wepl.parquet", "--wepl-method", "fit-cluster", "--out", bad},
		{d, "--out", bad},
		{plain, "--out", bad, "--wepl-method", "mean"},
		{plain, "--out", bad, "--calibration", d},
		{plain, "--out", bad, "--geometry", "gate-3mm"},
		{plain, "--calibrate", "--out", bad},
		{"--resolution", "--calibrate", "--out", bad},
		{plain},
	} {
		_, err := execute(newWEPLCmd(), args...)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v", args, err)
		}
		if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: output left behind", args)
		}
	}
}

func TestWEPLCalibrateAndResolution(t *testing.T) {
	dir := t.TempDir()
	cal := filepath.Join(dir, "cal.csv")
	out, err := execute(newWEPLCmd(), "--calibrate", "--thicknesses", "0:200:100", "--protons", "300", "--out", cal)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "3 thicknesses") {
		t.Errorf("output %q", out)
	}
	res := filepath.Join(dir, "res")
	out, err = execute(newWEPLCmd(), "--resolution", "--phantoms", "150", "--protons-per-frame", "50", "--protons", "300",
		"--method", "truth", "--calibration", cal, "--out-dir", res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "| 150 | 50 | truth |") {
		t.Errorf("output %q", out)
	}
	for _, f := range []string{"resolution.md", "resolution.csv", "wepl-hist-water150-p50.png"} {
		if _, err := os.Stat(filepath.Join(res, f)); err != nil {
			t.Error(err)
		}
	}
}
