package metrics_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/pcttrack/pcttrack/metrics"
)

// fr makes a frame whose purity is correct/primary and whose other rates are
// fixed multiples of it, so that every metric is checked.
func fr(correct, primary int) metrics.Frame {
	c := metrics.Counts{Tracks: primary, PrimaryTracks: primary, Correct: correct, PrimaryEvents: 10,
		TrueSegments: primary, SelectedTrue: correct, FalseSegments: 10, SelectedFalse: primary - correct,
		Reconstructable: 2 * primary, Matched: correct, Fakes: primary - correct}
	return metrics.Frame{Rates: c.Ratios(), Counts: c}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestAggregatorMeanSD(t *testing.T) {
	var a metrics.Aggregator
	k := metrics.Key{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100}
	// Purities 0.5, 0.7, 0.9: mean 0.7, sample sd 0.2; pooled 17/22.
	for _, f := range []metrics.Frame{fr(1, 2), fr(7, 10), fr(9, 10)} {
		a.Add(k, f)
	}
	gs := a.Groups()
	if len(gs) != 1 {
		t.Fatalf("%d groups, want 1", len(gs))
	}
	g := gs[0]
	if g.Key != k || g.Frames != 3 || g.Seeds != 1 {
		t.Errorf("group %+v", g)
	}
	tests := []struct {
		name     string
		got      metrics.MeanSD
		mean, sd float64
	}{
		{"purity", g.Purity, 0.7, 0.2},
		{"efficiency", g.Efficiency, 1.7 / 3, math.Sqrt(0.52 / 3)},
		{"TPR", g.TPR, 0.7, 0.2},
		{"FPR", g.FPR, 0.5 / 3, math.Sqrt(0.04 / 3)},
		{"DM efficiency", g.DMEfficiency, 0.35, 0.1},
		{"fake rate", g.FakeRate, 0.3, 0.2},
	}
	for _, tc := range tests {
		if !near(tc.got.Mean, tc.mean) || !near(tc.got.SD, tc.sd) || tc.got.N != 3 {
			t.Errorf("%s = %+v, want %g ± %g over 3", tc.name, tc.got, tc.mean, tc.sd)
		}
	}
	if g.Counts.Correct != 17 || g.Counts.PrimaryTracks != 22 || g.Counts.PrimaryEvents != 30 {
		t.Errorf("summed counts %+v", g.Counts)
	}
	if !near(g.Pooled.Purity, 17.0/22) || !near(g.Pooled.Efficiency, 17.0/30) || !near(g.Pooled.FPR, 5.0/30) {
		t.Errorf("pooled %+v, want purity 17/22, efficiency 17/30, FPR 5/30", g.Pooled)
	}
}

func TestAggregatorSingleFrame(t *testing.T) {
	var a metrics.Aggregator
	a.Add(metrics.Key{}, fr(1, 4))
	g := a.Groups()[0]
	if g.Purity != (metrics.MeanSD{Mean: 0.25, SD: 0, N: 1}) {
		t.Errorf("one frame: %+v, want 0.25 ± 0 (N 1)", g.Purity)
	}
	var empty metrics.Aggregator
	if gs := empty.Groups(); len(gs) != 0 {
		t.Errorf("empty aggregator: %d groups", len(gs))
	}
}

// Groups must not depend on the order of Add or on sharding (Merge), bit
// for bit.
func TestAggregatorOrderIndependent(t *testing.T) {
	k1 := metrics.Key{Method: "a", Phantom: "water:100", ProtonsPerFrame: 100}
	k2 := metrics.Key{Method: "b", Phantom: "water:100", ProtonsPerFrame: 100}
	var frames []metrics.Frame
	for i := 1; i <= 40; i++ {
		frames = append(frames, fr(i%7, 7+i%5))
	}
	var fwd, rev, s0, s1 metrics.Aggregator
	for i, f := range frames {
		fwd.Add([]metrics.Key{k1, k2}[i%2], f)
	}
	for i := len(frames) - 1; i >= 0; i-- {
		rev.Add([]metrics.Key{k1, k2}[i%2], frames[i])
	}
	for i, f := range frames {
		if i%3 == 0 {
			s1.Add([]metrics.Key{k1, k2}[i%2], f)
		} else {
			s0.Add([]metrics.Key{k1, k2}[i%2], f)
		}
	}
	s1.Merge(&s0)
	want := fwd.Groups()
	for name, got := range map[string][]metrics.Group{"reverse": rev.Groups(), "merged": s1.Groups()} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s order:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

func TestGroupOrder(t *testing.T) {
	keys := []metrics.Key{
		{Method: "ptt", Phantom: "water:100", ProtonsPerFrame: 50},
		{Method: "pat", Phantom: "water:150", ProtonsPerFrame: 100},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: 2},
		{Method: "pat", Phantom: "water:50", ProtonsPerFrame: 100},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 50},
		{Method: "pat", Phantom: "none", ProtonsPerFrame: 100},
	}
	var a metrics.Aggregator
	for _, k := range keys {
		a.Add(k, fr(1, 1))
	}
	want := []metrics.Key{
		{Method: "pat", Phantom: "none", ProtonsPerFrame: 100},
		{Method: "pat", Phantom: "water:50", ProtonsPerFrame: 100},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 50},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: 2},
		{Method: "pat", Phantom: "water:150", ProtonsPerFrame: 100},
		{Method: "ptt", Phantom: "water:100", ProtonsPerFrame: 50},
	}
	gs := a.Groups()
	if a.Len() != len(want) || len(gs) != len(want) {
		t.Fatalf("%d groups, want %d", len(gs), len(want))
	}
	for i, g := range gs {
		if g.Key != want[i] {
			t.Errorf("group %d: %+v, want %+v", i, g.Key, want[i])
		}
	}
}

