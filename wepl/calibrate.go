package wepl

import (
	"context"
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/baseline"
	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/pipeline"
	"github.com/pcttrack/pcttrack/sim"
	"github.com/pcttrack/pcttrack/track"
)

// CalibrationConfig is a degrader scan (Calibrate). Zero values mean the
// defaults given; DefaultCalibrationConfig made the embedded table.
type CalibrationConfig struct {
	// Geometry of the detector; nil means detector.Default().
	Geometry *detector.Geometry
	// Energy of the beam, MeV; 0 means sim.DefaultEnergy (230).
	Energy float64
	// Thicknesses of the water degraders, mm, increasing; nil means 0,
	// 10, …, 290. (Behind 290 mm the residual range is about 39 mm; at
	// 300 mm the paper's filter, more than 4 hits, removes the protons
	// that stop before the fifth layer and biases the mean range.)
	Thicknesses []float64
	// Protons simulated per thickness; 0 means 2000.
	Protons int
	// ProtonsPerFrame of the simulated frames; 0 means 100.
	ProtonsPerFrame int
	// Seed: thickness k is simulated with seed Seed + k.
	Seed uint64
	// Workers for simulation and tracking; 0 means GOMAXPROCS. The table
	// does not depend on it.
	Workers int
	// Progress, if not nil, is called after each thickness with the
	// number done and the total.
	Progress func(done, total int)
}

// DefaultCalibrationConfig is the scan behind the embedded calibration.
func DefaultCalibrationConfig() CalibrationConfig { return CalibrationConfig{} }

func (c *CalibrationConfig) resolved() (CalibrationConfig, error) {
	r := *c
	if r.Geometry == nil {
		r.Geometry = detector.Default()
	}
	if r.Energy == 0 {
		r.Energy = sim.DefaultEnergy
	}
	if !(r.Energy > 0) || math.IsInf(r.Energy, 0) {
		return r, fmt.Errorf("wepl: beam energy %v MeV is not positive", r.Energy)
	}
	if r.Thicknesses == nil {
		for t := 0.0; t <= 290; t += 10 {
			r.Thicknesses = append(r.Thicknesses, t)
		}
	}
	if len(r.Thicknesses) < 2 {
		return r, fmt.Errorf("wepl: a calibration needs at least 2 thicknesses, got %d", len(r.Thicknesses))
	}
	for i, t := range r.Thicknesses {
		if !(t >= 0) || math.IsInf(t, 0) || i > 0 && !(t > r.Thicknesses[i-1]) {
			return r, fmt.Errorf("wepl: degrader thicknesses must be finite, non-negative and increasing (%v)", r.Thicknesses)
		}
	}
	if r.Protons < 0 || r.ProtonsPerFrame < 0 || r.Workers < 0 {
		return r, fmt.Errorf("wepl: negative protons (%d), protons per frame (%d) or workers (%d)", r.Protons, r.ProtonsPerFrame, r.Workers)
	}
	if r.Protons == 0 {
		r.Protons = 2000
	}
	if r.ProtonsPerFrame == 0 {
		r.ProtonsPerFrame = 100
	}
	return r, nil
}

// calTrack is one truth track of the scan, reduced to its fit inputs.
type calTrack struct {
	w   float64 // true WEPL
	p   prepared
	fit [numSignals]fitResult
}

