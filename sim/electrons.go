package sim

import (
	"math"

	"github.com/pcttrack/pcttrack/dataset"
)

// Electron hits (PhysicsVersion 3; Physics.NoElectronHits drops them). The GATE reference file has
// electron hits in 9 % of its events (451 hits in 4097 events, 0.6 % of
// its hits) although its protons deposit their full loss: electrons that
// enter a sensor from outside it. Two sources, each with its rate
// measured on the file's calibration half (events below 2500, as
// scripts/sim-to-real.sh splits it) and reproduced here after the
// cluster-size threshold and the aperture:
//   - δ-electrons of a proton freed in the passive material just in front
//     of a sensor (68 hits of primaries' electrons per 34 162 primary
//     hits), a short distance from the proton's own hit;
//   - Compton electrons of the photons of nuclear de-excitation (the other
//     electron hits, in 5.5 % of the events: their parents are hadronic
//     secondaries), anywhere along the photon's line of flight.
//
// Their deposits follow the file's electron hits (median 7.5 keV).
const (
	deltaPerHit      = 0.00242 // δ-electrons per proton hit (0.2 % made into hits)
	deltaRadius      = 0.21    // mm, median distance from the proton's hit
	deltaRadiusSigma = 2.05    // of its logarithm (90 % quantile 2.9 mm)
	// photonPerSensor is the probability that a de-excitation photon
	// crossing a sensor at normal incidence makes an electron hit there
	// (one photon per inelastic interaction of a primary; at obliquity the
	// path and the probability grow as 1/|cos θ|, up to 1).
	photonPerSensor = 0.0147
	electronEdep    = 0.0075 // MeV, median deposit of an electron hit
	electronSigma   = 1.25   // of its logarithm (90 % quantile 37 keV)
)

// electronDeposit samples the deposit of an electron hit, MeV.
func (w *worker) electronDeposit() float64 {
	return electronEdep * math.Exp(electronSigma*w.r.NormFloat64())
}

// deltaHit adds, with probability deltaPerHit, the hit of a δ-electron of
// proton id near its hit at (x, y) in sensor s.
func (w *worker) deltaHit(s *segment, id int32, x, y float64) {
	r := w.r
	if r.Float64() >= deltaPerHit {
		return
	}
	d := deltaRadius * math.Exp(deltaRadiusSigma*r.NormFloat64())
	phi := 2 * math.Pi * r.Float64()
	x, y = x+d*math.Cos(phi), y+d*math.Sin(phi)
	e := w.nextID
	w.nextID++
	if math.Abs(x) <= w.p.halfAX && math.Abs(y) <= w.p.halfAY {
		w.hit(s, e, id, dataset.PDGElectron, x, y, w.electronDeposit())
	}
}

// photonHits follows one isotropic de-excitation photon from the
// inelastic interaction of p (at p's position in segment p.seg, fraction
// p.frac) in a straight line and adds the Compton-electron hits it makes
// in the sensors it crosses. The photon is not attenuated: its chance to
// interact in all the sensors together is a few per cent.
func (w *worker) photonHits(p *particle) {
	r := w.r
	g := w.nextID // the photon
	w.nextID++
	cos := 2*r.Float64() - 1
	phi := 2 * math.Pi * r.Float64()
	if math.Abs(cos) < 1e-6 {
		return // parallel to the layers
	}
	sin := math.Sqrt(1 - cos*cos)
	tx, ty := sin*math.Cos(phi)/cos, sin*math.Sin(phi)/cos
	segs := w.p.segs
	s0 := &segs[p.seg]
	z := s0.z0 + p.frac*(s0.z1-s0.z0)
	prob := math.Min(1, photonPerSensor/math.Abs(cos))
	for i := range segs {
		s := &segs[i]
		if s.kind != kindSensor {
			continue
		}
		zc := 0.5 * (s.z0 + s.z1)
		if (zc-z)*cos <= 0 {
			continue // behind the photon
		}
		x, y := p.x+tx*(zc-z), p.y+ty*(zc-z)
		if math.Abs(x) > w.p.halfAX || math.Abs(y) > w.p.halfAY {
			continue
		}
		if r.Float64() < prob {
			e := w.nextID
			w.nextID++
			if w.hit(s, e, g, dataset.PDGElectron, x, y, w.electronDeposit()) {
				w.visible = true // an event of electron hits alone, as the GATE file has
			}
		}
	}
}
