package sim

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/physics"
)

// Secondary-proton emission (quasi-free knock-out): the available energy
// E − qfsBinding is shared as u and 1 − u (u uniform, isotropic
// nucleon–nucleon scattering in the centre of mass), with the
// non-relativistic knock-out kinematics cos²θ = u for the leading proton
// and the partner at 90° − θ on the opposite side; the partner is a
// proton for half of the events.
const (
	qfsBinding    = 20.0  // MeV: separation + excitation energy of the residual nucleus
	minSecondaryE = 1.0   // MeV: lighter secondaries stop in the slab they start in
	maxSecondaryT = 1.4   // rad (80°): wider secondaries are not tracked
	maxTriesConst = 1000  // + 100 per proton: attempts to fill a frame with visible primaries
	highlandLog   = 0.038 // Highland log coefficient
)

// particle is a proton in flight.
type particle struct {
	x, y    float64 // mm at the upstream face of segment seg (+ frac)
	tx, ty  float64 // direction tangents dx/dz, dy/dz
	e       float64 // MeV
	budget  float64 // nuclear mean free paths left before the next interaction
	pending float64 // Highland: scattering thickness (X0) not yet sampled
	pendVar float64 // Wentzel: soft deflection variance (rad², per plane) not yet sampled
	pendNu  float64 // Wentzel: expected hard deflections not yet sampled
	coul    float64 // Wentzel: hard-deflection mean free paths left before the next one
	seg     int
	frac    float64 // fraction of segment seg already traversed
	id      int32
	parent  int32
}

// worker simulates frames; one per goroutine.
type worker struct {
	c       *Config
	p       *plan
	pcg     *rand.PCG
	r       *rand.Rand
	f       *dataset.Frame
	queue   []particle
	nextID  int32
	eventID int64
	visible bool
	wentzel bool                 // Physics.Scattering is ScatterWentzel
	disk    bool                 // Physics.Diffraction is DiffractionDisk
	elScale float64              // p–nucleus elastic cross section relative to the tables'
	truth   dataset.PrimaryTruth // of the primary in flight (truth.go)
	obj     objectState          // scratch of Config.Object's steps (objectstep.go)
	wepl    float64              // its WEPL so far in the phantom
}

func newWorker(c *Config, p *plan) *worker {
	pcg := rand.NewPCG(c.Seed, 0)
	w := &worker{c: c, p: p, pcg: pcg, r: rand.New(pcg), wentzel: c.Physics.Scattering == ScatterWentzel,
		disk: c.Physics.Diffraction == DiffractionDisk, elScale: 1}
	if w.disk {
		w.elScale = physics.DiskElasticFraction / physics.NuclearElasticFraction
	}
	return w
}

// frame simulates frame i into f (reusing f.Hits).
func (w *worker) frame(i int, f *dataset.Frame) error {
	c := w.c
	w.pcg.Seed(c.Seed, uint64(i))
	spot := c.Beam.Spots[i%len(c.Beam.Spots)]
	n := c.ProtonsPerFrame
	f.Meta = dataset.FrameMeta{
		Frame: int64(i), SpotX: spot.X, SpotY: spot.Y,
		Phantom: w.p.phantom, PhantomThickness: w.p.phantomWET,
		BeamEnergy: c.Beam.Energy, ProtonsPerFrame: n, Seed: c.Seed, Geometry: c.Geometry.Name,
	}
	w.setFrame(i, &f.Meta)
	f.Hits = f.Hits[:0]
	f.Primaries = f.Primaries[:0]
	w.f = f
	maxTries := maxTriesConst + 100*n
	done := 0
	for tries := 0; done < n; tries++ {
		if tries >= maxTries {
			return fmt.Errorf("sim: frame %d: only %d of %d primaries reached the detector in %d tries (phantom %s too thick for %g MeV?)",
				i, done, n, tries, w.p.phantom, c.Beam.Energy)
		}
		w.eventID = int64(i)*int64(n) + int64(done)
		w.primary(spot)
		if w.visible || c.CountGenerated {
			done++
		}
	}
	return nil
}

// beamCorr returns the position–angle correlation coefficient of the beam
// and √(1 − ρ²) (Beam.correlation).
func (w *worker) beamCorr() (rho, rest float64) { return w.c.Beam.correlation() }

