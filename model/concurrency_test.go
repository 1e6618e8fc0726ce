package model

import (
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
)

// TestConcurrentPredictOnClones runs Predict on clones in parallel over one
// shared Input (read-only) and checks they agree with a serial run.
func TestConcurrentPredictOnClones(t *testing.T) {
	in := smallInput(t, Config{}, 41)
	net, _ := New(Config{}, rand.New(rand.NewPCG(6, 6)))
	want := net.Predict(nil, in)
	var wg sync.WaitGroup
	got := make([][]float32, 4)
	for i := range got {
		c := net.Clone()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 3; k++ {
				got[i] = c.Predict(got[i], in)
			}
		}()
	}
	wg.Wait()
	for i := range got {
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("clone %d predicts differently", i)
		}
	}
}
