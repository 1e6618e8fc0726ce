package dataset

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	p := func(ev int64, z int32) Hit { return Hit{EventID: ev, Layer: z, TrackID: 1, Primary: true} }
	s := func(ev int64, z int32) Hit { return Hit{EventID: ev, Layer: z, TrackID: 2, ParentID: 1} }
	frames := []Frame{
		// Event 1 reaches layer 3, event 2 layer 1; event 3 only has a secondary.
		{Meta: FrameMeta{Frame: 0, Phantom: "water:100", ProtonsPerFrame: 4}, Hits: []Hit{p(1, 0), p(1, 1), p(1, 3), p(2, 0), p(2, 1), s(1, 2), s(3, 5)}},
		// Event 1 again (a different primary: frames are separate) reaches 2.
		{Meta: FrameMeta{Frame: 1, Phantom: "water:100", ProtonsPerFrame: 4}, Hits: []Hit{p(1, 2), p(1, 0), s(1, 1)}},
		{Meta: FrameMeta{Frame: 2, Phantom: "water:100", ProtonsPerFrame: 4}},
	}
	got := Summarize(frames)
	want := Summary{
		Frames: 3, Hits: 10,
		HitsPerFrame: Stats{Mean: 10.0 / 3, SD: math.Sqrt(((7-10.0/3)*(7-10.0/3) + (3-10.0/3)*(3-10.0/3) + (10.0/3)*(10.0/3)) / 2), Min: 0, Max: 7},
		Primaries:    3, PrimariesGenerated: 12,
		HitsPerPrimary: 10.0 / 12, HitsPerSeenPrimary: 10.0 / 3,
		DeepestLayer:      LayerStats{Mean: 2, Median: 2, Histogram: []int64{0, 1, 1, 1}},
		SecondaryFraction: 0.3,
	}
	if !summaryClose(got, want) {
		t.Fatalf("Summarize:\n got %+v\nwant %+v", got, want)
	}
	// A second group appears in the breakdown.
	frames = append(frames, Frame{Meta: FrameMeta{Frame: 3, Phantom: "water:200", ProtonsPerFrame: 50}, Hits: []Hit{p(9, 4)}})
	got = Summarize(frames)
	if len(got.Groups) != 2 || got.Groups[0].Phantom != "water:100" || got.Groups[1].Summary.Hits != 1 ||
		got.Groups[0].Summary.Hits != 10 || got.DeepestLayer.Median != 2.5 || got.PrimariesGenerated != 62 {
		t.Errorf("groups %+v median %v", got.Groups, got.DeepestLayer.Median)
	}
	var buf bytes.Buffer
	if err := got.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"frames", "hits per primary", `phantom "water:200", 50 protons per frame`, "layer 4"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("text output lacks %q:\n%s", w, buf.String())
		}
	}
	if _, err := json.Marshal(got); err != nil {
		t.Fatal(err)
	}
	if e := Summarize(nil); e.Frames != 0 || e.DeepestLayer.Histogram == nil {
		t.Errorf("empty summary %+v", e)
	}
}

func TestSummarizeFile(t *testing.T) {
	frames := testFrames(8, 30, 2000)
	p := filepath.Join(t.TempDir(), "s.parquet")
	writeFrames(t, p, Meta{Source: "simulate"}, frames)
	n := 0
	meta, got, err := SummarizeFile(p, func() { n++ })
	if err != nil {
		t.Fatal(err)
	}
	if want := Summarize(frames); !summaryClose(got, want) || meta.Source != "simulate" || n != 30 {
		t.Errorf("SummarizeFile differs from Summarize (%d progress calls)", n)
	}
}

func summaryClose(a, b Summary) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12*max(1, math.Abs(y)) }
	ha, hb := a.DeepestLayer.Histogram, b.DeepestLayer.Histogram
	if len(ha) != len(hb) {
		return false
	}
	for i := range ha {
		if ha[i] != hb[i] {
			return false
		}
	}
	return a.Frames == b.Frames && a.Hits == b.Hits && a.Primaries == b.Primaries && a.PrimariesGenerated == b.PrimariesGenerated &&
		a.HitsPerFrame.Min == b.HitsPerFrame.Min && a.HitsPerFrame.Max == b.HitsPerFrame.Max &&
		near(a.HitsPerFrame.Mean, b.HitsPerFrame.Mean) && near(a.HitsPerFrame.SD, b.HitsPerFrame.SD) &&
		near(a.HitsPerPrimary, b.HitsPerPrimary) && near(a.HitsPerSeenPrimary, b.HitsPerSeenPrimary) &&
		near(a.DeepestLayer.Mean, b.DeepestLayer.Mean) && near(a.DeepestLayer.Median, b.DeepestLayer.Median) &&
		near(a.SecondaryFraction, b.SecondaryFraction) && len(a.Groups) == len(b.Groups)
}
