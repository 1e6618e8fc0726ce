package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

func TestScanAndRecon(t *testing.T) {
	dir := t.TempDir()
	scan := filepath.Join(dir, "s.parquet")
	stdout, err := execute(newScanCmd(), "--projections", "12", "--protons", "6000", "--pitch", "14", "--out", scan, "--seed", "5")
	if err != nil {
		t.Fatal(err)
	}
	// 12 angles × 15 spots (±98 mm at 14 mm) × one frame of 50
	if !strings.Contains(stdout, "ctp404, 12 angles × 15 spots, 180 frames, 9000 primaries") {
		t.Errorf("scan output %q", stdout)
	}
	r, err := dataset.Open(scan)
	if err != nil {
		t.Fatal(err)
	}
	metas := r.FrameMetas()
	if !r.HasTruth() || metas[0].Phantom != "ctp404" || metas[15].Angle != 30 || metas[15].SpotX != -98 || metas[179].Angle != 330 {
		t.Errorf("frames: truth %v, %+v, %+v, %+v", r.HasTruth(), metas[0], metas[15], metas[179])
	}
	r.Close()

	// the same frames as two shards
	for k := range 2 {
		if _, err := execute(newScanCmd(), "--projections", "12", "--protons", "6000", "--pitch", "14", "--seed", "5",
			"--shard", []string{"0/2", "1/2"}[k], "--out", filepath.Join(dir, []string{"a.parquet", "b.parquet"}[k])); err != nil {
			t.Fatal(err)
		}
	}

	out := filepath.Join(dir, "img")
	pairs := filepath.Join(dir, "pairs")
	stdout, err = execute(newReconCmd(), filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet"),
		"--out", out, "--grid", "96", "--pixel", "2", "--iterations", "3", "--pairs", pairs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Teflon", "PMMA", "MTF10", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("recon output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{".mhd", ".raw", ".json", ".png", "-profile.png"} {
		if _, err := os.Stat(out + f); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(pairs, "pairs0011.mhd")); err != nil {
		t.Error(err)
	}
	// from tracks with fitted WEPL (truth tracker), and the errors of that input
	tracks := filepath.Join(dir, "t.parquet")
	if _, err := execute(newTrackCmd(), scan, "--method", "truth", "--wepl", "--out", tracks); err != nil {
		t.Fatal(err)
	}
	stdout, err = execute(newReconCmd(), scan, "--tracks", tracks, "--out", filepath.Join(dir, "fit"), "--grid", "96", "--pixel", "2", "--iterations", "3")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "tracks, fitted WEPL") || !strings.Contains(stdout, "mis-tracked (Monte-Carlo truth)") {
		t.Errorf("recon --tracks output:\n%s", stdout)
	}
	// the bias map of the fitted-WEPL image against itself is 0, against
	// the truth-WEPL image it is not
	fit := filepath.Join(dir, "fit.mhd")
	stdout, err = execute(newReconDiffCmd(), fit, fit, "--out", filepath.Join(dir, "d0"))
	if err != nil || !strings.Contains(stdout, "over ctp404 (r ≤ 75 mm)") || !strings.Contains(stdout, "mean +0.00000, RMS 0.00000") {
		t.Errorf("recon diff of an image with itself: %v\n%s", err, stdout)
	}
	stdout, err = execute(newReconDiffCmd(), fit, out+".mhd", "--out", filepath.Join(dir, "d1"))
	if err != nil || strings.Contains(stdout, "RMS 0.00000") || !strings.Contains(stdout, "Teflon") {
		t.Errorf("recon diff: %v\n%s", err, stdout)
	}
	if _, err := execute(newReconDiffCmd(), fit, filepath.Join(dir, "none.mhd"), "--out", filepath.Join(dir, "d2")); err == nil {
		t.Error("recon diff of a missing image: no error")
	}
	plain := filepath.Join(dir, "plain.parquet")
	if _, err := execute(newTrackCmd(), scan, "--method", "truth", "--out", plain); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{scan, "--tracks", plain}, "no WEPL measured"},
		{[]string{scan, "--tracks", tracks + "," + tracks}, "one per dataset"},
		{[]string{filepath.Join(dir, "a.parquet"), "--tracks", tracks}, "not made from"},
	} {
		_, err := execute(newReconCmd(), append(tc.args, "--out", filepath.Join(dir, "bad"))...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "bad.mhd")); err == nil {
			t.Fatal("output written on error")
		}
	}

	var meta struct {
		Commit string
		Inputs []string
		ROIs   []struct {
			Name  string  `json:"name"`
			Truth float64 `json:"truth_rsp"`
			Mean  float64 `json:"mean_rsp"`
		} `json:"rois"`
	}
	js, _ := os.ReadFile(out + ".json")
	if err := json.Unmarshal(js, &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Inputs) != 2 || len(meta.ROIs) != 9 || meta.Commit == "" {
		t.Fatalf("metadata %s", js)
	}
	// 9000 protons and 3 iterations: a coarse image, but the epoxy body is right to 5 %
	if b := meta.ROIs[0]; b.Name != "epoxy" || b.Mean < 0.95*b.Truth || b.Mean > 1.05*b.Truth {
		t.Errorf("epoxy ROI %+v", b)
	}
}

func TestScanReconBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.parquet")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no angles", []string{"--projections", "0"}, "projection angles"},
		{"field too narrow", []string{"--x", "-40,40"}, "does not cover ctp404"},
		{"field above the phantom", []string{"--y", "30,40"}, "misses ctp404"},
		{"no spots", []string{"--x", "10,5"}, "no spots"},
		{"bad field", []string{"--x", "1,2,3"}, "wants two values"},
		{"unknown phantom", []string{"--phantom", "catphan600"}, "unknown phantom"},
		{"NaN field", []string{"--y", "NaN,1"}, "not a finite number"},
		{"zero energy", []string{"--energy", "0"}, "--energy must be positive, not 0 MeV"},
		{"negative divergence", []string{"--divergence", "-2"}, "--divergence must not be negative, not -2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := execute(newScanCmd(), append([]string{"--protons", "100", "--out", out}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("output written")
			}
		})
	}
	// recon: a slab dataset is not a scan, a missing file, a grid smaller than the phantom
	slab := tinyDataset(t, dir, 2, 10)
	scan := filepath.Join(dir, "s.parquet")
	if _, err := execute(newScanCmd(), "--projections", "2", "--protons", "100", "--pitch", "20", "--out", scan); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "img")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"slab", []string{slab}, "not a scan"},
		{"missing", []string{filepath.Join(dir, "nope.parquet")}, "no such file"},
		{"small grid", []string{scan, "--grid", "64"}, "does not cover ctp404"},
		{"bad path", []string{scan, "--path", "curvy"}, "unknown path"},
		{"relaxation", []string{scan, "--relaxation", "3"}, "relaxation"},
		{"zero sigmas", []string{scan, "--cut-sigmas", "0"}, "cut everything"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := execute(newReconCmd(), append(tc.args, "--out", img)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(img + ".mhd"); err == nil {
				t.Error("output written")
			}
		})
	}
}
