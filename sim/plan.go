package sim

import (
	"fmt"
	"math"

	"github.com/pcttrack/pcttrack/detector"
	"github.com/pcttrack/pcttrack/physics"
)

// segment kinds
const (
	kindGroup  = iota // passive material
	kindSensor        // a sensitive slab
)

// minScatterX is the thickness in radiation lengths below which a group's
// scattering is not sampled on the spot but carried to the next group
// (air gaps, the 11 µm chip front, the epitaxial layer itself).
const minScatterX = 1e-3

// sub is one material of a group: its thickness along z and its share of
// the scattering thickness.
type sub struct {
	tab *physics.Table
	t   float64 // mm along z
}

// segment is a contiguous piece of the beam line: a group of passive
// slabs (merged per material, in order of first appearance — the energy
// after a 5.5 mm DTC layer changes by < 0.2 % near the end of range and
// far less elsewhere) or one sensitive slab.
type segment struct {
	kind   int
	z0, z1 float64
	subs   []sub
	xX0    float64 // Σ t/X0
	logX   float64 // ln(x/X0) of the scattering region (sensor to sensor, or the phantom)
	bohr   float64 // Σ Bohr constants, MeV² (× γ²(1−β²/2))
	sample bool    // sample scattering here; else carry it on
	layer  int32
	thin   *physics.ThinLayer
	thick  float64 // sensitive thickness, mm
	csEdge []float64

	inPhantom bool // a step of the phantom (truth.go)
}

// plan is the compiled beam line of a Config.
type plan struct {
	segs       []segment
	phantom    string  // Phantom.String(), for the frame metadata
	phantomWET float64 // Phantom.WET()
	stack      *detector.Stack
	halfAX     float64
	halfAY     float64
	truth      truthPlan
	object     *objectPlan // Config.Object (objectstep.go)
}

func newPlan(c *Config) (*plan, error) {
	st, err := detector.NewStack(c.Geometry)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	p := &plan{stack: st, halfAX: c.Geometry.ApertureX / 2, halfAY: c.Geometry.ApertureY / 2,
		phantom: c.Phantom.String(), phantomWET: c.Phantom.WET()}
	air := physics.MustMaterial("air")
	front := st.Front()
	z := c.Beam.SourceZ
	if !c.Phantom.None() {
		m, _ := physics.MaterialByName(c.Phantom.Material)
		z0 := c.Phantom.Center - c.Phantom.Thickness/2
		z1 := z0 + c.Phantom.Thickness
		if z0 < z {
			return nil, fmt.Errorf("sim: phantom %s starts at z = %g mm, upstream of the source at %g mm", c.Phantom, z0, z)
		}
		if z1 > front {
			return nil, fmt.Errorf("sim: phantom %s ends at z = %g mm, inside the detector (front at %g mm)", c.Phantom, z1, front)
		}
		if r := m.Range(c.Beam.Energy); r <= c.Phantom.Thickness && !c.CountGenerated {
			return nil, fmt.Errorf("sim: phantom %s is thicker than the %.0f mm range of %g MeV protons: no primary reaches the detector",
				c.Phantom, r, c.Beam.Energy)
		}
		p.addAir(air, z, z0)
		n := int(math.Ceil(c.Phantom.Thickness/c.Physics.PhantomStep - 1e-9))
		h := c.Phantom.Thickness / float64(n)
		logX := math.Log(c.Phantom.Thickness / m.RadiationLength())
		for i := 0; i < n; i++ {
			s := segment{kind: kindGroup, z0: z0 + float64(i)*h, z1: z0 + float64(i+1)*h, logX: logX}
			s.add(m, h)
			s.sample = true
			s.inPhantom = true
			p.segs = append(p.segs, s)
		}
		z = z1
	}
	if c.Object != nil {
		if z, err = p.addObject(c, z, front); err != nil {
			return nil, err
		}
	}
	if z > front {
		return nil, fmt.Errorf("sim: source at z = %g mm is inside or behind the detector (front at %g mm)", z, front)
	}
	p.addAir(air, z, front)
	p.addDetector(st, c.Physics.DeltaCut)
	p.truth = newTruthPlan(p.segs, c.Phantom)
	p.objectTruth()
	return p, nil
}

