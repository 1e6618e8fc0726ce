package dataset

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shardFrames returns frames 0..n-1 (every index) for the merge tests.
func shardFrames(n int) []Frame {
	frames := testFrames(9, n, 600)
	for i := range frames {
		frames[i].Meta.Frame = int64(i)
	}
	return frames
}

func TestMergeByteIdentical(t *testing.T) {
	frames := shardFrames(10)
	meta := Meta{Source: "simulate", Geometry: "dtc-final", Seed: 11, Config: "frames: 10\n", Frames: 10}
	dir := t.TempDir()
	one := filepath.Join(dir, "one.parquet")
	writeFrames(t, one, meta, frames)
	var even, odd []Frame
	for i := range frames {
		if i%2 == 0 {
			even = append(even, frames[i])
		} else {
			odd = append(odd, frames[i])
		}
	}
	m0, m1 := meta, meta
	m0.Shard, m1.Shard = "0/2", "1/2"
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeFrames(t, a, m0, even)
	writeFrames(t, b, m1, odd)
	out := filepath.Join(dir, "all.parquet")
	calls := 0
	rep, err := Merge(context.Background(), out, []string{b, a}, func() { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Frames != 10 || rep.Inputs != 2 || calls != 10 {
		t.Errorf("report %+v, %d progress calls", rep, calls)
	}
	want, _ := os.ReadFile(one)
	got, _ := os.ReadFile(out)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("merged file (%d bytes) differs from the one-machine file (%d bytes)", len(got), len(want))
	}
}

func TestMergeErrors(t *testing.T) {
	frames := shardFrames(8)
	meta := Meta{Source: "simulate", Seed: 1, Frames: 8}
	dir := t.TempDir()
	write := func(name string, m Meta, shard string, idx ...int) string {
		var fs []Frame
		for _, i := range idx {
			fs = append(fs, frames[i])
		}
		p := filepath.Join(dir, name)
		m.Shard = shard
		writeFrames(t, p, m, fs)
		return p
	}
	s0 := write("s0.parquet", meta, "0/3", 0, 3, 6)
	s1 := write("s1.parquet", meta, "1/3", 1, 4, 7)
	s2 := write("s2.parquet", meta, "2/3", 2, 5)
	s2short := write("s2short.parquet", meta, "2/3", 2)
	s2foreign := write("s2foreign.parquet", meta, "2/3", 2, 4)
	half := write("half.parquet", meta, "1/2", 1, 3, 5, 7)
	otherSeed := meta
	otherSeed.Seed = 2
	c := write("c.parquet", otherSeed, "2/3", 2, 5)
	otherGeom := meta
	otherGeom.Geometry = "gate-3mm-2018"
	g := write("g.parquet", otherGeom, "2/3", 2, 5)
	whole := write("whole.parquet", Meta{Source: "import npz"}, "", 0, 1, 5)

	out := filepath.Join(dir, "out.parquet")
	if rep, err := Merge(context.Background(), out, []string{s2, s0, s1}, nil); err != nil || rep.Frames != 8 {
		t.Fatalf("complete shards: %+v, %v", rep, err)
	}
	// A whole dataset of unknown length (an import) merges alone, gaps and all.
	if rep, err := Merge(context.Background(), out, []string{whole}, nil); err != nil || rep.Frames != 3 {
		t.Fatalf("one whole dataset: %+v, %v", rep, err)
	}
	cases := []struct {
		name   string
		inputs []string
		want   string
	}{
		{"missing shard", []string{s0, s2}, "shard 1/3 is missing (2 of 3 shards given)"},
		{"duplicate shard", []string{s0, s1, s2, s1}, "shard 1/3 is given twice"},
		{"overlapping splits", []string{s0, s1, half}, "is shard 1/2 but"},
		{"missing frame", []string{s0, s1, s2short}, `"` + s2short + `" (shard 2/3) lacks frame 5`},
		{"foreign frame", []string{s0, s1, s2foreign}, `"` + s2foreign + `" (shard 2/3) holds frame 4 of shard 1/3`},
		{"seed", []string{s0, s1, c}, `"` + c + `" (shard 2/3) is not of the run of "` + s0 + `" (shard 0/3): seeds differ (1, 2)`},
		{"geometry", []string{s0, s1, g}, "geometries differ"},
		{"two whole", []string{whole, whole}, "shard 0/1 is given twice"},
		{"missing input", []string{s0, filepath.Join(dir, "nope.parquet")}, "no such file"},
		{"no inputs", nil, "no input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := filepath.Join(dir, tc.name+".parquet")
			_, err := Merge(context.Background(), o, tc.inputs, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(o); !os.IsNotExist(err) {
				t.Errorf("output written despite the error")
			}
		})
	}
}
