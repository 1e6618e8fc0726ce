package dataset_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// randomTracks returns n frames of seeded tracks: frame i has i%4 tracks
// of 1–20 hits (so some frames have none) and every 5th frame is skipped.
func randomTracks(seed uint64, n int) []dataset.FrameTracks {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]dataset.FrameTracks, n)
	for i := range out {
		f := &out[i]
		f.Frame = int64(3*i + 1)
		if i%5 == 4 {
			f.Skip = "fewer than two occupied layers"
			continue
		}
		for t := range i % 4 {
			m := 1 + rng.IntN(20)
			for o := range m {
				f.Hits = append(f.Hits, dataset.TrackHit{
					Track: int32(t), Order: int32(o), Hit: int32(rng.IntN(3000)), Layer: int32(m - o),
					X: float32(rng.NormFloat64() * 30), Y: float32(rng.NormFloat64() * 20), Z: float32(230 + 5*(m-o)),
					Edep: float32(rng.ExpFloat64() * 0.05), EventID: int64(i*100 + t),
				})
			}
		}
	}
	return out
}

func writeTracks(t testing.TB, path string, meta dataset.TracksMeta, frames []dataset.FrameTracks) {
	t.Helper()
	w, err := dataset.CreateTracks(path, meta)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for i := range frames {
		if err := w.Write(&frames[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// sameTracks compares frames, treating nil and empty hit slices alike.
func sameTracks(a, b []dataset.FrameTracks) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d frames, want %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Frame != b[i].Frame || a[i].Skip != b[i].Skip || !slices.Equal(a[i].Hits, b[i].Hits) {
			return fmt.Errorf("frame position %d differs: %d %q %d hits, want %d %q %d hits", i,
				a[i].Frame, a[i].Skip, len(a[i].Hits), b[i].Frame, b[i].Skip, len(b[i].Hits))
		}
	}
	return nil
}

func TestTracksRoundtrip(t *testing.T) {
	meta := dataset.TracksMeta{Method: "physics", Source: "w100.parquet", Config: "unmatched: 0.5",
		Dataset: dataset.Meta{Source: "simulate", Geometry: "dtc", Seed: 7, Frames: 300}}
	// one frame larger than a row group (1<<17 rows)
	big := []dataset.FrameTracks{{Frame: 0}}
	for o := range 140000 {
		big[0].Hits = append(big[0].Hits, dataset.TrackHit{Track: int32(o / 20), Order: int32(o % 20), Layer: int32(40 - o%20), Hit: int32(o)})
	}
	cases := []struct {
		name   string
		frames []dataset.FrameTracks
		tracks int
	}{
		{"no-frames", nil, 0},
		{"small", randomTracks(1, 12), 17},
		{"more-frames-than-a-row-group", randomTracks(2, 300), 360},
		{"big-frame", big, 7000},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".parquet")
			writeTracks(t, path, meta, tc.frames)
			gotMeta, got, err := dataset.ReadAllTracks(path)
			if err != nil {
				t.Fatal(err)
			}
			want := meta
			want.Version = dataset.TracksFormatVersion
			if gotMeta != want {
				t.Errorf("meta = %+v, want %+v", gotMeta, want)
			}
			if err := sameTracks(got, tc.frames); err != nil {
				t.Fatal(err)
			}
			n := 0
			for i := range got {
				n += got[i].NumTracks()
			}
			if n != tc.tracks {
				t.Errorf("%d tracks, want %d", n, tc.tracks)
			}
			// Random access from the end reuses the destination.
			r, err := dataset.OpenTracks(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var f dataset.FrameTracks
			for i := r.NumFrames() - 1; i >= 0; i-- {
				if err := r.ReadFrameInto(&f, i); err != nil {
					t.Fatal(err)
				}
				if err := sameTracks([]dataset.FrameTracks{f}, tc.frames[i:i+1]); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.ReadFrameInto(&f, r.NumFrames()); err == nil {
				t.Error("no error for a frame position out of range")
			}
		})
	}
}

func TestTracksDeterministic(t *testing.T) {
	dir := t.TempDir()
	frames := randomTracks(5, 40)
	meta := dataset.TracksMeta{Method: "truth", Source: "x.parquet"}
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeTracks(t, a, meta, frames)
	writeTracks(t, b, meta, frames)
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if len(da) == 0 || !bytes.Equal(da, db) {
		t.Errorf("two writes of the same tracks differ (%d and %d bytes)", len(da), len(db))
	}
}

func TestFrameTracksStarts(t *testing.T) {
	f := dataset.FrameTracks{Hits: []dataset.TrackHit{
		{Track: 0, Order: 0, Layer: 5}, {Track: 0, Order: 1, Layer: 4},
		{Track: 1, Order: 0, Layer: 9},
		{Track: 2, Order: 0, Layer: 3}, {Track: 2, Order: 1, Layer: 2}, {Track: 2, Order: 2, Layer: 0},
	}}
	if got := f.Starts(nil); !slices.Equal(got, []int32{0, 2, 3, 6}) {
		t.Errorf("Starts = %v, want [0 2 3 6]", got)
	}
	if f.NumTracks() != 3 {
		t.Errorf("NumTracks = %d, want 3", f.NumTracks())
	}
	var empty dataset.FrameTracks
	if got := empty.Starts(nil); !slices.Equal(got, []int32{0}) || empty.NumTracks() != 0 {
		t.Errorf("empty: Starts = %v, NumTracks = %d", got, empty.NumTracks())
	}
}

func TestTracksWriteErrors(t *testing.T) {
	h := func(track, order, layer int32) dataset.TrackHit {
		return dataset.TrackHit{Track: track, Order: order, Layer: layer, Hit: 1}
	}
	nan := h(0, 0, 3)
	nan.Edep = float32(math.NaN())
	neg := h(0, 0, 3)
	neg.Hit = -2
	cases := []struct {
		name  string
		frame dataset.FrameTracks
		want  string
	}{
		{"track-not-from-0", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{h(1, 0, 3)}}, "want track 0 order 0"},
		{"order-gap", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{h(0, 0, 3), h(0, 2, 2)}}, "track hit 1: track 0 order 2"},
		{"track-gap", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{h(0, 0, 3), h(2, 0, 2)}}, "want track 1 order 0"},
		{"layer-not-decreasing", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{h(0, 0, 3), h(0, 1, 3)}}, "layer 3 after layer 3"},
		{"nan", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{nan}}, "non-finite"},
		{"negative-hit", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{neg}}, "negative hit index"},
		{"deep-layer", dataset.FrameTracks{Frame: 9, Hits: []dataset.TrackHit{h(0, 0, dataset.MaxLayer+1)}}, "track hit 0: layer 4096 not in [0, 4095]"},
		{"skip-with-hits", dataset.FrameTracks{Frame: 9, Skip: "empty frame", Hits: []dataset.TrackHit{h(0, 0, 1)}}, "skipped frame"},
		{"frame-order", dataset.FrameTracks{Frame: 2}, "written after frame 5"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".parquet")
			w, err := dataset.CreateTracks(path, dataset.TracksMeta{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if err := w.Write(&dataset.FrameTracks{Frame: 5}); err != nil {
				t.Fatal(err)
			}
			err = w.Write(&tc.frame)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if err2 := w.Write(&dataset.FrameTracks{Frame: 100}); err2 != err {
				t.Errorf("error not sticky: %v", err2)
			}
			if err2 := w.Close(); err2 != err {
				t.Errorf("Close returned %v, want the first error", err2)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output exists after an error: %v", err)
			}
		})
	}
}

func TestOpenTracksErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.parquet")
	if err := os.WriteFile(garbage, []byte("PAR1 this is not parquet PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(dir, "dataset.parquet")
	w, err := dataset.Create(ds, dataset.Meta{Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&dataset.Frame{Hits: []dataset.Hit{{Layer: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "tracks.parquet")
	writeTracks(t, good, dataset.TracksMeta{Method: "truth"}, randomTracks(3, 8))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.parquet")
	if err := os.WriteFile(truncated, data[:len(data)-20], 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		notTracks  bool
	}{
		{"missing", filepath.Join(dir, "missing.parquet"), false},
		{"garbage", garbage, false},
		{"truncated", truncated, false},
		{"dataset", ds, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dataset.OpenTracks(tc.path)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "dataset: ") || !strings.Contains(err.Error(), filepath.Base(tc.path)) {
				t.Errorf("error %q does not start with dataset: and name the file", err)
			}
			if got := errors.Is(err, dataset.ErrNotTracks); got != tc.notTracks {
				t.Errorf("errors.Is(ErrNotTracks) = %v, want %v (%v)", got, tc.notTracks, err)
			}
		})
	}
	// and the other way round: a tracks file is not a dataset
	if _, err := dataset.Open(good); !errors.Is(err, dataset.ErrNotDataset) {
		t.Errorf("dataset.Open of a tracks file: %v, want ErrNotDataset", err)
	}
}

// FuzzTracksRoundtrip writes random tracks and reads them back.
func FuzzTracksRoundtrip(f *testing.F) {
	f.Add(uint64(1), uint8(0))
	f.Add(uint64(2), uint8(17))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		frames := randomTracks(seed, int(n))
		path := filepath.Join(t.TempDir(), "t.parquet")
		meta := dataset.TracksMeta{Method: "m", Source: fmt.Sprint(seed)}
		writeTracks(t, path, meta, frames)
		got, gotFrames, err := dataset.ReadAllTracks(path)
		if err != nil {
			t.Fatal(err)
		}
		meta.Version = dataset.TracksFormatVersion
		if !reflect.DeepEqual(got, meta) {
			t.Errorf("meta %+v, want %+v", got, meta)
		}
		if err := sameTracks(gotFrames, frames); err != nil {
			t.Fatal(err)
		}
	})
}

// Write the two tracks of one frame and a skipped frame, then read them.
func ExampleCreateTracks() {
	path := filepath.Join(os.TempDir(), "pcttrack-example-tracks.parquet")
	defer os.Remove(path)
	w, err := dataset.CreateTracks(path, dataset.TracksMeta{Method: "truth", Source: "w100.parquet"})
	if err != nil {
		panic(err)
	}
	defer w.Abort()
	frames := []dataset.FrameTracks{
		{Frame: 0, Hits: []dataset.TrackHit{
			{Track: 0, Order: 0, Hit: 4, Layer: 2, EventID: 7}, {Track: 0, Order: 1, Hit: 0, Layer: 1, EventID: 7},
			{Track: 1, Order: 0, Hit: 5, Layer: 2, EventID: 8}, {Track: 1, Order: 1, Hit: 1, Layer: 1, EventID: 8},
		}},
		{Frame: 1, Skip: "empty frame"},
	}
	for i := range frames {
		if err := w.Write(&frames[i]); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	meta, got, err := dataset.ReadAllTracks(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(meta.Method, len(got))
	for _, f := range got {
		fmt.Printf("frame %d: %d tracks, starts %v, skip %q\n", f.Frame, f.NumTracks(), f.Starts(nil), f.Skip)
	}
	// Output:
	// truth 2
	// frame 0: 2 tracks, starts [0 2 4], skip ""
	// frame 1: 0 tracks, starts [0], skip "empty frame"
}
