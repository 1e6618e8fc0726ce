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

// hardCut is the Coulomb cut angle θc in units of the χc of the scattering
// region (sensor to sensor, or the phantom): deflections above it are drawn
// one by one, 1/hardCut² of them per region on average. Above about 0.5
// the soft part is Gaussian to well under 1 % (physics.SoftScatter); 1.5
// keeps the tail draws cheap (0.44 per region).
const hardCut = 1.5

// thickSlab is the thickness in mm from which a detector slab is a
// condensed-history step of its own (Physics.MSCStep > 0): thinner
// neighbours (the layers of a chip module) share one.
const thickSlab = 1.0

// sub is one material of a group: its thickness along z and its share of
// the scattering thickness.
type sub struct {
	tab *physics.Table
	m   *physics.Material
	t   float64 // mm along z
}

// coulomb is what the Wentzel model needs of a segment (see hardCut).
type coulomb struct {
	kt, ktN float64 // Σ K·t of the segment and its nuclear part, MeV²
	mix     physics.CoulombMix
	mixTab  *physics.Table // the table mix is relative to (the largest K·t)
	// negligible: the segment adds under 1 % of its region's variance
	// (air gaps, thin chip backs): its Gaussian part is not computed
	negligible bool
	r2N        float64 // ktN-weighted mean square nuclear radius, fm²
	lnCutK     float64 // ln(κ² Σ K·t) over the region: the cut of the hard tail
	cutK       float64 // κ √(Σ K·t over the region) = θc·pβ, MeV
	nuHard     float64 // expected hard deflections per unit path scale
	// lnSoftK is the cut of the Gaussian part (physics.Table.SoftScatter):
	// lnCutK, or with condensed-history steps ln(κ² Σ K·t) of the step, so
	// that a step's Gaussian is as wide as its own thickness makes it and
	// the deflections between the step's χc and the region's are not drawn
	// (as Geant4's step-wise msc widths do; VALIDATION.md).
	lnSoftK float64
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
	// angleOnly applies the sampled deflection at the segment's end
	// without the offset accrued inside (a condensed-history step).
	angleOnly bool
	coul      coulomb
	// inherit takes the Coulomb cut of the next segment's region: air
	// gaps and sensors, whose deflections are carried to and sampled with
	// the next sampled segment.
	inherit bool
	// detector marks the passive material of the stack
	// (Physics.DetectorElastic applies).
	detector bool
	afterGas bool // the group begins behind a gas gap
	// coulExtra are the slabs whose scattering (not energy loss) this
	// segment takes on: the sensor in front of it, which is then folded.
	coulExtra []sub
	folded    bool
	layer     int32
	thin      *physics.ThinLayer
	thick     float64 // sensitive thickness, mm
	csEdge    []float64

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
	z := *c.Beam.SourceZ
	cond := c.Physics.MSCStep > 0 // condensed-history steps
	if !c.Phantom.None() {
		m, _ := physics.MaterialByName(c.Phantom.Material)
		if m.Name == "water" {
			m = m.WithI(c.Physics.WaterI)
		}
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
		p.addAir(air, z, z0, cond)
		n := int(math.Ceil(c.Phantom.Thickness/c.Physics.PhantomStep - 1e-9))
		h := c.Phantom.Thickness / float64(n)
		first := len(p.segs)
		next := c.Physics.MSCStep // end of the current condensed step
		for i := 0; i < n; i++ {
			s := segment{kind: kindGroup, z0: z0 + float64(i)*h, z1: z0 + float64(i+1)*h}
			s.add(m, h)
			s.sample = true
			if cond {
				// sample where a step of MSCStep ends (or the phantom does)
				s.angleOnly = true
				s.sample = float64(i+1)*h >= next-1e-9 || i == n-1
				if s.sample {
					next = float64(i+1)*h + c.Physics.MSCStep
				}
			}
			s.inPhantom = true
			p.segs = append(p.segs, s)
		}
		p.setRegion(first, len(p.segs))
		if cond {
			p.stepCuts(first, len(p.segs))
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
	p.addAir(air, z, front, cond)
	p.addDetector(st, &c.Physics)
	for i := range p.segs {
		p.segs[i].setMix()
	}
	for i := len(p.segs) - 1; i >= 0; i-- {
		s := &p.segs[i]
		if !s.inherit {
			continue
		}
		if i+1 < len(p.segs) {
			n := &p.segs[i+1]
			s.coul.lnCutK, s.coul.cutK, s.coul.lnSoftK = n.coul.lnCutK, n.coul.cutK, n.coul.lnSoftK
		} else {
			s.coul.lnCutK = math.Log(hardCut * hardCut * s.coul.kt)
			s.coul.lnSoftK = s.coul.lnCutK
			s.coul.cutK = hardCut * math.Sqrt(s.coul.kt)
		}
		if s.coul.cutK > 0 {
			s.coul.nuHard = s.coul.ktN / (s.coul.cutK * s.coul.cutK)
		}
	}
	for i := range p.segs {
		// under 1 % of the region's variance (Σ K·t = exp(lnCutK)/κ²):
		// detector air gaps and thin chip backs
		s := &p.segs[i]
		s.coul.negligible = s.detector && !s.sample && s.coul.lnCutK != 0 &&
			s.coul.kt < 1e-2*math.Exp(s.coul.lnCutK)/(hardCut*hardCut)
	}
	p.truth = newTruthPlan(p.segs, c.Phantom)
	p.objectTruth()
	return p, nil
}

// setMix fills s.coul.mix from its subs (after the last add).
func (s *segment) setMix() {
	var ms []*physics.Material
	var ts []float64
	var best float64
	for _, sb := range append(s.subs[:len(s.subs):len(s.subs)], s.coulExtra...) {
		ms = append(ms, sb.m)
		ts = append(ts, sb.t)
		if k := sb.tab.Coulomb().K * sb.t; k > best || s.coul.mixTab == nil {
			best, s.coul.mixTab = k, sb.tab
		}
	}
	if s.coul.mixTab != nil {
		s.coul.mix = s.coul.mixTab.Mix(ms, ts)
	}
}

func (s *segment) add(m *physics.Material, t float64) {
	s.xX0 += t / m.RadiationLength()
	s.bohr += physics.BohrConstant(t, m)
	tab := m.Table()
	cb := tab.Coulomb()
	kn := cb.K * cb.Nuclear * t
	s.coul.kt += cb.K * t
	if s.coul.ktN+kn > 0 {
		s.coul.r2N = (s.coul.r2N*s.coul.ktN + cb.R2*kn) / (s.coul.ktN + kn)
	}
	s.coul.ktN += kn
	for i := range s.subs {
		if s.subs[i].tab == tab {
			s.subs[i].t += t
			return
		}
	}
	s.subs = append(s.subs, sub{tab: tab, m: m, t: t})
}

// addAir adds an air gap as one segment and scattering region; its
// scattering is carried to the next sampled segment.
func (p *plan) addAir(air *physics.Material, z0, z1 float64, cond bool) {
	if z1-z0 <= 1e-12 {
		return
	}
	s := segment{kind: kindGroup, z0: z0, z1: z1, angleOnly: cond, inherit: true}
	s.add(air, z1-z0)
	s.logX = math.Log(s.xX0)
	p.segs = append(p.segs, s)
}

// setRegion makes segments [a, b) one scattering region: Highland's log
// term over its whole thickness (the PDG recommendation for composite
// layers, which a per-slab term would underestimate) and the Coulomb cut
// at hardCut times its χc (for segments that do not inherit it).
func (p *plan) setRegion(a, b int) {
	var x, kt float64
	for k := a; k < b; k++ {
		x += p.segs[k].xX0
		kt += p.segs[k].coul.kt
	}
	for k := a; k < b; k++ {
		s := &p.segs[k]
		if x > 0 {
			s.logX = math.Log(x)
		}
		if kt > 0 && !s.inherit {
			s.coul.lnCutK = math.Log(hardCut * hardCut * kt)
			s.coul.lnSoftK = s.coul.lnCutK
			s.coul.cutK = hardCut * math.Sqrt(kt)
			s.coul.nuHard = s.coul.ktN / (hardCut * hardCut * kt)
		}
	}
}

func isGas(m *physics.Material) bool { return m.Density < 0.01 }

// addDetector adds the stack: one segment per sensitive slab, and the
// passive slabs between merged into groups (gas and solid apart). With
// condensed-history steps (mscStep > 0) a slab of thickSlab or more is a
// group of its own, cut into steps of at most mscStep, so that its
// deflection acts at its own exit face.
func (p *plan) addDetector(st *detector.Stack, ph *Physics) {
	mscStep := ph.MSCStep
	first := len(p.segs)
	cond := mscStep > 0
	var cur *segment
	var curGas, curThick bool
	flush := func() {
		if cur != nil {
			cur.sample = !curGas && cur.xX0 >= minScatterX
			p.segs = append(p.segs, *cur)
			cur, curThick = nil, false
		}
	}
	for _, sl := range st.Slabs() {
		if sl.Sensitive {
			flush()
			t := sl.Thickness()
			s := segment{kind: kindSensor, z0: sl.Z0, z1: sl.Z1, layer: int32(sl.Layer), thick: t,
				thin: thinLayer(sl.Material, t, ph.DeltaCut, ph.Deposit == DepositUrban), inherit: true}
			s.add(sl.Material, t)
			s.csEdge = clusterEdges(t)
			p.segs = append(p.segs, s)
			continue
		}
		gas := isGas(sl.Material)
		t := sl.Thickness()
		if cond && !gas && t >= thickSlab {
			// thin slabs that lie on the thick one behind a gas gap (a
			// flex cable on its absorber) share its first step; those
			// right behind a sensor (its chip module) keep their own
			var lead *segment
			if cur != nil && !curGas && cur.afterGas {
				lead, cur = cur, nil
			}
			flush()
			n := max(1, int(math.Ceil(t/mscStep-1e-9)))
			h := t / float64(n)
			for k := range n {
				if k == 0 && lead != nil {
					cur = lead
				} else {
					cur = &segment{kind: kindGroup, z0: sl.Z0 + float64(k)*h, angleOnly: true}
				}
				cur.z1 = sl.Z0 + float64(k+1)*h
				cur.add(sl.Material, h)
				curGas = false
				if k < n-1 {
					flush()
				}
			}
			// thin solid slabs behind it (glue, a chip's back) join its
			// last step
			curThick = true
			continue
		}
		if cur != nil && (gas != curGas || cond && !curThick && cur.z1-cur.z0+t > thickSlab) {
			flush()
		}
		if cur == nil {
			n := len(p.segs)
			cur = &segment{kind: kindGroup, z0: sl.Z0, angleOnly: cond,
				afterGas: n > 0 && p.segs[n-1].kind == kindGroup && isGas(p.segs[n-1].subs[0].m)}
			curGas = gas
		}
		cur.z1 = sl.Z1
		cur.add(sl.Material, t)
	}
	flush()
	// a sensor's own scattering is added to the next segment's (to which
	// it would be carried anyway), saving a lookup per crossing
	for i := first; i+1 < len(p.segs); i++ {
		if s, n := &p.segs[i], &p.segs[i+1]; s.kind == kindSensor && n.kind == kindGroup {
			n.coulExtra = append(n.coulExtra, s.subs...)
			n.coul.kt += s.coul.kt
			if n.coul.ktN+s.coul.ktN > 0 {
				n.coul.r2N = (n.coul.r2N*n.coul.ktN + s.coul.r2N*s.coul.ktN) / (n.coul.ktN + s.coul.ktN)
			}
			n.coul.ktN += s.coul.ktN
			s.folded = true
		}
	}
	// every stretch between two sensor planes is one scattering region; a
	// sensor scatters in the region that follows it (its deflection is
	// carried to the next sampled group)
	start := first
	for i := first; i < len(p.segs); i++ {
		if p.segs[i].kind == kindSensor {
			p.setRegion(start, i)
			start = i + 1
		}
	}
	p.setRegion(start, len(p.segs))
	if cond {
		p.stepCuts(first, len(p.segs))
	}
	for i := first; i < len(p.segs); i++ {
		p.segs[i].detector = p.segs[i].kind == kindGroup
	}
}

// stepCuts sets the Gaussian cut of the segments [a, b) from their
// condensed-history steps: the runs of segments up to and including each
// sampled one.
func (p *plan) stepCuts(a, b int) {
	start := a
	var kt float64
	for k := a; k < b; k++ {
		kt += p.segs[k].coul.kt
		if !p.segs[k].sample && k < b-1 {
			continue
		}
		if kt > 0 {
			for j := start; j <= k; j++ {
				if !p.segs[j].inherit {
					p.segs[j].coul.lnSoftK = math.Log(hardCut * hardCut * kt)
				}
			}
		}
		start, kt = k+1, 0
	}
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
func thinLayer(m *physics.Material, t, cut float64, exc bool) *physics.ThinLayer {
	thinMu.Lock()
	defer thinMu.Unlock()
	k := thinKey{m, t, cut, exc}
	if tl, ok := thinCache[k]; ok {
		return tl
	}
	tl := physics.NewThinLayerWith(m, t, physics.ThinOptions{DeltaCut: cut, Excitation: exc})
	thinCache[k] = tl
	return tl
}
