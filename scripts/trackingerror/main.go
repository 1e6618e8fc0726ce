// Command trackingerror prints the tables of the tracking-error experiment
// (issue 20) from the outputs of scripts/tracking-error.sh: one directory
// pD per density D holding the `pcttrack recon` JSON of every case (a:
// truth pairing + Monte-Carlo WEPL, b: truth pairing + fitted WEPL, then
// the trackers), the bias maps bias-CASE.json (`pcttrack recon diff CASE
// b`) and the seed differences seeds-MODEL.json. It prints per density and
// case the mis-tracked shares, the mean |RSP error| over the inserts and
// its distance to b, noise, bias map and MTF10; the per-insert errors; δWEPL
// by error type; the seeds' differences; and the target (learned tracking
// at 100 p⁺/frame within 0.2 % mean |RSP error| of b). --plot draws every
// tracker's degradation against density. It is the last step of
// scripts/tracking-error.sh.
//
//	go run ./scripts/trackingerror [--plot degradation.png] OUT_DIR
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pcttrack/pcttrack/plot"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "trackingerror:", err)
		os.Exit(1)
	}
}

// num is a JSON number that may be null (NaN).
type num float64

func (n *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = num(math.NaN())
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*n = num(f)
	return err
}

// result is the part of a `pcttrack recon` JSON read here.
type result struct {
	Source   string                 `json:"source"`
	CutStats struct{ In, Kept int } `json:"cut_stats"`
	ROIs     []struct {
		Name     string `json:"name"`
		Material string `json:"material"`
		Truth    num    `json:"truth_rsp"`
		Mean     num    `json:"mean_rsp"`
		Std      num    `json:"std_rsp"`
		Diff     num    `json:"diff"`
		RelErr   num    `json:"rel_err"`
	} `json:"rois"`
	MAE      num `json:"mean_abs_rel_err"`
	MTF10    num `json:"mtf10_lp_per_cm"`
	MTF50    num `json:"mtf50_lp_per_cm"`
	Tracking struct {
		Judged         bool `json:"judged"`
		In, Kept       int
		Mistracked     int `json:"mistracked"`
		MistrackedKept int `json:"mistracked_kept"`
		Share          num `json:"mistracked_share_of_kept"`
		CutShare       num `json:"mistracked_share_of_cut"`
		Survival       num `json:"mistracked_survival"`
		Types          []struct {
			Type   string `json:"type"`
			In     int    `json:"in"`
			Kept   int    `json:"kept"`
			Mean   num    `json:"mean_dwepl_mm"`
			RMS    num    `json:"rms_dwepl_mm"`
			CoreSD num    `json:"core_sd_mm"`
		}
	} `json:"tracking"`
}

// diff is the part of a `pcttrack recon diff` JSON read here.
type diff struct {
	Inside struct {
		Pixels  int `json:"pixels"`
		Mean    num `json:"mean"`
		RMS     num `json:"rms"`
		MeanAbs num `json:"mean_abs"`
		P99Abs  num `json:"p99_abs"`
	} `json:"inside"`
}

type density struct {
	n     int
	cases []string // in caseOrder
	res   map[string]*result
	bias  map[string]*diff
	seeds map[string]*diff
}

// caseRank orders the cases: a, b, the built-in trackers, the embedded
// model, then the zoo by name.
func caseRank(c string) int {
	if i := slices.Index([]string{"a", "b", "follower", "physics", "model"}, c); i >= 0 {
		return i
	}
	return 10
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func load(dir string) ([]*density, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*density
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "p"))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "p") || err != nil {
			continue
		}
		d := &density{n: n, res: map[string]*result{}, bias: map[string]*diff{}, seeds: map[string]*diff{}}
		files, _ := filepath.Glob(filepath.Join(dir, e.Name(), "*.json"))
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			switch {
			case strings.HasPrefix(name, "bias-"):
				var v diff
				if err := readJSON(f, &v); err != nil {
					return nil, err
				}
				d.bias[strings.TrimPrefix(name, "bias-")] = &v
			case strings.HasPrefix(name, "seeds-"):
				var v diff
				if err := readJSON(f, &v); err != nil {
					return nil, err
				}
				d.seeds[strings.TrimPrefix(name, "seeds-")] = &v
			default:
				v := result{MTF50: num(math.NaN())} // absent in images made before it existed
				if err := readJSON(f, &v); err != nil {
					return nil, err
				}
				d.res[name] = &v
				d.cases = append(d.cases, name)
			}
		}
		slices.SortFunc(d.cases, func(a, b string) int {
			if ra, rb := caseRank(a), caseRank(b); ra != rb {
				return ra - rb
			}
			return strings.Compare(a, b)
		})
		if len(d.cases) > 0 {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no results in %s (want directories pN with recon JSON files)", dir)
	}
	slices.SortFunc(out, func(a, b *density) int { return a.n - b.n })
	return out, nil
}

