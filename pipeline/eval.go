package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/metrics"
)

// Evaluation is the result of Evaluate.
type Evaluation struct {
	// Groups has one entry per (method, phantom, protons per frame, seed):
	// the per-frame metrics averaged over frames (sample sd).
	Groups []metrics.Group `json:"groups"`
	// Table is what WriteText prints: Groups, except that the groups of a
	// method with several seeds are merged by metrics.OverSeeds (mean ± sd
	// of the per-seed averages, as the paper's tables).
	Table []metrics.Group `json:"table"`
	// Stability has one entry per (method, phantom, protons per frame)
	// for methods with several seeds: the share of candidate segments
	// whose final assignment differs between two seeds
	// (metrics.Stability over all seed pairs).
	Stability []metrics.StabilityGroup `json:"stability,omitempty"`
	// Report is the frame loop's report: skips and stage times.
	Report *Report `json:"report"`
}

// Evaluate runs the methods of opt on the frames of src (see Run) and
// aggregates their metrics by method, phantom, protons per frame and seed
// (metrics.Aggregator); for methods with several seeds it also compares
// the final assignments of every pair of seeds frame by frame
// (metrics.Stability). opt.NoMetrics is ignored. The result does not
// depend on the number of workers.
func Evaluate(ctx context.Context, src Source, opt *Options) (*Evaluation, error) {
	st, err := Accumulate(ctx, src, opt)
	if err != nil {
		return nil, err
	}
	return st.Evaluation(), nil
}

// SeedPairs returns the index pairs (i < j) of methods that share a name
// but differ in seed: the runs whose assignments Evaluate compares.
func SeedPairs(ms []Method) [][2]int {
	var p [][2]int
	for i := range ms {
		for j := i + 1; j < len(ms); j++ {
			if ms[i].Name == ms[j].Name && ms[i].Seed != ms[j].Seed {
				p = append(p, [2]int{i, j})
			}
		}
	}
	return p
}

// seedTable merges over seeds the groups of methods that have more than
// one seed and keeps the others as they are.
func seedTable(groups []metrics.Group) []metrics.Group {
	seeds := map[string]map[uint64]bool{}
	for _, g := range groups {
		if seeds[g.Key.Method] == nil {
			seeds[g.Key.Method] = map[uint64]bool{}
		}
		seeds[g.Key.Method][g.Key.Seed] = true
	}
	var single, multi []metrics.Group
	for _, g := range groups {
		if len(seeds[g.Key.Method]) > 1 {
			multi = append(multi, g)
		} else {
			single = append(single, g)
		}
	}
	if len(multi) == 0 {
		return groups
	}
	out := append(single, metrics.OverSeeds(multi)...)
	slices.SortStableFunc(out, func(a, b metrics.Group) int { return strings.Compare(a.Key.Method, b.Key.Method) })
	return out
}

