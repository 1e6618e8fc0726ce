package recon

import (
	"math"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/sim"
)

// Beam is what a reconstruction without a front tracker knows of a
// proton's entry: the nominal axis of its pencil-beam spot and the beam's
// phase-space spread, on the source plane.
type Beam struct {
	SourceZ float64 // plane of the entry states (beam frame), mm
	// VirtualSource tilts spot (x, y) to the direction (x, y)/VirtualSource
	// (0: parallel spots), as sim.Beam does.
	VirtualSource float64
	// Cov is the phase-space covariance per transverse axis on SourceZ.
	Cov Cov2
}

// BeamOf returns the Beam of a simulated pencil beam (defaults resolved).
func BeamOf(b sim.Beam) Beam {
	sigma, theta, rho := b.PhaseSpace()
	return Beam{SourceZ: b.Source(), VirtualSource: b.VirtualSource, Cov: BeamCov(sigma, theta, rho)}
}

// Entry returns the nominal entry state of spot (x, y) (its position at
// z = 0) on the source plane.
func (b Beam) Entry(x, y float64) dataset.PlaneState {
	var tx, ty float64
	if b.VirtualSource > 0 {
		tx, ty = x/b.VirtualSource, y/b.VirtualSource
	}
	return dataset.PlaneState{X: x, Y: y, TX: tx, TY: ty}.At(b.SourceZ)
}

// TruthStats count what AppendTruth did with the primaries of a frame.
type TruthStats struct {
	Primaries int // primaries with Monte-Carlo truth
	Kept      int
	NoWEPL    int // stopped or interacted in the phantom (WEPL unknown)
	NoExit    int // without hits of the primary in layers 0 and 1
}

// Add adds o to s.
func (s *TruthStats) Add(o TruthStats) {
	s.Primaries += o.Primaries
	s.Kept += o.Kept
	s.NoWEPL += o.NoWEPL
	s.NoExit += o.NoExit
}

// AppendTruth appends to dst the list-mode protons of frame f under truth
// pairing and with the Monte-Carlo WEPL (f.Primaries): for each primary
// that left the phantom, the exit state on layer 0's plane from its own
// hits in layers 0 and 1 (what the DTC's two tracker layers measure), the
// entry state from the frame's spot (b.Entry), and the frame's angle. It
// returns the grown dst and what it did.
func AppendTruth(dst []dataset.Proton, f *dataset.Frame, b Beam) ([]dataset.Proton, TruthStats) {
	var st TruthStats
	in := b.Entry(f.Meta.SpotX, f.Meta.SpotY)
	type pair struct{ h0, h1 int }
	hits := make(map[int64]pair, len(f.Primaries))
	for k := range f.Hits {
		h := &f.Hits[k]
		if h.TrackID != 1 || h.Layer > 1 {
			continue
		}
		p, ok := hits[h.EventID]
		if !ok {
			p = pair{-1, -1}
		}
		if h.Layer == 0 {
			p.h0 = k
		} else {
			p.h1 = k
		}
		hits[h.EventID] = p
	}
	for k := range f.Primaries {
		pt := &f.Primaries[k]
		st.Primaries++
		if math.IsNaN(float64(pt.WEPL)) {
			st.NoWEPL++
			continue
		}
		p, ok := hits[pt.EventID]
		if !ok || p.h0 < 0 || p.h1 < 0 {
			st.NoExit++
			continue
		}
		h0, h1 := &f.Hits[p.h0], &f.Hits[p.h1]
		dz := float64(h1.Z - h0.Z)
		out := dataset.PlaneState{X: float64(h0.X), Y: float64(h0.Y), Z: float64(h0.Z),
			TX: float64(h1.X-h0.X) / dz, TY: float64(h1.Y-h0.Y) / dz}
		dst = append(dst, dataset.Proton{Frame: f.Meta.Frame, EventID: pt.EventID, Angle: f.Meta.Angle,
			In: in, Out: out, WEPL: float64(pt.WEPL), TrueWEPL: float64(pt.WEPL)})
		st.Kept++
	}
	return dst, st
}
