package model

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/nn"
)

func TestNewInputErrors(t *testing.T) {
	type mut func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph)
	cases := []struct {
		name string
		cfg  Config
		mut  mut
		msg  string
	}{
		{"no hit graph", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) { return nil, lg }, "no hit graph"},
		{"no line graph", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) { return hg, nil }, "needs a line graph"},
		{"empty", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			hg.Src, hg.Dst, hg.Label = nil, nil, nil
			return hg, lg
		}, "0 segments"},
		{"NaN hit", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			hg.Hits[3].X = float32(math.NaN())
			return hg, lg
		}, "hit 3 has a non-finite"},
		{"segment out of range", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			hg.Dst[2] = int32(len(hg.Hits))
			return hg, lg
		}, "segment 2 joins"},
		{"label count", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			hg.Label = hg.Label[1:]
			return hg, lg
		}, "labels for"},
		{"line graph of another frame", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.NumNodes++
			return hg, lg
		}, "nodes for"},
		{"NaN angle", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.Angle[5] = float32(math.NaN())
			return hg, lg
		}, "edge 5 has angle"},
		{"negative angle", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.Angle[0] = -0.1
			return hg, lg
		}, "outside [0, π]"},
		{"unsorted edges", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.Dst[0], lg.Dst[len(lg.Dst)-1] = lg.Dst[len(lg.Dst)-1], lg.Dst[0]
			return hg, lg
		}, "not sorted by destination"},
		{"edge source out of range", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.Src[4] = -1
			return hg, lg
		}, "source -1"},
		{"short arrays", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.Angle = lg.Angle[:3]
			return hg, lg
		}, "arrays disagree"},
		{"bad offsets", Config{}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			lg.DstStart[len(lg.DstStart)-1]--
			return hg, lg
		}, "offsets run"},
		{"bad config", Config{Kind: "cnn"}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) { return hg, lg }, "unknown kind"},
		{"hit graph coincident hits", Config{Kind: KindHitGraph}, func(hg *graph.HitGraph, lg *graph.LineGraph) (*graph.HitGraph, *graph.LineGraph) {
			hg.Hits[hg.Dst[0]] = hg.Hits[hg.Src[0]]
			return hg, nil
		}, "same position"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hg, lg := smallFrame(31, 3, 5)
			hg.Meta.Frame = 42
			hg2, lg2 := tc.mut(hg, lg)
			in, err := NewInput(tc.cfg, hg2, lg2)
			if err == nil {
				t.Fatalf("accepted: %+v", in)
			}
			if !strings.HasPrefix(err.Error(), "model: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q, want one mentioning %q", err, tc.msg)
			}
			if tc.msg != "no hit graph" && tc.msg != "unknown kind" && !strings.Contains(err.Error(), "frame 42") {
				t.Fatalf("error %q does not name the frame", err)
			}
		})
	}
}

func TestInputDerivedData(t *testing.T) {
	hg, lg := smallFrame(33, 4, 6)
	in, err := NewInput(Config{}, hg, lg)
	if err != nil {
		t.Fatal(err)
	}
	d := in.lg
	// Bins: round(√θ / 2⁻¹⁴), compacted in increasing order.
	for e, th := range lg.Angle {
		want := int32(math.Round(math.Sqrt(float64(th)) * (1 << 14)))
		if got := d.bins[d.ubin.Ints()[e]]; got != want {
			t.Fatalf("edge %d: bin %d, want %d", e, got, want)
		}
	}
	for i := 1; i < len(d.bins); i++ {
		if d.bins[i] <= d.bins[i-1] {
			t.Fatal("compact bins not increasing")
		}
	}
	// The batch statistics from degrees and histograms equal the direct
	// statistics over the E×144 message inputs.
	dim := 128
	w := 2*lgNodeFeatures + dim
	mean := make([]float64, w)
	sq := make([]float64, w)
	for e := 0; e < d.e; e++ {
		row := make([]float64, 0, w)
		for k := 0; k < lgNodeFeatures; k++ {
			row = append(row, float64(d.x[int(lg.Dst[e])*lgNodeFeatures+k]))
		}
		for k := 0; k < lgNodeFeatures; k++ {
			row = append(row, float64(d.x[int(lg.Src[e])*lgNodeFeatures+k]))
		}
		for _, v := range d.table.row(d.bins[d.ubin.Ints()[e]]) {
			row = append(row, float64(v))
		}
		for k, v := range row {
			mean[k] += v
			sq[k] += v * v
		}
	}
	mean0, var0 := d.batchStats()
	for k := 0; k < w; k++ {
		m := mean[k] / float64(d.e)
		v := sq[k]/float64(d.e) - m*m
		if math.Abs(m-mean0[k]) > 1e-9*math.Max(1, math.Abs(m)) || math.Abs(v-var0[k]) > 1e-7*math.Max(1, v) {
			t.Fatalf("feature %d: mean/var %g/%g, from degrees %g/%g", k, m, v, mean0[k], var0[k])
		}
	}
	// Labels and the tracker split follow the hit graph.
	for s := range hg.Src {
		near := hg.Hits[hg.Src[s]].Layer < 3 || hg.Hits[hg.Dst[s]].Layer < 3
		if in.NearTracker[s] != near || (in.Labels[s] == 1) != hg.Label[s] {
			t.Fatalf("segment %d: near %v label %v", s, in.NearTracker[s], in.Labels[s])
		}
	}
}

