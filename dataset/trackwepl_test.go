package dataset_test

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

func TestTracksWEPLRoundtrip(t *testing.T) {
	frames := randomTracks(8, 30)
	for i := range frames {
		f := &frames[i]
		for j := range f.Hits {
			f.Hits[j].ClusterSize = int32(2 + j%17)
		}
		if i%2 == 1 {
			continue // not measured: reads back as NaN records
		}
		f.WEPL = make([]dataset.TrackWEPL, f.NumTracks())
		for k := range f.WEPL {
			v := float32(i*10 + k)
			f.WEPL[k] = dataset.TrackWEPL{WEPL: 150 + v, Range: 170 - v, Chi2: 1.5, Flags: int32(k % 3),
				ExitX: v, ExitY: -v, ExitZ: 225.2, ExitTX: 0.01 * v, ExitTY: float32(math.NaN())}
		}
	}
	path := filepath.Join(t.TempDir(), "w.parquet")
	meta := dataset.TracksMeta{Method: "truth", WEPL: "fit, deposit, calibration dtc 230 MeV"}
	writeTracks(t, path, meta, frames)
	gotMeta, got, err := dataset.ReadAllTracks(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotMeta.WEPL != meta.WEPL {
		t.Errorf("meta WEPL %q", gotMeta.WEPL)
	}
	if err := sameTracks(got, frames); err != nil {
		t.Fatal(err)
	}
	same := func(a, b dataset.TrackWEPL) bool {
		fa := []float32{a.WEPL, a.Range, a.Chi2, a.ExitX, a.ExitY, a.ExitZ, a.ExitTX, a.ExitTY}
		fb := []float32{b.WEPL, b.Range, b.Chi2, b.ExitX, b.ExitY, b.ExitZ, b.ExitTX, b.ExitTY}
		for k := range fa {
			if math.Float32bits(fa[k]) != math.Float32bits(fb[k]) {
				return false
			}
		}
		return a.Flags == b.Flags
	}
	for i := range got {
		if len(got[i].WEPL) != frames[i].NumTracks() {
			t.Fatalf("frame %d: %d WEPL records for %d tracks", i, len(got[i].WEPL), frames[i].NumTracks())
		}
		for k, w := range got[i].WEPL {
			want := dataset.NoWEPL
			if frames[i].WEPL != nil {
				want = frames[i].WEPL[k]
			}
			if !same(w, want) {
				t.Fatalf("frame %d track %d: %+v, want %+v", i, k, w, want)
			}
		}
	}
	// a WEPL slice that does not fit the tracks is refused
	bad := randomTracks(8, 4)
	bad[3].WEPL = make([]dataset.TrackWEPL, bad[3].NumTracks()+1)
	w, err := dataset.CreateTracks(filepath.Join(t.TempDir(), "bad.parquet"), meta)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for i := range bad {
		err = w.Write(&bad[i])
	}
	if err == nil || !strings.Contains(err.Error(), "WEPL records for") {
		t.Fatalf("error %v", err)
	}
}

// A tracks file written before the cluster_size and WEPL columns existed
// still reads, and says what it lacks.
func TestTracksOldFile(t *testing.T) {
	r, err := dataset.OpenTracks("testdata/tracks-before-wepl.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := append([]string{"cluster_size"}, dataset.WEPLColumns()...)
	if r.HasWEPL() || r.HasClusterSize() || !slices.Equal(r.Missing(), want) {
		t.Fatalf("HasWEPL %v, HasClusterSize %v, Missing %v", r.HasWEPL(), r.HasClusterSize(), r.Missing())
	}
	f := dataset.FrameTracks{WEPL: make([]dataset.TrackWEPL, 2), Hits: []dataset.TrackHit{{ClusterSize: 9}}}
	if err := r.ReadFrameInto(&f, 0); err != nil {
		t.Fatal(err)
	}
	if len(f.Hits) == 0 || f.WEPL != nil || f.Hits[0].ClusterSize != 0 {
		t.Fatalf("%d hits, WEPL %v, cluster size %d", len(f.Hits), f.WEPL, f.Hits[0].ClusterSize)
	}
}
