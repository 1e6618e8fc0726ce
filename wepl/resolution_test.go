package wepl

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/pipeline"
)

// A small study: with truth pairing the WEPL is unbiased and as wide as
// the range straggling, and its tracks have no tracking errors; the track
// follower at 150 protons per frame makes every kind of them.
func TestResolution(t *testing.T) {
	ms, err := pipeline.Select("truth,follower", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Resolution(context.Background(), ResolutionConfig{Methods: ms, Phantoms: []float64{150},
		ProtonsPerFrame: []int{150}, Protons: 2400})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cells) != 2 || rep.Straggling < 3 || rep.Straggling > 4.5 {
		t.Fatalf("%d cells, straggling %v", len(rep.Cells), rep.Straggling)
	}
	truth, fol := rep.Cells[0], rep.Cells[1]
	if truth.Method != "truth" || truth.Primaries != 2400 || truth.Used() < 1800 {
		t.Fatalf("truth cell %+v", truth)
	}
	// statistical errors: 3.8/√2000 ≈ 0.09 mm on the bias, 2 % on σ
	if math.Abs(truth.Core.Mean) > 0.3 || math.Abs(truth.Core.SD/rep.Straggling-1) > 0.1 {
		t.Errorf("truth pairing: bias %.3f mm, σ %.3f mm, straggling %.3f mm", truth.Core.Mean, truth.Core.SD, rep.Straggling)
	}
	if n := truth.Types[Merged].N + truth.Types[WrongTracker].N; n != 0 {
		t.Errorf("truth pairing has %d merged or wrong-tracker tracks", n)
	}
	if c := truth.Types[Correct]; float64(c.N) < 0.85*float64(truth.Used()) || math.Abs(c.Mean) > 2 {
		t.Errorf("truth pairing: %d of %d correct, mean δ %.2f", c.N, truth.Used(), c.Mean)
	}
	// nuclear interactions in the detector end the range early: WEPL too high
	if nu := truth.Types[Nuclear]; nu.N == 0 || nu.Mean < 20 || nu.Tail == 0 {
		t.Errorf("nuclear tracks: %+v", nu)
	}
	for _, typ := range []ErrorType{WrongStop, Merged, WrongTracker} {
		if fol.Types[typ].N == 0 {
			t.Errorf("the follower at 150 p/frame has no %s tracks", typ)
		}
	}
	if fol.Types[Correct].N >= truth.Types[Correct].N {
		t.Errorf("the follower has as many correct tracks as truth pairing (%d, %d)", fol.Types[Correct].N, truth.Types[Correct].N)
	}
	var md, csv bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| 150 | 150 | truth | ") || strings.Count(csv.String(), "\n") != 1+2*int(numTypes) {
		t.Errorf("markdown:\n%s\ncsv:\n%s", md.String(), csv.String())
	}
	if s := rep.HistogramSeries(150, 150); len(s) < 6 || len(s[0].X) != histBins {
		t.Errorf("%d histogram series", len(s))
	}
	if _, err := Resolution(context.Background(), ResolutionConfig{}); err == nil {
		t.Error("no error without a method")
	}
	if _, err := Resolution(context.Background(), ResolutionConfig{Methods: ms, Phantoms: []float64{-1}}); err == nil {
		t.Error("no error for a negative phantom")
	}
}
