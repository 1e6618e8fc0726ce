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
	if rep.Frames != 10 || rep.Inputs != 2 || len(rep.Missing) != 0 || calls != 10 {
		t.Errorf("report %+v, %d progress calls", rep, calls)
	}
	want, _ := os.ReadFile(one)
	got, _ := os.ReadFile(out)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Fatalf("merged file (%d bytes) differs from the one-machine file (%d bytes)", len(got), len(want))
	}
}

func TestMergeErrorsAndGaps(t *testing.T) {
	frames := shardFrames(8)
	meta := Meta{Source: "simulate", Seed: 1, Frames: 8}
	dir := t.TempDir()
	write := func(name string, m Meta, idx ...int) string {
		var fs []Frame
		for _, i := range idx {
			fs = append(fs, frames[i])
		}
		p := filepath.Join(dir, name)
		writeFrames(t, p, m, fs)
		return p
	}
	a := write("a.parquet", meta, 0, 2, 4)
	b := write("b.parquet", meta, 1, 5)
	dup := write("dup.parquet", meta, 3, 4)
	otherSeed := meta
	otherSeed.Seed = 2
	c := write("c.parquet", otherSeed, 6)
	otherGeom := meta
	otherGeom.Geometry = "gate-3mm-2018"
	g := write("g.parquet", otherGeom, 7)

	out := filepath.Join(dir, "out.parquet")
	rep, err := Merge(context.Background(), out, []string{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatRanges(rep.Missing); got != "3, 6-7" || rep.Frames != 5 {
		t.Errorf("missing %q frames %d, want \"3, 6-7\" 5", got, rep.Frames)
	}
	cases := []struct {
		name   string
		inputs []string
		want   string
	}{
		{"duplicate frame", []string{a, dup}, "frame 4 is in more than one input"},
		{"seed", []string{a, c}, "seeds differ"},
		{"geometry", []string{a, g}, "geometries differ"},
		{"missing input", []string{a, filepath.Join(dir, "nope.parquet")}, "no such file"},
		{"no inputs", nil, "no input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := filepath.Join(dir, tc.name+".parquet")
			_, err := Merge(context.Background(), o, tc.inputs, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(o); !os.IsNotExist(err) {
				t.Errorf("output written despite the error")
			}
		})
	}
}
