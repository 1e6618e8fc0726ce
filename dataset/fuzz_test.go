package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzImport checks one import of corrupt input: an error naming the
// package, or frames that keep the pipeline's invariants; never a panic.
func fuzzImport(t *testing.T, frames []Frame, rep *ImportReport, err error) {
	if err != nil {
		if !strings.HasPrefix(err.Error(), "dataset: ") {
			t.Fatalf("error %q does not start with the package name", err)
		}
		return
	}
	if len(frames) == 0 || rep.Frames != len(frames) {
		t.Fatalf("%d frames without an error (report: %d)", len(frames), rep.Frames)
	}
	for _, f := range frames {
		if f.Meta.ProtonsPerFrame != 3 {
			t.Fatalf("frame %d: %d protons per frame, want 3", f.Meta.Frame, f.Meta.ProtonsPerFrame)
		}
		for _, h := range f.Hits {
			if h.Layer < 0 || h.ClusterSize < 2 || !finite32(h.X) || !finite32(h.Edep) || h.Edep < 0 {
				t.Fatalf("frame %d: bad hit %+v", f.Meta.Frame, h)
			}
		}
	}
}

// writeFuzzFile writes data to a file in a new directory.
func writeFuzzFile(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzReadGATE feeds corrupt ROOT files to the GATE importer, with every
// tree and layer scheme of the fixture.
func FuzzReadGATE(f *testing.F) {
	good, err := os.ReadFile(gateFixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, uint8(0))
	f.Add(good[:len(good)/2], uint8(1))
	f.Add(good[:512], uint8(2))
	f.Add([]byte("root\x00\x00\xf4\x4b"), uint8(3))
	trees := []string{treeV91, treeV92, treeVolume, treeWorld}
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		o := &GATEOptions{Tree: trees[int(sel)%len(trees)]}
		o.LayerScheme = Schemes[int(sel/4)%len(Schemes)]
		o.ProtonsPerFrame = 3
		frames, rep, err := ImportGATE([]string{writeFuzzFile(t, "hits.root", data)}, o)
		fuzzImport(t, frames, rep, err)
	})
}

// FuzzReadNPZ feeds corrupt .npz and .npy files to the npz importer.
func FuzzReadNPZ(f *testing.F) {
	for _, name := range []string{"hits_v92_volume.npz", "hits_v92_level.npz", "hits_v91.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(0))
	}
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		o := &NPZOptions{}
		o.LayerScheme = Schemes[int(sel)%len(Schemes)]
		o.ProtonsPerFrame = 3
		o.PaperQuirks = sel&0x80 != 0
		frames, rep, err := ImportNPZ([]string{writeFuzzFile(t, "hits.npz", data)}, o)
		fuzzImport(t, frames, rep, err)
	})
}

// goodParquet returns the bytes of a small dataset written here and of the
// tracks file in testdata: intact Parquet files of both kinds.
func goodParquet(t testing.TB) [][]byte {
	p := filepath.Join(t.TempDir(), "good.parquet")
	writeFrames(t, p, Meta{Source: "fuzz", Seed: 1}, testFrames(1, 3, 40))
	var out [][]byte
	for _, name := range []string{p, "testdata/tracks-before-wepl.parquet"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzOpenCorrupt feeds damaged dataset and tracks files to the readers:
// an error naming the package, or frames; never a panic.
func FuzzOpenCorrupt(f *testing.F) {
	for _, b := range goodParquet(f) {
		f.Add(b, uint32(len(b)/2), byte(0xff))
		f.Add(b, uint32(len(b)-20), byte(0))
		f.Add(b, uint32(100), byte(7))
	}
	f.Fuzz(func(t *testing.T, data []byte, at uint32, v byte) {
		if len(data) > 0 {
			data = append([]byte(nil), data...)
			data[int(at)%len(data)] ^= v
		}
		path := writeFuzzFile(t, "x.parquet", data)
		_, _, err1 := ReadAll(path)
		_, _, err2 := ReadAllTracks(path)
		for _, err := range []error{err1, err2} {
			if err != nil && !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Fatalf("error %q does not start with the package name", err)
			}
		}
	})
}
