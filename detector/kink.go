package detector

import (
	"fmt"
	"math"
	"strings"

	"github.com/pcttrack/pcttrack/physics"
)

// KinkSigma returns the rms plane-projected kink angle in rad at sensor
// plane l: the difference between the slopes of the chords l−1 → l
// and l → l+1 of a proton that has energy e MeV at plane l−1. A slab's
// scattering acts at its exit face, as in Geant4's condensed history (one
// step per volume; the GATE reference file's kinks show it, and package
// sim does the same, sim/VALIDATION.md), so it counts with the weight of a
// tent that is 1 at plane l and 0 at planes l±1, taken at that face:
// σ² = Σ_slabs w²·θ0², with θ0 from Highland per sub-slab (energy degraded
// along the way, the log term taken over the material of the whole gap),
// plus posSigma² (mm, per coordinate) propagated through the three hits.
// This is the model of the Highland pair cut and the physics tracker. A
// proton that stops before plane l+1 gives the variance up to its stopping
// point. It panics unless 1 <= l < NumLayers−1. O(slabs between the
// planes), no allocation.
func (st *Stack) KinkSigma(l int, e, posSigma float64) float64 {
	n := st.NumLayers()
	if l < 1 || l+1 >= n {
		panic("detector: KinkSigma plane out of range")
	}
	slabs := st.Slabs()
	zc, zb, za := st.PlaneZ(l-1), st.PlaneZ(l), st.PlaneZ(l+1)
	var v float64
	for gap := range 2 {
		z0, z1 := zc, zb
		s0, s1 := st.SensitiveSlab(l-1), st.SensitiveSlab(l)
		if gap == 1 {
			z0, z1 = zb, za
			s0, s1 = s1, st.SensitiveSlab(l+1)
		}
		var xTot float64
		for i := s0; i <= s1; i++ {
			sl := &slabs[i]
			xTot += (min(sl.Z1, z1) - max(sl.Z0, z0)) / sl.Material.RadiationLength()
		}
		d := z1 - z0
		for i := s0; i <= s1 && e > 0; i++ {
			sl := &slabs[i]
			a, b := max(sl.Z0, z0), min(sl.Z1, z1)
			if b <= a {
				continue
			}
			x0 := sl.Material.RadiationLength()
			steps := min(max(int(math.Ceil((b-a)/0.5)), 1), 8)
			dt := (b - a) / float64(steps)
			w := (b - z0) / d // the tent at the exit face
			if gap == 1 {
				w = (z1 - b) / d
			}
			for range steps {
				eo := sl.Material.EnergyAfter(e, dt)
				t := dt
				if eo <= 0 { // stops inside: scatter over its residual range
					t = sl.Material.Range(e)
				}
				em := 0.5 * (e + max(eo, 0))
				fl := max(1+0.038*math.Log(xTot/physics.Beta2(em)), 0)
				pv2 := physics.BetaCP(e) * physics.BetaCP(max(eo, 0.5*e))
				th2 := physics.HighlandEs * physics.HighlandEs * (t / x0) / pv2 * fl * fl
				v += th2 * w * w
				e = eo
				if e <= 0 {
					break
				}
			}
		}
	}
	if posSigma > 0 {
		i1, i2 := 1/(zb-zc), 1/(za-zb)
		v += posSigma * posSigma * (i1*i1 + i2*i2 + (i1+i2)*(i1+i2))
	}
	return math.Sqrt(v)
}

// PositionSigma returns the default hit position resolution of g in mm per
// transverse coordinate: the pixel pitch/√12, averaged over both axes.
func (g *Geometry) PositionSigma() float64 {
	return math.Hypot(g.PitchX, g.PitchY) / math.Sqrt(24)
}

// NameCheck compares the geometry names that frames record with the one a
// tracker or filter was built for. It remembers the last name and verdict,
// so that presets are resolved only when the name changes; the zero value
// is ready. Not safe for concurrent use.
type NameCheck struct {
	name string
	err  error
	ok   bool
}

// Check returns an error when recorded names a preset geometry other than
// ours (ignoring case and preset aliases); unknown names (files, test
// fixtures) and "" pass.
func (c *NameCheck) Check(recorded, ours string) error {
	if c.ok && c.name == recorded {
		return c.err
	}
	c.name, c.ok, c.err = recorded, true, nil
	if recorded == "" || strings.EqualFold(recorded, ours) {
		return nil
	}
	if p, err := Preset(recorded); err == nil && !strings.EqualFold(p.Name, ours) {
		c.err = fmt.Errorf("recorded with geometry %q, not %q", recorded, ours)
	}
	return c.err
}