// Calibrate simulates the degrader scan cfg, tracks it with the truth
// tracker (baseline.NewTruth, the paper's graph and filter) and makes the
// calibration: the fit scales (median free-S fit per signal), the relative
// spreads, and per thickness the mean true WEPL of the tracked protons and
// the core mean and spread of each method's residual range. Tracks whose
// primary did not leave the phantom, with fewer than two hits, or reaching
// the last layer are left out. The result depends only on cfg (not on
// Workers). Cancelling ctx returns its error.
func Calibrate(ctx context.Context, cfg CalibrationConfig) (*Calibration, error) {
	c, err := cfg.resolved()
	if err != nil {
		return nil, err
	}
	lo, err := newLayout(c.Geometry)
	if err != nil {
		return nil, err
	}
	_, p := WaterExponent(c.Energy)
	cal := &Calibration{Geometry: c.Geometry.Name, Energy: c.Energy, P: p,
		Source: fmt.Sprintf("degrader scan of %d water thicknesses %g–%g mm, %d protons each (%d per frame), seed %d + k, truth tracking; pcttrack wepl --calibrate",
			len(c.Thicknesses), c.Thicknesses[0], c.Thicknesses[len(c.Thicknesses)-1], c.Protons, c.ProtonsPerFrame, c.Seed)}
	truth := pipeline.Method{Name: baseline.NameTruth, New: func() (track.Tracker, error) { return baseline.NewTruth(), nil }}
	scans := make([][]calTrack, len(c.Thicknesses))
	for k, t := range c.Thicknesses {
		ph := sim.Phantom{}
		if t > 0 {
			ph = sim.Phantom{Material: "water", Thickness: t}
		}
		scfg := sim.Config{Geometry: c.Geometry, Phantom: ph, Beam: sim.Beam{Energy: c.Energy},
			ProtonsPerFrame: c.ProtonsPerFrame, Frames: (c.Protons + c.ProtonsPerFrame - 1) / c.ProtonsPerFrame,
			Seed: c.Seed + uint64(k), Workers: c.Workers}
		err := simTrack(ctx, scfg, []pipeline.Method{truth}, c.Workers, func(_ int, out *pipeline.Output, ft *dataset.FrameTracks) error {
			for a := 0; a < len(ft.Hits); {
				b := a + 1
				for b < len(ft.Hits) && ft.Hits[b].Track == ft.Hits[a].Track {
					b++
				}
				hits := ft.Hits[a:b]
				a = b
				pt, ok := out.Frame.FindPrimary(hits[len(hits)-1].EventID)
				if !ok || math.IsNaN(float64(pt.WEPL)) || len(hits) < 2 || int(hits[0].Layer) == len(lo.depth)-1 {
					continue
				}
				var ct calTrack
				ct.w = float64(pt.WEPL)
				if err := ct.p.prepare(lo, hits, true); err != nil {
					return err
				}
				scans[k] = append(scans[k], ct)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("wepl: calibration at %g mm: %w", t, err)
		}
		if c.Progress != nil {
			c.Progress(k+1, len(c.Thicknesses))
		}
	}
	var all []*calTrack
	for k := range scans {
		for i := range scans[k] {
			all = append(all, &scans[k][i])
		}
	}
	// the fixed scales: median of the free fits of every 4th track
	v := make([]float64, len(all))
	for s := range numSignals {
		sub := v[:(len(all)+3)/4]
		parallel(len(sub), c.Workers, func(i int) { sub[i] = all[4*i].p.fit(s, p, 0).S })
		cal.Scale[s] = median(sub)
		parallel(len(all), c.Workers, func(i int) {
			all[i].fit[s] = all[i].p.fit(s, p, cal.Scale[s])
			v[i] = all[i].fit[s].rel2
		})
		cal.Spread[s] = math.Sqrt(median(v))
		if !(cal.Scale[s] > 0) || !(cal.Spread[s] > 0) {
			return nil, fmt.Errorf("wepl: calibration: no usable %s signal (scale %v, spread %v)", signalNames[s], cal.Scale[s], cal.Spread[s])
		}
	}
	for k, t := range c.Thicknesses {
		ts := scans[k]
		if len(ts) < 10 {
			return nil, fmt.Errorf("wepl: calibration at %g mm: only %d usable tracks", t, len(ts))
		}
		pt := CalPoint{Thickness: t, N: len(ts)}
		r := make([]float64, len(ts))
		for m := range numMethods {
			var w float64
			for i := range ts {
				if s := m.signal(); s >= 0 {
					r[i] = ts[i].fit[s].R
				} else {
					r[i] = ts[i].p.lastLayer()
				}
				w += ts[i].w
			}
			core := CoreOf(r)
			pt.Range[m], pt.SD[m] = core.Mean, core.SD
			pt.WEPL = w / float64(len(ts))
		}
		cal.Points = append(cal.Points, pt)
	}
	for m := range numMethods {
		if _, err := cal.curve(m); err != nil {
			return nil, err
		}
	}
	return cal, nil
}
