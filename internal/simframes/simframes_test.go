package simframes

import (
	"context"
	"reflect"
	"testing"

	"github.com/pcttrack/pcttrack/sim"
)

// TestWater: the frames are those of Config, simulated once and then
// shared.
func TestWater(t *testing.T) {
	a := Must(t, 20, 2, 5)
	b := Must(t, 20, 2, 5)
	if &a[0] != &b[0] {
		t.Error("the second call simulated again")
	}
	want, err := sim.Collect(context.Background(), Config(20, 2, 5))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, want) {
		t.Error("frames differ from those of Config")
	}
	if c := Must(t, 20, 2, 6); reflect.DeepEqual(a[0].Hits, c[0].Hits) {
		t.Error("another seed gave the same hits")
	}
	if len(a) != 2 || a[0].Meta.ProtonsPerFrame != 20 || a[0].Meta.Phantom != "water:100" {
		t.Errorf("%d frames, meta %+v", len(a), a[0].Meta)
	}
}
