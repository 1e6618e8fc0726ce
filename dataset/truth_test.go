package dataset

import (
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// withTruth gives every history with hits in frames a truth record; every
// third one has not left the phantom (NaN WEPL and exit).
func withTruth(frames []Frame) {
	for i := range frames {
		f := &frames[i]
		var events []int64
		for _, h := range f.Hits {
			events = append(events, h.EventID)
		}
		slices.Sort(events)
		events = slices.Compact(events)
		f.Primaries = nil
		for k, e := range events {
			v := float32(e%97) + 0.25
			p := PrimaryTruth{EventID: e, WEPL: 100 + v, Exit: State{v, -v, 0.01, -0.02, 180 + v},
				Layer0: State{v + 1, -v - 1, 0.011, -0.021, 179 + v}}
			if k%3 == 2 {
				p.WEPL, p.Exit = nan32, NaNState
			}
			f.Primaries = append(f.Primaries, p)
		}
	}
}

func sameTruth(a, b []PrimaryTruth) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].EventID != b[i].EventID {
			return false
		}
		fa, fb := a[i].fields(), b[i].fields()
		for k := range fa {
			if math.Float32bits(*fa[k]) != math.Float32bits(*fb[k]) {
				return false
			}
		}
	}
	return true
}

func TestTruthRoundtrip(t *testing.T) {
	frames := testFrames(4, 40, 3000)
	withTruth(frames)
	// hits of a frame out of event order, and a history whose truth the
	// frame lacks (its rows get NaN, and reading gives it an unknown truth)
	slices.Reverse(frames[5].Hits)
	lost := frames[7].Primaries[0].EventID
	frames[7].Primaries = frames[7].Primaries[1:]
	path := filepath.Join(t.TempDir(), "truth.parquet")
	writeFrames(t, path, Meta{Source: "simulate"}, frames)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.HasTruth() || r.Missing() != nil {
		t.Fatalf("HasTruth %v, Missing %v", r.HasTruth(), r.Missing())
	}
	var f Frame
	// by default the truth is not read
	if err := r.ReadFrameInto(&f, 5); err != nil || len(f.Primaries) != 0 || len(f.Hits) == 0 {
		t.Fatalf("without SetTruth: %d primaries, %d hits, %v", len(f.Primaries), len(f.Hits), err)
	}
	if err := r.SetTruth(true); err != nil {
		t.Fatal(err)
	}
	for i := r.NumFrames() - 1; i >= 0; i-- {
		if err := r.ReadFrameInto(&f, i); err != nil {
			t.Fatal(err)
		}
		want := frames[i].Primaries
		if i == 7 {
			want = append([]PrimaryTruth{unknownTruth}, want...)
			want[0].EventID = lost
		}
		if !sameTruth(f.Primaries, want) {
			t.Fatalf("frame %d: truth differs:\n got %+v\nwant %+v", i, f.Primaries, want)
		}
		if !reflect.DeepEqual(f.Hits, frames[i].Hits) && len(f.Hits) > 0 {
			t.Fatalf("frame %d: hits differ", i)
		}
		for _, h := range f.Hits {
			if p, ok := f.FindPrimary(h.EventID); !ok || p.EventID != h.EventID {
				t.Fatalf("frame %d: FindPrimary(%d) = %v, %v", i, h.EventID, p, ok)
			}
		}
	}
	if _, ok := f.FindPrimary(-5); ok {
		t.Fatal("FindPrimary found a history that is not there")
	}
}

func TestTruthWriteErrors(t *testing.T) {
	for name, edit := range map[string]func(*Frame){
		"unsorted":  func(f *Frame) { f.Primaries[0], f.Primaries[1] = f.Primaries[1], f.Primaries[0] },
		"duplicate": func(f *Frame) { f.Primaries[1].EventID = f.Primaries[0].EventID },
		"infinite":  func(f *Frame) { f.Primaries[1].Layer0.E = float32(math.Inf(1)) },
	} {
		frames := testFrames(5, 3, 300)
		withTruth(frames)
		edit(&frames[2])
		w, err := Create(filepath.Join(t.TempDir(), "x.parquet"), Meta{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range frames {
			err = w.Write(&frames[i])
		}
		w.Abort()
		if err == nil || !strings.Contains(err.Error(), "frame 4: primary truth") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

// A dataset written before the truth columns existed still reads, and
// says what it lacks.
func TestTruthOldFile(t *testing.T) {
	r, err := Open("testdata/before-truth.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.HasTruth() || !slices.Equal(r.Missing(), TruthColumns()) {
		t.Fatalf("HasTruth %v, Missing %v", r.HasTruth(), r.Missing())
	}
	if err := r.SetTruth(true); err == nil || !strings.Contains(err.Error(), "lacks the columns mc_wepl, mc_exit_x") {
		t.Fatalf("SetTruth on an old file: %v", err)
	}
	f := Frame{Primaries: make([]PrimaryTruth, 3)}
	if err := r.ReadFrameInto(&f, 1); err != nil {
		t.Fatal(err)
	}
	if len(f.Hits) == 0 || len(f.Primaries) != 0 {
		t.Fatalf("%d hits, %d primaries", len(f.Hits), len(f.Primaries))
	}
}
