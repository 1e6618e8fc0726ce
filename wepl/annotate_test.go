package wepl

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
)

// writeSimTracks simulates a small run, tracks it with the physics tracker
// and writes the tracks; it returns the path.
func writeSimTracks(t *testing.T, dir string) string {
	t.Helper()
	cfg := sim.Config{Phantom: sim.Phantom{Material: "water", Thickness: 120}, ProtonsPerFrame: 40, Frames: 4, Seed: 9}
	text, err := sim.MarshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := sim.Collect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := pipeline.Builtin("physics", nil)
	path := filepath.Join(dir, "t.parquet")
	meta := dataset.TracksMeta{Dataset: dataset.Meta{Source: "simulate", Geometry: "dtc", Config: string(text)}}
	if _, _, err := pipeline.WriteTracks(context.Background(), pipeline.Frames(frames), path, meta, &pipeline.Options{Methods: []pipeline.Method{m}}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAnnotate(t *testing.T) {
	dir := t.TempDir()
	in := writeSimTracks(t, dir)
	out := filepath.Join(dir, "w.parquet")
	sum, err := Annotate(context.Background(), in, out, &AnnotateOptions{Options: Options{Method: MethodFitCluster}})
	if err != nil {
		t.Fatal(err)
	}
	meta, got, err := dataset.ReadAllTracks(out)
	if err != nil {
		t.Fatal(err)
	}
	_, orig, _ := dataset.ReadAllTracks(in)
	est, _ := New(nil, 230, &Options{Method: MethodFitCluster})
	if !strings.HasPrefix(meta.WEPL, "fit-cluster, min residual range 25 mm") || sum.Frames != 4 || sum.Tracks == 0 || sum.OK == 0 {
		t.Fatalf("meta %q, summary %+v", meta.WEPL, sum)
	}
	n := 0
	for i := range got {
		want, err := est.Frame(nil, &orig[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(got[i].WEPL) != len(want) || len(got[i].Hits) != len(orig[i].Hits) {
			t.Fatalf("frame %d: %d records for %d tracks", i, len(got[i].WEPL), len(want))
		}
		for k := range want {
			if got[i].WEPL[k] != want[k].Record() {
				t.Fatalf("frame %d track %d: %+v, want %+v", i, k, got[i].WEPL[k], want[k].Record())
			}
			n++
		}
	}
	if n != sum.Tracks {
		t.Errorf("%d records, summary says %d tracks", n, sum.Tracks)
	}
}

func TestAnnotateBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "w.parquet")
	corrupt := filepath.Join(dir, "corrupt.parquet")
	data, err := os.ReadFile("../dataset/testdata/tracks-before-wepl.parquet")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(corrupt, data[:len(data)/2], 0o644)
	for name, tc := range map[string]struct {
		in   string
		opt  AnnotateOptions
		want string
	}{
		"no cluster size": {"../dataset/testdata/tracks-before-wepl.parquet", AnnotateOptions{Options: Options{Method: MethodFitCluster}}, "has no column cluster_size"},
		"not tracks":      {"../dataset/testdata/before-truth.parquet", AnnotateOptions{}, "not a pcttrack tracks file"},
		"corrupt":         {corrupt, AnnotateOptions{}, "corrupt.parquet"},
		"missing":         {filepath.Join(dir, "none.parquet"), AnnotateOptions{}, "no such file"},
		"other energy":    {"../dataset/testdata/tracks-before-wepl.parquet", AnnotateOptions{Energy: 150}, "no calibration for 150 MeV"},
		"negative energy": {"../dataset/testdata/tracks-before-wepl.parquet", AnnotateOptions{Energy: -3}, "beam energy -3 MeV is not a finite positive number"},
		"NaN energy":      {"../dataset/testdata/tracks-before-wepl.parquet", AnnotateOptions{Energy: math.NaN()}, "beam energy NaN MeV is not a finite positive number"},
	} {
		_, err := Annotate(context.Background(), tc.in, out, &tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", name, err, tc.want)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: output left behind", name)
		}
	}
	// an old file without cluster sizes reads with the deposit fit
	if _, err := Annotate(context.Background(), "../dataset/testdata/tracks-before-wepl.parquet", out, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSource(t *testing.T) {
	text, _ := sim.MarshalConfig(sim.Config{Frames: 1, Beam: sim.Beam{Energy: 200}})
	g, e, err := Source(dataset.Meta{Config: string(text)})
	if err != nil || g.Name != detector.PresetDTC || e != 200 {
		t.Errorf("simulated: %v %v %v", g, e, err)
	}
	g, e, err = Source(dataset.Meta{Geometry: "gate-3mm", Config: "imported from x.root"})
	if err != nil || g.Name != detector.PresetGATE3mm || e != 0 {
		t.Errorf("imported: %v %v %v", g, e, err)
	}
	if _, _, err := Source(dataset.Meta{Geometry: "mine"}); err == nil {
		t.Error("no error for an unknown geometry")
	}
}
