package sim

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/pcttrack/pcttrack/dataset"
)

// The electron hits come at the GATE reference file's rates (calibration
// half: 68 δ-electron hits of primaries per 34 162 primary hits, other
// electron hits in 5.53 % of the events) by default, and neither with
// NoElectronHits nor in version 2.
func TestElectronHits(t *testing.T) {
	rates := func(ph Physics) (delta, other float64, n int) {
		frames := collect(t, gateConfig(60, ph))
		var primHits, deltas int
		events := map[int64]bool{}
		withOther := map[int64]bool{}
		for _, f := range frames {
			for _, h := range f.Hits {
				events[h.EventID] = true
				switch {
				case h.Primary:
					primHits++
				case h.PDG == dataset.PDGElectron && h.ParentID == 1:
					deltas++
				case h.PDG == dataset.PDGElectron:
					withOther[h.EventID] = true
				}
				if h.PDG == dataset.PDGElectron {
					n++
				}
			}
		}
		return float64(deltas) / float64(primHits), float64(len(withOther)) / float64(len(events)), n
	}
	for _, ph := range []Physics{{NoElectronHits: true}, {Version: 2}} {
		if _, _, n := rates(ph); n != 0 {
			t.Errorf("%+v made %d electron hits", ph, n)
		}
	}
	delta, other, _ := rates(Physics{})
	// 6000 primaries: ~190 δ hits (±7 %), ~330 events (±6 %)
	if math.Abs(delta/0.00199-1) > 0.25 {
		t.Errorf("δ-electron hits per primary hit %.5f, GATE 0.00199", delta)
	}
	if math.Abs(other-0.0553) > 0.01 {
		t.Errorf("events with other electron hits %.2f %%, GATE 5.53 %%", 100*other)
	}
}

// An event whose only hits are electrons' counts as one that reached the
// detector, once: a written dataset's truth stays one row per event.
func TestElectronHitsWrite(t *testing.T) {
	c := gateConfig(20, Physics{})
	c.CountGenerated = false
	p := filepath.Join(t.TempDir(), "e.parquet")
	st, err := Write(context.Background(), c, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 20 {
		t.Errorf("%d frames", st.Frames)
	}
}
