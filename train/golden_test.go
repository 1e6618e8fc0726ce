package train_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/nn"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/train"
)

// The paper's set-up must give bit-identical results to the tree before
// sparse graphs existed: these are FNV-1a hashes of the graphs, model
// outputs, gradients and short training runs that this test computes,
// recorded by running it on that tree with PCTTRACK_GOLDEN_PRINT=1 (main
// at 43379da under simulator physics version 1; main at 0941b35, before
// the merge of sparse graphs, under version 2 — the values below). Any change to the full graphs, the model input,
// the forward or backward pass or the training loop changes them.
var paperGolden = map[string]string{
	"graphs":              "c777fcd4c8098d81",
	"linegraph-model":     "f8b04a78f8b73eb0",
	"hitgraph-model":      "5bb0f6b386729c32",
	"train-paper-ptt":     "daef8b0c0c211085",
	"train-paper-pat-l50": "abb1cd8fe9050aff",
}

type hasher struct{ h hash64 }

type hash64 = interface {
	Write([]byte) (int, error)
	Sum64() uint64
}

func newHasher() *hasher { return &hasher{fnv.New64a()} }

func (h *hasher) f32(v ...[]float32) {
	var b [4]byte
	for _, s := range v {
		for _, x := range s {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
			h.h.Write(b[:])
		}
	}
}

func (h *hasher) f64(v ...float64) {
	var b [8]byte
	for _, x := range v {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
		h.h.Write(b[:])
	}
}

func (h *hasher) i32(v ...[]int32) {
	var b [4]byte
	for _, s := range v {
		for _, x := range s {
			binary.LittleEndian.PutUint32(b[:], uint32(x))
			h.h.Write(b[:])
		}
	}
}

func (h *hasher) bools(v []bool) {
	for _, x := range v {
		if x {
			h.h.Write([]byte{1})
		} else {
			h.h.Write([]byte{0})
		}
	}
}

func (h *hasher) sum() string { return fmt.Sprintf("%016x", h.h.Sum64()) }

func goldenFrames(t *testing.T) []dataset.Frame {
	t.Helper()
	ph, err := sim.ParsePhantom("water:100")
	if err != nil {
		t.Fatal(err)
	}
	// physics version 2: the data the hashes were recorded on (they check
	// the code from graphs to training, not the simulator)
	fs, err := sim.Collect(context.Background(), sim.Config{Phantom: ph, ProtonsPerFrame: 40, Frames: 2, Seed: 5,
		Physics: sim.Physics{Version: 2}})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	if os.Getenv("PCTTRACK_GOLDEN_PRINT") != "" {
		fmt.Printf("\t%q: %q,\n", name, got)
		return
	}
	if want := paperGolden[name]; got != want {
		t.Errorf("%s: hash %s, the paper set-up before sparse graphs gives %s", name, got, want)
	}
}

// TestPaperSetupBitIdentical: graphs, model input and outputs (eval- and
// training-mode logits, loss, gradients, running statistics) of both
// models on the paper's graphs, and three steps plus validation of the
// paper-ptt and paper-pat-l50 configs on small inline data.
func TestPaperSetupBitIdentical(t *testing.T) {
	frames := goldenFrames(t)
	hg, ml, mh := newHasher(), newHasher(), newHasher()
	for i := range frames {
		g, err := graph.Build(&frames[i], nil)
		if err != nil {
			t.Fatal(err)
		}
		lg, err := graph.NewLineGraph(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		hg.i32(g.Src, g.Dst, g.SrcStart, g.PairStart, lg.Src, lg.Dst, lg.DstStart, lg.Reverse)
		hg.bools(g.Label)
		hg.f32(lg.Angle)
		for _, c := range []struct {
			cfg model.Config
			h   *hasher
		}{{model.Config{}, ml}, {model.Config{Kind: model.KindHitGraph}, mh}} {
			in, err := model.NewInput(c.cfg, g, lg)
			if err != nil {
				t.Fatal(err)
			}
			net, err := model.New(c.cfg, rand.New(rand.NewPCG(3, uint64(i))))
			if err != nil {
				t.Fatal(err)
			}
			c.h.f32(net.Predict(nil, in), net.PredictBN(nil, in, model.BNBatch))
			tp := nn.NewTape[float32]()
			logits := net.Forward(tp, in)
			var bce model.SplitBCE[float32]
			loss := bce.Loss(tp, logits, in)
			tp.Backward(loss)
			c.h.f32(logits.Value.Data, loss.Value.Data)
			for _, p := range net.Params() {
				c.h.f32(p.Grad)
			}
			for _, b := range net.Buffers() {
				c.h.f32(b.Value.Data)
			}
		}
	}
	checkGolden(t, "graphs", hg.sum())
	checkGolden(t, "linegraph-model", ml.sum())
	checkGolden(t, "hitgraph-model", mh.sum())

	for _, name := range []string{"paper-ptt", "paper-pat-l50"} {
		cfg, err := train.LoadConfig(name)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Steps, cfg.Batch, cfg.ValEvery = 3, 3, 3
		cfg.PAT.Batch = 0
		cfg.Data.Simulate.Phantoms = []string{"water:150"}
		cfg.Data.Simulate.ProtonsPerFrame = 30
		cfg.Data.Simulate.Frames, cfg.Data.Simulate.ValFrames = 4, 2
		cfg.Data.Simulate.Physics.Version = 2
		data, err := train.LoadData(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.NewTrainer(cfg, data)
		if err != nil {
			t.Fatal(err)
		}
		h := newHasher()
		for range cfg.Steps {
			r, err := tr.Step(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			h.f64(r.Loss, r.LR, float64(r.Flips))
		}
		v, err := tr.Validate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h.f64(v.Purity, v.Efficiency, v.TPR, v.FPR, v.BCE, v.Hamming)
		for _, p := range append(tr.Net().Params(), tr.Net().Buffers()...) {
			h.f32(p.Value.Data)
		}
		checkGolden(t, "train-"+name, h.sum())
	}
}
