package train

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/pcttrack/pcttrack/metrics"
)

// coresConfig trains on frames of 50 protons: line graphs of about 68k
// edges, several work chunks of the model's parallel passes, so that the
// number of workers matters if anything depends on it. PAT solves the
// layer pairs on min(GOMAXPROCS, 4) goroutines.
func coresConfig(method string) Config {
	c := tinyConfig(method)
	c.Steps, c.ValEvery = 3, 3
	c.Data.Simulate = &Simulate{Phantoms: []string{"water:100"}, ProtonsPerFrame: 50, Frames: 3, ValFrames: 2, Seed: 2}
	c.PAT.Workers = 0
	return c
}

var cores struct {
	once sync.Once
	data *Prepared
	err  error
}

// outcome is everything a short run produces: the loss of each step,
// the weights and optimiser-visible gradients after the last step, the
// learned tracker's tracks of the validation frames, their metrics and
// the validation summary.
type outcome struct {
	losses  []float64
	weights []float32
	tracks  [][]int32 // per validation frame: track hits, then track starts
	metrics []metrics.Frame
	val     Validation
}

func runOutcome(t *testing.T, method string, data *Prepared) outcome {
	t.Helper()
	tr, err := NewTrainer(coresConfig(method), data)
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	for range tr.Config().Steps {
		s, err := tr.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		o.losses = append(o.losses, s.Loss)
	}
	for _, p := range tr.Net().Params() {
		o.weights = append(o.weights, p.Value.Data...)
	}
	vs := &tr.data.val
	for i := range vs.Len() {
		g, in, err := vs.get(i, tr.prep, &tr.scratch)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.tracker.TrackInput(&tr.res, g, in); err != nil {
			t.Fatal(err)
		}
		o.tracks = append(o.tracks, slices.Concat(tr.res.Tracks.Hits, tr.res.Tracks.Start))
		o.metrics = append(o.metrics, tr.eval.Evaluate(g, tr.res.Selected, &tr.res.Tracks))
	}
	if o.val, err = tr.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.val.Seconds = 0
	return o
}

// TestDeterministicAcrossCores trains PTT and PAT for a few steps from one
// seed at GOMAXPROCS 1, 2, 4 and 8: the losses, the weights, the tracks of
// the validation frames and their metrics must be the same to the bit.
func TestDeterministicAcrossCores(t *testing.T) {
	cores.once.Do(func() { cores.data, cores.err = LoadData(context.Background(), coresConfig(MethodPTT), nil) })
	if cores.err != nil {
		t.Fatal(cores.err)
	}
	for _, method := range []string{MethodPTT, MethodPAT} {
		t.Run(method, func(t *testing.T) {
			var ref outcome
			for _, procs := range []int{1, 2, 4, 8} {
				prev := runtime.GOMAXPROCS(procs)
				o := runOutcome(t, method, cores.data)
				runtime.GOMAXPROCS(prev)
				if procs == 1 {
					ref = o
					if n := len(o.tracks); n == 0 || len(o.tracks[0]) == 0 || math.IsNaN(o.losses[0]) {
						t.Fatalf("nothing to compare: %d validation frames, losses %v", n, o.losses)
					}
					continue
				}
				if err := sameOutcome(o, ref); err != nil {
					t.Errorf("GOMAXPROCS %d differs from 1: %v", procs, err)
				}
			}
		})
	}
}

func sameOutcome(a, b outcome) error {
	for i := range b.losses {
		if math.Float64bits(a.losses[i]) != math.Float64bits(b.losses[i]) {
			return fmt.Errorf("loss of step %d: %v, want %v", i+1, a.losses[i], b.losses[i])
		}
	}
	for i := range b.weights {
		if math.Float32bits(a.weights[i]) != math.Float32bits(b.weights[i]) {
			return fmt.Errorf("weight %d: %v, want %v", i, a.weights[i], b.weights[i])
		}
	}
	for i := range b.tracks {
		if !slices.Equal(a.tracks[i], b.tracks[i]) {
			return fmt.Errorf("tracks of validation frame %d differ", i)
		}
	}
	if !reflect.DeepEqual(a.metrics, b.metrics) || a.val != b.val {
		return fmt.Errorf("metrics %+v (%+v), want %+v (%+v)", a.metrics, a.val, b.metrics, b.val)
	}
	return nil
}
