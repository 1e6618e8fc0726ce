package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// testFrames returns n seeded frames; frame i has i*hits/n+i%3 hits, so
// the first is empty and sizes vary.
func testFrames(seed uint64, n, hits int) []Frame {
	rng := rand.New(rand.NewPCG(seed, 7))
	frames := make([]Frame, n)
	for i := range frames {
		f := &frames[i]
		f.Meta = FrameMeta{Frame: int64(2 * i), SpotX: rng.NormFloat64(), SpotY: -1.5, Phantom: "water:100",
			PhantomThickness: 100, BeamEnergy: 230, ProtonsPerFrame: 100, Seed: seed, Geometry: "dtc-final"}
		m := 0
		if i > 0 {
			m = i*hits/n + i%3
		}
		for j := range m {
			f.Hits = append(f.Hits, Hit{
				Layer: int32(rng.IntN(50)), X: float32(rng.NormFloat64() * 50), Y: float32(rng.NormFloat64() * 30),
				Z: float32(rng.Float64() * 300), Edep: float32(rng.ExpFloat64() * 0.1), ClusterSize: int32(2 + rng.IntN(30)),
				EventID: int64(i*1000 + j/10), TrackID: int32(1 + j%3), ParentID: int32(j % 3), PDG: PDGProton, Primary: j%3 == 0,
			})
		}
	}
	return frames
}

func writeFrames(t testing.TB, path string, meta Meta, frames []Frame) {
	t.Helper()
	if err := WriteFile(context.Background(), path, meta, frames); err != nil {
		t.Fatal(err)
	}
}

func equalFrames(a, b []Frame) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Meta != b[i].Meta || len(a[i].Hits) != len(b[i].Hits) {
			return false
		}
		for j := range a[i].Hits {
			if a[i].Hits[j] != b[i].Hits[j] {
				return false
			}
		}
	}
	return true
}

func TestRoundtrip(t *testing.T) {
	meta := Meta{Source: "simulate", Geometry: "dtc-final", Seed: 42, Config: "seed: 42\nframes: 20\n", Frames: 40, Shard: "1/2"}
	big := testFrames(3, 3, 300000) // frames larger than a row group
	cases := []struct {
		name   string
		frames []Frame
	}{
		{"no frames", nil},
		{"one empty frame", []Frame{{Meta: FrameMeta{Frame: 7}}}},
		{"empty frames between", []Frame{{Meta: FrameMeta{Frame: 0}}, testFrames(1, 2, 10)[1], {Meta: FrameMeta{Frame: 9}}}},
		{"many frames, several row groups", testFrames(2, 300, 2000)},
		{"big frames", big},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "d.parquet")
			writeFrames(t, p, meta, tc.frames)
			gm, got, err := ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			if !equalFrames(got, tc.frames) && !(len(got) == 0 && len(tc.frames) == 0) {
				t.Fatalf("frames differ after the round trip")
			}
			want := meta
			want.Version = FormatVersion
			if gm != want {
				t.Errorf("meta %+v, want %+v", gm, want)
			}
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			// Random access in reverse order, reusing one frame.
			var f Frame
			for i := r.NumFrames() - 1; i >= 0; i-- {
				if err := r.ReadFrameInto(&f, i); err != nil {
					t.Fatal(err)
				}
				if !equalFrames([]Frame{f}, tc.frames[i:i+1]) || r.FrameHits(i) != len(f.Hits) {
					t.Fatalf("frame %d differs", i)
				}
			}
			if _, err := r.ReadFrame(r.NumFrames()); err == nil {
				t.Error("ReadFrame past the end gave no error")
			}
		})
	}
}

// FuzzRoundtrip writes random frames and reads them back.
func FuzzRoundtrip(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint16(50))
	f.Add(uint64(2), uint8(0), uint16(0))
	f.Add(uint64(3), uint8(40), uint16(900))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, hits uint16) {
		frames := testFrames(seed, int(n%50), int(hits%5000)) // keep each run fast
		p := filepath.Join(t.TempDir(), "f.parquet")
		writeFrames(t, p, Meta{Source: "fuzz", Seed: seed}, frames)
		_, got, err := ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if !equalFrames(got, frames) && len(frames) > 0 {
			t.Fatal("frames differ after the round trip")
		}
	})
}

