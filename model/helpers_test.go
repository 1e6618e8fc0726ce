package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model/internal/synth"
	"github.com/pcttrack/pcttrack/nn"
)

// smallFrame returns a small synthetic frame (a few tracks through a few
// layers).
func smallFrame(seed uint64, protons, layers int) (*graph.HitGraph, *graph.LineGraph) {
	return synth.Frame(synth.Options{Protons: protons, Layers: layers, Tracker: 2.5, Calo: 1.6, Seed: seed})
}

// smallInput prepares a small frame with several work chunks.
func smallInput(t testing.TB, cfg Config, seed uint64) *Input {
	t.Helper()
	old := lgChunkEdges
	lgChunkEdges = 24
	defer func() { lgChunkEdges = old }()
	hg, lg := smallFrame(seed, 5, 6)
	return mustInput(t, cfg, hg, lg)
}

// mustInput prepares the frame (hg, lg) for cfg.
func mustInput(t testing.TB, cfg Config, hg *graph.HitGraph, lg *graph.LineGraph) *Input {
	t.Helper()
	in, err := NewInput(cfg, hg, lg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// perturbedModel returns a model of cfg drawn from PCG(s1, s2) and
// perturbed, and that generator for what the test draws next.
func perturbedModel[T nn.Float](cfg Config, s1, s2 uint64) (Model[T], *rand.Rand) {
	m, rng := newModel[T](cfg, s1, s2)
	perturb(m, rng)
	return m, rng
}

// newModel returns a model of cfg drawn from PCG(s1, s2) and the generator.
func newModel[T nn.Float](cfg Config, s1, s2 uint64) (Model[T], *rand.Rand) {
	rng := rand.New(rand.NewPCG(s1, s2))
	m, _ := NewModel[T](cfg, rng)
	return m, rng
}

// hitGraphCase returns the hit-graph model of width hidden drawn from
// PCG(7, 7) and perturbed, the input of smallFrame(9, 4, 5) and the
// generator.
func hitGraphCase(t testing.TB, hidden int) (Model[float64], *Input, *rand.Rand) {
	t.Helper()
	cfg := Config{Kind: KindHitGraph, Hidden: hidden}
	hg, lg := smallFrame(9, 4, 5)
	in := mustInput(t, cfg, hg, lg)
	m, rng := perturbedModel[float64](cfg, 7, 7)
	return m, in, rng
}

// forKinds runs f as one subtest per model kind (line graph, hit graph).
func forKinds(t *testing.T, f func(t *testing.T, kind string)) {
	for _, kind := range []string{KindLineGraph, KindHitGraph} {
		t.Run(kind, func(t *testing.T) { f(t, kind) })
	}
}

// forModes runs f as the subtests "train" and "eval" (eval false, true).
func forModes(t *testing.T, f func(t *testing.T, eval bool)) {
	for _, eval := range []bool{false, true} {
		name := "train"
		if eval {
			name = "eval"
		}
		t.Run(name, func(t *testing.T) { f(t, eval) })
	}
}

// perturb gives every parameter and buffer a random value (so that batch
// norms are not identities and all paths matter).
func perturb[T nn.Float](m Model[T], rng *rand.Rand) {
	for _, p := range m.Params() {
		for i := range p.Value.Data {
			if len(p.Name) > 7 && p.Name[len(p.Name)-7:] == ".weight" && p.Value.Rows == 1 {
				p.Value.Data[i] = T(0.5 + rng.Float64()) // BN γ
			} else {
				p.Value.Data[i] += T(0.1 * rng.NormFloat64())
			}
		}
	}
	for _, b := range m.Buffers() {
		for i := range b.Value.Data {
			if b.Name[len(b.Name)-3:] == "var" {
				b.Value.Data[i] = T(0.5 + rng.Float64())
			} else {
				b.Value.Data[i] = T(rng.NormFloat64())
			}
		}
	}
}

// lgReference is the line-graph model composed from plain tape operations
// (gathers, concatenation of the 144-wide message input, batch norms,
// linear layers, segment max): the specification the fused operation must
// reproduce.
func lgReference[T nn.Float](t *nn.Tape[T], m *LineGraph[T], in *Input) *nn.Var[T] {
	d := in.lg
	x, u := lgMessageInput(t, m, in)
	msg := m.r1.forward(t, u)
	agg := t.SegmentMax(msg, &nn.Segments{Start: d.start})
	return m.r2.forward(t, m.o.forward(t, t.Concat(x, agg)))
}

// lgMessageInput returns the node features and the 144-wide message input
// [x_dst, x_src, enc] of every line-graph edge as constants on t.
func lgMessageInput[T nn.Float](t *nn.Tape[T], m *LineGraph[T], in *Input) (x, u *nn.Var[T]) {
	d := in.lg
	x = t.Const(toT[T](nil, d.x), d.n, lgNodeFeatures)
	dim := m.cfg.EncodingDim
	enc := make([]T, d.e*dim)
	for e := 0; e < d.e; e++ {
		for k, v := range d.table.row(d.bins[d.ubin.Ints()[e]]) {
			enc[e*dim+k] = T(v)
		}
	}
	u = t.Concat(t.Gather(x, nn.NewIndex(d.dst.Ints(), d.n)), t.Gather(x, nn.NewIndex(d.src.Ints(), d.n)), t.Const(enc, d.e, dim))
	return x, u
}

func relDiff(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-12)
}
