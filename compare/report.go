package compare

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/pcttrack/pcttrack/internal/atomicfile"
	"github.com/pcttrack/pcttrack/model"
)

// Report is a complete comparison with its grouped summaries.
type Report struct {
	Result    *Result   `json:"result"`
	Summaries []Summary `json:"summaries"`
}

// Quantity names of the summaries.
func disagreementName(v Variant) string { return "disagreement " + v.String() }
func ckaName(m int) string              { return "CKA " + model.Modules[m] }

// NewReport summarises a complete result r (see Merge): the min-max
// disagreement of both variants with permutation tests, and with CKA the
// module scores (group statistics only).
func NewReport(r *Result, permutations int, seed uint64) *Report {
	rep := &Report{Result: r}
	for _, v := range Variants {
		rep.Summaries = append(rep.Summaries, Summarize(r, disagreementName(v), func(p *Pair) float64 { return p.Disagreement[v] }, permutations, seed))
	}
	if len(r.Pairs) > 0 && r.Pairs[0].CKA != nil {
		for m := range model.Modules {
			rep.Summaries = append(rep.Summaries, Summarize(r, ckaName(m), func(p *Pair) float64 { return p.CKA.Module[m] }, 0, seed))
		}
	}
	return rep
}

// Matrix is a symmetric members × members matrix of one quantity.
type Matrix struct {
	Name   string // file-name stem, e.g. "disagreement-logit"
	Title  string
	Labels []string
	Values [][]float64 // Values[i][j]; the diagonal is Diagonal
	Diag   float64
}

// Matrices returns the pairwise matrices: disagreement of each variant,
// and CKA of each module when computed.
func (rep *Report) Matrices() []Matrix {
	r := rep.Result
	labels := make([]string, len(r.Members))
	for i, m := range r.Members {
		labels[i] = m.Name
	}
	mk := func(name, title string, diag float64, v func(p *Pair) float64) Matrix {
		m := Matrix{Name: name, Title: title, Labels: labels, Diag: diag, Values: make([][]float64, len(labels))}
		for i := range m.Values {
			m.Values[i] = make([]float64, len(labels))
			m.Values[i][i] = diag
		}
		for k := range r.Pairs {
			p := &r.Pairs[k]
			x := v(p)
			m.Values[p.A][p.B], m.Values[p.B][p.A] = x, x
		}
		return m
	}
	var out []Matrix
	for _, vv := range Variants {
		out = append(out, mk("disagreement-"+vv.String(), "min-max normalised disagreement, "+vv.Label(), 0,
			func(p *Pair) float64 { return p.Disagreement[vv] }))
	}
	if len(r.Pairs) > 0 && r.Pairs[0].CKA != nil {
		kind := "mean over matching layers"
		if r.Options.CKAFull {
			kind = "mean of the cross-layer matrix"
		}
		for m, name := range model.Modules {
			out = append(out, mk("cka-"+name, "linear CKA of "+name+" ("+kind+")", 1,
				func(p *Pair) float64 { return p.CKA.Module[m] }))
		}
	}
	return out
}

// Files written by Write.
const (
	FileJSON   = "compare.json"
	FilePairs  = "pairs.csv"
	FileGroups = "groups.csv"
	FileTests  = "tests.csv"
)

// Write writes the report into dir (which must exist): compare.json (the
// whole report), pairs.csv (one row per pair), groups.csv (the group
// statistics) and tests.csv (the permutation tests), each atomically. It
// returns the paths written.
func (rep *Report) Write(dir string) ([]string, error) {
	var files []string
	put := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := atomicfile.WriteFile(p, data); err != nil {
			return err
		}
		files = append(files, p)
		return nil
	}
	js, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	if err := put(FileJSON, append(js, '\n')); err != nil {
		return files, err
	}
	for _, f := range []struct {
		name string
		fill func(w *csv.Writer)
	}{{FilePairs, rep.pairsCSV}, {FileGroups, rep.groupsCSV}, {FileTests, rep.testsCSV}} {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		f.fill(w)
		w.Flush()
		if err := w.Error(); err != nil {
			return files, fmt.Errorf("compare: %w", err)
		}
		if err := put(f.name, b.Bytes()); err != nil {
			return files, err
		}
	}
	return files, nil
}

func ff(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }

func (rep *Report) pairsCSV(w *csv.Writer) {
	r := rep.Result
	head := []string{"a", "b", "group_a", "group_b", "edges"}
	for _, v := range Variants {
		s := v.String()
		head = append(head, "q_a_"+s, "q_b_"+s, "m_"+s, "disagreement_"+s)
	}
	cka := len(r.Pairs) > 0 && r.Pairs[0].CKA != nil
	if cka {
		for _, m := range model.Modules {
			head = append(head, "cka_"+m)
		}
	}
	w.Write(head)
	for k := range r.Pairs {
		p := &r.Pairs[k]
		a, b := r.Members[p.A], r.Members[p.B]
		row := []string{a.Name, b.Name, a.Group, b.Group, strconv.FormatInt(p.Counts[0].Edges, 10)}
		for _, v := range Variants {
			qa, qb, m := p.Counts[v].Rates()
			row = append(row, ff(qa), ff(qb), ff(m), ff(p.Disagreement[v]))
		}
		if cka {
			for m := range model.Modules {
				row = append(row, ff(p.CKA.Module[m]))
			}
		}
		w.Write(row)
	}
}

func (rep *Report) groupsCSV(w *csv.Writer) {
	w.Write([]string{"quantity", "group", "pairs", "median", "mean", "sd", "min", "max"})
	for _, s := range rep.Summaries {
		for _, gs := range [][]GroupStat{s.Groups, s.Aggregates} {
			for _, g := range gs {
				w.Write([]string{s.Quantity, g.Name, strconv.Itoa(g.Pairs), ff(g.Median), ff(g.Mean), ff(g.SD), ff(g.Min), ff(g.Max)})
			}
		}
	}
}

func (rep *Report) testsCSV(w *csv.Writer) {
	w.Write([]string{"quantity", "a", "b", "t", "p_a_less_b"})
	for _, s := range rep.Summaries {
		for _, t := range s.Tests {
			w.Write([]string{s.Quantity, t.A, t.B, ff(t.T), ff(t.P)})
		}
	}
}

// WriteText prints the group statistics of every summary as tables.
func (rep *Report) WriteText(w io.Writer) error {
	r := rep.Result
	fmt.Fprintf(w, "%d models, %d pairs, %d frames (of %s)\n", len(r.Members), len(r.Pairs), r.Frames, r.Data)
	for _, s := range rep.Summaries {
		fmt.Fprintf(w, "\n%s\n", s.Quantity)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "group\tpairs\tmedian\tmean\tsd\tmin\tmax\t")
		for _, gs := range [][]GroupStat{s.Groups, s.Aggregates} {
			for _, g := range gs {
				fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t\n", g.Name, g.Pairs, g.Median, g.Mean, g.SD, g.Min, g.Max)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