func TestDeterministic(t *testing.T) {
	frames := testFrames(5, 50, 3000)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	writeFrames(t, a, Meta{Source: "simulate", Seed: 5}, frames)
	writeFrames(t, b, Meta{Source: "simulate", Seed: 5, Shard: "0/1"}, frames) // "0/1" is stored as ""
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if len(ba) == 0 || !bytes.Equal(ba, bb) {
		t.Fatalf("two writes of the same frames differ (%d and %d bytes)", len(ba), len(bb))
	}
}

func TestWriterErrors(t *testing.T) {
	good := testFrames(1, 3, 30)
	nan := testFrames(1, 3, 30)
	nan[2].Hits[1].X = float32(math.NaN())
	badMeta := testFrames(1, 3, 30)
	badMeta[1].Meta.BeamEnergy = math.Inf(1)
	negPPF := testFrames(1, 3, 30)
	negPPF[1].Meta.ProtonsPerFrame = -1
	deep := testFrames(1, 3, 30)
	deep[2].Hits[4].Layer = MaxLayer + 1
	negLayer := testFrames(1, 3, 30)
	negLayer[1].Hits[0].Layer = -1
	cases := []struct {
		name   string
		frames []Frame
		want   string
	}{
		{"not increasing", []Frame{good[1], good[0]}, "strictly increasing"},
		{"repeated", []Frame{good[1], good[1]}, "strictly increasing"},
		{"NaN position", nan, "non-finite"},
		{"infinite energy meta", badMeta, "beam energy"},
		{"negative protons", negPPF, "negative protons"},
		{"layer beyond MaxLayer", deep, "frame 4 hit 4: layer 4096 not in [0, 4095]"},
		{"negative layer", negLayer, "frame 2 hit 0: layer -1 not in [0, 4095]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "d.parquet")
			w, err := Create(p, Meta{})
			if err != nil {
				t.Fatal(err)
			}
			var first error
			for i := range tc.frames {
				if err := w.Write(&tc.frames[i]); err != nil && first == nil {
					first = err
				}
			}
			if first == nil || !strings.Contains(first.Error(), tc.want) {
				t.Fatalf("write error %v, want %q", first, tc.want)
			}
			if err := w.Close(); err != first {
				t.Errorf("Close returned %v, want the sticky %v", err, first)
			}
			if err := w.Close(); err != first {
				t.Errorf("second Close returned %v", err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("files left after a failed write: %v", ents)
			}
		})
	}
}

// TestReadBadLayer: a file holding a layer beyond MaxLayer (written past
// the writer's checks, as a damaged or foreign file would be) is refused
// when the frame is read.
func TestReadBadLayer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.parquet")
	frames := testFrames(1, 2, 20)
	w, err := Create(p, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&frames[0]); err != nil {
		t.Fatal(err)
	}
	// frame 1 as Write would store it, one layer 2·10⁹
	f := &frames[1]
	for i, h := range f.Hits {
		if i == 3 {
			h.Layer = 2_000_000_000
		}
		w.rows = append(w.rows, hitRow{Frame: f.Meta.Frame, Layer: h.Layer, X: h.X, Y: h.Y, Z: h.Z, Edep: h.Edep, EventID: h.EventID})
	}
	first, err := w.writeFrame(f.Meta.Frame)
	if err != nil {
		t.Fatal(err)
	}
	w.table.add(&f.Meta, first, int64(len(f.Hits)))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ReadFrame(0); err != nil {
		t.Fatalf("frame 0: %v", err)
	}
	_, err = r.ReadFrame(1)
	if want := fmt.Sprintf("frame %d: hit 3: layer 2000000000 not in [0, 4095]", f.Meta.Frame); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}

