package metrics

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteText writes a.Groups() as an aligned text table; see WriteTable.
func (a *Aggregator) WriteText(w io.Writer) error {
	return WriteTable(w, a.Groups())
}

// WriteTable writes groups as an aligned text table, one row per group in
// the given order: method, phantom, protons per frame, a seed column when
// the groups come from several seeds, frames, then the six metrics in
// percent with one decimal as "mean ± sd". It returns the first write
// error, wrapped.
func WriteTable(w io.Writer, groups []Group) error {
	seedCol := false
	for _, g := range groups {
		if g.Seeds > 1 || g.Key.Seed != groups[0].Key.Seed {
			seedCol = true
			break
		}
	}
	head := []string{"method", "phantom", "p/frame"}
	if seedCol {
		head = append(head, "seeds")
	}
	head = append(head, "frames")
	for _, m := range metric {
		head = append(head, m.name+" %")
	}
	rows := [][]string{head}
	for i := range groups {
		g := &groups[i]
		r := []string{g.Key.Method, g.Key.Phantom, strconv.Itoa(g.Key.ProtonsPerFrame)}
		if seedCol {
			s := strconv.FormatUint(g.Key.Seed, 10)
			if g.Seeds > 1 {
				s = strconv.Itoa(g.Seeds)
			}
			r = append(r, s)
		}
		r = append(r, strconv.Itoa(g.Frames))
		for _, m := range metric {
			ms := m.field(g)
			r = append(r, fmt.Sprintf("%.1f ± %.1f", 100*ms.Mean, 100*ms.SD))
		}
		rows = append(rows, r)
	}

	width := make([]int, len(head))
	for _, r := range rows {
		for j, c := range r {
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	bw := bufio.NewWriter(w)
	var line strings.Builder
	for _, r := range rows {
		line.Reset()
		for j, c := range r {
			pad := strings.Repeat(" ", width[j]-utf8.RuneCountInString(c))
			if j > 0 {
				line.WriteString("  ")
			}
			if j < 2 { // text columns left, numbers right
				line.WriteString(c)
				if j < len(r)-1 {
					line.WriteString(pad)
				}
			} else {
				line.WriteString(pad)
				line.WriteString(c)
			}
		}
		line.WriteByte('\n')
		bw.WriteString(line.String())
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("metrics: writing table: %w", err)
	}
	return nil
}
