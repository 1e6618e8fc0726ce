package compare

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/internal/zootest"
	"github.com/pcttrack/pcttrack/model"
	"github.com/pcttrack/pcttrack/shard"
	"github.com/pcttrack/pcttrack/zoo"
)

func TestMinMaxHandMade(t *testing.T) {
	// Ten segments, labels all true; a model's errors are the segments it
	// assigns false.
	mk := func(errs ...int) []bool {
		a := make([]bool, 10)
		for i := range a {
			a[i] = true
		}
		for _, e := range errs {
			a[e] = false
		}
		return a
	}
	label := mk()
	cases := []struct {
		name string
		a, b []bool
		want float64
	}{
		{"identical", mk(1, 2, 3), mk(1, 2, 3), 0},
		{"nested errors: the least disagreement", mk(1, 2, 3, 4), mk(1, 2), 0},
		{"disjoint errors: the most", mk(1, 2), mk(5, 6, 7), 1},
		{"complementary predictions", mk(0, 1, 2, 3, 4, 5), mk(6, 7, 8, 9), 1},
		// q_a = q_b = 0.6 > 1/2, m = 0.8: m_max = 1, so (0.8 − 0)/(1 − 0)
		{"errors covering everything", mk(0, 1, 2, 3, 4, 5), mk(4, 5, 6, 7, 8, 9), 0.8},
		// q_a = q_b = 0.3, m = 0.2: (0.2 − 0)/(0.6 − 0)
		{"partial overlap", mk(1, 2, 3), mk(2, 3, 4), 1.0 / 3},
		// q_a = 0.4, q_b = 0.2, m = 0.4: (0.4 − 0.2)/(0.6 − 0.2)
		{"partial overlap, unequal", mk(1, 2, 3, 4), mk(4, 5), 0.5},
		{"both perfect", mk(), mk(), 0},
	}
	for _, tc := range cases {
		c := Counts{Edges: 10, ErrA: errorsOf(tc.a, label), ErrB: errorsOf(tc.b, label), Differ: differ(tc.a, tc.b)}
		if got := c.MinMax(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: MinMax %v = %.6f, want %.6f", tc.name, c, got, tc.want)
		}
	}
	// Random predictions always fall within the bounds.
	rng := rand.New(rand.NewPCG(1, 1))
	for range 1000 {
		var c Counts
		n := 1 + rng.IntN(30)
		a, b, l := make([]bool, n), make([]bool, n), make([]bool, n)
		for i := range a {
			a[i], b[i], l[i] = rng.IntN(2) == 0, rng.IntN(3) == 0, rng.IntN(2) == 0
		}
		c = Counts{Edges: int64(n), ErrA: errorsOf(a, l), ErrB: errorsOf(b, l), Differ: differ(a, b)}
		if v := c.MinMax(); !(v >= -1e-12 && v <= 1+1e-12) {
			t.Fatalf("MinMax %v = %g outside [0, 1]", c, v)
		}
	}
}

// buildZoo returns four models (two PTT, two PAT) on 4 frames of 25
// protons, plus a copy of the first one.
func buildZoo(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	specs := []zootest.Spec{
		{Method: "ptt", Seed: 0}, {Method: "ptt", Seed: 1},
		{Method: "pat", Lambda: 25, Seed: 0}, {Method: "pat", Lambda: 25, Seed: 1},
	}
	paths := zootest.Build(t, dir, 4, 25, specs)
	// a copy of the first model in its own run directory
	cp := filepath.Join(dir, "copy")
	if err := os.MkdirAll(cp, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"config.yaml", "best.ckpt"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(paths[0]), f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return append(paths, filepath.Join(cp, "best.ckpt"))
}

func loadZoo(t *testing.T, paths []string) ([]*zoo.Member, *zoo.Data) {
	t.Helper()
	ms, d, err := zootest.Load(paths, 2)
	if err != nil {
		t.Fatal(err)
	}
	return ms, d
}

func TestRunShardsMergeAndIdentity(t *testing.T) {
	paths := buildZoo(t)
	ms, d := loadZoo(t, paths)
	opt := Options{CKA: true, CKARows: 64, CKABatch: 16, Seed: 3}
	one, err := Run(context.Background(), ms, d, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Pairs) != 10 {
		t.Fatalf("%d pairs, want 10", len(one.Pairs))
	}
	// The copy of PTTs0 (renamed PTTs0-2) agrees with it exactly.
	var a, b = -1, -1
	for i, m := range ms {
		switch m.Name {
		case "PTTs0":
			a = i
		case "PTTs0-2":
			b = i
		}
	}
	if a < 0 || b < 0 {
		t.Fatalf("names %v", names(ms))
	}
	var differentSeen bool
	for _, p := range one.Pairs {
		if (p.A == a && p.B == b) || (p.A == b && p.B == a) {
			for v := range p.Counts {
				if p.Counts[v].Differ != 0 || p.Disagreement[v] != 0 {
					t.Errorf("identical models: %s differ on %d segments, disagreement %g", Variant(v), p.Counts[v].Differ, p.Disagreement[v])
				}
			}
			for m := range p.CKA.Value {
				for l, c := range p.CKA.Value[m] {
					if math.Abs(c-1) > 1e-9 {
						t.Errorf("identical models: CKA %s layer %d = %.12f, want 1", model.Modules[m], l, c)
					}
				}
			}
			continue
		}
		if p.Counts[0].Differ > 0 {
			differentSeen = true
		}
		for m := range p.CKA.Value {
			for _, c := range p.CKA.Value[m] {
				if math.IsNaN(c) || c > 1+1e-9 {
					t.Errorf("CKA %g", c)
				}
			}
		}
	}
	if !differentSeen {
		t.Error("different models never disagree")
	}
	for _, k := range []int{2, 3} {
		var parts []*Result
		for i := 0; i < k; i++ {
			o := opt
			o.Shard = shard.Shard{Index: i, Count: k}
			o.Workers = 1 + i%2
			r, err := Run(context.Background(), ms, d, o)
			if err != nil {
				t.Fatal(err)
			}
			// through JSON, as the CLI passes shards
			b, _ := json.Marshal(r)
			var back Result
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, &back)
		}
		merged, err := Merge(parts)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(t, merged, one) {
			t.Fatalf("%d shards merged differ from the one-process result", k)
		}
		if _, err := Merge(parts[:k-1]); err == nil {
			t.Error("merge of an incomplete shard set succeeded")
		}
	}
	if err := CheckShard(shard.Shard{Index: 0, Count: 11}, len(ms)); err == nil || !strings.Contains(err.Error(), "cannot be split") {
		t.Errorf("11 shards of 10 pairs: %v", err)
	}
}