// primary simulates one primary and its secondaries.
func (w *worker) primary(spot Spot) {
	b := &w.c.Beam
	r := w.r
	p := particle{id: 1, budget: math.Inf(1)}
	ax, ay := spot.X, spot.Y
	if b.VirtualSource > 0 {
		p.tx, p.ty = spot.X/b.VirtualSource, spot.Y/b.VirtualSource
		ax += p.tx * *b.SourceZ
		ay += p.ty * *b.SourceZ
	}
	z1x, z1y := r.NormFloat64(), r.NormFloat64()
	p.x = ax + b.SpotSigma*z1x
	p.y = ay + b.SpotSigma*z1y
	rho, rest := w.beamCorr()
	p.tx += b.Divergence * (rho*z1x + rest*r.NormFloat64())
	p.ty += b.Divergence * (rho*z1y + rest*r.NormFloat64())
	p.e = b.Energy + b.EnergySpread*r.NormFloat64()
	if !w.c.Physics.NoNuclear {
		p.budget = r.ExpFloat64()
	}
	if w.wentzel {
		p.coul = r.ExpFloat64()
	}
	w.nextID = 2
	w.visible = false
	w.queue = w.queue[:0]
	w.startTruth()
	nh := len(w.f.Hits)
	w.transport(&p)
	for k := 0; k < len(w.queue); k++ {
		s := w.queue[k]
		w.transport(&s)
	}
	if len(w.f.Hits) > nh {
		w.f.Primaries = append(w.f.Primaries, w.truth)
	}
}

// transport follows p from its segment to the end of the beam line, or
// until it stops, interacts or leaves the aperture at a sensor.
func (w *worker) transport(p *particle) {
	segs := w.p.segs
	r := w.r
	ph := &w.c.Physics
	for i := p.seg; i < len(segs); i++ {
		s := &segs[i]
		scale := 1.0
		if i == p.seg && p.frac > 0 {
			scale = 1 - p.frac
		} else if p.id == 1 {
			w.observe(p, s, i)
		}
		if s.kind == kindObject {
			s = w.objectStep(p, i, scale)
		}
		l := (s.z1 - s.z0) * scale
		if s.kind == kindSensor {
			half := l / 2
			x, y := p.x+p.tx*half, p.y+p.ty*half
			if math.Abs(x) > w.p.halfAX || math.Abs(y) > w.p.halfAY {
				return // outside the sensitive area: it leaves the detector
			}
			pf := math.Sqrt(1 + p.tx*p.tx + p.ty*p.ty)
			ein := p.e
			d := s.thin.SampleScaled(r, p.e, pf*scale)
			p.e -= d
			if d > 0 {
				w.visible = true
				w.hit(s, p.id, p.parent, dataset.PDGProton, x, y, d)
				if !ph.NoElectronHits {
					w.deltaHit(s, p.id, x, y)
				}
			}
			if dep, kin := s.thin.SampleDelta(r, p.e, pf*scale); dep > 0 {
				p.e -= kin
				w.hit(s, w.nextID, p.id, dataset.PDGElectron, x, y, dep)
				w.nextID++
			}
			p.x, p.y = x+p.tx*half, y+p.ty*half
			p.pending += s.xX0 * pf
			if w.wentzel && p.e > 0 && !s.folded {
				_, v := s.coul.mixTab.SoftScatterMix(ein, p.e, &s.coul.mix, pf*scale, s.coul.lnSoftK)
				p.pendVar += v
				p.pendNu += s.coul.nuHard * pf * scale
			}
			if p.e <= 0 {
				return
			}
			continue
		}
		pf := math.Sqrt(1 + p.tx*p.tx + p.ty*p.ty)
		ps := scale * pf // path per unit z-thickness of this segment
		if !ph.NoStraggling {
			p.e += math.Sqrt(s.bohr*ps*physics.BohrFactor(p.e)) * r.NormFloat64()
			if p.e <= 0 {
				return
			}
		}
		ein := p.e
		wz := w.wentzel && !ph.NoScattering
		var tot, done, soft float64
		for k := range s.subs {
			tot += s.subs[k].t
		}
		for k := range s.subs {
			sb := &s.subs[k]
			path := sb.t * ps
			in, pp, na := sb.tab.Sigmas(p.e)
			if ph.NoElastic {
				pp, na = 0, 0
			}
			na *= w.elScale
			if s.detector {
				na *= ph.DetectorElastic
			}
			if d := (in + pp + na) * path; d >= p.budget {
				f := p.budget / d
				g := (done + f*sb.t) / tot // fraction of the remaining segment
				p.e = sb.tab.EnergyAfter(p.e, f*path)
				if p.e <= 0 {
					return // it stops before the interaction point
				}
				p.x, p.y = p.x+p.tx*g*l, p.y+p.ty*g*l
				p.seg, p.frac = i, 1-scale+scale*g
				p.pending += s.xX0 * ps * g
				if wz {
					_, v := s.coul.mixTab.SoftScatterMix(ein, p.e, &s.coul.mix, ps*g, s.coul.lnSoftK)
					p.pendVar += v
					p.pendNu += s.coul.nuHard * ps * g
				}
				u := r.Float64() * (in + pp + na)
				switch {
				case u < in:
					w.interact(p)
					return
				case u < in+pp:
					if !w.elasticPP(p) {
						return
					}
				default:
					if w.disk {
						tx, ty := physics.SampleDiffraction(r, p.e, sb.tab.ElasticA(), maxSecondaryT)
						p.tx = kink(p.tx, tx)
						p.ty = kink(p.ty, ty)
					} else {
						th := sb.tab.DiffractionAngle(p.e)
						p.tx = kink(p.tx, th*r.NormFloat64())
						p.ty = kink(p.ty, th*r.NormFloat64())
					}
				}
				if p.tx*p.tx+p.ty*p.ty > maxTan2 {
					return // scattered sideways: no longer tracked
				}
				p.budget = r.ExpFloat64()
				w.transport(p) // on from the interaction point
				return
			}
			p.budget -= (in + pp + na) * path
			rng := sb.tab.Range(p.e)
			if rng <= path {
				return // stops in this segment
			}
			p.e = sb.tab.EnergyFromRange(rng - path)
			done += sb.t
		}
		if wz && !s.coul.negligible {
			_, soft = s.coul.mixTab.SoftScatterMix(ein, p.e, &s.coul.mix, ps, s.coul.lnSoftK)
		}
		if ph.NoScattering {
			p.x += p.tx * l
			p.y += p.ty * l
			continue
		}
		if !s.sample {
			p.pending += s.xX0 * ps
			p.pendVar += soft
			p.pendNu += s.coul.nuHard * ps
			p.x += p.tx * l
			p.y += p.ty * l
			continue
		}
		if wz {
			if !w.coulomb(p, s, l, ps, soft, ein) {
				return
			}
			continue
		}
		x := s.xX0*ps + p.pending
		p.pending = 0
		fl := 1 + highlandLog*(s.logX-physics.LogBeta2(0.5*(ein+p.e)))
		if fl < 0 {
			fl = 0
		}
		th := physics.HighlandEs * math.Sqrt(x/(physics.BetaCP(ein)*physics.BetaCP(p.e))) * fl
		dx, dtx := physics.ScatterPair(r, th, l)
		dy, dty := physics.ScatterPair(r, th, l)
		p.x += p.tx*l + dx
		p.y += p.ty*l + dy
		p.tx = kink(p.tx, dtx)
		p.ty = kink(p.ty, dty)
		if p.tx*p.tx+p.ty*p.ty > maxTan2 {
			return
		}
	}
}

