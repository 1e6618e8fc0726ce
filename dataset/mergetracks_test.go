package dataset_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// tracksShards writes the K shard files of frames (the frames at positions
// i with i mod K = k) and returns their paths.
func tracksShards(t *testing.T, dir string, meta dataset.TracksMeta, frames []dataset.FrameTracks, K int) []string {
	t.Helper()
	var paths []string
	for k := range K {
		var part []dataset.FrameTracks
		for i := k; i < len(frames); i += K {
			part = append(part, frames[i])
		}
		m := meta
		m.Shard = fmt.Sprintf("%d/%d", k, K)
		p := filepath.Join(dir, fmt.Sprintf("t-%d-of-%d.parquet", k, K))
		writeTracks(t, p, m, part)
		paths = append(paths, p)
	}
	return paths
}

func TestMergeTracksByteIdentical(t *testing.T) {
	frames := randomTracks(5, 23)
	meta := dataset.TracksMeta{Method: "physics", Source: "d.parquet", Options: `{"paper":false}`, Frames: 23,
		Dataset: dataset.Meta{Source: "simulate", Seed: 4, Frames: 23}}
	dir := t.TempDir()
	one := filepath.Join(dir, "one.parquet")
	writeTracks(t, one, meta, frames)
	want, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	for K := 1; K <= 8; K++ {
		paths := tracksShards(t, dir, meta, frames, K)
		// reversed, so the merge must order the frames itself
		for i, j := 0, len(paths)-1; i < j; i, j = i+1, j-1 {
			paths[i], paths[j] = paths[j], paths[i]
		}
		out := filepath.Join(dir, fmt.Sprintf("merged-%d.parquet", K))
		rep, err := dataset.MergeTracks(context.Background(), out, paths, nil)
		if err != nil {
			t.Fatalf("K=%d: %v", K, err)
		}
		got, _ := os.ReadFile(out)
		if rep.Frames != 23 || rep.Inputs != K || !bytes.Equal(got, want) {
			t.Fatalf("K=%d: %+v; merged file (%d bytes) differs from the one-process file (%d bytes)", K, rep, len(got), len(want))
		}
	}
}

func TestMergeTracksErrors(t *testing.T) {
	frames := randomTracks(6, 9)
	meta := dataset.TracksMeta{Method: "physics", Source: "d.parquet", Frames: 9}
	dir := t.TempDir()
	s := tracksShards(t, dir, meta, frames, 3)
	other := meta
	other.Method = "follower"
	od := filepath.Join(dir, "other")
	os.Mkdir(od, 0o755)
	o := tracksShards(t, od, other, frames, 3)
	short := filepath.Join(dir, "short.parquet")
	m := meta
	m.Shard = "2/3"
	writeTracks(t, short, m, frames[2:3])
	dup := filepath.Join(dir, "dup.parquet")
	m.Shard = "1/3"
	writeTracks(t, dup, m, []dataset.FrameTracks{frames[0], frames[4], frames[7]})
	cases := []struct {
		name   string
		inputs []string
		want   string
	}{
		{"missing shard", s[:2], "shard 2/3 is missing"},
		{"duplicate shard", []string{s[0], s[1], s[2], s[0]}, "shard 0/3 is given twice"},
		{"other run", []string{s[0], s[1], o[2]}, `(shard 2/3) is not of the run of "` + s[0] + `" (shard 0/3): methods differ ("physics", "follower")`},
		{"short shard", []string{s[0], s[1], short}, `"` + short + `" (shard 2/3) holds 1 frames, want 3 of the run's 9`},
		{"overlap", []string{s[0], dup, s[2]}, "frame 1 is in more than one input"},
		{"dataset file", []string{filepath.Join(dir, "nope.parquet")}, "no such file"},
		{"none", nil, "no input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".parquet")
			_, err := dataset.MergeTracks(context.Background(), out, tc.inputs, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("output written despite the error")
			}
		})
	}
}
