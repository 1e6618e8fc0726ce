package model

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/nn"
)

func encoded(t testing.TB, net Net, opt nn.Optimizer[float32], meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := NewCheckpoint(net, opt, meta).Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckpointRoundTrip(t *testing.T) {
	forKinds(t, func(t *testing.T, kind string) {
		cfg := Config{Kind: kind}
		rng := rand.New(rand.NewPCG(1, 2))
		net, _ := New(cfg, rng)
		perturb(net, rng)
		in := smallInput(t, cfg, 21)
		want := net.Predict(nil, in)
		path := filepath.Join(t.TempDir(), "m.ckpt")
		meta := map[string]string{"step": "1200", "seed": "7"}
		if err := Save(path, net, nil, meta); err != nil {
			t.Fatal(err)
		}
		got, ck, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(ck.Meta, meta) || ck.Optimizer != nil || ck.Config.Kind != kind {
			t.Fatalf("metadata %v, optimizer %v, kind %q", ck.Meta, ck.Optimizer, ck.Config.Kind)
		}
		for i, p := range net.Params() {
			if !reflect.DeepEqual(p.Value.Data, got.Params()[i].Value.Data) {
				t.Fatalf("parameter %s differs after loading", p.Name)
			}
		}
		if probs := got.Predict(nil, in); !reflect.DeepEqual(probs, want) {
			t.Fatal("loaded model predicts differently")
		}
		// LoadInto a freshly initialised model of the same architecture.
		other, _ := New(cfg, rand.New(rand.NewPCG(9, 9)))
		if _, err := LoadInto(path, other); err != nil {
			t.Fatal(err)
		}
		if probs := other.Predict(nil, in); !reflect.DeepEqual(probs, want) {
			t.Fatal("LoadInto model predicts differently")
		}
	})
}

// TestResumeIsBitIdentical trains 6 steps straight, and 3 steps, a
// checkpoint, a reload and 3 more steps: the parameters must agree bit
// for bit (parameters, batch-norm statistics and RMSprop state are saved).
func TestResumeIsBitIdentical(t *testing.T) {
	in := smallInput(t, Config{}, 23)
	train := func(net Net, opt nn.Optimizer[float32], steps int) {
		tp := nn.NewTape[float32]()
		var l SplitBCE[float32]
		for s := 0; s < steps; s++ {
			net.ZeroGrad()
			for f := 0; f < 2; f++ { // two accumulated frames per step
				tp.Reset()
				tp.Backward(l.Loss(tp, net.Forward(tp, in), in))
			}
			opt.Step(2)
		}
	}
	newRun := func() (Net, nn.Optimizer[float32]) {
		net, _ := New(Config{}, rand.New(rand.NewPCG(4, 4)))
		opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{Kind: "rmsprop", LR: 0.01})
		return net, opt
	}
	a, optA := newRun()
	train(a, optA, 6)

	b, optB := newRun()
	train(b, optB, 3)
	path := filepath.Join(t.TempDir(), "resume.ckpt")
	if err := Save(path, b, optB, map[string]string{"step": "3"}); err != nil {
		t.Fatal(err)
	}
	c, ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	optC, err := ck.RestoreOptimizer(c)
	if err != nil {
		t.Fatal(err)
	}
	train(c, optC, 3)
	for i, p := range a.Params() {
		if !reflect.DeepEqual(p.Value.Data, c.Params()[i].Value.Data) {
			t.Fatalf("parameter %s differs between the straight and the resumed run", p.Name)
		}
	}
	if optC.Settings().Steps != 6 {
		t.Fatalf("resumed optimizer counts %d steps, want 6", optC.Settings().Steps)
	}
}

func TestCheckpointErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	lgNet, _ := New(Config{}, rng)
	hgNet, _ := New(Config{Kind: KindHitGraph}, rng)
	good := encoded(t, lgNet, nil, nil)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x10
	badMagic := append([]byte("NOTACKPT"), good[8:]...)
	cases := []struct {
		name    string
		data    []byte
		corrupt bool
		msg     string
	}{
		{"empty", nil, true, "too short"},
		{"truncated header", good[:40], true, "checksum"},
		{"truncated data", good[:len(good)-100], true, "checksum"},
		{"missing crc", good[:len(good)-4], true, "checksum"},
		{"bit flip", flipped, true, "checksum"},
		{"bad magic", badMagic, true, "magic"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(write(strings.ReplaceAll(tc.name, " ", "_"), tc.data))
			if err == nil {
				t.Fatal("corrupt checkpoint loaded")
			}
			if errors.Is(err, ErrCorrupt) != tc.corrupt || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), dir) {
				t.Fatalf("error %q: want ErrCorrupt=%v mentioning %q and the path", err, tc.corrupt, tc.msg)
			}
		})
	}
	t.Run("other architecture", func(t *testing.T) {
		p := write("hg.ckpt", encoded(t, hgNet, nil, nil))
		_, err := LoadInto(p, lgNet)
		if err == nil || !strings.Contains(err.Error(), "holds a hitgraph model") {
			t.Fatalf("loading a hit-graph checkpoint into a line-graph model: %v", err)
		}
		small, _ := New(Config{Hidden: 8}, rng)
		p = write("small.ckpt", encoded(t, small, nil, nil))
		if _, err := LoadInto(p, lgNet); err == nil || !strings.Contains(err.Error(), "hidden 8") {
			t.Fatalf("loading a hidden-8 checkpoint into a hidden-16 model: %v", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, _, err := Load(filepath.Join(dir, "nope.ckpt")); err == nil || !strings.Contains(err.Error(), "nope.ckpt") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("unwritable directory", func(t *testing.T) {
		p := filepath.Join(dir, "no", "such", "dir", "m.ckpt")
		if err := Save(p, lgNet, nil, nil); err == nil {
			t.Fatal("saved into a missing directory")
		}
	})
}

func FuzzCheckpoint(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 5))
	net, _ := New(Config{Hidden: 4, EncodingDim: 4}, rng)
	opt, _ := nn.NewOptimizer(net.Params(), nn.OptimizerSettings{Kind: "adam"})
	// The fuzzer mutates the body; the checksum is recomputed so that the
	// header and tensor parsing behind it get exercised too.
	body := func(b []byte) []byte { return b[:len(b)-4] }
	f.Add(body(encoded(f, net, opt, map[string]string{"step": "1"})))
	f.Add(body(encoded(f, net, nil, nil)))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
		c, err := Decode(data)
		if err != nil {
			return
		}
		// Whatever decodes must survive a round trip unchanged.
		var buf bytes.Buffer
		if err := c.Encode(&buf); err != nil {
			t.Fatalf("re-encoding a decoded checkpoint: %v", err)
		}
		d, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("decoding a re-encoded checkpoint: %v", err)
		}
		if !reflect.DeepEqual(c, d) {
			t.Fatal("round trip changed the checkpoint")
		}
		if n, err := c.Net(); err == nil {
			_ = n.Params()
		}
	})
}

// TestCheckpointVersion1: a checkpoint written before graph options were
// recorded (testdata/v1-linegraph.ckpt, by 43379da from the model of
// New(Config{}, PCG(13, 1))) loads, holds that model and means the paper's
// graphs.
func TestCheckpointVersion1(t *testing.T) {
	net, ck, err := Load("testdata/v1-linegraph.ckpt")
	if err != nil {
		t.Fatal(err)
	}
	if ck.Version != 1 || ck.Graph != nil || ck.GraphOptions() != (graph.Options{}) || ck.Meta["note"] != "written by 43379da" {
		t.Fatalf("version %d, graph %v, meta %v", ck.Version, ck.Graph, ck.Meta)
	}
	want, _ := New(Config{}, rand.New(rand.NewPCG(13, 1)))
	for i, p := range want.Params() {
		if !slices.Equal(p.Value.Data, net.Params()[i].Value.Data) {
			t.Fatalf("parameter %s differs", p.Name)
		}
	}
}

// TestCheckpointGraphOptions: the graph options a checkpoint records come
// back resolved and without Validate; a version-1 header that claims them
// and invalid ones are errors; a checkpoint without them is still written
// as version 2 with no graph field.
func TestCheckpointGraphOptions(t *testing.T) {
	net, _ := New(Config{}, rand.New(rand.NewPCG(1, 2)))
	dir := t.TempDir()
	c := NewCheckpoint(net, nil, nil)
	c.Graph = &graph.Options{TrackerCut: 4, PhysicsCut: 3, Validate: true}
	path := filepath.Join(dir, "sparse.ckpt")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	_, ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := graph.Options{TrackerCut: 4, PhysicsCut: 3}.Resolved()
	if ck.Version != CheckpointVersion || ck.Graph == nil || *ck.Graph != want {
		t.Fatalf("version %d, graph %+v, want %+v", ck.Version, ck.Graph, want)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Contains(data, []byte(`"tracker_cut":4`)) || bytes.Contains(data, []byte(`"validate":true`)) {
		t.Errorf("header does not record the cuts (or records validate): %.400s", data[16:])
	}
	// the same bytes labelled version 1 are rejected: v1 has no graph
	v1 := slices.Clone(data)
	binary.LittleEndian.PutUint32(v1[8:], 1)
	binary.LittleEndian.PutUint32(v1[len(v1)-4:], crc32.ChecksumIEEE(v1[:len(v1)-4]))
	if _, err := Decode(v1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version-1 header with graph options: %v", err)
	}
	// invalid recorded options
	bad := bytes.Replace(data, []byte(`"tracker_cut":4`), []byte(`"tracker_cut":-4`), 1)
	binary.LittleEndian.PutUint32(bad[12:], binary.LittleEndian.Uint32(data[12:])+1)
	binary.LittleEndian.PutUint32(bad[len(bad)-4:], crc32.ChecksumIEEE(bad[:len(bad)-4]))
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "graph options") {
		t.Errorf("negative tracker cut: %v", err)
	}
	// Save records nothing: the paper's graphs
	plain := filepath.Join(dir, "plain.ckpt")
	if err := Save(plain, net, nil, nil); err != nil {
		t.Fatal(err)
	}
	_, ck, err = Load(plain)
	if err != nil || ck.Graph != nil || ck.Version != CheckpointVersion {
		t.Fatalf("plain checkpoint: %v, graph %v, version %d", err, ck.Graph, ck.Version)
	}
}
