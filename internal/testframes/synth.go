package testframes

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/dataset"
)

// SynthOptions configures Synthetic. The zero value gives 100 protons of
// 230 MeV behind 100 mm of water at the spot (0, 0), with lateral
// parameters tuned to the paper's 100 mm graph sizes.
type SynthOptions struct {
	// Protons per frame; 0 means 100.
	Protons int
	// Water is the phantom thickness in mm; it sets the range. 0 means
	// 100; negative means no phantom.
	Water float64
	// Layers in the detector; 0 means NumLayers (50).
	Layers int
	// SpotX, SpotY are the spot centre at the tracker, mm.
	SpotX, SpotY float64
	// SpotSigma is the lateral rms of the beam at layer 0, mm; 0 means
	// 5.3 + 0.02·(Water − 100), at least 3 (5.3 mm at 100 mm of water).
	SpotSigma float64
	// Source is the distance, mm, from layer 0 back to the virtual point
	// source, which makes the spot grow with depth (slope = offset /
	// Source); 0 means 150 (tuned to the paper's graph sizes).
	Source float64
	// AngleSigma is the rms of the random part of the entry angle per
	// plane, rad (scattering in the phantom); 0 means 0.02·√(Water/100).
	AngleSigma float64
	// Nuclear is the probability per calorimeter layer that a proton ends
	// in a nuclear interaction; 0 means 0.01, negative means none.
	Nuclear float64
	// Delta is the probability per proton hit of an extra nearby
	// secondary (electron) hit; 0 means 0.01, negative means none.
	Delta float64
	// Frame is the frame index written to the metadata; event IDs are
	// Frame·Protons + i.
	Frame int64
}

func (o SynthOptions) withDefaults() SynthOptions {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Protons <= 0 {
		o.Protons = 100
	}
	if o.Layers <= 0 {
		o.Layers = NumLayers
	}
	def(&o.Water, 100)
	w := max(o.Water, 0)
	// 5.3/6.2/7.3 mm at 100/150/200 mm of water (dtc-reference.md §2.2).
	def(&o.SpotSigma, max(5.3+0.02*(w-100), 3))
	def(&o.Source, 150)
	def(&o.AngleSigma, 0.02*math.Sqrt(max(w, 10)/100))
	def(&o.Nuclear, 0.01)
	def(&o.Delta, 0.01)
	return o
}

// Physics constants of the generator (dtc-reference.md §4–§7).
const (
	protonMass = 938.272 // MeV
	beamEnergy = 230.0   // MeV
	bkAlpha    = 0.02387 // mm·MeV^-p, water Bragg–Kleeman (TK)
	bkP        = 1.7547
	waterRange = 329.5 // mm, CSDA range of 230 MeV protons in water
	trackerWET = 6.06  // mm water-equivalent from layer 0 to layer 2
	layerWET   = 8.16  // mm water-equivalent per calorimeter layer
	rangeSD    = 3.0   // mm, range straggling
	epiUM      = 25.0  // µm, sensitive thickness
)

// energyAt returns the proton energy, MeV, for a residual water range in mm.
func energyAt(residual float64) float64 {
	return math.Pow(max(residual, 0.05)/bkAlpha, 1/bkP)
}

// highland returns the plane rms scattering angle, rad, of a calorimeter
// layer (0.043 X0) at energy e MeV.
func highland(e float64) float64 {
	const x = 0.043
	pv := (e*e + 2*e*protonMass) / (e + protonMass)
	return 13.6 / pv * math.Sqrt(x) * (1 + 0.038*math.Log(x))
}

// edepAt returns a Landau-ish deposit in the 25 µm epi layer, MeV, for a
// proton of energy e MeV: mean dE/dx ≈ 0.78·(230/E)^0.709 keV/µm with a
// log-normal spread.
func edepAt(rng *rand.Rand, e float64) float64 {
	dedx := 0.78 * math.Pow(beamEnergy/max(e, 3), 0.709)
	return dedx * epiUM * 1e-3 * math.Exp(0.25*rng.NormFloat64()-0.03)
}

// clusterSize is physics.ClusterSize for the 25 µm epi layer, inlined so
// the fixtures do not depend on a package under development.
func clusterSize(edep float64) int32 {
	if !(edep > 0) {
		return 0
	}
	return int32(4.2267*math.Pow(edep*1e3/epiUM, 0.65) + 0.5)
}