// coulomb applies the Wentzel deflection of sampled segment s (length l
// along z, path scale ps, entered at energy ein) to p: the soft variance
// accrued in s (soft) and carried from before as a Gaussian, and the hard
// deflections of the region's cut tail at their positions, drawn as a
// Poisson process from p.coul. With s.angleOnly the Gaussian acts at the
// segment's end (a condensed-history step); otherwise with its correlated
// offset. It reports whether p is still tracked.
func (w *worker) coulomb(p *particle, s *segment, l, ps, soft, ein float64) bool {
	r := w.r
	sig := math.Sqrt(soft + p.pendVar)
	nu := s.coul.nuHard*ps + p.pendNu
	p.pendVar, p.pendNu = 0, 0
	var dx, dy, dtx, dty float64
	if s.angleOnly {
		dtx, dty = sig*r.NormFloat64(), sig*r.NormFloat64()
	} else {
		dx, dtx = physics.ScatterPair(r, sig, l)
		dy, dty = physics.ScatterPair(r, sig, l)
	}
	if p.coul < nu {
		em := 0.5 * (ein + p.e)
		thc := s.coul.cutK / physics.BetaCP(em)
		var used float64
		for used+p.coul < nu {
			used += p.coul
			u := used / nu // where along the segment
			if tx, ty, ok := physics.SampleRutherford(r, thc, em, s.coul.r2N); ok {
				dx += tx * (1 - u) * l
				dy += ty * (1 - u) * l
				dtx += tx
				dty += ty
			}
			p.coul = r.ExpFloat64()
		}
		p.coul -= nu - used
	} else {
		p.coul -= nu
	}
	p.x += p.tx*l + dx
	p.y += p.ty*l + dy
	p.tx = kink(p.tx, dtx)
	p.ty = kink(p.ty, dty)
	return p.tx*p.tx+p.ty*p.ty <= maxTan2
}