func f(v num, scale float64, prec int) string {
	if math.IsNaN(float64(v)) {
		return "–"
	}
	return strconv.FormatFloat(float64(v)*scale, 'f', prec, 64)
}

func sf(v num, scale float64, prec int) string {
	if math.IsNaN(float64(v)) {
		return "–"
	}
	return fmt.Sprintf("%+.*f", prec, float64(v)*scale)
}

// vsB returns the mean over the ROIs that are not air of |RSP_c / RSP_b − 1|:
// how far the case's inserts are from truth pairing with fitted WEPL.
func vsB(c, b *result) num {
	var s float64
	n := 0
	for _, r := range c.ROIs {
		for _, q := range b.ROIs {
			if q.Name == r.Name && !math.IsNaN(float64(r.RelErr)) && !math.IsNaN(float64(q.Mean)) {
				s += math.Abs(float64(r.Mean)/float64(q.Mean) - 1)
				n++
			}
		}
	}
	if n == 0 {
		return num(math.NaN())
	}
	return num(s / float64(n))
}

// noise is the mean over the ROIs that are not air of the pixel standard
// deviation (the epoxy body's ROI is 15 mm, the inserts' 4 mm).
func noise(r *result) num {
	var s float64
	n := 0
	for _, q := range r.ROIs {
		if !math.IsNaN(float64(q.RelErr)) {
			s += float64(q.Std)
			n++
		}
	}
	if n == 0 {
		return num(math.NaN())
	}
	return num(s / float64(n))
}

// mtf10 prints MTF10, "> N" when the MTF stays above 10 % to the
// Nyquist frequency (or could not be measured).
func mtf10(v num) string {
	if math.IsNaN(float64(v)) {
		return "> N"
	}
	return f(v, 1, 2)
}

// learned reports whether case c is a learned tracker.
func learned(c string) bool { return caseRank(c) >= 4 }