// Synthetic returns a synthetic frame of pCT-like hits (see the package
// comment for what it is and is not). Hits come grouped by event, then
// track, then layer, as the merged GATE output; hits with cluster size < 2
// are dropped as in the datasets. The same rng state and options give the
// same frame. O(protons·layers).
func Synthetic(rng *rand.Rand, opt SynthOptions) dataset.Frame {
	o := opt.withDefaults()
	water := max(o.Water, 0)
	f := dataset.Frame{Meta: dataset.FrameMeta{
		Frame: o.Frame, SpotX: o.SpotX, SpotY: o.SpotY, Phantom: "none", PhantomThickness: water,
		BeamEnergy: beamEnergy, ProtonsPerFrame: o.Protons, Geometry: "synthetic",
	}}
	if water > 0 {
		f.Meta.Phantom = fmt.Sprintf("water:%g", water)
	}
	f.Hits = make([]dataset.Hit, 0, o.Protons*int(40-water/10))
	meanStop := 2 + (waterRange-water-trackerWET)/layerWET // in layer units
	for i := range o.Protons {
		ev := o.Frame*int64(o.Protons) + int64(i)
		var x, y [2]float64 // position, slope per plane
		x[0] = o.SpotX + o.SpotSigma*rng.NormFloat64()
		y[0] = o.SpotY + o.SpotSigma*rng.NormFloat64()
		x[1] = (x[0]-o.SpotX)/o.Source + o.AngleSigma*rng.NormFloat64()
		y[1] = (y[0]-o.SpotY)/o.Source + o.AngleSigma*rng.NormFloat64()
		stop := meanStop + rangeSD/layerWET*rng.NormFloat64()
		last := min(int(stop), o.Layers-1)
		track := int32(1)
		for l := 0; l <= last; l++ {
			if l > 0 {
				dz := LayerZ(l) - LayerZ(l-1)
				x[0] += x[1] * dz
				y[0] += y[1] * dz
			}
			e := energyAt((stop - float64(l)) * layerWET)
			ed := edepAt(rng, e)
			f.Hits = appendHit(f.Hits, dataset.Hit{
				Layer: int32(l), X: float32(x[0]), Y: float32(y[0]), Z: float32(LayerZ(l)),
				Edep: float32(ed), EventID: ev, TrackID: 1, PDG: dataset.PDGProton, Primary: true,
			})
			if o.Delta > 0 && rng.Float64() < o.Delta {
				track++
				d := 0.004 + 0.01*rng.Float64()
				f.Hits = appendHit(f.Hits, dataset.Hit{
					Layer: int32(l), X: float32(x[0] + rng.NormFloat64()), Y: float32(y[0] + rng.NormFloat64()),
					Z: float32(LayerZ(l)), Edep: float32(d), EventID: ev, TrackID: track, ParentID: 1,
					PDG: dataset.PDGElectron,
				})
			}
			// Scattering in the material behind this sensor.
			th := 0.002
			if l >= 2 {
				th = highland(e)
			}
			x[1] += th * rng.NormFloat64()
			y[1] += th * rng.NormFloat64()
			if l >= 2 && l < last && o.Nuclear > 0 && rng.Float64() < o.Nuclear {
				if rng.Float64() < 0.6 {
					track++
					f.Hits = secondary(rng, f.Hits, ev, track, l, x[0], y[0], o.Layers)
				}
				break
			}
		}
	}
	return f
}

// appendHit sets the cluster size and keeps the hit if cs >= 2.
func appendHit(hs []dataset.Hit, h dataset.Hit) []dataset.Hit {
	h.ClusterSize = clusterSize(float64(h.Edep))
	if h.ClusterSize < 2 || math.Abs(float64(h.X)) > 135.4 || math.Abs(float64(h.Y)) > 83.15 {
		return hs
	}
	return append(hs, h)
}

// secondary adds a short secondary-proton track leaving layer l at (x, y)
// at a large angle, as from a nuclear interaction.
func secondary(rng *rand.Rand, hs []dataset.Hit, ev int64, track int32, l int, x, y float64, layers int) []dataset.Hit {
	th := 0.1 + 0.6*rng.Float64()
	phi := 2 * math.Pi * rng.Float64()
	sx, sy := math.Tan(th)*math.Cos(phi), math.Tan(th)*math.Sin(phi)
	n := 1 + int(rng.ExpFloat64()*2)
	for k := 1; k <= n && l+k < layers; k++ {
		dz := LayerZ(l+k) - LayerZ(l)
		hs = appendHit(hs, dataset.Hit{
			Layer: int32(l + k), X: float32(x + sx*dz), Y: float32(y + sy*dz), Z: float32(LayerZ(l + k)),
			Edep: float32(edepAt(rng, 30)), EventID: ev, TrackID: track, ParentID: 1, PDG: dataset.PDGProton,
		})
	}
	return hs
}

// Stream returns the rng for frame i of a run with the given seed, so that
// frames can be generated in any order or on any shard with identical
// results.
func Stream(seed uint64, i int64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)))
}

// SyntheticFrames returns n frames, frame i drawn from Stream(seed, i)
// with opt.Frame = i.
func SyntheticFrames(seed uint64, n int, opt SynthOptions) []dataset.Frame {
	fs := make([]dataset.Frame, n)
	for i := range fs {
		o := opt
		o.Frame = int64(i)
		fs[i] = Synthetic(Stream(seed, int64(i)), o)
	}
	return fs
}