func TestConfigResolved(t *testing.T) {
	c, err := Config{}.Resolved()
	if err != nil || c.Kind != KindLineGraph || c.Hidden != 16 || c.EncodingDim != 128 || c.AngleBinWidth != DefaultAngleBinWidth || c.LeakySlope != 0.01 {
		t.Fatalf("defaults %+v, %v", c, err)
	}
	c, err = Config{Kind: KindHitGraph}.Resolved()
	if err != nil || c.Hidden != 64 || *c.HitNorm != PaperHitNorm() {
		t.Fatalf("hit-graph defaults %+v, %v", c, err)
	}
	for _, bad := range []Config{
		{Hidden: -1}, {EncodingDim: 7}, {AngleBinWidth: 1}, {LeakySlope: 2}, {BNEps: -1},
		{Kind: KindHitGraph, HitNorm: &HitNorm{ClusterScale: 1, XYScale: 0, ZScale: 1}},
	} {
		if _, err := bad.Resolved(); err == nil || !strings.HasPrefix(err.Error(), "model: ") {
			t.Errorf("%+v accepted (%v)", bad, err)
		}
	}
}

// TestInputPrepareReuse: rebuilding an Input in place for other frames
// gives the input NewInput gives (same predictions, bit for bit, with the
// batch statistics of training mode), and allocates nothing once grown.
func TestInputPrepareReuse(t *testing.T) {
	cfg := Config{}
	net, _ := New(cfg, rand.New(rand.NewPCG(4, 4)))
	perturb(net, rand.New(rand.NewPCG(5, 5)))
	var in Input
	for _, seed := range []uint64{31, 32, 31} {
		hg, lg := smallFrame(seed, 6, 6)
		fresh, err := NewInput(cfg, hg, lg)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Prepare(cfg, hg, lg); err != nil {
			t.Fatal(err)
		}
		for _, bn := range []BNMode{BNRunning, BNBatch} {
			if a, b := net.PredictBN(nil, fresh, bn), net.PredictBN(nil, &in, bn); !slices.Equal(a, b) {
				t.Fatalf("seed %d, %v statistics: a reused input predicts differently", seed, bn)
			}
		}
	}
	hg, lg := smallFrame(31, 6, 6)
	if n := testing.AllocsPerRun(5, func() {
		if err := in.Prepare(cfg, hg, lg); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Prepare allocates %v times per frame", n)
	}
	// a failed Prepare leaves no usable input
	if err := in.Prepare(cfg, hg, nil); err == nil || in.lg != nil {
		t.Errorf("Prepare without a line graph: %v", err)
	}
}

// TestTableCache: in evaluation mode the per-bin table is kept from frame
// to frame; a warm cache predicts exactly what a fresh model does, and a
// change of the first layer's weights (a training step) empties it.
func TestTableCache(t *testing.T) {
	cfg := Config{}
	rng := rand.New(rand.NewPCG(6, 6))
	warm, _ := New(cfg, rng)
	perturb(warm, rng)
	ins := []*Input{smallInput(t, cfg, 41), smallInput(t, cfg, 42), smallInput(t, cfg, 43)}
	for round := range 2 {
		for i, in := range ins {
			fresh := warm.Clone()
			if a, b := warm.Predict(nil, in), fresh.Predict(nil, in); !slices.Equal(a, b) {
				t.Fatalf("round %d frame %d: the warm cache predicts differently", round, i)
			}
		}
		// change the encoding weights of the first layer
		i := slices.IndexFunc(warm.Params(), func(p *nn.Var[float32]) bool { return p.Name == "R1.layers.1.weight" })
		w := warm.Params()[i]
		w.Value.Data[len(w.Value.Data)-1] += 0.5
	}
	lm := warm.(*LineGraph[float32])
	if lm.pmsg.gen < 2 || !reflect.DeepEqual(lm.pmsg.cacheWe, lm.pmsg.we) {
		t.Errorf("cache generation %d after a weight change", lm.pmsg.gen)
	}
}