func TestWriterAbort(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(filepath.Join(dir, "d.parquet"), Meta{})
	if err != nil {
		t.Fatal(err)
	}
	fr := testFrames(1, 5, 100)
	for i := range fr {
		if err := w.Write(&fr[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Abort()
	if err := w.Close(); !errors.Is(err, errAborted) {
		t.Errorf("Close after Abort: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("files left after Abort: %v", ents)
	}
	if _, err := Create(filepath.Join(dir, "x.parquet"), Meta{Shard: "3/2"}); err == nil {
		t.Error("Create accepted shard 3/2")
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir.parquet"), Meta{}); err == nil {
		t.Error("Create in a missing directory gave no error")
	}
}

func TestOpenBadFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeFrames(t, good, Meta{Source: "x"}, testFrames(4, 20, 500))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// A valid Parquet file that is not a dataset.
	other := filepath.Join(dir, "other.parquet")
	type row struct {
		A int64 `parquet:"a"`
	}
	if err := parquet.WriteFile(other, []row{{1}, {2}}); err != nil {
		t.Fatal(err)
	}
	otherData, _ := os.ReadFile(other)
	// Corrupt pages: flip bytes in the middle (data pages, not the footer).
	pages := bytes.Clone(data)
	for i := len(pages) / 4; i < len(pages)/2; i += 3 {
		pages[i] ^= 0xa5
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", []byte{}, "not a readable Parquet"},
		{"random", bytes.Repeat([]byte("PAR1\x00\xff"), 100), "not a readable Parquet"},
		{"truncated", data[:len(data)-100], "not a readable Parquet"},
		{"truncated half", data[:len(data)/2], "not a readable Parquet"},
		{"other parquet", otherData, "not a pcttrack dataset"},
		{"corrupt pages", pages, "frame"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".parquet")
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := ReadAll(p)
			var fe *FormatError
			if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("error %v, want a FormatError naming the file and containing %q", err, tc.want)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "absent.parquet")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("Open of a missing file: %v", err)
	}
}

// TestGenericReader reads a dataset with parquet-go's generic row reader,
// an independent path from the Reader's column decoding, as pandas users do.
func TestGenericReader(t *testing.T) {
	frames := testFrames(6, 12, 400)
	p := filepath.Join(t.TempDir(), "g.parquet")
	writeFrames(t, p, Meta{Source: "simulate"}, frames)
	type pandasRow struct {
		Frame   int64   `parquet:"frame"`
		Layer   int32   `parquet:"layer"`
		X       float32 `parquet:"x"`
		Edep    float32 `parquet:"edep"`
		EventID int64   `parquet:"event_id"`
		Primary bool    `parquet:"primary"`
	}
	rows, err := parquet.ReadFile[pandasRow](p)
	if err != nil {
		t.Fatal(err)
	}
	var want []pandasRow
	for _, f := range frames {
		for _, h := range f.Hits {
			want = append(want, pandasRow{f.Meta.Frame, h.Layer, h.X, h.Edep, h.EventID, h.Primary})
		}
	}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("generic reader: %d rows, want %d (or values differ)", len(rows), len(want))
	}
	pf, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	st, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{KeyFormat, KeyMeta, KeyFrames} {
		if _, ok := file.Lookup(k); !ok {
			t.Errorf("footer key %q missing", k)
		}
	}
}

// TestConcurrentReads reads frames from several goroutines through one
// Reader, as a training loop sampling frames does.
func TestConcurrentReads(t *testing.T) {
	frames := testFrames(12, 40, 3000)
	p := filepath.Join(t.TempDir(), "c.parquet")
	writeFrames(t, p, Meta{}, frames)
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			var f Frame
			for k := range 60 {
				i := (k*7 + g*13) % len(frames)
				if err := r.ReadFrameInto(&f, i); err != nil {
					errs <- err
					return
				}
				if !equalFrames([]Frame{f}, frames[i:i+1]) {
					errs <- errors.New("frame differs")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
