// Command sparsevsfull prints the paired comparison of learned trackers
// trained on sparse graphs with their full-graph partners (issue 15): per
// solver, phantom and protons per frame, the purity and efficiency of each
// method (mean over its seeds, seed sd) and the mean over seeds of the
// per-seed difference sparse − full, then per pair and solver the mean
// difference over the cells and the worst cell. Its inputs are `pcttrack
// eval --json` documents, one per solver, holding both methods of every
// pair with the same seeds on the same frames; it is the last step of
// scripts/sparse-vs-full.sh.
//
//	go run ./scripts/sparsevsfull --pair fast-ptt=full-ptt \
//	    default=eval-default.json paper=eval-paper.json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/pcttrack/pcttrack/internal/stats"
	"github.com/pcttrack/pcttrack/metrics"
)

type pairFlags [][2]string

func (p *pairFlags) String() string { return fmt.Sprint(*p) }
func (p *pairFlags) Set(v string) error {
	a, b, ok := strings.Cut(v, "=")
	if !ok || a == "" || b == "" {
		return fmt.Errorf("--pair %q: want SPARSE=FULL", v)
	}
	*p = append(*p, [2]string{a, b})
	return nil
}

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sparsevsfull:", err)
		os.Exit(1)
	}
}

// doc is the part of `pcttrack eval --json` read here.
type doc struct {
	Evaluation struct {
		Groups []metrics.Group `json:"groups"`
	} `json:"evaluation"`
}

type cell struct {
	phantom string
	ppf     int
}

func run(w io.Writer) error {
	var pairs pairFlags
	flag.Var(&pairs, "pair", "SPARSE=FULL method names (repeatable)")
	flag.Parse()
	if len(pairs) == 0 || flag.NArg() == 0 {
		return errors.New("usage: sparsevsfull --pair SPARSE=FULL ... SOLVER=EVAL.json ...")
	}
	type summary struct {
		pair, solver       string
		cells              int
		dp, de, minp, mine float64
		minpCell, mineCell cell
	}
	var sums []summary
	for _, arg := range flag.Args() {
		solver, path, ok := strings.Cut(arg, "=")
		if !ok {
			return fmt.Errorf("%q: want SOLVER=EVAL.json", arg)
		}
		groups, err := read(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n### Solver: %s (%s)\n\n", solver, path)
		fmt.Fprintln(w, "| pair | phantom | p⁺/frame | seeds | purity sparse | purity full | Δ purity | efficiency sparse | efficiency full | Δ efficiency |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
		for _, p := range pairs {
			a, b := groups[p[0]], groups[p[1]]
			if len(a) == 0 || len(b) == 0 {
				return fmt.Errorf("%s: no groups of %q or %q", path, p[0], p[1])
			}
			s := summary{pair: p[0] + " − " + p[1], solver: solver, minp: math.Inf(1), mine: math.Inf(1)}
			for _, c := range cells(a) {
				ga, gb := a[c], b[c]
				seeds := common(ga, gb)
				if len(seeds) == 0 {
					return fmt.Errorf("%s: %s and %s share no seed at %s, %d p/frame", path, p[0], p[1], c.phantom, c.ppf)
				}
				var pa, pb, ea, eb, dp, de []float64
				for _, sd := range seeds {
					pa = append(pa, ga[sd].Purity.Mean)
					pb = append(pb, gb[sd].Purity.Mean)
					ea = append(ea, ga[sd].Efficiency.Mean)
					eb = append(eb, gb[sd].Efficiency.Mean)
					dp = append(dp, ga[sd].Purity.Mean-gb[sd].Purity.Mean)
					de = append(de, ga[sd].Efficiency.Mean-gb[sd].Efficiency.Mean)
				}
				fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s | %+.2f | %s | %s | %+.2f |\n", s.pair, c.phantom, c.ppf, len(seeds),
					pct(pa), pct(pb), 100*stats.Mean(dp), pct(ea), pct(eb), 100*stats.Mean(de))
				s.cells++
				s.dp += 100 * stats.Mean(dp)
				s.de += 100 * stats.Mean(de)
				if v := 100 * stats.Mean(dp); v < s.minp {
					s.minp, s.minpCell = v, c
				}
				if v := 100 * stats.Mean(de); v < s.mine {
					s.mine, s.mineCell = v, c
				}
			}
			s.dp /= float64(s.cells)
			s.de /= float64(s.cells)
			sums = append(sums, s)
		}
	}
	fmt.Fprintln(w, "\n### Summary (points; target: mean ≥ −0.3, no cell below −1.0)")
	fmt.Fprintln(w, "\n| pair | solver | cells | mean Δ purity | worst cell | mean Δ efficiency | worst cell | target |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, s := range sums {
		verdict := "met"
		if s.dp < -0.3 || s.de < -0.3 || s.minp < -1 || s.mine < -1 {
			verdict = "missed"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %+.2f | %+.2f (%s, %d) | %+.2f | %+.2f (%s, %d) | %s |\n", s.pair, s.solver, s.cells,
			s.dp, s.minp, s.minpCell.phantom, s.minpCell.ppf, s.de, s.mine, s.mineCell.phantom, s.mineCell.ppf, verdict)
	}
	return nil
}

// read returns the groups of an eval document by method, cell and seed.
func read(path string) (map[string]map[cell]map[uint64]metrics.Group, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]map[cell]map[uint64]metrics.Group{}
	for _, g := range d.Evaluation.Groups {
		m := out[g.Key.Method]
		if m == nil {
			m = map[cell]map[uint64]metrics.Group{}
			out[g.Key.Method] = m
		}
		c := cell{g.Key.Phantom, g.Key.ProtonsPerFrame}
		if m[c] == nil {
			m[c] = map[uint64]metrics.Group{}
		}
		m[c][g.Key.Seed] = g
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no groups (not a `pcttrack eval --json` document?)", path)
	}
	return out, nil
}

func cells(m map[cell]map[uint64]metrics.Group) []cell {
	var cs []cell
	for c := range m {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b cell) int {
		if a.phantom != b.phantom {
			return metrics.ComparePhantoms(a.phantom, b.phantom)
		}
		return a.ppf - b.ppf
	})
	return cs
}

func common(a, b map[uint64]metrics.Group) []uint64 {
	var s []uint64
	for k := range a {
		if _, ok := b[k]; ok {
			s = append(s, k)
		}
	}
	slices.Sort(s)
	return s
}

// pct formats values as "mean ± seed sd" in percent.
func pct(v []float64) string {
	m, sd := stats.MeanSD(v, 1)
	if len(v) < 2 {
		return fmt.Sprintf("%.2f", 100*m)
	}
	return fmt.Sprintf("%.2f ± %.2f", 100*m, 100*sd)
}
