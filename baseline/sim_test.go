package baseline

import (
	"math"
	"slices"
	"testing"

	"github.com/pcttrack/pcttrack/metrics"
	"github.com/pcttrack/pcttrack/track"
)

// TestSimulatedPurityEfficiency runs both trackers on 5 simulated frames
// of 100 p⁺ behind 100 mm of water and checks the paper's purity and
// efficiency (mean over frames) against bands. On 40 frames of the same
// simulation (physics version 3) the follower reaches 73.2/59.5 % and the
// physics tracker 91.3/74.9 % (72.5/55.1 and 90.5/69.6 % on version 2,
// whose events are purer without electron hits, hence the lower
// efficiency; 73.2/60.6 and 86.6/69.8 % on version 1), with a per-frame sd
// of 4-6 points, so a 5-frame mean lies within ±2.5 points (1σ) of those;
// the bands allow ±6 points around the 40-frame means for changes of the
// simulation. The 40-frame means are what `pcttrack simulate --phantom
// water:100 --frames 40 --seed 7 [--physics-version 2]` and `pcttrack eval
// --method follower,physics` print.
//
// The paper reports 83.0/74.6 % for the toolkit's follower on its GATE
// data. The gap is the data, not the follower: 95 % of the simulated true
// tracks satisfy the follower's angle rules on their own; four in five of
// the tracks that go wrong switch protons in tracker layer 1 or 0 (55.75
// and 52.4 mm lever arms in the 5 mm beam spot), and there the wrong hit
// has the smaller kink in 827 of 833 cases, i.e. the follower does what
// the toolkit's rule says; and with a wider spot (σ 4 or 5 mm at the
// source instead of 3 mm, which brings the line-graph size from 656k to
// 539k or 423k edges against the paper's 494k) it reaches 76.7/62.8 and
// 80.5/66.1 %. The rest of the gap is consistent with the simulation's
// Gaussian scattering core being wider than Geant4's (sim/VALIDATION.md)
// and its 85.4 % efficiency ceiling (true tracks passing the filter).
func TestSimulatedPurityEfficiency(t *testing.T) {
	gs := simGraphs(t, 5)
	ph := defaultPhysics(t)
	fp, fe := meanScore(t, &Follower{}, gs)
	pp, pe := meanScore(t, ph, gs)
	t.Logf("follower purity %.1f %% efficiency %.1f %%; physics %.1f %% / %.1f %%", 100*fp, 100*fe, 100*pp, 100*pe)
	for _, c := range []struct {
		name     string
		got      float64
		low, hig float64
	}{
		{"follower purity", fp, 0.67, 0.79},
		{"follower efficiency", fe, 0.53, 0.66},
		{"physics purity", pp, 0.85, 0.97},
		{"physics efficiency", pe, 0.69, 0.81},
	} {
		if c.got < c.low || c.got > c.hig {
			t.Errorf("%s %.3f, want %.2f-%.2f", c.name, c.got, c.low, c.hig)
		}
	}
	if pp < fp+0.05 || pe < fe+0.03 {
		t.Errorf("physics tracker (%.3f/%.3f) not clearly ahead of the follower (%.3f/%.3f)", pp, pe, fp, fe)
	}
}

// TestTrackersDeterministicAndReusable checks that a tracker reused over
// frames gives what fresh trackers give, and the same on a second pass.
func TestTrackersDeterministicAndReusable(t *testing.T) {
	gs := simGraphs(t, 5)
	newPhysics := func() track.Tracker {
		p := defaultPhysics(t)
		return p
	}
	for _, mk := range []func() track.Tracker{func() track.Tracker { return &Follower{} }, newPhysics} {
		reused := mk()
		var res track.Result
		for pass := range 2 {
			for i := len(gs) - 1; i >= 0; i-- { // large and small frames in turn
				if err := reused.Track(&res, gs[i]); err != nil {
					t.Fatal(err)
				}
				var fresh track.Result
				if err := mk().Track(&fresh, gs[i]); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.All.Hits, fresh.All.Hits) || !slices.Equal(res.Tracks.Start, fresh.Tracks.Start) ||
					!slices.Equal(res.Selected, fresh.Selected) || res.Stats != fresh.Stats {
					t.Fatalf("%T pass %d frame %d: reused tracker differs from a fresh one", reused, pass, i)
				}
			}
		}
	}
}

func TestTrackersAllocFree(t *testing.T) {
	gs := simGraphs(t, 3)
	for _, tr := range []track.Tracker{&Follower{}, defaultPhysics(t)} {
		var res track.Result
		trackAll(t, tr, &res, gs) // warm-up
		allocs := testing.AllocsPerRun(5, func() { trackAll(t, tr, &res, gs) })
		if allocs != 0 {
			t.Errorf("%T allocates %.0f times per 3 frames after warm-up", tr, allocs)
		}
	}
}

// TestPaperScoreMatchesMetrics cross-checks this package's stand-in for
// the paper's metrics with package metrics on the trackers' output.
func TestPaperScoreMatchesMetrics(t *testing.T) {
	gs := simGraphs(t, 3)
	for _, tr := range []track.Tracker{&Follower{}, defaultPhysics(t)} {
		var res track.Result
		for _, g := range gs {
			if err := tr.Track(&res, g); err != nil {
				t.Fatal(err)
			}
			p, e := paperScore(g, &res.Tracks)
			m := metrics.Evaluate(g, res.Selected, &res.Tracks)
			if math.Abs(m.Purity-p) > 1e-12 || math.Abs(m.Efficiency-e) > 1e-12 {
				t.Errorf("%T frame %d: purity/efficiency %.4f/%.4f here, %.4f/%.4f from metrics", tr, g.Meta.Frame, p, e, m.Purity, m.Efficiency)
			}
		}
	}
}