func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("trackingerror", flag.ContinueOnError)
	plotPath := fs.String("plot", "", "draw the degradation against density into this PNG")
	target := fs.Int("target-density", 100, "protons per frame of the target")
	tol := fs.Float64("target", 0.002, "target: mean |RSP error| at most this above case b's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("want one directory, the output of scripts/tracking-error.sh")
	}
	ds, err := load(fs.Arg(0))
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("Per density and case: protons read and kept by the cuts; the mis-tracked share (Monte-Carlo truth: wrong stop, merged, wrong tracker hit) of the kept and of the cut protons, and the share of the mis-tracked that survive; the mean |RSP error| over the ROIs that are not air (MAE), its excess over case b, and the mean |RSP − RSP_b|/RSP_b over the same ROIs; the mean pixel σ over those ROIs; the bias map against b inside the phantom (mean, RMS); MTF50 and MTF10 at the Teflon insert's edge (\"> N\": beyond the pixels' Nyquist frequency).\n\n")
	b.WriteString("| p⁺/frame | case | read | kept | mis-tracked % of kept | % of cut | survive % | MAE % | MAE − MAE_b | vs b % | noise σ | bias mean | bias RMS | MTF50 / MTF10 lp/cm |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, d := range ds {
		rb := d.res["b"]
		for _, c := range d.cases {
			r := d.res[c]
			dm, vb := num(math.NaN()), num(math.NaN())
			if rb != nil {
				dm, vb = r.MAE-rb.MAE, vsB(r, rb)
			}
			bm, br := "–", "–"
			if x := d.bias[c]; x != nil {
				bm, br = sf(x.Inside.Mean, 1, 4), f(x.Inside.RMS, 1, 4)
			}
			tr := &r.Tracking
			fmt.Fprintf(&b, "| %d | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.n, c, r.CutStats.In, r.CutStats.Kept,
				f(tr.Share, 100, 2), f(tr.CutShare, 100, 2), f(tr.Survival, 100, 1), f(r.MAE, 100, 2), sf(dm, 100, 2), f(vb, 100, 2),
				f(noise(r), 1, 4), bm, br, f(r.MTF50, 1, 2)+" / "+mtf10(r.MTF10))
		}
	}

	b.WriteString("\nRSP error per ROI, % (air: ΔRSP), and the pixel σ in brackets:\n\n")
	rois := ds[0].res[ds[0].cases[0]].ROIs
	b.WriteString("| p⁺/frame | case |")
	for _, r := range rois {
		fmt.Fprintf(&b, " %s |", r.Name)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(rois)) + "\n")
	for _, d := range ds {
		for _, c := range d.cases {
			fmt.Fprintf(&b, "| %d | %s |", d.n, c)
			for _, q := range d.res[c].ROIs {
				if math.IsNaN(float64(q.RelErr)) {
					fmt.Fprintf(&b, " %s (%s) |", sf(q.Diff, 1, 4), f(q.Std, 1, 3))
				} else {
					fmt.Fprintf(&b, " %s (%s) |", sf(q.RelErr, 100, 2), f(q.Std, 1, 3))
				}
			}
			b.WriteByte('\n')
		}
	}

	b.WriteString("\nδWEPL = measured − Monte-Carlo WEPL of the primary by error type (package wepl) of the protons the cuts kept: share of the kept, % (mean δWEPL, mm):\n\n")
	var types []string
	for _, t := range ds[0].res[ds[0].cases[0]].Tracking.Types {
		types = append(types, t.Type)
	}
	b.WriteString("| p⁺/frame | case |")
	for _, t := range types {
		fmt.Fprintf(&b, " %s |", t)
	}
	b.WriteString(" kept, correct: RMS δWEPL mm |\n|---|---|" + strings.Repeat("---|", len(types)+1) + "\n")
	for _, d := range ds {
		for _, c := range d.cases {
			tr := &d.res[c].Tracking
			if c == "a" || tr.Kept == 0 {
				continue
			}
			fmt.Fprintf(&b, "| %d | %s |", d.n, c)
			for _, t := range tr.Types {
				fmt.Fprintf(&b, " %s (%s) |", f(num(float64(t.Kept)/float64(tr.Kept)), 100, 1), sf(t.Mean, 1, 1))
			}
			fmt.Fprintf(&b, " %s |\n", f(tr.Types[0].RMS, 1, 2))
		}
	}

	var seedRows []string
	for _, d := range ds {
		for _, m := range []string{"ptt", "pat"} {
			if x := d.seeds[m]; x != nil {
				seedRows = append(seedRows, fmt.Sprintf("| %d | %s | %s | %s | %s | %s |", d.n, m, sf(x.Inside.Mean, 1, 4), f(x.Inside.RMS, 1, 4),
					f(x.Inside.MeanAbs, 1, 4), f(x.Inside.P99Abs, 1, 4)))
			}
		}
	}
	if len(seedRows) > 0 {
		b.WriteString("\nPixel-wise RSP difference of the images of seeds 0 and 1 of the same model, inside the phantom:\n\n")
		b.WriteString("| p⁺/frame | model | mean | RMS | mean abs | 99th pct abs |\n|---|---|---|---|---|---|\n")
		b.WriteString(strings.Join(seedRows, "\n") + "\n")
	}

	fmt.Fprintf(&b, "\nTarget: learned tracking at %d p⁺/frame within %.1f %% mean |RSP error| of case b:\n\n", *target, 100**tol)
	found := false
	for _, d := range ds {
		rb := d.res["b"]
		if d.n != *target || rb == nil {
			continue
		}
		for _, c := range d.cases {
			if !learned(c) {
				continue
			}
			found = true
			r := d.res[c]
			verdict := "missed"
			if float64(r.MAE-rb.MAE) <= *tol {
				verdict = "met"
			}
			fmt.Fprintf(&b, "- %s: MAE %s %% against %s %% (b): %s percentage points, **%s**; mean |RSP − RSP_b|/RSP_b %s %%\n",
				c, f(r.MAE, 100, 2), f(rb.MAE, 100, 2), sf(r.MAE-rb.MAE, 100, 2), verdict, f(vsB(r, rb), 100, 2))
		}
	}
	if !found {
		fmt.Fprintf(&b, "- no learned case at %d p⁺/frame\n", *target)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if *plotPath == "" {
		return nil
	}
	var series []plot.Series
	names := map[string]bool{}
	for _, d := range ds {
		for _, c := range d.cases {
			names[c] = true
		}
	}
	for _, c := range slices.Sorted(func(yield func(string) bool) {
		for c := range names {
			if !yield(c) {
				return
			}
		}
	}) {
		mae := plot.Series{Name: c, Panel: "mean |RSP error| (%)"}
		ex := plot.Series{Name: c, Panel: "MAE − MAE of b (%)"}
		mis := plot.Series{Name: c, Panel: "mis-tracked share of the kept (%)"}
		for _, d := range ds {
			r := d.res[c]
			if r == nil {
				continue
			}
			x := float64(d.n)
			mae.X, mae.Y = append(mae.X, x), append(mae.Y, 100*float64(r.MAE))
			if rb := d.res["b"]; rb != nil {
				ex.X, ex.Y = append(ex.X, x), append(ex.Y, 100*float64(r.MAE-rb.MAE))
			}
			mis.X, mis.Y = append(mis.X, x), append(mis.Y, 100*float64(r.Tracking.Share))
		}
		series = append(series, mae, ex, mis)
	}
	return plot.Curves(*plotPath, series, &plot.CurvesOptions{Title: "Tracking errors in the CTP404 image against protons per frame",
		XLabel: "protons per frame"})
}
