package main

import (
	"math/rand/v2"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// TestRegroupAndResample: regrouped frames hold each event at most once
// overall and size events each; resampled frames hold size events each,
// none twice in one frame, and about 1 − 1/e of the events distinct.
func TestRegroupAndResample(t *testing.T) {
	var frames []dataset.Frame
	for f := range 10 {
		var fr dataset.Frame
		for e := range 100 {
			id := int64(100*f + e)
			for l := range 3 {
				fr.Hits = append(fr.Hits, dataset.Hit{EventID: id, Layer: int32(l)})
			}
		}
		frames = append(frames, fr)
	}
	events, size := eventsOf(frames, func(ev int64) bool { return ev >= 50 }) // frame 0 half kept
	if len(events) != 950 || size != 100 {
		t.Fatalf("%d events, size %d; want 950, 100", len(events), size)
	}
	count := func(fs []dataset.Frame) (perFrame []int, distinct int, dupInFrame bool) {
		seen := map[int64]bool{}
		for _, f := range fs {
			in := map[int64]bool{}
			for _, h := range f.Hits {
				if h.Layer != 0 {
					continue
				}
				dupInFrame = dupInFrame || in[h.EventID]
				in[h.EventID], seen[h.EventID] = true, true
			}
			perFrame = append(perFrame, len(in))
		}
		return perFrame, len(seen), dupInFrame
	}
	r := rand.New(rand.NewPCG(1, 2))
	pf, distinct, dup := count(regroup(events, size, dataset.FrameMeta{}, r))
	if len(pf) != 9 || distinct != 900 || dup {
		t.Errorf("regroup: %d frames, %d distinct events, duplicate in a frame %v; want 9, 900, false", len(pf), distinct, dup)
	}
	pf, distinct, dup = count(resampleEvents(events, size, dataset.FrameMeta{}, r))
	for _, n := range pf {
		if n != size {
			t.Errorf("resample: a frame of %d events", n)
		}
	}
	if len(pf) != 9 || dup || distinct < 500 || distinct > 640 {
		t.Errorf("resample: %d frames, %d distinct events (want about %.0f), duplicate in a frame %v", len(pf), distinct, 900*(1-1/2.718), dup)
	}
}
