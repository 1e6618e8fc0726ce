package speed

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pcttrack/pcttrack/plot"
)

// Trackers returns the tracker names of the rows, in order.
func (t *Table) Trackers() []string {
	var names []string
	for _, r := range t.Rows {
		if !slices.Contains(names, r.Tracker) {
			names = append(names, r.Tracker)
		}
	}
	return names
}

// Protons returns the protons per frame of the rows, increasing.
func (t *Table) Protons() []int {
	var ps []int
	for _, r := range t.Rows {
		if !slices.Contains(ps, r.Protons) {
			ps = append(ps, r.Protons)
		}
	}
	slices.Sort(ps)
	return ps
}

// Row returns the row of tracker at protons, ok false if there is none.
func (t *Table) Row(tracker string, protons int) (Row, bool) {
	for _, r := range t.Rows {
		if r.Tracker == tracker && r.Protons == protons {
			return r, true
		}
	}
	return Row{}, false
}

// CostRatio returns the ratio of tracker's cost per proton at protons p1
// to that at p0 (1 is a flat cost per proton), ok false if either is
// missing.
func (t *Table) CostRatio(tracker string, p0, p1 int) (float64, bool) {
	a, ok0 := t.Row(tracker, p0)
	b, ok1 := t.Row(tracker, p1)
	if !ok0 || !ok1 {
		return 0, false
	}
	return b.MsProton / a.MsProton, true
}

// WriteMarkdown writes the table: per tracker and protons per frame the
// frames per second, ms per frame and per proton of wall time, the CPU ms
// per frame, the throughput relative to the reference, and the segments
// per frame; then each tracker's cost per proton from 50 to 150 p⁺ (when
// measured) and the machine's load.
func (t *Table) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| tracker | p⁺/frame | frames/s | ms/frame | ms/proton | CPU ms/frame | vs %s | segments/frame |\n", t.Reference)
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, name := range t.Trackers() {
		for _, p := range t.Protons() {
			r, ok := t.Row(name, p)
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %.1f | %.3f | %.4f | %.3f | %.2f | %.0f |\n",
				r.Tracker, r.Protons, r.Rate, r.MsFrame, r.MsProton, r.CPUMsFrame, r.Relative, r.Segments)
		}
	}
	ps := t.Protons()
	if slices.Contains(ps, 50) && slices.Contains(ps, 150) {
		b.WriteString("\ncost per proton from 50 to 150 p⁺/frame:")
		for _, name := range t.Trackers() {
			if c, ok := t.CostRatio(name, 50, 150); ok {
				fmt.Fprintf(&b, " %s ×%.2f;", name, c)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%s, %d frames per cell, %d workers on %d CPUs, median of %d round(s), %.0f s; load average %.2f %.2f %.2f before, %.2f %.2f %.2f after.\n",
		t.Phantom, t.firstFrames(), t.Workers, t.CPUs, t.Rounds, t.Seconds,
		t.LoadBefore[0], t.LoadBefore[1], t.LoadBefore[2], t.LoadAfter[0], t.LoadAfter[1], t.LoadAfter[2])
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *Table) firstFrames() int {
	if len(t.Rows) == 0 {
		return 0
	}
	return t.Rows[0].Frames
}

// Plot draws ms per frame and ms per proton against protons per frame,
// one line per tracker, on log axes, to path (.png or .svg, atomically).
func (t *Table) Plot(path string) error {
	const frame, proton = "ms per frame", "ms per proton"
	var series []plot.Series
	for _, name := range t.Trackers() {
		f := plot.Series{Name: name, Panel: frame}
		p := plot.Series{Name: name, Panel: proton}
		for _, n := range t.Protons() {
			if r, ok := t.Row(name, n); ok {
				f.X, f.Y = append(f.X, float64(n)), append(f.Y, r.MsFrame)
				p.X, p.Y = append(p.X, float64(n)), append(p.Y, r.MsProton)
			}
		}
		series = append(series, f, p)
	}
	title := fmt.Sprintf("pcttrack eval, %d workers, %s (load %.1f)", t.Workers, t.Phantom, t.LoadBefore[0])
	return plot.Curves(path, series, &plot.CurvesOptions{Title: title, XLabel: "protons per frame", LogY: []string{frame, proton}, Columns: 2})
}
