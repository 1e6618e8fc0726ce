package imaging

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/sim"
)

func TestReconstruct(t *testing.T) {
	dir := t.TempDir()
	scan := filepath.Join(dir, "s.parquet")
	c := sim.Config{Beam: sim.BergenBeam, Seed: 2}
	s := sim.Scan{Object: sim.CTP404(), Projections: 12, Protons: 9000, Pitch: 10}
	if err := s.Apply(&c); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Write(context.Background(), c, scan, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "img")
	res, err := Reconstruct(context.Background(), Options{Inputs: []string{scan}, Out: out,
		Grid: recon.Grid{NX: 80, NZ: 80, Pixel: 2}, Solve: recon.Options{Iterations: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Phantom != "ctp404" || res.Truth.Kept < 7000 || res.Rows == 0 || res.Path.Hull != 80 || res.Path.Kind != "mlp" {
		t.Fatalf("result %+v", res)
	}
	// truth pairing: every proton judged correct with δWEPL 0, none mis-tracked
	if tr := res.Tracking; !tr.Judged || tr.In != res.CutStats.In || tr.Kept != res.CutStats.Kept || tr.Mistracked != 0 ||
		tr.SurvivorShare != 0 || tr.Types[0].In != tr.In || tr.Types[0].RMS != 0 {
		t.Errorf("truth pairing scored %+v", tr)
	}
	// the mean |error| leaves the two air inserts out: 7 ROIs
	var sum float64
	for _, r := range res.ROIs {
		if r.Material != "air" {
			sum += math.Abs(float64(r.RelErr))
		}
	}
	if m := float64(res.MeanAbsRelErr); math.Abs(m-sum/7) > 1e-12 || !(m > 0) {
		t.Errorf("mean |error| %v, want %v", m, sum/7)
	}
	// a coarse image, but the epoxy body within 3 % and the air inserts
	// below RSP 0.65, about 57 % of the body (blurred at 2 mm pixels and 5
	// iterations; 0.49-0.61 over two simulations, noise ±0.05)
	for _, r := range res.ROIs {
		m := float64(r.Mean)
		if r.Name == "epoxy" && math.Abs(m/r.Truth-1) > 0.03 || r.Material == "air" && m > 0.65 {
			t.Errorf("ROI %s: %.3f, truth %.3f", r.Name, m, r.Truth)
		}
	}
	for _, f := range []string{".mhd", ".raw", ".json", ".png", "-profile.png"} {
		if _, err := os.Stat(out + f); err != nil {
			t.Error(err)
		}
	}
	im, err := recon.ReadImage(out + ".mhd")
	if err != nil || im.Grid.NX != 80 {
		t.Fatalf("reading the image back: %v", err)
	}

	// a grid smaller than the phantom, no inputs: errors, no output
	out2 := filepath.Join(dir, "img2")
	for _, o := range []Options{
		{Inputs: []string{scan}, Out: out2, Grid: recon.Grid{NX: 60, NZ: 60, Pixel: 2}},
		{Out: out2},
		{Inputs: []string{scan, filepath.Join(dir, "none.parquet")}, Out: out2},
	} {
		if _, err := Reconstruct(context.Background(), o); err == nil {
			t.Errorf("options %+v: no error", o)
		}
		if _, err := os.Stat(out2 + ".mhd"); err == nil {
			t.Fatal("output written on error")
		}
	}
	_, err = Reconstruct(context.Background(), Options{Inputs: []string{scan}, Out: out2, Grid: recon.Grid{NX: 60, NZ: 60, Pixel: 2}})
	if err == nil || !strings.Contains(err.Error(), "does not cover") {
		t.Errorf("small grid: %v", err)
	}
}
