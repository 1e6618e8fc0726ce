package model_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/model/internal/synth"
	"github.com/pcttrack/pcttrack/nn"
)

// Train the paper's line-graph model for a few PTT steps on one frame and
// predict segment probabilities.
func Example() {
	hg, lg := synth.Frame(synth.Options{Protons: 4, Layers: 6, Tracker: 2.5, Calo: 1.6, Seed: 1})
	cfg := model.Config{} // zero value: the paper's line-graph model
	in, err := model.NewInput(cfg, hg, lg)
	if err != nil {
		fmt.Println(err)
		return
	}
	net, _ := model.New(cfg, rand.New(rand.NewPCG(1, 1)))
	opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{Kind: "adam", LR: 0.01})
	tp := nn.NewTape[float32]()
	var ptt model.SplitBCE[float32]
	var losses []float32
	for step := 0; step < 60; step++ {
		tp.Reset()
		net.ZeroGrad()
		loss := ptt.Loss(tp, net.Forward(tp, in), in)
		tp.Backward(loss)
		opt.Step(1)
		losses = append(losses, loss.Value.Data[0])
	}
	probs := net.Predict(nil, in)
	correct := 0
	for s, p := range probs {
		if (p > 0.5) == (in.Labels[s] == 1) {
			correct++
		}
	}
	fmt.Printf("%d parameters, %d segments\n", model.ParamCount(cfg), in.NumSegments)
	fmt.Printf("loss %.1f -> below 0.1: %v\n", losses[0], losses[len(losses)-1] < 0.1)
	fmt.Printf("%d of %d segments classified correctly\n", correct, len(probs))
	// Output:
	// 4961 parameters, 34 segments
	// loss 1.5 -> below 0.1: true
	// 34 of 34 segments classified correctly
}

// Save a model with its optimiser state and load it back.
func ExampleSave() {
	net, _ := model.New(model.Config{Kind: model.KindHitGraph}, rand.New(rand.NewPCG(1, 1)))
	opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{})
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "hitgraph.ckpt")
	if err := model.Save(path, net, opt, map[string]string{"step": "0"}); err != nil {
		fmt.Println(err)
		return
	}
	loaded, ck, err := model.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	resumed, err := ck.RestoreOptimizer(loaded)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ck.Config.Kind, ck.Config.Hidden, nn.NumParams(loaded.Params()), ck.Meta["step"], resumed.Settings().Kind)
	// Output: hitgraph 64 39839 0 rmsprop
}