func sameJSON(t *testing.T, a, b *Result) bool {
	t.Helper()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func names(ms []*zoo.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func TestResume(t *testing.T) {
	paths := buildZoo(t)[:3]
	ms, d := loadZoo(t, paths)
	state := filepath.Join(t.TempDir(), "state.json")
	opt := Options{CKA: true, CKARows: 32, CKABatch: 8, Resumable: zoo.Resumable{State: state, SaveEvery: 1}}
	full, err := Run(context.Background(), ms, d, Options{CKA: true, CKARows: 32, CKABatch: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := opt
	o.onFold = func(done int) {
		if done == 1 {
			cancel()
		}
	}
	o.Workers = 1
	part, err := Run(ctx, ms, d, o)
	if !errors.Is(err, context.Canceled) || part.Done < 1 || part.Done >= d.Len() {
		t.Fatalf("interrupted run: err %v after %d frames", err, part.Done)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no state saved: %v", err)
	}
	o = opt
	o.Resume = true
	res, err := Run(context.Background(), ms, d, o)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, res, full) {
		t.Fatal("resumed result differs from the uninterrupted one")
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Error("state file left after the run finished")
	}
}

func TestBadZoos(t *testing.T) {
	dir := t.TempDir()
	lg := zootest.Build(t, filepath.Join(dir, "lg"), 2, 10, []zootest.Spec{{Method: "ptt", Seed: 0}})
	hg := zootest.Build(t, filepath.Join(dir, "hg"), 2, 10, []zootest.Spec{{Method: "ptt", Seed: 1, Model: model.Config{Kind: model.KindHitGraph, Hidden: 8}}})
	other := zootest.Build(t, filepath.Join(dir, "graph"), 2, 10, []zootest.Spec{{Method: "ptt", Seed: 2}})
	// another cone in the run config: other graph options
	cfgPath := filepath.Join(filepath.Dir(other[0]), "config.yaml")
	b, _ := os.ReadFile(cfgPath)
	b = regexp.MustCompile(`tracker_cone: [0-9.e-]+`).ReplaceAll(b, []byte("tracker_cone: 0.123"))
	os.WriteFile(cfgPath, b, 0o644)
	// NaN weights: flip a parameter to NaN in a saved checkpoint
	nanDir := filepath.Join(dir, "nan")
	os.MkdirAll(nanDir, 0o755)
	net, _, err := model.Load(lg[0])
	if err != nil {
		t.Fatal(err)
	}
	net.Params()[3].Value.Data[0] = float32(math.NaN())
	nan := filepath.Join(nanDir, "best.ckpt")
	if err := model.Save(nan, net, nil, nil); err == nil {
		if _, _, err := model.Load(nan); err == nil {
			t.Fatal("a NaN checkpoint loads")
		}
	}
	cases := []struct {
		name  string
		paths []string
		want  string
	}{
		{"architectures", []string{lg[0], hg[0]}, "different architectures"},
		{"graph options", []string{lg[0], other[0]}, "hit-graph options"},
		{"NaN weights", []string{lg[0], nan}, "nan"},
		{"one model", lg, "need at least 2"},
		{"twice", []string{lg[0], lg[0]}, "twice"},
	}
	for _, tc := range cases {
		_, err := zoo.Load(tc.paths, 2, true)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: multi-line error %q", tc.name, err)
		}
	}
}
