package wepl

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/pcttrack/pcttrack/plot"
)

// Figures of the DTC toolkit's truth-tracking study
// (downstream-reference §1.6): 3.5 mm Al, residual range above 25 mm.
const (
	ToolkitBias   = 0.013 // mm, mean over degraders
	ToolkitSpread = 3.86  // mm, mean per-proton σ (3.49–4.65)
)

// WriteMarkdown writes the report as two Markdown tables: the resolution
// per cell (bias, σ, σ over the straggling, share beyond 3σ, exit angle),
// and the error types (share of the measured tracks with their mean
// δWEPL, and share of the 3σ tail).
func (r *ResolutionReport) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	f := func(v float64, prec int) string {
		if math.IsNaN(v) {
			return "–"
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	pct := func(n, of int) string {
		if of == 0 {
			return "–"
		}
		return f(100*float64(n)/float64(of), 1)
	}
	fmt.Fprintf(&b, "Estimator: %s. Range straggling of the simulation: %.2f mm.\n\n", r.Estimator, r.Straggling)
	b.WriteString("| water mm | p⁺/frame | tracker | tracks | measured | bias mm | σ mm | σ/straggling | >3σ % | exit angle σ mrad |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cells {
		fmt.Fprintf(&b, "| %g | %d | %s | %d | %d | %s | %s | %s | %s | %s |\n", c.Phantom, c.ProtonsPerFrame, c.Method,
			c.Tracks, c.Used(), f(c.Core.Mean, 2), f(c.Core.SD, 2), f(c.Core.SD/r.Straggling, 2), f(100*c.Core.Tail, 2), f(c.AngleSD, 2))
	}
	b.WriteString("\nShare of the measured tracks per error type, % (mean δWEPL in mm), and where the >3σ tail comes from, % of the tail:\n\n")
	b.WriteString("| water mm | p⁺/frame | tracker |")
	for t := range numTypes {
		fmt.Fprintf(&b, " %s |", ErrorType(t))
	}
	b.WriteString(" tail:")
	for t := range NoTruth {
		fmt.Fprintf(&b, " %s |", ErrorType(t))
	}
	b.WriteString("\n|---|---|---|")
	for range numTypes + NoTruth {
		b.WriteString("---|")
	}
	b.WriteByte('\n')
	for _, c := range r.Cells {
		all, tail := 0, 0
		for t := range c.Types {
			all += c.Types[t].N
			tail += c.Types[t].Tail
		}
		fmt.Fprintf(&b, "| %g | %d | %s |", c.Phantom, c.ProtonsPerFrame, c.Method)
		for t := range NoTruth {
			fmt.Fprintf(&b, " %s (%s) |", pct(c.Types[t].N, all), f(c.Types[t].Mean, 1))
		}
		fmt.Fprintf(&b, " %s |", pct(c.Types[NoTruth].N, all))
		for t := range NoTruth {
			fmt.Fprintf(&b, " %s |", pct(c.Types[t].Tail, tail))
		}
		b.WriteByte('\n')
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteCSV writes one row per cell and error type: the cell's figures and
// the type's count, mean and tail count ("nan" for undefined values).
func (r *ResolutionReport) WriteCSV(w io.Writer) error {
	var b bytes.Buffer
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	b.WriteString("phantom,protons_per_frame,method,primaries,tracks,cut,measured,bias,sigma,tail,angle_sd_mrad,straggling,type,n,mean,type_tail\n")
	for _, c := range r.Cells {
		for t := range c.Types {
			tr := &c.Types[t]
			fmt.Fprintf(&b, "%g,%d,%s,%d,%d,%d,%d,%s,%s,%s,%s,%s,%s,%d,%s,%d\n", c.Phantom, c.ProtonsPerFrame, c.Method,
				c.Primaries, c.Tracks, c.Cut, c.Used(), g(c.Core.Mean), g(c.Core.SD), g(c.Core.Tail), g(c.AngleSD), g(r.Straggling),
				ErrorType(t), tr.N, g(tr.Mean), tr.Tail)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// HistogramSeries returns the δWEPL histograms of one phantom and pile-up
// as plot series: one panel per tracker, one curve per error type with
// tracks (bin centres against counts, for plot.NewCurves with a log axis).
func (r *ResolutionReport) HistogramSeries(phantom float64, protonsPerFrame int) []plot.Series {
	return r.series(func(c *Cell) (string, bool) {
		return c.Method, c.Phantom == phantom && c.ProtonsPerFrame == protonsPerFrame
	})
}

// MethodSeries returns the δWEPL histograms of one tracker at one pile-up:
// one panel per phantom ("water 150 mm"), one curve per error type.
func (r *ResolutionReport) MethodSeries(method string, protonsPerFrame int) []plot.Series {
	return r.series(func(c *Cell) (string, bool) {
		return fmt.Sprintf("water %g mm", c.Phantom), c.Method == method && c.ProtonsPerFrame == protonsPerFrame
	})
}

func (r *ResolutionReport) series(sel func(*Cell) (string, bool)) []plot.Series {
	var out []plot.Series
	for i := range r.Cells {
		c := &r.Cells[i]
		panel, ok := sel(c)
		if !ok {
			continue
		}
		for t := range NoTruth {
			h := &c.Types[t].Hist
			if h.Counts == nil {
				continue
			}
			s := plot.Series{Name: t.String(), Panel: panel}
			for k, n := range h.Counts {
				s.X = append(s.X, HistMin+(float64(k)+0.5)*HistWidth)
				s.Y = append(s.Y, float64(n))
			}
			out = append(out, s)
		}
	}
	return out
}
