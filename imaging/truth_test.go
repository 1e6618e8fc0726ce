package imaging

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/recon"
	"github.com/pcttrack/pcttrack/wepl"
)

func TestScoreTracking(t *testing.T) {
	p := func(c wepl.ErrorType, w, truth float64) dataset.Proton {
		return dataset.Proton{Class: int32(c), WEPL: w, TrueWEPL: truth}
	}
	in := []dataset.Proton{
		p(wepl.Correct, 101, 100), p(wepl.Correct, 99, 100), p(wepl.Correct, 130, 100),
		p(wepl.WrongStop, 140, 100), p(wepl.WrongStop, 110, 100),
		p(wepl.Merged, 90, 100), p(wepl.Nuclear, 150, 100), p(wepl.NoTruth, 120, math.NaN()),
	}
	// the cuts keep the two good correct ones, the 110 mm wrong stop, the merged one and the no-truth one
	kept := []dataset.Proton{in[0], in[1], in[4], in[5], in[7]}
	tr := ScoreTracking(in, kept)
	if !tr.Judged || tr.In != 8 || tr.Kept != 5 || tr.Mistracked != 3 || tr.MistrackedKept != 2 {
		t.Fatalf("%+v", tr)
	}
	near := func(a Number, b float64) bool { return math.Abs(float64(a)-b) < 1e-12 }
	// 2 of 5 kept are mis-tracked; of the 3 cut, 1 (the 140 mm wrong stop); 2 of 3 survive
	if !near(tr.SurvivorShare, 0.4) || !near(tr.CutShare, 1.0/3) || !near(tr.Survival, 2.0/3) {
		t.Errorf("shares %v %v %v", tr.SurvivorShare, tr.CutShare, tr.Survival)
	}
	c := tr.Types[wepl.Correct]
	if c.Type != "correct" || c.In != 3 || c.Kept != 2 || !near(c.MeanIn, 10) || !near(c.Mean, 0) || !near(c.RMS, 1) {
		t.Errorf("correct %+v", c)
	}
	n := 0
	for _, v := range c.Hist.Counts {
		n += v
	}
	if bin := int(math.Floor((1 - wepl.HistMin) / wepl.HistWidth)); n != 2 || c.Hist.Counts[bin] != 1 {
		t.Errorf("correct histogram %v", c.Hist.Counts)
	}
	if s := tr.Types[wepl.WrongStop]; s.In != 2 || s.Kept != 1 || !near(s.MeanIn, 25) || !near(s.Mean, 10) {
		t.Errorf("wrong stop %+v", s)
	}
	if s := tr.Types[wepl.Nuclear]; s.In != 1 || s.Kept != 0 || !near(s.MeanIn, 50) || !math.IsNaN(float64(s.Mean)) {
		t.Errorf("nuclear %+v", s)
	}
	if s := tr.Types[wepl.NoTruth]; s.In != 1 || s.Kept != 1 || !math.IsNaN(float64(s.Mean)) || !math.IsNaN(float64(s.MeanIn)) {
		t.Errorf("no truth %+v", s)
	}

	// truth pairing: every proton correct, δWEPL 0, no mis-tracked share
	pairs := []dataset.Proton{p(wepl.Correct, 100, 100), p(wepl.Correct, 120, 120)}
	tr = ScoreTracking(pairs, pairs[:1])
	if tr.Mistracked != 0 || !near(tr.SurvivorShare, 0) || !near(tr.CutShare, 0) || !math.IsNaN(float64(tr.Survival)) || !near(tr.Types[0].RMS, 0) {
		t.Errorf("truth pairing %+v", tr)
	}
	// unjudged protons are left out and say so
	tr = ScoreTracking(append(pairs, dataset.Proton{Class: ClassUnknown}), pairs)
	if tr.Judged || tr.In != 2 {
		t.Errorf("unknown class: %+v", tr)
	}
}

