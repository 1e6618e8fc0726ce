package compare

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/pcttrack/pcttrack/internal/stats"
)

// DefaultPermutations is the number of random relabellings of a
// permutation test (the authors' scipy call uses 1000).
const DefaultPermutations = 1000

// GroupStat summarises the pairs between two model groups (A = B: the
// pairs within one group).
type GroupStat struct {
	Name   string    `json:"name"`
	A      string    `json:"a"`
	B      string    `json:"b"`
	Pairs  int       `json:"pairs"`
	Median float64   `json:"median"`
	Mean   float64   `json:"mean"`
	SD     float64   `json:"sd"` // sample sd (n − 1)
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"`
}

// Test is a one-sided comparison of two groups of pairs: Welch's t of
// mean(A) − mean(B) and the permutation p-value of "A < B" (the share of
// random relabellings of the pooled values whose t is at most the
// observed one, counting the observed one: (1 + #)/(1 + permutations)),
// as scipy's ttest_ind(permutations=…, equal_var=False,
// alternative="less") that the authors run.
type Test struct {
	A string  `json:"a"`
	B string  `json:"b"`
	T float64 `json:"t"`
	P float64 `json:"p"`
}

// Summary is the grouped view of one pairwise quantity.
type Summary struct {
	Quantity string      `json:"quantity"`
	Groups   []GroupStat `json:"groups"`
	// Aggregates pool groups: all pairs of two PAT models, all PTT↔PAT
	// pairs.
	Aggregates []GroupStat `json:"aggregates,omitempty"`
	Tests      []Test      `json:"tests,omitempty"`
}

// Summarize groups the pairs of r by the groups of their members — first
// the pairs within each group in member order, then the pairs across two
// groups (the later group first, as the paper labels them "λ50↔λ25") —
// with the statistics of value(p) and, when permutations > 0, a Test for
// every ordered pair of groups with at least two pairs each (random
// streams from seed and the test's position). r must hold all pairs
// (Merge a sharded run first).
func Summarize(r *Result, quantity string, value func(p *Pair) float64, permutations int, seed uint64) Summary {
	var groups []string
	for _, m := range r.Members {
		if !slices.Contains(groups, m.Group) {
			groups = append(groups, m.Group)
		}
	}
	gi := func(name string) int { return slices.Index(groups, name) }
	vals := map[[2]int][]float64{}
	var patPat, pttPat []float64
	for k := range r.Pairs {
		p := &r.Pairs[k]
		a, b := gi(r.Members[p.A].Group), gi(r.Members[p.B].Group)
		if a < b {
			a, b = b, a
		}
		v := value(p)
		vals[[2]int{a, b}] = append(vals[[2]int{a, b}], v)
		ma, mb := r.Members[p.A].Method, r.Members[p.B].Method
		switch {
		case ma == "pat" && mb == "pat":
			patPat = append(patPat, v)
		case (ma == "pat" && mb == "ptt") || (ma == "ptt" && mb == "pat"):
			pttPat = append(pttPat, v)
		}
	}
	s := Summary{Quantity: quantity}
	add := func(a, b int) {
		v := vals[[2]int{a, b}]
		if len(v) == 0 {
			return
		}
		name := "within " + groups[a]
		if a != b {
			name = groups[a] + "↔" + groups[b]
		}
		s.Groups = append(s.Groups, stat(name, groups[a], groups[b], v))
	}
	for g := range groups {
		add(g, g)
	}
	for a := range groups {
		for b := 0; b < a; b++ {
			add(a, b)
		}
	}
	if len(patPat) > 0 && countPAT(r) > 1 {
		s.Aggregates = append(s.Aggregates, stat("all PAT pairs", "PAT", "PAT", patPat))
	}
	if len(pttPat) > 0 {
		s.Aggregates = append(s.Aggregates, stat("all PTT↔PAT", "PTT", "PAT", pttPat))
	}
	if permutations > 0 {
		k := 0
		for _, ga := range s.Groups {
			for _, gb := range s.Groups {
				if ga.Name == gb.Name {
					continue
				}
				k++
				if ga.Pairs < 2 || gb.Pairs < 2 {
					continue
				}
				rng := rand.New(rand.NewPCG(seed, uint64(k)))
				t, p := PermutationTest(ga.Values, gb.Values, permutations, rng)
				if math.IsNaN(t) {
					continue
				}
				s.Tests = append(s.Tests, Test{A: ga.Name, B: gb.Name, T: t, P: p})
			}
		}
	}
	return s
}

// countPAT returns the number of distinct groups of PAT members.
func countPAT(r *Result) int {
	seen := map[string]bool{}
	for _, m := range r.Members {
		if m.Method == "pat" {
			seen[m.Group] = true
		}
	}
	return len(seen)
}

func stat(name, a, b string, v []float64) GroupStat {
	s := slices.Clone(v)
	slices.Sort(s)
	g := GroupStat{Name: name, A: a, B: b, Pairs: len(v), Min: s[0], Max: s[len(s)-1], Values: v}
	if n := len(s); n%2 == 1 {
		g.Median = s[n/2]
	} else {
		g.Median = (s[n/2-1] + s[n/2]) / 2
	}
	g.Mean, g.SD = stats.MeanSD(v, 1)
	return g
}

// Welch returns Welch's t statistic of mean(a) − mean(b) (NaN when either
// sample has fewer than two values or both have zero variance).
func Welch(a, b []float64) float64 {
	if len(a) < 2 || len(b) < 2 {
		return math.NaN()
	}
	ma, sa := stats.MeanSD(a, 1)
	mb, sb := stats.MeanSD(b, 1)
	se := math.Sqrt(sa*sa/float64(len(a)) + sb*sb/float64(len(b)))
	if se == 0 {
		return math.NaN()
	}
	return (ma - mb) / se
}

// PermutationTest returns Welch's t of a against b and the one-sided
// permutation p-value of "mean(a) < mean(b)": the pooled values are
// randomly split into samples of the original sizes permutations times,
// and p = (1 + #{t_perm ≤ t})/(1 + permutations). It panics if
// permutations < 1.
func PermutationTest(a, b []float64, permutations int, rng *rand.Rand) (t, p float64) {
	if permutations < 1 {
		panic("compare: PermutationTest needs at least one permutation")
	}
	t = Welch(a, b)
	if math.IsNaN(t) {
		return t, math.NaN()
	}
	pool := append(slices.Clone(a), b...)
	count := 0
	tol := 1e-12 * math.Max(1, math.Abs(t)) // ties count as "at most"
	for range permutations {
		rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		if tp := Welch(pool[:len(a)], pool[len(a):]); tp <= t+tol {
			count++
		}
	}
	return t, float64(1+count) / float64(1+permutations)
}