func TestOverSeeds(t *testing.T) {
	k := metrics.Key{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100}
	other := metrics.Key{Method: "ptt", Phantom: "water:100", ProtonsPerFrame: 100}
	var a metrics.Aggregator
	// Seed means of purity 0.5, 0.7, 0.9 from frames (0.4, 0.6), (0.7,
	// 0.7), (0.8, 1.0): over seeds 0.7 ± sqrt(0.08/3) (population sd).
	for seed, pair := range [][2][2]int{{{2, 5}, {3, 5}}, {{7, 10}, {7, 10}}, {{4, 5}, {5, 5}}} {
		ks := k
		ks.Seed = uint64(seed)
		for _, p := range pair {
			a.Add(ks, fr(p[0], p[1]))
		}
	}
	a.Add(other, fr(1, 2))
	gs := metrics.OverSeeds(a.Groups())
	if len(gs) != 2 || gs[0].Key != k || gs[1].Key != other {
		t.Fatalf("groups %+v", gs)
	}
	g := gs[0]
	if g.Seeds != 3 || g.Frames != 6 || g.Counts.Correct != 28 || g.Counts.PrimaryTracks != 40 {
		t.Errorf("merged %+v", g)
	}
	if !near(g.Purity.Mean, 0.7) || !near(g.Purity.SD, math.Sqrt(0.08/3)) || g.Purity.N != 3 {
		t.Errorf("purity over seeds %+v, want 0.7 ± %g over 3", g.Purity, math.Sqrt(0.08/3))
	}
	if !near(g.Pooled.Purity, 0.7) {
		t.Errorf("pooled purity %g, want 28/40", g.Pooled.Purity)
	}
	if o := gs[1]; o.Seeds != 1 || o.Purity != (metrics.MeanSD{Mean: 0.5, N: 1}) {
		t.Errorf("single-seed group %+v", o)
	}
	// Input order does not matter.
	in := a.Groups()
	for i, j := 0, len(in)-1; i < j; i, j = i+1, j-1 {
		in[i], in[j] = in[j], in[i]
	}
	if got := metrics.OverSeeds(in); !reflect.DeepEqual(got, gs) {
		t.Errorf("reversed input: %+v, want %+v", got, gs)
	}
}

func TestWriteText(t *testing.T) {
	var a metrics.Aggregator
	k := metrics.Key{Method: "truth", Phantom: "water:100", ProtonsPerFrame: 100}
	a.Add(k, fr(1, 2))
	a.Add(k, fr(9, 10))
	a.Add(metrics.Key{Method: "follower", Phantom: "water:100", ProtonsPerFrame: 100}, fr(3, 4))
	var b bytes.Buffer
	if err := a.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"method    phantom    p/frame  frames     purity %  efficiency %        TPR %       FPR %     DM eff %  fake rate %\n" +
		"follower  water:100      100       1   75.0 ± 0.0    30.0 ± 0.0   75.0 ± 0.0  10.0 ± 0.0   37.5 ± 0.0   25.0 ± 0.0\n" +
		"truth     water:100      100       2  70.0 ± 28.3   50.0 ± 56.6  70.0 ± 28.3  10.0 ± 0.0  35.0 ± 14.1  30.0 ± 28.3\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	var s metrics.Aggregator
	for seed := range 2 {
		s.Add(metrics.Key{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: uint64(seed)}, fr(1+seed, 2))
	}
	if err := metrics.WriteTable(&b, metrics.OverSeeds(s.Groups())); err != nil {
		t.Fatal(err)
	}
	want = "" +
		"method  phantom    p/frame  seeds  frames     purity %  efficiency %        TPR %      FPR %     DM eff %  fake rate %\n" +
		"pat     water:100      100      2       2  75.0 ± 25.0    15.0 ± 5.0  75.0 ± 25.0  5.0 ± 5.0  37.5 ± 12.5  25.0 ± 25.0\n"
	if b.String() != want {
		t.Errorf("table over seeds:\n%s\nwant:\n%s", b.String(), want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteTextError(t *testing.T) {
	var a metrics.Aggregator
	a.Add(metrics.Key{Method: "x"}, fr(1, 1))
	if err := a.WriteText(failWriter{}); err == nil || err.Error() != "metrics: writing table: disk full" {
		t.Errorf("err = %v", err)
	}
}

func TestGroupJSON(t *testing.T) {
	var a metrics.Aggregator
	a.Add(metrics.Key{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100}, fr(1, 2))
	b, err := json.Marshal(a.Groups())
	if err != nil {
		t.Fatal(err)
	}
	var back []metrics.Group
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, a.Groups()) {
		t.Errorf("JSON round trip: %+v, want %+v", back, a.Groups())
	}
	if !bytes.Contains(b, []byte(`"purity":{"mean":0.5,"sd":0,"n":1}`)) {
		t.Errorf("JSON %s lacks the purity object", b)
	}
}
