package landscape

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pcttrack/pcttrack/internal/jsonfile"
	"github.com/pcttrack/pcttrack/internal/stats"
)

// Path names of a Connection, in the order of the paper's tables.
const (
	PathLinear  = "linear"
	PathHamming = "Bézier-Hamming"
	PathBCE     = "Bézier-BCE"
)

// Endpoint names one end of a connection.
type Endpoint struct {
	Name        string `json:"name"`
	Group       string `json:"group"`
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
}

// Curve is a fitted Bézier curve of a connection.
type Curve struct {
	Loss       string    `json:"loss"`
	Checkpoint string    `json:"checkpoint"` // the middle point
	Losses     []float64 `json:"losses"`     // training loss per step
	Points     []Metrics `json:"points"`
}

// Connection is the mode-connectivity study of one pair of models: the
// linear path and the fitted curves evaluated at the same points.
type Connection struct {
	Ends   [2]Endpoint `json:"endpoints"`
	Frames string      `json:"frames"`
	BN     BNMode      `json:"batchnorm"`
	Linear []Metrics   `json:"linear"`
	Curves []Curve     `json:"curves"`
}

// Paths returns the connection's paths by name, in table order.
func (c *Connection) Paths() (names []string, points [][]Metrics) {
	if c.Linear != nil {
		names, points = append(names, PathLinear), append(points, c.Linear)
	}
	for _, want := range []string{LossHamming, LossBCE} {
		for _, cv := range c.Curves {
			if cv.Loss == want && cv.Points != nil {
				names, points = append(names, curvePath(want)), append(points, cv.Points)
			}
		}
	}
	return names, points
}

func curvePath(loss string) string {
	if loss == LossBCE {
		return PathBCE
	}
	return PathHamming
}

// Group returns the method both ends belong to, or "A↔B" for a pair across
// methods.
func (c *Connection) Group() string {
	if c.Ends[0].Group == c.Ends[1].Group {
		return c.Ends[0].Group
	}
	return c.Ends[1].Group + "↔" + c.Ends[0].Group
}

// WriteJSON writes c to path atomically.
func (c *Connection) WriteJSON(path string) error { return jsonfile.Write("landscape", path, c) }

// ReadConnection reads a connection written by WriteJSON.
func ReadConnection(path string) (*Connection, error) {
	return jsonfile.Read[Connection]("landscape", path)
}

// PathStats are the paper's per-path summaries: min, max and mean over
// the points of the split Hamming loss and of the TPR (pooled over
// frames, as the authors count it).
type PathStats struct {
	HMin, HMax, HMean       float64
	TPRMin, TPRMax, TPRMean float64
}

// StatsOf summarises the points of one path.
func StatsOf(ms []Metrics) PathStats {
	s := PathStats{HMin: math.Inf(1), HMax: math.Inf(-1), TPRMin: math.Inf(1), TPRMax: math.Inf(-1)}
	for _, m := range ms {
		s.HMin, s.HMax = math.Min(s.HMin, m.Hamming), math.Max(s.HMax, m.Hamming)
		s.TPRMin, s.TPRMax = math.Min(s.TPRMin, m.PooledTPR), math.Max(s.TPRMax, m.PooledTPR)
		s.HMean += m.Hamming / float64(len(ms))
		s.TPRMean += m.PooledTPR / float64(len(ms))
	}
	return s
}

// TableRow is one row of the paper's connectivity table: a method and a
// path, each summary as mean and population sd (np.std) over the pairs.
type TableRow struct {
	Group, Path string
	Pairs       int
	Mean, SD    PathStats
}

// Table aggregates connections by group (method; pairs across methods
// under "A↔B") and path, in the order groups first appear, as the
// authors' mode_connectivity.py tabulates the within-method pairs.
func Table(cs []*Connection) []TableRow {
	type key struct{ g, p string }
	var order []key
	vals := map[key][]PathStats{}
	for _, c := range cs {
		names, pts := c.Paths()
		for i, n := range names {
			k := key{c.Group(), n}
			if _, ok := vals[k]; !ok {
				order = append(order, k)
			}
			vals[k] = append(vals[k], StatsOf(pts[i]))
		}
	}
	pathRank := func(p string) int { return slices.Index([]string{PathLinear, PathHamming, PathBCE}, p) }
	var groups []string
	for _, k := range order {
		if !slices.Contains(groups, k.g) {
			groups = append(groups, k.g)
		}
	}
	slices.SortStableFunc(order, func(a, b key) int {
		if ga, gb := slices.Index(groups, a.g), slices.Index(groups, b.g); ga != gb {
			return ga - gb
		}
		return pathRank(a.p) - pathRank(b.p)
	})
	var rows []TableRow
	for _, k := range order {
		v := vals[k]
		r := TableRow{Group: k.g, Path: k.p, Pairs: len(v)}
		field := func(f func(*PathStats) *float64) {
			var xs []float64
			for i := range v {
				xs = append(xs, *f(&v[i]))
			}
			m, sd := stats.MeanSD(xs, 0)
			*f(&r.Mean), *f(&r.SD) = m, sd
		}
		for _, f := range []func(*PathStats) *float64{
			func(s *PathStats) *float64 { return &s.HMin }, func(s *PathStats) *float64 { return &s.HMax },
			func(s *PathStats) *float64 { return &s.HMean }, func(s *PathStats) *float64 { return &s.TPRMin },
			func(s *PathStats) *float64 { return &s.TPRMax }, func(s *PathStats) *float64 { return &s.TPRMean },
		} {
			field(f)
		}
		rows = append(rows, r)
	}
	return rows
}

// WriteTable prints rows in the paper's layout: Hamming in units of 10⁻³
// and TPR in percent, mean ± sd over pairs; markdown for a Markdown table.
func WriteTable(w io.Writer, rows []TableRow, markdown bool) error {
	head := []string{"model", "path", "pairs", "H min", "H max", "H mean", "TPR min", "TPR max", "TPR mean"}
	cell := func(m, sd, scale float64) string { return fmt.Sprintf("%.2f±%.2f", m*scale, sd*scale) }
	line := func(r TableRow) []string {
		return []string{r.Group, r.Path, strconv.Itoa(r.Pairs),
			cell(r.Mean.HMin, r.SD.HMin, 1e3), cell(r.Mean.HMax, r.SD.HMax, 1e3), cell(r.Mean.HMean, r.SD.HMean, 1e3),
			cell(r.Mean.TPRMin, r.SD.TPRMin, 100), cell(r.Mean.TPRMax, r.SD.TPRMax, 100), cell(r.Mean.TPRMean, r.SD.TPRMean, 100)}
	}
	if markdown {
		fmt.Fprintf(w, "| %s |\n|", strings.Join(head, " | "))
		for range head {
			fmt.Fprint(w, "---|")
		}
		fmt.Fprintln(w)
		for _, r := range rows {
			if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(line(r), " | ")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(line(r), "\t")+"\t")
	}
	return tw.Flush()
}

// WriteMetricsCSV writes points of named paths as CSV: path, t and every
// metric.
func WriteMetricsCSV(w io.Writer, names []string, points [][]Metrics) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"path", "t", "hamming", "bce", "tpr", "fpr", "purity", "efficiency", "pooled_tpr", "pooled_fpr", "frames"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	for i, ms := range points {
		for _, m := range ms {
			cw.Write([]string{names[i], f(m.T), f(m.Hamming), f(m.BCE), f(m.TPR), f(m.FPR), f(m.Purity), f(m.Efficiency), f(m.PooledTPR), f(m.PooledFPR), strconv.Itoa(m.Frames)})
		}
	}
	cw.Flush()
	return cw.Error()
}
