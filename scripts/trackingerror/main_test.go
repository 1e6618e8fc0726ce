package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTable builds the outputs of one density by hand: case b with a mean
// |RSP error| of 0.50 %, a learned case at 0.65 % (within 0.2 %) and one at
// 0.80 % (not), and checks the verdicts and the distance to b.
func TestTable(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "p100")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := func(name string, mae, mean float64, share string) {
		js := `{"source": "tracks", "cut_stats": {"In": 100, "Kept": 90}, "mean_abs_rel_err": ` + ftoa(mae) + `, "mtf10_lp_per_cm": null,
		 "rois": [{"name": "epoxy", "material": "epoxy", "truth_rsp": 1, "mean_rsp": ` + ftoa(mean) + `, "std_rsp": 0.01, "diff": 0, "rel_err": ` + ftoa(mean-1) + `},
		          {"name": "air", "material": "air", "truth_rsp": 0, "mean_rsp": 0.01, "std_rsp": 0.02, "diff": 0.01, "rel_err": null}],
		 "tracking": {"judged": true, "In": 100, "Kept": 90, "mistracked": 10, "mistracked_kept": 9, "mistracked_share_of_kept": ` + share + `,
		  "mistracked_share_of_cut": 0.1, "mistracked_survival": 0.9, "Types": [{"type": "correct", "in": 90, "kept": 81, "mean_dwepl_mm": 0.1, "rms_dwepl_mm": 4}]}}`
		if err := os.WriteFile(filepath.Join(d, name+".json"), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec("b", 0.005, 1.005, "0")
	rec("ptt-s0", 0.0065, 1.0065, "0.1")
	rec("pat-s0", 0.008, 0.992, "0.1")
	rec("physics", 0.02, 1.02, "0.2")
	if err := os.WriteFile(filepath.Join(d, "seeds-ptt.json"), []byte(`{"inside": {"pixels": 10, "mean": 0.001, "rms": 0.02, "mean_abs": 0.015, "p99_abs": 0.05}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run(&out, []string{"--plot", filepath.Join(dir, "deg.png"), dir}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"- ptt-s0: MAE 0.65 % against 0.50 % (b): +0.15 percentage points, **met**; mean |RSP − RSP_b|/RSP_b 0.15 %",
		"- pat-s0: MAE 0.80 % against 0.50 % (b): +0.30 percentage points, **missed**; mean |RSP − RSP_b|/RSP_b 1.29 %",
		"| 100 | physics | 100 | 90 | 20.00 |",
		"| 100 | ptt | +0.0010 | 0.0200 | 0.0150 | 0.0500 |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// physics is not learned: no verdict; b comes first
	if strings.Contains(s, "- physics:") || strings.Index(s, "| 100 | b |") > strings.Index(s, "| 100 | physics |") {
		t.Errorf("order or verdicts:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "deg.png")); err != nil {
		t.Error(err)
	}
	if err := run(&out, []string{t.TempDir()}); err == nil {
		t.Error("empty directory: no error")
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
