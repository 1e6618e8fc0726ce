package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/pcttrack/pcttrack/dataset"
	"github.com/pcttrack/pcttrack/physics"
)

// kindObject marks a step through a Solid (Config.Object): the transport
// asks objectStep for the materials along the particle's straight path
// over the step and then applies the same per-step physics as to a slab
// group (straggling, CSDA loss per material, nuclear interactions,
// scattering as in a slab phantom).
const kindObject = kindSensor + 1

// objectPlan is the compiled Config.Object.
type objectPlan struct {
	solid  *Solid
	first  int     // index of the first object step in plan.segs
	last   int     // index of the last
	z0, z1 float64 // z range of the steps (beam frame)
	y0, y1 float64 // Y range of the solid
	radius float64
	// wet is the largest water-equivalent path of a straight line
	// through the solid (maxWET); frames record it as their phantom
	// thickness, so that the physics cuts of sparse graphs
	// (graph.Highland) assume protons as slow as the slowest, instead of
	// an unslowed beam
	wet        float64
	defaultLog float64 // ln(x/X0) across the diameter in the first part's material
	rsp        map[*physics.Material][]float64
	// water is the simulation's water (Physics.WaterI), which replaces
	// physics.Water in the parts and is the reference of the RSP tables,
	// as the truth WEPL of a slab phantom is its path in that water
	water *physics.Material
	// cond: condensed-history steps (Physics.MSCStep > 0) end at the
	// sampled object steps; stepOf maps an object step to its condensed
	// step and bounds holds the condensed steps' z limits
	cond   bool
	stepOf []int
	bounds []float64
}

// material returns the material the transport uses for part material m.
func (op *objectPlan) material(m *physics.Material) *physics.Material {
	return waterFor(m, op.water)
}

// waterFor returns water if m is physics.Water, else m: the solids are
// built of physics.Water, the simulation uses its own (Physics.Water).
func waterFor(m, water *physics.Material) *physics.Material {
	if m == physics.Water {
		return water
	}
	return m
}

// rspStep is the energy step of the RSP tables of objectPlan, MeV.
const rspStep = 1.0

// minWETEnergy is the lowest energy of the RSPs maxWET takes, MeV:
// protons slower than that stop within a few mm.
const minWETEnergy = 10.0

// maxWET returns the largest water-equivalent path of a straight line
// through the solid, mm: lines in its mid-plane and at a quarter and
// three quarters of its height, every 2° and every mm across, each
// material at its largest RSP between minWETEnergy and e (a bound within a
// few per cent: the lines miss no part wider than 1 mm).
func (op *objectPlan) maxWET(e float64) float64 {
	rsp := map[*physics.Material]float64{}
	for m, t := range op.rsp {
		for i, v := range t {
			if en := float64(i) * rspStep; en >= minWETEnergy && en <= e && v > 0 && !math.IsInf(v, 0) {
				rsp[m] = max(rsp[m], v)
			}
		}
	}
	var best float64
	var cross []Crossing
	var tbuf []float64
	r := op.radius
	for _, f := range [...]float64{0.25, 0.5, 0.75} {
		y := op.y0 + f*(op.y1-op.y0)
		for deg := 0; deg < 180; deg += 2 {
			sn, cs := math.Sincos(float64(deg) * math.Pi / 180)
			for u := -r; u <= r; u++ {
				// the line at distance u from the axis, direction (sn, 0, cs)
				a := Vec3{u*cs - 1.5*r*sn, y, -u*sn - 1.5*r*cs}
				b := Vec3{u*cs + 1.5*r*sn, y, -u*sn + 1.5*r*cs}
				cross, tbuf = op.solid.Trace(cross[:0], tbuf, a, b)
				var w float64
				for _, c := range cross {
					w += c.Frac * 3 * r * rsp[op.material(c.Material)]
				}
				best = max(best, w)
			}
		}
	}
	return best
}

// rspOf returns m's RSP at energy e from the plan's table (linear
// interpolation; the ratio changes by < 0.1 % per 10 MeV).
func (op *objectPlan) rspOf(m *physics.Material, e float64) float64 {
	t := op.rsp[m]
	x := e / rspStep
	i := int(x)
	if i >= len(t)-1 {
		return t[len(t)-1]
	}
	if i < 1 {
		return m.RSPTo(op.water, e)
	}
	f := x - float64(i)
	return t[i] + f*(t[i+1]-t[i])
}

