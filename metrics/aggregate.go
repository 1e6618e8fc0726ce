package metrics

import (
	"cmp"
	"slices"

	"github.com/pcttrack/pcttrack/internal/stats"
)

// Key identifies a group of frames evaluated alike.
type Key struct {
	Method          string `json:"method"`            // tracker or model name, e.g. "pat-l50"
	Phantom         string `json:"phantom"`           // phantom spec, e.g. "water:100"
	ProtonsPerFrame int    `json:"protons_per_frame"` // primaries per frame
	// Seed is the seed of the model (training run) that made the tracks;
	// leave it 0 for a single run. OverSeeds merges groups that differ
	// only in Seed and sets it to 0.
	Seed uint64 `json:"seed"`
}

// compareKeys orders keys by method, phantom (numbers inside compared by
// value, so "water:50" < "water:100"), protons per frame and seed.
func compareKeys(a, b Key) int {
	if c := cmp.Compare(a.Method, b.Method); c != 0 {
		return c
	}
	if c := naturalCompare(a.Phantom, b.Phantom); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ProtonsPerFrame, b.ProtonsPerFrame); c != 0 {
		return c
	}
	return cmp.Compare(a.Seed, b.Seed)
}

// naturalCompare compares strings with runs of ASCII digits compared as
// numbers; ties fall back to plain string order so the order is total.
func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			i0, j0 := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			// Compare by value: strip leading zeros, then length, then digits.
			x, y := trimZeros(a[i0:i]), trimZeros(b[j0:j])
			if c := cmp.Compare(len(x), len(y)); c != 0 {
				return c
			}
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
			continue
		}
		if c := cmp.Compare(a[i], b[j]); c != 0 {
			return c
		}
		i++
		j++
	}
	if c := cmp.Compare(len(a)-i, len(b)-j); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// MeanSD is the mean and standard deviation of N values (SD 0 for N < 2).
// Which standard deviation (sample or population) depends on the producer:
// see Aggregator.Groups and OverSeeds.
type MeanSD struct {
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	N    int     `json:"n"`
}

// meanSD computes the mean and SD of v with ddof 1 (sample) or 0
// (population). It sorts v first so that the result does not depend on the
// order the values were added in (bit for bit).
func meanSD(v []float64, ddof int) MeanSD {
	m := MeanSD{N: len(v)}
	if len(v) == 0 {
		return m
	}
	slices.Sort(v)
	m.Mean, m.SD = stats.MeanSD(v, ddof)
	return m
}

// Group is the summary of the frames (or seeds) of one Key.
type Group struct {
	Key Key `json:"key"`
	// Frames is the number of frames evaluated (summed over seeds).
	Frames int `json:"frames"`
	// Seeds is the number of runs merged: 1 from Aggregator, the number of
	// groups merged from OverSeeds.
	Seeds int `json:"seeds"`

	// The per-frame metrics averaged over frames (Aggregator; N = frames)
	// or the per-seed averages averaged over seeds (OverSeeds; N = seeds).
	Purity       MeanSD `json:"purity"`
	Efficiency   MeanSD `json:"efficiency"`
	TPR          MeanSD `json:"tpr"`
	FPR          MeanSD `json:"fpr"`
	DMEfficiency MeanSD `json:"dm_efficiency"`
	FakeRate     MeanSD `json:"fake_rate"`

	// Pooled are the ratios of the summed Counts (the paper's validation
	// TPR/FPR are pooled like this).
	Pooled Rates `json:"pooled"`
	// Counts are summed over all frames.
	Counts Counts `json:"counts"`
}

// setPooled fills Pooled from Counts.
func (g *Group) setPooled() { g.Pooled = g.Counts.Ratios() }

// metric lists the six averaged metrics of a group with their getters, so
// the aggregation code is written once.
var metric = [...]struct {
	name  string
	rate  func(*Rates) float64
	field func(*Group) *MeanSD
}{
	{"purity", func(r *Rates) float64 { return r.Purity }, func(g *Group) *MeanSD { return &g.Purity }},
	{"efficiency", func(r *Rates) float64 { return r.Efficiency }, func(g *Group) *MeanSD { return &g.Efficiency }},
	{"TPR", func(r *Rates) float64 { return r.TPR }, func(g *Group) *MeanSD { return &g.TPR }},
	{"FPR", func(r *Rates) float64 { return r.FPR }, func(g *Group) *MeanSD { return &g.FPR }},
	{"DM eff", func(r *Rates) float64 { return r.DMEfficiency }, func(g *Group) *MeanSD { return &g.DMEfficiency }},
	{"fake rate", func(r *Rates) float64 { return r.FakeRate }, func(g *Group) *MeanSD { return &g.FakeRate }},
}

