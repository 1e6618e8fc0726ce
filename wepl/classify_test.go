package wepl

import (
	"math"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// classifyFrame is three histories through layers 0–9 (2 tracker layers):
// event 1 a primary to layer 9; event 2 a primary to layer 6 then a
// secondary (track 2) to layer 8; event 3 a primary to layer 9 whose own
// WEPL is unknown (it did not leave the phantom in the truth record).
func classifyFrame() *dataset.Frame {
	f := &dataset.Frame{}
	add := func(ev int64, tid int32, from, to int32) {
		for l := from; l <= to; l++ {
			f.Hits = append(f.Hits, dataset.Hit{Layer: l, EventID: ev, TrackID: tid, Primary: tid == 1})
		}
	}
	add(1, 1, 0, 9)
	add(2, 1, 0, 6)
	add(2, 2, 7, 8)
	add(3, 1, 0, 9)
	nan := float32(math.NaN())
	f.Primaries = []dataset.PrimaryTruth{
		{EventID: 1, WEPL: 150, Exit: dataset.State{E: 100}, Layer0: dataset.State{E: 99}},
		{EventID: 2, WEPL: 151, Exit: dataset.State{E: 100}, Layer0: dataset.State{E: 99}},
		{EventID: 3, WEPL: nan, Exit: dataset.NaNState, Layer0: dataset.State{E: 99}},
	}
	return f
}

// trackOf returns the track (deepest first) through the given frame hits.
func trackOf(f *dataset.Frame, idx ...int) []dataset.TrackHit {
	var hs []dataset.TrackHit
	for k := len(idx) - 1; k >= 0; k-- {
		h := f.Hits[idx[k]]
		hs = append(hs, dataset.TrackHit{Hit: int32(idx[k]), Layer: h.Layer, EventID: h.EventID, Order: int32(len(hs))})
	}
	return hs
}

func span(a, b int) []int {
	var s []int
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}

func TestClassify(t *testing.T) {
	f := classifyFrame()
	// frame hit indices: event 1 → 0–9, event 2 → 10–16 (primary, layers
	// 0–6) and 17–18 (secondary, 7–8), event 3 → 19–28
	var tr Truth
	tr.Reset(f, 2)
	for name, tc := range map[string]struct {
		hits []int
		want ErrorType
	}{
		"correct":             {span(0, 9), Correct},
		"lost end":            {span(0, 7), WrongStop},
		"secondary":           {span(10, 18), Nuclear},
		"primary only":        {span(10, 16), Correct},
		"merged calorimeter":  {append(span(0, 5), span(26, 28)...), Merged},
		"wrong tracker hit":   {append([]int{19}, span(1, 9)...), NoTruth}, // the shallowest hit's history has no WEPL
		"wrong tracker hit 2": {append([]int{10}, span(1, 9)...), WrongTracker},
		"both tracker hits":   {append([]int{10, 11}, span(2, 9)...), WrongTracker},
		"no truth":            {span(19, 28), NoTruth},
	} {
		got, pt := tr.Classify(trackOf(f, tc.hits...))
		if got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
		if want := f.Hits[tc.hits[0]].EventID; pt == nil || pt.EventID != want {
			t.Errorf("%s: truth of %v, want event %d", name, pt, want)
		}
	}
	if s := Merged.String(); s != "merged" {
		t.Errorf("String %q", s)
	}
	if n := len(ErrorTypes()); n != 6 {
		t.Errorf("%d error types", n)
	}
}