// addObject appends the steps of c.Object, from z to the far side of the
// object (centred on the isocentre z = 0), and returns where they end.
func (p *plan) addObject(c *Config, z, front float64) (float64, error) {
	s := c.Object
	r, y0, y1 := s.Radius()
	z0, z1 := -r-1e-6, r+1e-6
	if z0 < z {
		return 0, fmt.Errorf("sim: object %s reaches z = %g mm, upstream of the source at %g mm", s.Name, z0, z)
	}
	if z1 > front {
		return 0, fmt.Errorf("sim: object %s reaches z = %g mm, inside the detector (front at %g mm)", s.Name, z1, front)
	}
	cond := c.Physics.MSCStep > 0
	p.addAir(airMaterial, z, z0, cond)
	n := int(math.Ceil((z1-z0)/c.Physics.PhantomStep - 1e-9))
	h := (z1 - z0) / float64(n)
	m := s.Parts[0].Material
	op := &objectPlan{solid: s, first: len(p.segs), z0: z0, z1: z1, y0: y0, y1: y1, radius: r,
		defaultLog: math.Log(2 * r / m.RadiationLength()), water: c.Physics.Water(), cond: cond}
	op.bounds = []float64{z0}
	next := c.Physics.MSCStep // end of the current condensed step, from z0
	for i := range n {
		sg := segment{kind: kindObject, z0: z0 + float64(i)*h, z1: z0 + float64(i+1)*h, sample: true}
		op.stepOf = append(op.stepOf, len(op.bounds)-1)
		if cond {
			// as in a slab phantom: the deflection of a condensed step
			// acts where it ends
			sg.angleOnly = true
			sg.sample = float64(i+1)*h >= next-1e-9 || i == n-1
			if sg.sample {
				next = float64(i+1)*h + c.Physics.MSCStep
				op.bounds = append(op.bounds, sg.z1)
			}
		}
		p.segs = append(p.segs, sg)
	}
	if !cond {
		op.bounds = append(op.bounds, z1)
	}
	op.rsp = map[*physics.Material][]float64{}
	for _, m := range append([]*physics.Material{s.medium()}, partMaterials(s)...) {
		m = op.material(m)
		if _, ok := op.rsp[m]; ok {
			continue
		}
		t := make([]float64, int(c.Beam.Energy/rspStep)+2)
		for i := range t {
			t[i] = m.RSPTo(op.water, float64(i)*rspStep)
		}
		op.rsp[m] = t
	}
	op.wet = op.maxWET(c.Beam.Energy)
	op.last = len(p.segs) - 1
	p.object = op
	p.phantom = s.Name
	return z1, nil
}

func partMaterials(s *Solid) []*physics.Material {
	var m []*physics.Material
	for _, p := range s.Parts {
		m = append(m, p.Material)
	}
	return m
}

// objectTruth makes the truth plan treat the object as the phantom: the
// WEPL through it (accumulated by objectStep) and the state on its
// downstream plane (the first segment after it).
func (p *plan) objectTruth() {
	if p.object == nil {
		return
	}
	p.truth.phantom = true
	p.truth.exit = p.object.last + 1
}

// objectState is a worker's scratch for object steps.
type objectState struct {
	rot   dataset.Rotation // of the frame being simulated
	seg   segment          // the step handed to the transport
	cross []Crossing
	tbuf  []float64
	logX  float64 // Highland's ln(x/X0) of the current primary's path
	kt    float64 // Σ K·t along it (the Wentzel model's scattering region)
	// stepKT is Σ K·t along it over each condensed step (objectPlan.bounds)
	stepKT []float64
}

// setFrame sets the projection angle of frame i (Config.Angles) and
// records it in the frame's metadata.
func (w *worker) setFrame(i int, m *dataset.FrameMeta) {
	c := w.c
	if len(c.Angles) > 0 {
		m.Angle = c.Angles[c.frameAngle(i)]
	}
	if w.p.object != nil {
		w.obj.rot = dataset.NewRotation(m.Angle)
		m.Phantom = w.p.object.solid.Name
		m.PhantomThickness = w.p.object.wet
	}
}

// toObject maps a beam-frame point to the object frame.
func (w *worker) toObject(x, y, z float64) Vec3 {
	X, Z := w.obj.rot.ToObject(x, z)
	return Vec3{X, y, Z}
}

