package speed_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/graph"
	"github.com/pcttrack/pcttrack/internal/zootest"
	"github.com/pcttrack/pcttrack/speed"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	ckpt := zootest.SparseCheckpoint(t, dir, 1)
	sparse := graph.SparseOptions()
	trs, err := speed.Select("physics", []string{speed.GraphFull, speed.GraphSparse}, []string{"net=" + ckpt}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tr := range trs {
		names = append(names, tr.Name)
	}
	if strings.Join(names, ",") != "physics/full,physics/sparse,net" || trs[2].Graph.TrackerCut != sparse.TrackerCut || trs[1].Graph != sparse {
		t.Fatalf("trackers %v, graphs %+v", names, trs)
	}
	var log strings.Builder
	data := filepath.Join(dir, "data")
	opt := &speed.Options{Protons: []int{8, 16}, Frames: 3, Rounds: 2, Dir: data, Reference: "physics/full", Progress: &log}
	tab, err := speed.Run(context.Background(), trs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 6 || strings.Count(log.String(), "frames/s") != 12 {
		t.Fatalf("%d rows, log:\n%s", len(tab.Rows), log.String())
	}
	for _, r := range tab.Rows {
		if r.Frames != 3 || !(r.Rate > 0) || math.Abs(r.MsFrame*r.Rate-1000) > 1e-6 || math.Abs(r.MsProton*float64(r.Protons)-r.MsFrame) > 1e-9 || !(r.Segments > 0) {
			t.Errorf("row %+v", r)
		}
		if r.Tracker == "physics/full" && r.Relative != 1 {
			t.Errorf("reference relative %g", r.Relative)
		}
	}
	full, _ := tab.Row("physics/full", 16)
	sp, _ := tab.Row("physics/sparse", 16)
	if sp.Segments >= full.Segments {
		t.Errorf("sparse graph has %g segments, the full one %g", sp.Segments, full.Segments)
	}
	// the datasets are reused
	ents, _ := os.ReadDir(data)
	if len(ents) != 2 {
		t.Errorf("%d datasets", len(ents))
	}
	var md strings.Builder
	if err := tab.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "| net | 16 |") || !strings.Contains(md.String(), "load average") {
		t.Errorf("markdown %v:\n%s", err, md.String())
	}
	png := filepath.Join(dir, "speed.png")
	if err := tab.Plot(png); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("plot: %v", err)
	}
	if _, err := json.Marshal(tab); err != nil {
		t.Error(err)
	}
}

func TestErrors(t *testing.T) {
	if _, err := speed.Select("physics", []string{"dense"}, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "speed: ") {
		t.Errorf("unknown graph: %v", err)
	}
	if _, err := speed.Select("none", nil, nil, nil); err == nil {
		t.Error("no tracker: no error")
	}
	trs, err := speed.Select("follower", []string{speed.GraphFull}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []speed.Options{{Reference: "nope"}, {Protons: []int{0}}, {Phantom: "no-such-phantom", Protons: []int{5}, Frames: 1}} {
		if _, err := speed.Run(context.Background(), trs, &o); err == nil || !strings.HasPrefix(err.Error(), "speed: ") {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