// groupAcc accumulates the frames of one key.
type groupAcc struct {
	values [len(metric)][]float64
	counts Counts
}

// Aggregator collects frame metrics by Key. It keeps every per-frame value
// (48 bytes a frame), so that Groups does not depend on the order in which
// frames were added or merged: K shards merged give exactly what one run
// gives. The zero value is ready to use; it is not safe for concurrent use.
type Aggregator struct {
	groups map[Key]*groupAcc
}

// Add records the metrics of one frame under k.
func (a *Aggregator) Add(k Key, f Frame) {
	if a.groups == nil {
		a.groups = make(map[Key]*groupAcc)
	}
	g := a.groups[k]
	if g == nil {
		g = new(groupAcc)
		a.groups[k] = g
	}
	for i, m := range metric {
		g.values[i] = append(g.values[i], m.rate(&f.Rates))
	}
	g.counts.Add(f.Counts)
}

// Merge adds every frame recorded in b to a (b is unchanged).
func (a *Aggregator) Merge(b *Aggregator) {
	mergeInto(&a.groups, b.groups, func(g, gb *groupAcc) {
		for i := range g.values {
			g.values[i] = append(g.values[i], gb.values[i]...)
		}
		g.counts.Add(gb.counts)
	})
}

// Len returns the number of groups.
func (a *Aggregator) Len() int { return len(a.groups) }

// Groups returns one Group per key, sorted by method, phantom (numbers by
// value), protons per frame and seed. Each metric is the mean over frames of
// the per-frame value, with the sample standard deviation (n − 1), as the
// paper's evaluation (pandas) computes it. O(frames·log frames); allocates
// the result and a scratch copy of the values.
func (a *Aggregator) Groups() []Group {
	out := make([]Group, 0, len(a.groups))
	var scratch []float64
	for k, acc := range a.groups {
		g := Group{Key: k, Frames: len(acc.values[0]), Seeds: 1, Counts: acc.counts}
		for i, m := range metric {
			scratch = append(scratch[:0], acc.values[i]...)
			*m.field(&g) = meanSD(scratch, 1)
		}
		g.setPooled()
		out = append(out, g)
	}
	slices.SortFunc(out, func(x, y Group) int { return compareKeys(x.Key, y.Key) })
	return out
}

// OverSeeds merges groups whose keys differ only in Seed, each input group
// standing for one seed's run (as the paper's tables: per model seed the
// average over frames, then mean ± sd over the seeds). Each metric of the
// result is the mean of the input groups' means with the population
// standard deviation (numpy's std, ddof 0, as the authors' table scripts),
// N = number of seeds; Frames and Counts are summed, Pooled is recomputed,
// Seeds is the number of groups merged and Key.Seed is 0. The result is
// sorted like Aggregator.Groups and does not depend on the input order.
func OverSeeds(groups []Group) []Group {
	byKey := make(map[Key][]int)
	for i, g := range groups {
		k := g.Key
		k.Seed = 0
		byKey[k] = append(byKey[k], i)
	}
	out := make([]Group, 0, len(byKey))
	var scratch []float64
	for k, idx := range byKey {
		g := Group{Key: k, Seeds: len(idx)}
		for _, i := range idx {
			g.Frames += groups[i].Frames
			g.Counts.Add(groups[i].Counts)
		}
		for _, m := range metric {
			scratch = scratch[:0]
			for _, i := range idx {
				scratch = append(scratch, m.field(&groups[i]).Mean)
			}
			*m.field(&g) = meanSD(scratch, 0)
		}
		g.setPooled()
		out = append(out, g)
	}
	slices.SortFunc(out, func(x, y Group) int { return compareKeys(x.Key, y.Key) })
	return out
}
