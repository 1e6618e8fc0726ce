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
// Highland scattering).
const kindObject = kindSensor + 1

// objectPlan is the compiled Config.Object.
type objectPlan struct {
	solid      *Solid
	first      int     // index of the first object step in plan.segs
	last       int     // index of the last
	z0, z1     float64 // z range of the steps (beam frame)
	y0, y1     float64 // Y range of the solid
	radius     float64
	defaultLog float64 // ln(x/X0) across the diameter in the first part's material
	rsp        map[*physics.Material][]float64
}

// rspStep is the energy step of the RSP tables of objectPlan, MeV.
const rspStep = 1.0

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
		return m.RSP(e)
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
	p.addAir(airMaterial, z, z0)
	n := int(math.Ceil((z1-z0)/c.Physics.PhantomStep - 1e-9))
	h := (z1 - z0) / float64(n)
	m := s.Parts[0].Material
	op := &objectPlan{solid: s, first: len(p.segs), z0: z0, z1: z1, y0: y0, y1: y1, radius: r,
		defaultLog: math.Log(2 * r / m.RadiationLength())}
	for i := range n {
		p.segs = append(p.segs, segment{kind: kindObject, z0: z0 + float64(i)*h, z1: z0 + float64(i+1)*h})
	}
	op.rsp = map[*physics.Material][]float64{}
	for _, m := range append([]*physics.Material{s.medium()}, partMaterials(s)...) {
		if _, ok := op.rsp[m]; ok {
			continue
		}
		t := make([]float64, int(c.Beam.Energy/rspStep)+2)
		for i := range t {
			t[i] = m.RSP(float64(i) * rspStep)
		}
		op.rsp[m] = t
	}
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
		m.PhantomThickness = 0
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
		o.logX = w.pathLog(p) // before the step's trace: it uses the same scratch
	}
	a := w.toObject(p.x, p.y, za)
	b := w.toObject(p.x+p.tx*l, p.y+p.ty*l, seg.z1)
	o.cross, o.tbuf = op.solid.Trace(o.cross[:0], o.tbuf, a, b)
	s := &o.seg
	*s = segment{kind: kindGroup, z0: seg.z0, z1: seg.z1, subs: s.subs[:0], sample: true, logX: o.logX}
	pf := math.Sqrt(1 + p.tx*p.tx + p.ty*p.ty)
	for _, c := range o.cross {
		s.add(c.Material, c.Frac*full)
		if fresh {
			w.wepl += c.Frac * l * pf * op.rspOf(c.Material, p.e)
		}
	}
	return s
}

// pathLog returns ln(x/X0) of the straight line of p through the object
// (Highland's log term of the whole scattering region, as for a slab
// phantom), or of the object's diameter if the line misses it.
func (w *worker) pathLog(p *particle) float64 {
	op := w.p.object
	dz := op.z1 - op.z0
	a := w.toObject(p.x, p.y, op.z0)
	b := w.toObject(p.x+p.tx*dz, p.y+p.ty*dz, op.z1)
	w.obj.cross, w.obj.tbuf = op.solid.Trace(w.obj.cross[:0], w.obj.tbuf, a, b)
	l := dz * math.Sqrt(1+p.tx*p.tx+p.ty*p.ty)
	var x float64
	for _, c := range w.obj.cross {
		if c.Material.Density > 0.01 {
			x += c.Frac * l / c.Material.RadiationLength()
		}
	}
	if x <= 0 {
		return op.defaultLog
	}
	return math.Log(x)
}

// TruthRSP returns the ground-truth RSP of each of the solid's ROIs at
// energy e MeV (see TruthEnergy), from the same stopping powers the
// simulation uses.
func (s *Solid) TruthRSP(e float64) []float64 {
	out := make([]float64, len(s.ROIs))
	for k, r := range s.ROIs {
		out[k] = r.Material.RSP(e)
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