// WriteText prints the metrics table (metrics.WriteTable), the per-seed
// table and the seed stability when some method has several seeds, the
// skipped frames and the throughput of each stage.
func (e *Evaluation) WriteText(w io.Writer) error {
	multi := len(e.Table) != len(e.Groups)
	if multi {
		if _, err := fmt.Fprintln(w, "mean ± sd over frames; for methods with several seeds, mean ± sd (population) over the seeds' averages:"); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	if err := metrics.WriteTable(w, e.Table); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, "\npurity / efficiency %, the paper's layout:"); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := WritePaperTable(w, e.Table); err != nil {
		return err
	}
	if multi {
		if _, err := fmt.Fprintln(w, "\nper seed (mean ± sd over frames):"); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		if err := metrics.WriteTable(w, e.Groups); err != nil {
			return err
		}
	}
	if len(e.Stability) > 0 {
		if _, err := fmt.Fprintln(w, "\nseed stability: final assignments that differ between two seeds (mean ± sd over seed pairs):"); err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
		if err := WriteStability(w, e.Stability); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return e.Report.WriteText(w)
}

// WriteStability writes the seed-stability groups as an aligned table:
// method, phantom, protons per frame, seeds, seed pairs, frames, and the
// differing assignments in percent of the candidate segments and of the
// segments selected by either seed.
func WriteStability(w io.Writer, groups []metrics.StabilityGroup) error {
	var b strings.Builder
	mw, pw := len("method"), len("phantom")
	for _, g := range groups {
		mw, pw = max(mw, utf8.RuneCountInString(g.Key.Method)), max(pw, utf8.RuneCountInString(g.Key.Phantom))
	}
	fmt.Fprintf(&b, "%-*s  %-*s  %7s  %5s  %5s  %6s  %17s  %17s\n", mw, "method", pw, "phantom", "p/frame", "seeds", "pairs", "frames", "% of candidates", "% of selected")
	for _, g := range groups {
		fmt.Fprintf(&b, "%-*s  %-*s  %7d  %5d  %5d  %6d  %17s  %17s\n", mw, g.Key.Method, pw, g.Key.Phantom, g.Key.ProtonsPerFrame,
			g.Seeds, g.Pairs, g.Frames, fmt.Sprintf("%.3f ± %.3f", 100*g.OfEdges.Mean, 100*g.OfEdges.SD),
			fmt.Sprintf("%.2f ± %.2f", 100*g.OfSelected.Mean, 100*g.OfSelected.SD))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// WriteText prints the skipped frames grouped by reason and the
// throughput of the frame loop and of each stage.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "skipped %d frames:", len(r.Skipped))
		var reasons []string
		byReason := map[string][]int64{}
		for _, s := range r.Skipped {
			if byReason[s.Reason] == nil {
				reasons = append(reasons, s.Reason)
			}
			byReason[s.Reason] = append(byReason[s.Reason], s.Frame)
		}
		for i, reason := range reasons {
			if i > 0 {
				b.WriteByte(';')
			}
			fr := byReason[reason]
			slices.Sort(fr)
			fmt.Fprintf(&b, " %d %s (frame %s)", len(fr), reason, dataset.FormatRanges(fr))
		}
		b.WriteByte('\n')
	}
	n := r.Frames + len(r.Skipped)
	workers := "workers"
	if r.Workers == 1 {
		workers = "worker"
	}
	fmt.Fprintf(&b, "%d frames on %d %s in %.2f s: %.1f frames/s\n", n, r.Workers, workers, r.Wall.Seconds(), r.Rate())
	width := len("stage")
	for _, s := range r.Stages {
		width = max(width, len(s.Name))
	}
	fmt.Fprintf(&b, "%-*s  %6s  %11s  %s\n", width, "stage", "frames", "ms/frame", "frames/s per core")
	for _, s := range r.Stages {
		ms := 0.0
		if s.Frames > 0 {
			ms = 1e3 * s.Time.Seconds() / float64(s.Frames)
		}
		fmt.Fprintf(&b, "%-*s  %6d  %11.3f  %.1f\n", width, s.Name, s.Frames, ms, s.Rate)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}

// WritePaperTable writes groups in the layout of the paper's result tables:
// one row per (protons per frame, method), one column per phantom (ordered
// as the groups are, i.e. by thickness), cells "purity ± sd / efficiency ±
// sd" in percent; "-" where a combination is missing. Groups that differ
// only in seed should be merged first (metrics.OverSeeds), else the last
// one wins.
func WritePaperTable(w io.Writer, groups []metrics.Group) error {
	type row struct {
		ppf    int
		method string
	}
	var rows []row
	var phantoms []string
	cells := map[row]map[string]string{}
	for _, g := range groups {
		r := row{g.Key.ProtonsPerFrame, g.Key.Method}
		if cells[r] == nil {
			cells[r] = map[string]string{}
			rows = append(rows, r)
		}
		if !slices.Contains(phantoms, g.Key.Phantom) {
			phantoms = append(phantoms, g.Key.Phantom)
		}
		cells[r][g.Key.Phantom] = fmt.Sprintf("%.1f ± %.1f / %.1f ± %.1f",
			100*g.Purity.Mean, 100*g.Purity.SD, 100*g.Efficiency.Mean, 100*g.Efficiency.SD)
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.ppf - b.ppf })
	table := [][]string{append([]string{"p/frame", "method"}, phantoms...)}
	for _, r := range rows {
		line := []string{fmt.Sprint(r.ppf), r.method}
		for _, ph := range phantoms {
			c, ok := cells[r][ph]
			if !ok {
				c = "-"
			}
			line = append(line, c)
		}
		table = append(table, line)
	}
	width := make([]int, len(table[0]))
	for _, l := range table {
		for j, c := range l {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, l := range table {
		for j, c := range l {
			if j > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if j == 0 {
				b.WriteString(pad + c)
			} else if j < len(l)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}