// TestAppendTracksJudged builds a frame of two primaries and two tracks,
// one correct and one with the other proton's tracker hits, and checks the
// class and true WEPL each proton carries.
func TestAppendTracksJudged(t *testing.T) {
	f := &dataset.Frame{}
	for ev := int64(1); ev <= 2; ev++ {
		for l := int32(0); l < 8; l++ {
			f.Hits = append(f.Hits, dataset.Hit{Layer: l, EventID: ev, TrackID: 1, Primary: true})
		}
	}
	f.Primaries = []dataset.PrimaryTruth{{EventID: 1, WEPL: 150}, {EventID: 2, WEPL: 170}}
	ft := &dataset.FrameTracks{Frame: 3}
	add := func(track int32, idx ...int) {
		for o := len(idx) - 1; o >= 0; o-- {
			h := f.Hits[idx[o]]
			ft.Hits = append(ft.Hits, dataset.TrackHit{Track: track, Order: int32(len(idx) - 1 - o), Hit: int32(idx[o]), Layer: h.Layer, EventID: h.EventID})
		}
		ft.WEPL = append(ft.WEPL, dataset.TrackWEPL{WEPL: 155, ExitZ: 10})
	}
	add(0, 0, 1, 2, 3, 4, 5, 6, 7)       // event 1, correct
	add(1, 0, 1, 10, 11, 12, 13, 14, 15) // event 2's calorimeter hits on event 1's tracker hits
	var judge wepl.Truth
	judge.Reset(f, 2)
	var st TrackStats
	b := recon.Beam{}
	got, _, err := appendTracks(nil, ft, &dataset.FrameMeta{Frame: 3}, b, &st, nil, &judge)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Class != int32(wepl.Correct) || got[0].TrueWEPL != 150 ||
		got[1].Class != int32(wepl.WrongTracker) || got[1].TrueWEPL != 150 {
		t.Fatalf("protons %+v", got)
	}
	got, _, err = appendTracks(nil, ft, &dataset.FrameMeta{Frame: 3}, b, &st, nil, nil)
	if err != nil || got[0].Class != ClassUnknown || !math.IsNaN(got[0].TrueWEPL) {
		t.Fatalf("without truth: %+v, %v", got, err)
	}
}

func TestDiff(t *testing.T) {
	dir := t.TempDir()
	g := recon.Grid{NX: 40, NZ: 40, Pixel: 5}
	a := recon.NewImage(g, 1)
	for j := range a.RSP {
		a.RSP[j] = 1 + 0.01*float32(j%13)
	}
	b := recon.NewImage(g, 0)
	for j := range b.RSP {
		b.RSP[j] = a.RSP[j] - 0.02
	}
	write := func(name string, im *recon.Image, meta any) string {
		p := filepath.Join(dir, name+".mhd")
		if err := recon.WriteImage(p, im, meta); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pa := write("a", a, map[string]string{"phantom": "ctp404"})
	pb := write("b", b, nil)
	// with itself: 0; against b: the offset 0.02, inside the CTP404's disc
	// (π·75²/5² ≈ 707 pixels)
	for _, tc := range []struct {
		b    string
		want float64
	}{{pa, 0}, {pb, 0.02}} {
		out := filepath.Join(dir, "d")
		res, err := Diff(DiffOptions{A: pa, B: tc.b, Out: out})
		if err != nil {
			t.Fatal(err)
		}
		in := res.Inside
		if res.Phantom != "ctp404" || res.Radius != 75 || in.Pixels < 690 || in.Pixels > 725 ||
			math.Abs(float64(in.Mean)-tc.want) > 1e-6 || math.Abs(float64(in.RMS)-tc.want) > 1e-6 || math.Abs(float64(in.MeanAbs)-tc.want) > 1e-6 {
			t.Errorf("a − %s: %+v", tc.b, res)
		}
		if len(res.ROIs) != 9 || math.Abs(float64(res.ROIs[0].Mean)-tc.want) > 1e-6 {
			t.Errorf("ROIs %+v", res.ROIs)
		}
		for _, ext := range []string{".mhd", ".raw", ".json", ".png"} {
			if _, err := os.Stat(out + ext); err != nil {
				t.Error(err)
			}
		}
		d, err := recon.ReadImage(out + ".mhd")
		if err != nil || math.Abs(float64(d.RSP[7])-tc.want) > 1e-6 {
			t.Errorf("difference image: %v, %v", err, d)
		}
	}
	// another grid, an unknown phantom, a missing file: errors, no output
	pc := write("c", recon.NewImage(recon.Grid{NX: 40, NZ: 40, Pixel: 4}, 1), nil)
	bad := filepath.Join(dir, "bad")
	for _, tc := range []struct {
		o    DiffOptions
		want string
	}{
		{DiffOptions{A: pa, B: pc}, "different grids"},
		{DiffOptions{A: pb, B: pa, Phantom: "catphan600"}, "unknown phantom"},
		{DiffOptions{A: pa, B: filepath.Join(dir, "none.mhd")}, "no such file"},
		{DiffOptions{A: pa, B: pb, Radius: -1}, "not negative"},
	} {
		tc.o.Out = bad
		if _, err := Diff(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.o, err, tc.want)
		}
		if _, err := os.Stat(bad + ".mhd"); err == nil {
			t.Fatal("output written on error")
		}
	}
}