// maxTan2 is tan²(maxSecondaryT): particles beyond it are not tracked.
var maxTan2 = math.Pow(math.Tan(maxSecondaryT), 2)

// kink returns the tangent of atan(t) + d: a projected deflection d.
func kink(t, d float64) float64 {
	if t*t < 0.04 && d*d < 0.01 {
		return t + d*(1+t*t) // first order, exact to 1e-4 here
	}
	a := math.Atan(t) + d
	if a >= math.Pi/2 || a <= -math.Pi/2 {
		return math.Inf(1)
	}
	return math.Tan(a)
}

// hit records a deposit d MeV at (x, y) in sensor segment s.
func (w *worker) hit(s *segment, id, parent, pdg int32, x, y, d float64) bool {
	cs := s.clusterSize(d)
	if cs < physics.ClusterThreshold && !w.c.KeepSmallClusters {
		return false
	}
	if w.c.Digitize {
		g := w.c.Geometry
		x = (math.Floor(x/g.PitchX) + 0.5) * g.PitchX
		y = (math.Floor(y/g.PitchY) + 0.5) * g.PitchY
	}
	w.f.Hits = append(w.f.Hits, dataset.Hit{
		Layer: s.layer, X: float32(x), Y: float32(y), Z: float32(0.5 * (s.z0 + s.z1)),
		Edep: float32(d), ClusterSize: cs, EventID: w.eventID, TrackID: id, ParentID: parent,
		PDG: pdg, Primary: id == 1,
	})
	return true
}

// interact ends p (a primary) in an inelastic nuclear interaction at
// its current state and queues the secondary protons. Secondaries end
// without emitting further secondaries.
func (w *worker) interact(p *particle) {
	if p.id != 1 {
		return
	}
	if !w.c.Physics.NoElectronHits {
		w.photonHits(p)
	}
	r := w.r
	yield := w.c.Physics.SecondaryYield
	if yield <= 0 || p.e <= qfsBinding || r.Float64()*1.5 >= yield {
		return
	}
	ea := p.e - qfsBinding
	u := r.Float64()
	phi := 2 * math.Pi * r.Float64()
	partner := r.Float64() < 0.5
	w.emit(p, ea*u, math.Sqrt(u), phi)
	if partner {
		w.emit(p, ea*(1-u), math.Sqrt(1-u), phi+math.Pi)
	}
}

// elasticPP scatters p elastically on a hydrogen nucleus: isotropic in
// the centre of mass, so p keeps a fraction v ~ U(0,1) of its energy at
// cos²θ = v and the recoil proton (queued as a secondary) takes the rest
// at 90° − θ (non-relativistic kinematics). It reports whether p is still
// tracked (not deflected beyond 80°).
func (w *worker) elasticPP(p *particle) bool {
	r := w.r
	v := r.Float64()
	phi := 2 * math.Pi * r.Float64()
	w.emit(p, p.e*(1-v), math.Sqrt(1-v), phi+math.Pi)
	c := math.Sqrt(v)
	if p.e*v < minSecondaryE || c < math.Cos(maxSecondaryT) {
		return false
	}
	tan := math.Sqrt(1-c*c) / c
	p.e *= v
	p.tx += tan * math.Cos(phi)
	p.ty += tan * math.Sin(phi)
	return p.tx*p.tx+p.ty*p.ty <= maxTan2
}

// emit queues a secondary proton of energy e MeV leaving p's position at
// polar angle acos(cosT) and azimuth phi around p's direction.
func (w *worker) emit(p *particle, e, cosT, phi float64) {
	id := w.nextID
	w.nextID++ // ids do not depend on the cuts below
	if e < minSecondaryE || cosT < math.Cos(maxSecondaryT) {
		return
	}
	tan := math.Sqrt(1-cosT*cosT) / cosT
	s := particle{
		x: p.x, y: p.y, tx: p.tx + tan*math.Cos(phi), ty: p.ty + tan*math.Sin(phi),
		e: e, budget: math.Inf(1), seg: p.seg, frac: p.frac, id: id, parent: p.id,
	}
	if !w.c.Physics.NoNuclear {
		s.budget = w.r.ExpFloat64()
	}
	if w.wentzel {
		s.coul = w.r.ExpFloat64()
	}
	w.queue = append(w.queue, s)
}