func (s *segment) add(m *physics.Material, t float64) {
	s.xX0 += t / m.RadiationLength()
	s.bohr += physics.BohrConstant(t, m)
	tab := m.Table()
	for i := range s.subs {
		if s.subs[i].tab == tab {
			s.subs[i].t += t
			return
		}
	}
	s.subs = append(s.subs, sub{tab: tab, t: t})
}

func (p *plan) addAir(air *physics.Material, z0, z1 float64) {
	if z1-z0 <= 1e-12 {
		return
	}
	s := segment{kind: kindGroup, z0: z0, z1: z1}
	s.add(air, z1-z0)
	s.logX = math.Log(s.xX0)
	p.segs = append(p.segs, s)
}

func isGas(m *physics.Material) bool { return m.Density < 0.01 }

func (p *plan) addDetector(st *detector.Stack, deltaCut float64) {
	first := len(p.segs)
	var cur *segment
	var curGas bool
	flush := func() {
		if cur != nil {
			cur.sample = !curGas && cur.xX0 >= minScatterX
			p.segs = append(p.segs, *cur)
			cur = nil
		}
	}
	for _, sl := range st.Slabs() {
		if sl.Sensitive {
			flush()
			t := sl.Thickness()
			s := segment{kind: kindSensor, z0: sl.Z0, z1: sl.Z1, layer: int32(sl.Layer), thick: t,
				thin: thinLayer(sl.Material, t, deltaCut), xX0: t / sl.Material.RadiationLength()}
			s.csEdge = clusterEdges(t)
			p.segs = append(p.segs, s)
			continue
		}
		gas := isGas(sl.Material)
		if cur != nil && gas != curGas {
			flush()
		}
		if cur == nil {
			cur = &segment{kind: kindGroup, z0: sl.Z0}
			curGas = gas
		}
		cur.z1 = sl.Z1
		cur.add(sl.Material, sl.Thickness())
	}
	flush()
	// Highland's log term uses the whole scattering region: everything
	// between two sensor planes (PDG recommendation for composite layers).
	setLog := func(a, b int) {
		var x float64
		for k := a; k < b; k++ {
			x += p.segs[k].xX0
		}
		for k := a; k < b && x > 0; k++ {
			p.segs[k].logX = math.Log(x)
		}
	}
	start := first
	for i := first; i < len(p.segs); i++ {
		if p.segs[i].kind == kindSensor {
			setLog(start, i)
			start = i + 1
		}
	}
	setLog(start, len(p.segs))
}

// clusterEdges returns the deposits at which the ALPIDE cluster size
// reaches 1, 2, ... in a slab of thickness t, so that the cluster size of
// a deposit is found without math.Pow.
func clusterEdges(t float64) []float64 {
	e := make([]float64, 128)
	for k := range e {
		e[k] = physics.EdepForClusterSize(k+1, t)
	}
	return e
}

// clusterSize equals physics.ClusterSize(d, thick) (see clusterEdges).
func (s *segment) clusterSize(d float64) int32 {
	e := s.csEdge
	if !(d > 0) {
		return 0
	}
	if d >= e[len(e)-1] {
		return int32(physics.ClusterSize(d, s.thick))
	}
	lo, hi := 0, len(e)
	for lo < hi {
		m := (lo + hi) / 2
		if e[m] <= d {
			lo = m + 1
		} else {
			hi = m
		}
	}
	// lo edges lie at or below d; within 1e-6 of an edge defer to the
	// formula so the result is exactly physics.ClusterSize
	if lo > 0 && d < e[lo-1]*(1+1e-6) || lo < len(e) && d > e[lo]*(1-1e-6) {
		return int32(physics.ClusterSize(d, s.thick))
	}
	return int32(lo)
}

// thinLayer caches one ThinLayer per (material, thickness): building one
// takes ~0.1 ms and every sensor of a geometry shares it.
func thinLayer(m *physics.Material, t, cut float64) *physics.ThinLayer {
	thinMu.Lock()
	defer thinMu.Unlock()
	k := thinKey{m, t, cut}
	if tl, ok := thinCache[k]; ok {
		return tl
	}
	tl := physics.NewThinLayer(m, t, cut)
	thinCache[k] = tl
	return tl
}