// objectStep returns the step i of the object for particle p, which has
// the fraction 1 − scale of it still to go, filled with the materials along
// its straight path. For the primary entering a step it also adds the
// step's WEPL to the truth.
func (w *worker) objectStep(p *particle, i int, scale float64) *segment {
	op := w.p.object
	seg := &w.p.segs[i]
	o := &w.obj
	full := seg.z1 - seg.z0
	l := full * scale
	za := seg.z1 - l
	fresh := scale == 1 && p.id == 1
	if fresh && i == op.first {
		o.logX, o.kt = w.pathLog(p) // before the step's trace: it uses the same scratch
	}
	a := w.toObject(p.x, p.y, za)
	b := w.toObject(p.x+p.tx*l, p.y+p.ty*l, seg.z1)
	o.cross, o.tbuf = op.solid.Trace(o.cross[:0], o.tbuf, a, b)
	s := &o.seg
	*s = segment{kind: kindGroup, z0: seg.z0, z1: seg.z1, subs: s.subs[:0], sample: seg.sample, angleOnly: seg.angleOnly, logX: o.logX}
	pf := math.Sqrt(1 + p.tx*p.tx + p.ty*p.ty)
	for _, c := range o.cross {
		m := op.material(c.Material)
		s.add(m, c.Frac*full)
		if fresh {
			w.wepl += c.Frac * l * pf * op.rspOf(m, p.e)
		}
	}
	if w.wentzel {
		// the object is one scattering region, as a slab phantom is
		s.setMix()
		kt := max(o.kt, s.coul.kt)
		s.coul.lnCutK = math.Log(hardCut * hardCut * kt)
		s.coul.lnSoftK = s.coul.lnCutK
		if op.cond {
			// the Gaussian of a condensed step is as wide as the step makes it
			stepKT := s.coul.kt
			if k := op.stepOf[i-op.first]; k < len(o.stepKT) {
				stepKT = max(stepKT, o.stepKT[k])
			}
			s.coul.lnSoftK = math.Log(hardCut * hardCut * stepKT)
		}
		s.coul.cutK = hardCut * math.Sqrt(kt)
		s.coul.nuHard = s.coul.ktN / (s.coul.cutK * s.coul.cutK)
	}
	return s
}

// pathLog returns ln(x/X0) of the straight line of p through the object
// (Highland's log term of the whole scattering region, as for a slab
// phantom), or of the object's diameter if the line misses it, and the
// line's Σ K·t (the Wentzel model's region; 0 if it misses).
func (w *worker) pathLog(p *particle) (logX, kt float64) {
	op := w.p.object
	dz := op.z1 - op.z0
	a := w.toObject(p.x, p.y, op.z0)
	b := w.toObject(p.x+p.tx*dz, p.y+p.ty*dz, op.z1)
	w.obj.cross, w.obj.tbuf = op.solid.Trace(w.obj.cross[:0], w.obj.tbuf, a, b)
	l := dz * math.Sqrt(1+p.tx*p.tx+p.ty*p.ty)
	var x float64
	o := &w.obj
	n := len(op.bounds) - 1 // condensed steps
	o.stepKT = slices.Grow(o.stepKT[:0], n)[:n]
	clear(o.stepKT)
	k, f0 := 0, 0.0 // condensed step and where along the line it starts
	for _, c := range o.cross {
		m := op.material(c.Material)
		if m.Density > 0.01 {
			x += c.Frac * l / m.RadiationLength()
		}
		ck := m.Table().Coulomb().K * l
		kt += c.Frac * ck
		// split the crossing at the condensed steps' ends
		f1 := f0 + c.Frac
		for ; k+1 < n; k++ {
			end := (op.bounds[k+1] - op.z0) / dz
			if f1 <= end {
				break
			}
			o.stepKT[k] += (end - f0) * ck
			f0 = end
		}
		o.stepKT[k] += (f1 - f0) * ck
		f0 = f1
	}
	if x <= 0 {
		return op.defaultLog, kt
	}
	return math.Log(x), kt
}

// TruthRSP returns the ground-truth RSP of each of the solid's ROIs at
// energy e MeV (see TruthEnergy) relative to water (Physics.Water), from
// the same stopping powers the simulation uses.
func (s *Solid) TruthRSP(water *physics.Material, e float64) []float64 {
	out := make([]float64, len(s.ROIs))
	for k, r := range s.ROIs {
		out[k] = waterFor(r.Material, water).RSPTo(water, e)
	}
	return out
}

// checkObject validates the object part of a configuration.
func (c *Config) checkObject() error {
	for k, a := range c.Angles {
		if !finite(a) {
			return fmt.Errorf("sim: projection angle %d is %v", k, a)
		}
	}
	if len(c.Angles) > 0 && c.Frames%len(c.Angles) != 0 {
		return fmt.Errorf("sim: %d frames do not divide into %d projection angles", c.Frames, len(c.Angles))
	}
	if c.Object == nil {
		if len(c.Angles) > 1 {
			return fmt.Errorf("sim: %d projection angles without an object to rotate", len(c.Angles))
		}
		return nil
	}
	if !c.Phantom.None() {
		return fmt.Errorf("sim: both a slab phantom (%s) and an object (%s)", c.Phantom, c.Object.Name)
	}
	// a copy per run: Check caches bounds in the solid
	o := *c.Object
	o.Parts = slices.Clone(o.Parts)
	if err := o.Check(); err != nil {
		return err
	}
	c.Object = &o
	r, _, _ := c.Object.Radius()
	if rng := c.Object.Parts[0].Material.Range(c.Beam.Energy); rng <= 2*r && !c.CountGenerated {
		return fmt.Errorf("sim: object %s (%g mm across) is thicker than the %.0f mm range of %g MeV protons in its %s",
			c.Object.Name, 2*r, rng, c.Beam.Energy, c.Object.Parts[0].Material)
	}
	return nil
}
