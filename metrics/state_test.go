package metrics_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/metrics"
)

// TestShardStateRoundTrip splits frames over K shards, stores each shard's
// Aggregator and Stability as JSON, decodes and merges them: the groups
// must equal those of one process bit for bit, for every K.
func TestShardStateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	keys := []metrics.Key{{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: 1},
		{Method: "pat", Phantom: "water:100", ProtonsPerFrame: 100, Seed: 2},
		{Method: "physics", Phantom: "water:50", ProtonsPerFrame: 50}}
	type frame struct {
		key                  metrics.Key
		f                    metrics.Frame
		edges, differ, union int
	}
	var frames []frame
	for i := range 61 {
		p := 1 + rng.IntN(40)
		c := rng.IntN(p + 1)
		e := 100 + rng.IntN(900)
		d := rng.IntN(30)
		frames = append(frames, frame{keys[i%3], fr(c, p), e, d, d + rng.IntN(50)})
	}
	add := func(a *metrics.Aggregator, s *metrics.Stability, f frame) {
		a.Add(f.key, f.f)
		if f.key.Method == "pat" {
			s.Add(f.key, 1, 2, f.edges, f.differ, f.union)
		}
	}
	var one metrics.Aggregator
	var oneStab metrics.Stability
	for _, f := range frames {
		add(&one, &oneStab, f)
	}
	want, wantStab := one.Groups(), oneStab.Groups()
	for K := 1; K <= 8; K++ {
		var all metrics.Aggregator
		var allStab metrics.Stability
		for k := K - 1; k >= 0; k-- {
			var a metrics.Aggregator
			var s metrics.Stability
			for i := k; i < len(frames); i += K {
				add(&a, &s, frames[i])
			}
			ja, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			js, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var a2 metrics.Aggregator
			var s2 metrics.Stability
			if err := json.Unmarshal(ja, &a2); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js, &s2); err != nil {
				t.Fatal(err)
			}
			all.Merge(&a2)
			allStab.Merge(&s2)
		}
		if got := all.Groups(); !reflect.DeepEqual(got, want) {
			t.Errorf("K=%d: merged groups differ:\n got %+v\nwant %+v", K, got, want)
		}
		if got := allStab.Groups(); !reflect.DeepEqual(got, wantStab) {
			t.Errorf("K=%d: merged stability differs:\n got %+v\nwant %+v", K, got, wantStab)
		}
	}
}

func TestShardStateBadJSON(t *testing.T) {
	var a metrics.Aggregator
	for in, want := range map[string]string{
		`{}`: "cannot unmarshal",
		`[{"key":{"method":"a"},"purity":[1,2],"efficiency":[1]}]`:                "1 efficiency values for 2 frames",
		`[{"key":{"method":"a"},"purity":[]},{"key":{"method":"a"},"purity":[]}]`: "given twice",
	} {
		if err := json.Unmarshal([]byte(in), &a); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Unmarshal(%s) = %v, want %q", in, err, want)
		}
	}
}
