package recon

import (
	"math"
	"testing"
)

func TestSubtract(t *testing.T) {
	g := Grid{NX: 20, NZ: 10, Pixel: 2}
	a := NewImage(g, 0)
	for j := range a.RSP {
		a.RSP[j] = float32(j%7) * 0.1
	}
	// an image minus itself is 0 everywhere
	d, err := Subtract(nil, a, a)
	if err != nil {
		t.Fatal(err)
	}
	if st := SummarizeDiff(d, 0, 0, 0); st.N != 200 || st.Mean != 0 || st.RMS != 0 || st.MeanAbs != 0 || st.MaxAbs != 0 {
		t.Errorf("a − a: %+v", st)
	}
	// a known offset comes back as mean, RMS and mean |Δ|
	b := NewImage(g, 0)
	for j := range b.RSP {
		b.RSP[j] = a.RSP[j] + 0.25
	}
	d, err = Subtract(d, a, b)
	if err != nil {
		t.Fatal(err)
	}
	st := SummarizeDiff(d, 0, 0, 0)
	if math.Abs(st.Mean+0.25) > 1e-6 || math.Abs(st.RMS-0.25) > 1e-6 || math.Abs(st.MeanAbs-0.25) > 1e-6 || math.Abs(st.P99Abs-0.25) > 1e-6 {
		t.Errorf("a − (a + 0.25): %+v", st)
	}
	// ±1 in the left and right halves: mean 0, RMS and mean |Δ| 1; the
	// disc of radius 5 mm holds the 16 pixel centres (±1, ±3 mm)² within it
	for k := range g.NZ {
		for i := range g.NX {
			d.RSP[k*g.NX+i] = float32(1 - 2*(i/10))
		}
	}
	st = SummarizeDiff(d, 0, 0, 0)
	if st.Mean != 0 || st.RMS != 1 || st.MeanAbs != 1 {
		t.Errorf("±1: %+v", st)
	}
	st = SummarizeDiff(d, 0, 0, 5)
	if st.N != 16 || st.Mean != 0 {
		t.Errorf("±1 in r ≤ 5 mm: %+v", st)
	}
	st = SummarizeDiff(d, 30, 30, 1)
	if st.N != 0 || !math.IsNaN(st.Mean) {
		t.Errorf("disc off the grid: %+v", st)
	}
	// grids that differ
	for _, h := range []Grid{{NX: 20, NZ: 11, Pixel: 2}, {NX: 20, NZ: 10, Pixel: 1}, {NX: 20, NZ: 10, Pixel: 2, Y: 3}} {
		if _, err := Subtract(nil, a, NewImage(h, 0)); err == nil {
			t.Errorf("grid %+v: no error", h)
		}
	}
}
