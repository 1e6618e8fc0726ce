package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpenCorrupt feeds damaged dataset and tracks files to the readers:
// an error naming the package, or frames; never a panic.
func FuzzOpenCorrupt(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "good.parquet")
	writeFrames(f, p, Meta{Source: "fuzz", Seed: 1}, testFrames(1, 3, 40))
	good, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	tracks, err := os.ReadFile("testdata/tracks-before-wepl.parquet")
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range [][]byte{good, tracks} {
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
		check := func(err error) {
			if err != nil && !strings.HasPrefix(err.Error(), "dataset: ") {
				t.Fatalf("error %q does not start with the package name", err)
			}
		}
		_, _, err := ReadAll(path)
		check(err)
		_, _, err = ReadAllTracks(path)
		check(err)
	})
}
