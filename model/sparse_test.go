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
